// An IMAP / IMAPS client session (libcurl underneath) for reading a report mailbox. What it talks
// to: the one server of the URL it is given, and the one folder named in that URL's path.
//
// The URL is imap://user@host[:port]/FOLDER or imaps://…; it never holds the password (one that
// does is refused: it would show in `ps`, in logs and in messages). The secret is a password
// (AUTH PLAIN/LOGIN) or an OAuth2 bearer token (XOAUTH2 / OAUTHBEARER, RFC 7628), handed to
// libcurl as options only. Every message this class makes names the URL without credentials.
//
// TLS: imaps:// is implicit TLS (RFC 8314); imap:// to a host other than the loopback requires
// STARTTLS (RFC 3501 §6.2.1): a password is never sent in the clear over a network. Certificates
// are verified (peer and host name), against ca_file when given.
//
// Bounded: every command has a deadline, a fetched message a byte cap (checked against the
// server's RFC822.SIZE first, and again while it arrives: a server may lie).
// One session holds one connection, reused across commands; not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace dmarcsight::net {

struct imap_options {
    std::string url;       // imap[s]://user@host[:port]/FOLDER
    std::string username;  // "" = the URL's user
    std::string password;  // exactly one of password / bearer
    std::string bearer;    // OAuth2 access token (CURLOPT_XOAUTH2_BEARER)
    std::string ca_file;   // PEM bundle; "" = the system's trust store
    std::chrono::milliseconds deadline{120000};         // one command (a FETCH of a big message too)
    std::chrono::milliseconds connect_timeout{15000};  // TCP + TLS + login
};

// The URL with any user info removed but the user name: what messages show.
std::string redact_url(std::string_view url);

enum class fetch_status { ok, gone, too_big };

class imap_session {
public:
    // Checks the URL; connects lazily on the first command.
    static result<imap_session> open(imap_options options);
    imap_session(imap_session&&) noexcept;
    imap_session& operator=(imap_session&&) noexcept;
    ~imap_session();

    // The folder of the URL, decoded ("INBOX").
    const std::string& folder() const;
    // The URL as messages show it (no credentials).
    const std::string& shown_url() const;

    // A command run in the URL's folder (libcurl SELECTs it first): the server's untagged
    // responses, bytes capped. A NO / BAD answer is an error naming the command's first words.
    result<std::string> command(std::string_view command_line, std::size_t max_response = 8 * 1024 * 1024);
    // The message with this UID (RFC 3501 §6.4.8 UID FETCH … BODY[]): `gone` when the server has
    // no such message (another worker took it); `too_big` once more than max_bytes arrive.
    result<fetch_status> fetch(std::uint64_t uid, std::size_t max_bytes, std::string& out);
    // Closes the connection (LOGOUT); the next command reconnects.
    void close();
    // New credentials (a refreshed OAuth2 token, a changed password file): when they differ, the
    // connection is closed and the next command logs in with them.
    void set_credentials(std::string password, std::string bearer);

private:
    struct impl;
    explicit imap_session(std::unique_ptr<impl> p);
    std::unique_ptr<impl> p_;
};

}  // namespace dmarcsight::net
