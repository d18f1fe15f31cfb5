// Answers kept between requests (issue 12's speed): the analysis over ten million records takes
// seconds, and a dashboard asks the same few questions again and again between two ingests. An
// answer is kept with the store's change marker (store::change_marker) at the time it was
// computed and given again only while the marker is the same — any commit by ingest, `label`,
// `enrich` or `alerts` makes every kept answer stale — and within the UTC hour it was computed
// in: answers also depend on the clock, but only at whole hours (a day ends at midnight UTC, an
// alert settles and a reporter is missed a whole number of hours later: alerts.settle_hours).
// Keys hold the account's domains, or the one domain asked for, so one account's answer is
// never another's.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dmarcsight::web {

struct kept_answer {
    int status = 200;
    std::string content_type;
    std::string body;
    // The body gzip-compressed once (RFC 1952), for the clients that accept it: a browser asking
    // the 7.5 MB spoofing sources again gets them without another 100 ms of compression. Empty
    // for small bodies (gzip_body_of).
    std::string gzip_body;
    std::vector<std::pair<std::string, std::string>> headers;  // beside the default ones (X-Total-Count)
};

// `body` gzip-compressed (libdeflate, level 6); empty below 1 KB, where compression is not worth
// a header.
std::string gzip_body_of(const std::string& body);

class answer_cache {
public:
    static constexpr std::int64_t period_s = 3600;  // an answer holds within its UTC hour
    static constexpr std::size_t max_bytes = 64u << 20;        // all kept bodies together (both forms)
    static constexpr std::size_t max_answer_bytes = 16u << 20;  // a larger answer is not kept

    // The answer kept for `key` under `marker`, computed in the same UTC hour as `now`.
    std::optional<kept_answer> find(const std::string& key, const std::string& marker, std::int64_t now);
    // Keeps it (the oldest answers go when the bytes would pass max_bytes).
    void keep(const std::string& key, const std::string& marker, kept_answer a, std::int64_t now);
    // Drops every answer that `find` would no longer give: another marker, another hour.
    void drop_stale(const std::string& marker, std::int64_t now);
    std::size_t bytes() const;

private:
    struct entry {
        std::string marker;
        std::int64_t at = 0;
        kept_answer answer;
        std::list<std::string>::iterator age;  // its place in order_
    };
    // Kept under this marker, in the hour of `now`.
    static bool fresh(const entry& e, const std::string& marker, std::int64_t now);
    void drop(std::unordered_map<std::string, entry>::iterator it);
    mutable std::mutex mu_;
    std::unordered_map<std::string, entry> entries_;
    std::list<std::string> order_;  // keys, oldest first
    std::size_t bytes_ = 0;
};

}  // namespace dmarcsight::web
