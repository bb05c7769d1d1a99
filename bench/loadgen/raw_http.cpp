// SPDX-License-Identifier: Apache-2.0
#include "bench/loadgen/raw_http.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <charconv>

namespace seq::bench {

namespace {

bool iequals_prefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size())
    return false;
  for (size_t i = 0; i < name.size(); ++i) {
    auto a = static_cast<unsigned char>(line[i]);
    auto b = static_cast<unsigned char>(name[i]);
    if (std::tolower(a) != std::tolower(b))
      return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

/// A chunked body starting at `pos`; appends it to `out.body` and sets `out.consumed`.
parse_status parse_chunked(std::string_view buf, size_t pos, parsed_response& out) {
  for (;;) {
    auto eol = buf.find("\r\n", pos);
    if (eol == std::string_view::npos)
      return parse_status::incomplete;
    size_t size = 0;
    auto line = buf.substr(pos, eol - pos);
    if (std::from_chars(line.data(), line.data() + line.size(), size, 16).ec != std::errc{})
      return parse_status::malformed;
    pos = eol + 2;
    if (size == 0) {
      // Trailers (none expected) end with an empty line.
      eol = buf.find("\r\n", pos);
      if (eol == std::string_view::npos)
        return parse_status::incomplete;
      out.consumed = eol + 2;
      return parse_status::done;
    }
    if (buf.size() < pos + size + 2)
      return parse_status::incomplete;
    out.body.append(buf.substr(pos, size));
    pos += size + 2;
  }
}

} // namespace

int open_nonblocking(const std::string& host, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1
      || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      || ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

parse_status parse_response(std::string_view buf, bool eof, parsed_response& out) {
  out = parsed_response{};
  auto head_end = buf.find("\r\n\r\n");
  if (head_end == std::string_view::npos)
    return eof ? parse_status::malformed : parse_status::incomplete;
  auto head = buf.substr(0, head_end);
  // Status line: HTTP/1.1 200 OK
  auto sp = head.find(' ');
  if (sp == std::string_view::npos || head.size() < sp + 4)
    return parse_status::malformed;
  auto st = head.substr(sp + 1, 3);
  auto [end, ec] = std::from_chars(st.data(), st.data() + 3, out.status);
  if (ec != std::errc{} || end != st.data() + 3)
    return parse_status::malformed;
  long long content_length = -1;
  bool chunked = false;
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos < head.size()) {
    auto next = head.find("\r\n", pos + 2);
    auto line = head.substr(pos + 2, (next == std::string_view::npos ? head.size() : next)
                                       - (pos + 2));
    if (iequals_prefix(line, "content-length:")) {
      auto v = trim(line.substr(15));
      std::from_chars(v.data(), v.data() + v.size(), content_length);
    } else if (iequals_prefix(line, "transfer-encoding:")) {
      chunked = iequals_prefix(trim(line.substr(18)), "chunked");
    } else if (iequals_prefix(line, "connection:")) {
      out.close = iequals_prefix(trim(line.substr(11)), "close");
    }
    pos = next;
  }
  auto body_start = head_end + 4;
  if (chunked) {
    auto r = parse_chunked(buf, body_start, out);
    return r == parse_status::incomplete && eof ? parse_status::malformed : r;
  }
  if (content_length < 0) {
    // No length: the body runs to the end of the stream (the server closes).
    if (!eof)
      return parse_status::incomplete;
    out.body.assign(buf.substr(body_start));
    out.consumed = buf.size();
    out.close = true;
    return parse_status::done;
  }
  auto need = body_start + static_cast<size_t>(content_length);
  if (buf.size() < need)
    return eof ? parse_status::malformed : parse_status::incomplete;
  out.body.assign(buf.substr(body_start, static_cast<size_t>(content_length)));
  out.consumed = need;
  return parse_status::done;
}

} // namespace seq::bench
