// SPDX-License-Identifier: Apache-2.0
#include "adapters/http/wire.hpp"

#include "messages/ves/bytes.hpp"
#include "messages/ves/json.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace seq::http::wire {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return std::tolower(static_cast<unsigned char>(x))
                     == std::tolower(static_cast<unsigned char>(y));
            });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

namespace {

constexpr std::string_view crlf = "\r\n";

/// A comma-separated header value holds `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    auto comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token))
      return true;
    if (comma == std::string_view::npos)
      break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0
         || std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

void parse_query(std::string_view q, httplib::Params& params) {
  while (!q.empty()) {
    auto amp = q.find('&');
    auto pair = q.substr(0, amp);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      auto key = percent_decode(pair.substr(0, eq), true);
      auto val = eq == std::string_view::npos ? std::string{}
                                              : percent_decode(pair.substr(eq + 1), true);
      params.emplace(std::move(key), std::move(val));
    }
    if (amp == std::string_view::npos)
      break;
    q.remove_prefix(amp + 1);
  }
}

/// Decodes a chunked body starting at `p` into `out`. nullopt: more bytes needed; -1 in
/// `status`: malformed; 413: over the limit. Returns the offset after the last chunk's
/// trailer section.
std::optional<size_t> dechunk(std::string_view buf, size_t p, size_t max_body, std::string& out,
                              int& status) {
  out.clear();
  for (;;) {
    auto eol = buf.find(crlf, p);
    if (eol == std::string_view::npos)
      return std::nullopt;
    auto line = buf.substr(p, eol - p);
    line = line.substr(0, line.find(';')); // chunk extensions are ignored
    line = trim(line);
    size_t size = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (line.empty() || ec != std::errc{} || end != line.data() + line.size()) {
      status = 400;
      return 0;
    }
    p = eol + 2;
    if (size == 0) {
      // Trailer fields (ignored) up to an empty line.
      for (;;) {
        auto t = buf.find(crlf, p);
        if (t == std::string_view::npos)
          return std::nullopt;
        bool empty = t == p;
        p = t + 2;
        if (empty)
          return p;
      }
    }
    if (size > max_body || out.size() + size > max_body) {
      status = 413;
      return 0;
    }
    if (buf.size() < p + size + 2)
      return std::nullopt;
    if (buf.substr(p + size, 2) != crlf) {
      status = 400;
      return 0;
    }
    out.append(buf.substr(p, size));
    p += size + 2;
  }
}

parse_result fail(int status) {
  parse_result r;
  r.state = parse_state::error;
  r.error_status = status;
  return r;
}

} // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      if (auto b = ves::from_hex(s.substr(i + 1, 2), /*allow_0x=*/false)) {
        out.push_back(static_cast<char>((*b)[0]));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

namespace {

/// Whether `s` holds a line feed without a carriage return before it.
bool has_bare_lf(std::string_view s) {
  for (auto i = s.find('\n'); i != std::string_view::npos; i = s.find('\n', i + 1))
    if (i == 0 || s[i - 1] != '\r')
      return true;
  return false;
}

} // namespace

parse_result parse_request(std::string_view buf, const limits& lim, httplib::Request& req) {
  // Tolerate empty lines before a request (RFC 9112 §2.2).
  size_t start = 0;
  while (buf.substr(start, 2) == crlf)
    start += 2;
  auto head_end = buf.find("\r\n\r\n", start);
  // Lines end in CRLF: a bare LF is refused at once (RFC 9112 §2.2 lets a server refuse it)
  // instead of waiting for a CRLF CRLF that will not come.
  if (has_bare_lf(buf.substr(start, head_end == std::string_view::npos ? buf.size() - start
                                                                       : head_end - start + 4)))
    return fail(400);
  if (head_end == std::string_view::npos) {
    if (buf.size() - start > lim.max_header_bytes)
      return fail(431);
    return {};
  }
  if (head_end - start > lim.max_header_bytes)
    return fail(431);
  auto head = buf.substr(start, head_end - start);
  auto line_end = head.find(crlf);
  auto line = head.substr(0, line_end);

  // Request line: method SP target SP version.
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || sp1 == 0
      || sp2 == sp1 + 1 || line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(400);
  auto method = line.substr(0, sp1);
  if (!std::all_of(method.begin(), method.end(), is_token_char))
    return fail(400);
  auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  auto version = line.substr(sp2 + 1);
  if (version.substr(0, 5) != "HTTP/")
    return fail(400);
  if (version != "HTTP/1.1" && version != "HTTP/1.0")
    return fail(505);
  if (target.front() != '/' && target != "*")
    return fail(400);

  req.method.assign(method);
  req.target.assign(target);
  req.version.assign(version);
  req.headers.clear();
  req.params.clear();
  auto q = target.find('?');
  req.path = percent_decode(target.substr(0, q), false);
  if (q != std::string_view::npos)
    parse_query(target.substr(q + 1), req.params);
  // Path and query reach storage as text once decoded: a %00 would be a NUL, which
  // PostgreSQL's text cannot hold and libpq's parameters would cut short, and bytes that are
  // not UTF-8 (%ff, or raw) are refused by a UTF-8 PostgreSQL. No route takes either.
  auto unfit = [](const std::string& x) {
    return x.find('\0') != std::string::npos || !ves::json::valid_utf8(x);
  };
  if (unfit(req.path)
      || std::any_of(req.params.begin(), req.params.end(),
                     [&](const auto& kv) { return unfit(kv.first) || unfit(kv.second); }))
    return fail(400);

  // Header fields.
  std::optional<size_t> content_length;
  bool chunked = false;
  std::string_view connection, expect;
  auto rest = line_end == std::string_view::npos ? std::string_view{}
                                                  : head.substr(line_end + 2);
  while (!rest.empty()) {
    auto eol = rest.find(crlf);
    auto h = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 2);
    auto colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return fail(400);
    auto name = h.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_token_char))
      return fail(400); // also rejects obsolete line folding (a leading space)
    auto value = trim(h.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      size_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc{} || end != value.data() + value.size()
          || (content_length && *content_length != n))
        return fail(400);
      content_length = n;
    } else if (iequals(name, "Transfer-Encoding")) {
      if (!iequals(value, "chunked"))
        return fail(501);
      chunked = true;
    } else if (iequals(name, "Connection")) {
      connection = value;
    } else if (iequals(name, "Expect")) {
      expect = value;
    }
    req.headers.emplace(std::string{name}, std::string{value});
  }
  if (chunked && content_length)
    return fail(400); // RFC 9112 §6.1: a request with both is a smuggling attempt

  parse_result r;
  r.keep_alive = version == "HTTP/1.1" ? !has_token(connection, "close")
                                       : has_token(connection, "keep-alive");
  auto body_start = head_end + 4;
  if (chunked) {
    int status = 0;
    auto end = dechunk(buf, body_start, lim.max_body_bytes, req.body, status);
    if (status != 0)
      return fail(status);
    if (!end) {
      r.expects_continue = iequals(expect, "100-continue");
      return r;
    }
    r.consumed = *end;
  } else {
    size_t n = content_length.value_or(0);
    if (n > lim.max_body_bytes)
      return fail(413);
    if (buf.size() - body_start < n) {
      r.expects_continue = iequals(expect, "100-continue");
      return r;
    }
    req.body.assign(buf.substr(body_start, n));
    r.consumed = body_start + n;
  }
  r.state = parse_state::complete;
  return r;
}

std::string_view reason_phrase(int status) {
  switch (status) {
  case 100: return "Continue";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 304: return "Not Modified";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 402: return "Payment Required";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 410: return "Gone";
  case 412: return "Precondition Failed";
  case 413: return "Payload Too Large";
  case 415: return "Unsupported Media Type";
  case 422: return "Unprocessable Entity";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  case 505: return "HTTP Version Not Supported";
  default: return "Unknown";
  }
}

std::string serialize_response(const httplib::Response& res, bool keep_alive, bool head) {
  std::string out;
  out.reserve(192 + res.body.size());
  char num[16];
  auto n = std::to_chars(num, num + sizeof(num), res.status).ptr;
  out.append("HTTP/1.1 ").append(num, n).push_back(' ');
  out.append(reason_phrase(res.status)).append(crlf);
  bool has_type = false;
  for (auto& [k, v] : res.headers) {
    if (iequals(k, "Content-Length") || iequals(k, "Connection")
        || iequals(k, "Transfer-Encoding"))
      continue;
    has_type = has_type || iequals(k, "Content-Type");
    out.append(k).append(": ").append(v).append(crlf);
  }
  if (!has_type && !res.body.empty())
    out.append("Content-Type: text/plain").append(crlf);
  n = std::to_chars(num, num + sizeof(num), res.body.size()).ptr;
  out.append("Content-Length: ").append(num, n).append(crlf);
  out.append(keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
  out.append(crlf);
  if (!head)
    out.append(res.body);
  return out;
}

} // namespace seq::http::wire
