// geo_db over MaxMind DB files (libmaxminddb): GeoLite2-ASN / GeoLite2-Country / GeoLite2-City and
// the DB-IP lite databases use the same field names. Several files are merged: the first one
// that has a field wins (an ASN file and a country file together give both).
#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "core/limits.hpp"
#include "core/time.hpp"
#include "enrich/geo_db.hpp"

namespace dmarcsight::enrich {

namespace {

std::string entry_string(MMDB_entry_s* entry, const char* const* path) {
    MMDB_entry_data_s d{};
    if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING) return {};
    return std::string(d.utf8_string, d.data_size);
}

std::optional<std::uint32_t> entry_u32(MMDB_entry_s* entry, const char* const* path) {
    MMDB_entry_data_s d{};
    if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data) return std::nullopt;
    switch (d.type) {
        case MMDB_DATA_TYPE_UINT32: return d.uint32;
        case MMDB_DATA_TYPE_UINT16: return d.uint16;
        default: return std::nullopt;
    }
}

class mmdb_db final : public geo_db {
public:
    mmdb_db() = default;
    ~mmdb_db() override {
        for (auto& f : files_) MMDB_close(&f.db);
    }
    mmdb_db(const mmdb_db&) = delete;
    mmdb_db& operator=(const mmdb_db&) = delete;

    result<void> add(const std::string& path) {
        files_.emplace_back();
        files_.back().path = path;
        const int rc = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &files_.back().db);
        if (rc != MMDB_SUCCESS) {
            files_.pop_back();
            return fail("MaxMind database " + path + ": " + MMDB_strerror(rc));
        }
        return {};
    }

    std::optional<geo_info> lookup(const ip_address& ip) override {
        sockaddr_storage ss{};
        if (ip.is_v4()) {
            auto* a = reinterpret_cast<sockaddr_in*>(&ss);
            a->sin_family = AF_INET;
            std::memcpy(&a->sin_addr, ip.bytes.data(), 4);
        } else {
            auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
            a->sin6_family = AF_INET6;
            std::memcpy(&a->sin6_addr, ip.bytes.data(), 16);
        }
        geo_info g;
        bool any = false;
        static const char* const asn_path[] = {"autonomous_system_number", nullptr};
        static const char* const org_path[] = {"autonomous_system_organization", nullptr};
        static const char* const country_path[] = {"country", "iso_code", nullptr};
        static const char* const registered_path[] = {"registered_country", "iso_code", nullptr};
        for (auto& f : files_) {
            int mmdb_error = MMDB_SUCCESS;
            MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&f.db, reinterpret_cast<const sockaddr*>(&ss), &mmdb_error);
            if (mmdb_error != MMDB_SUCCESS || !r.found_entry) continue;
            any = true;
            if (!g.asn) g.asn = entry_u32(&r.entry, asn_path);
            if (g.as_name.empty()) g.as_name = clean_as_name(entry_string(&r.entry, org_path));
            if (g.country.empty()) g.country = clean_country(entry_string(&r.entry, country_path));
            if (g.country.empty()) g.country = clean_country(entry_string(&r.entry, registered_path));
        }
        if (!any) return std::nullopt;
        return g;
    }

    std::string description() const override {
        std::string d;
        for (const auto& f : files_) {
            if (!d.empty()) d += "; ";
            d += "mmdb " + f.path;
            std::string about = f.db.metadata.database_type ? clean_as_name(f.db.metadata.database_type) : std::string();
            if (f.db.metadata.build_epoch > 0)
                about += (about.empty() ? "" : ", ") + std::string("built ") +
                         utc::format_date(static_cast<std::int64_t>(f.db.metadata.build_epoch));
            if (!about.empty()) d += " (" + about + ")";
        }
        return d;
    }
    std::int64_t built_at() const override {
        std::int64_t oldest = 0;
        for (const auto& f : files_) {
            const auto t = static_cast<std::int64_t>(f.db.metadata.build_epoch);
            if (t > 0 && (oldest == 0 || t < oldest)) oldest = t;
        }
        return oldest;
    }

private:
    struct file {
        std::string path;
        MMDB_s db{};
    };
    std::vector<file> files_;
};

}  // namespace

result<std::unique_ptr<geo_db>> open_mmdb(const std::vector<std::string>& paths) {
    if (paths.empty()) return fail("no MaxMind database named");
    auto db = std::make_unique<mmdb_db>();
    for (const auto& p : paths) {
        if (auto r = db->add(p); !r) return unexpected{r.err()};
    }
    return std::unique_ptr<geo_db>(std::move(db));
}

std::string clean_as_name(std::string_view raw) {
    std::string out;
    out.reserve(std::min(raw.size(), limits::enrich_max_as_name));
    bool cut = false;
    for (unsigned char c : raw) {
        if (out.size() >= limits::enrich_max_as_name) {
            cut = true;
            break;
        }
        // C0 controls and DEL dropped; UTF-8 bytes kept (names like "Telefónica"); the CLI escapes
        // what it prints.
        if (c < 0x20 || c == 0x7f) continue;
        out.push_back(static_cast<char>(c));
    }
    // Do not end inside a UTF-8 sequence after the cut: drop a trailing partial character.
    if (cut) {
        std::size_t k = out.size();
        while (k > 0 && (static_cast<unsigned char>(out[k - 1]) & 0xC0) == 0x80) --k;
        if (k > 0 && static_cast<unsigned char>(out[k - 1]) >= 0xC0) {
            const unsigned char lead = static_cast<unsigned char>(out[k - 1]);
            const std::size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            if (out.size() - (k - 1) < need) out.resize(k - 1);
        }
    }
    return out;
}

std::string clean_country(std::string_view raw) {
    if (raw.size() != 2) return {};
    std::string out;
    for (char c : raw) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (c < 'A' || c > 'Z') return {};
        out.push_back(c);
    }
    return out;
}

}  // namespace dmarcsight::enrich
