// Sources: where inputs come from. Each opens every input once and hands it to an input_sink:
// a file named on the command line, a folder walked recursively (Maildir new/ and cur/, never
// tmp/), the messages of an mbox file, standard input (spooled to an unlinked temporary file so
// that it is sniffed, parsed, hashed and kept exactly like a file). IMAP comes later, as another
// source of the same shape.
//
// The database, its journal files and its quarantine folder are never inputs, however they are
// reached (a path, a symlink, "..", a hard link): input_guard tells them apart.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "ingest/input.hpp"

namespace dmarcsight::ingest {

class input_guard {
public:
    input_guard() = default;
    input_guard(const std::string& db_path, const std::string& quarantine_dir);
    // What the path (or the opened file dev/ino) is, when it is one of ours: "the database",
    // "the database's write-ahead log", "the quarantine folder" ...
    std::optional<std::string> ours(const std::string& path, std::uint64_t dev = 0, std::uint64_t ino = 0) const;

private:
    struct entry {
        std::string canonical;  // absolute, symlinks resolved (the parent, when it does not exist yet)
        std::string what;
        bool folder = false;
        std::uint64_t dev = 0, ino = 0;
    };
    void add(const std::string& path, std::string what, bool folder);
    std::vector<entry> entries_;
};

class input_sink {
public:
    virtual ~input_sink() = default;
    // An input: a file, an mbox message, standard input. (IMAP, the first source that must hear
    // when an input's outcome is committed, to flag or move the message, adds that hook here.)
    virtual result<void> on_input(input& in) = 0;
    // An input that could not be opened or read (a permission, a FIFO, a broken mbox message):
    // it is rejected with this reason; the walk goes on.
    virtual result<void> on_unreadable(const std::string& label, const std::string& reason) = 0;
    // True once the run should stop (SIGINT/SIGTERM): sources stop yielding.
    virtual bool stop_requested() const = 0;
};

// A file or folder named by the user. Missing paths are the caller's usage error; everything
// else that goes wrong below is an unreadable input, never the end of the batch.
result<void> read_path(const std::string& path, const input_guard& guard, input_sink& sink);
// Standard input (fd 0), spooled into an unlinked file in $TMPDIR (or /tmp); an error here is an
// environment error (no room for the spool).
result<void> read_stdin(input_sink& sink);
// An opened file: an mbox is split into its messages (labels "path#N"), anything else is one input.
result<void> read_file_input(input& in, input_sink& sink);

}  // namespace dmarcsight::ingest
