// SPDX-License-Identifier: Apache-2.0
#pragma once

/// HTTP/1.1 on the wire for the event-loop server (adapters/http/event_server.hpp): parsing a
/// request out of a connection's read buffer into an httplib::Request (the type the route
/// handlers take), and writing an httplib::Response as one buffer. Plain functions, no I/O.

#include <cstddef>
#include <string>
#include <string_view>

namespace httplib {
struct Request;
struct Response;
} // namespace httplib

namespace seq::http::wire {

struct limits {
  size_t max_header_bytes = 64 * 1024; ///< request line and headers
  size_t max_body_bytes = 10 * 1024 * 1024;
};

enum class parse_state {
  incomplete, ///< more bytes are needed
  complete,   ///< `req` holds the request; `consumed` bytes of the buffer were used
  error,      ///< answer `error_status` and close the connection
};

struct parse_result {
  parse_state state = parse_state::incomplete;
  size_t consumed = 0;
  int error_status = 0;
  /// The request line and headers are complete but the body is not, and the client sent
  /// `Expect: 100-continue`: it waits for an interim "100 Continue" before the body.
  bool expects_continue = false;
  /// HTTP/1.1 without `Connection: close`, or HTTP/1.0 with `Connection: keep-alive`.
  bool keep_alive = false;
};

/// Parses the request at the start of `buf`: the request line, headers, and a body framed by
/// Content-Length or chunked transfer coding. On `complete` fills method, target, path
/// (percent-decoded), params (the query, percent-decoded, '+' as space), version, headers and
/// body of `req`. Errors: 400 malformed, 413 body over the limit, 431 headers over the limit,
/// 501 a transfer coding other than chunked, 505 a version other than HTTP/1.0 or 1.1.
parse_result parse_request(std::string_view buf, const limits& lim, httplib::Request& req);

/// The status line, the response's headers, Content-Length (and Content-Type text/plain for a
/// body without one), `Connection: keep-alive` or `close`, and the body unless `head`.
std::string serialize_response(const httplib::Response& res, bool keep_alive, bool head);

/// The reason phrase for a status code ("OK", "Not Found", …; "Unknown" otherwise).
std::string_view reason_phrase(int status);

/// ASCII case-insensitive equality (header names, tokens, media types).
bool iequals(std::string_view a, std::string_view b);

/// `s` without leading and trailing spaces and tabs (HTTP's optional whitespace).
std::string_view trim(std::string_view s);

/// %XX decoding (and '+' as a space when `plus_is_space`); a malformed escape stays as is.
std::string percent_decode(std::string_view s, bool plus_is_space);

} // namespace seq::http::wire
