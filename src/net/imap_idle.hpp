// IMAP IDLE (RFC 2177) for `ingest --watch`: libcurl has no IDLE command, so this opens a
// connection of its own with CURLOPT_CONNECT_ONLY (libcurl still does TLS, STARTTLS and the login,
// with the same options as imap_session) and speaks SELECT / IDLE / DONE itself through
// curl_easy_send / curl_easy_recv. Lines from the server are capped; only "* N EXISTS" /
// "* N RECENT" are looked at.
#pragma once

#include <functional>

#include "core/result.hpp"
#include "net/imap_client.hpp"

namespace dmarcsight::net {

// True when the server announced new mail in the URL's folder; false after `seconds` or when
// `stop()` returns true (checked about once a second). Errors name the redacted URL.
result<bool> imap_idle_wait(const imap_options& options, int seconds, const std::function<bool()>& stop);

}  // namespace dmarcsight::net
