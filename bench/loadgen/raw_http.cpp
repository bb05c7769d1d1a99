// SPDX-License-Identifier: Apache-2.0
#include "bench/loadgen/raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace seq::bench {

namespace {

/// Every read and write gives up after this long, so a stuck server cannot hang a run.
constexpr int io_timeout_s = 60;
constexpr size_t read_chunk = 64 * 1024;

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

} // namespace

raw_connection::raw_connection(std::string host, uint16_t port)
  : host_(std::move(host)), port_(port) {
  // nop
}

raw_connection::~raw_connection() {
  close_fd();
}

void raw_connection::close_fd() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  buf_.clear();
  consumed_ = 0;
  close_after_ = false;
}

bool raw_connection::ensure_connected() {
  if (fd_ >= 0)
    return true;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    return false;
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{io_timeout_s, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1
      || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close_fd();
    return false;
  }
  ++connects_;
  return true;
}

bool raw_connection::fill() {
  auto old = buf_.size();
  buf_.resize(old + read_chunk);
  for (;;) {
    auto n = ::recv(fd_, buf_.data() + old, read_chunk, 0);
    if (n > 0) {
      buf_.resize(old + static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR)
      continue;
    buf_.resize(old);
    return false;
  }
}

int raw_connection::round_trip(std::string_view request, std::string& body) {
  body.clear();
  if (!ensure_connected()) {
    ++transport_errors_;
    return 0;
  }
  // Drop what earlier responses used.
  if (consumed_ > 0) {
    buf_.erase(0, consumed_);
    consumed_ = 0;
  }
  size_t sent = 0;
  while (sent < request.size()) {
    auto n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      ++transport_errors_;
      close_fd();
      return 0;
    }
    sent += static_cast<size_t>(n);
  }
  auto status = read_response(body);
  if (status == 0) {
    ++transport_errors_;
    close_fd();
    return 0;
  }
  if (close_after_)
    close_fd();
  return status;
}

int raw_connection::read_response(std::string& body) {
  size_t head_end;
  while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos)
    if (!fill())
      return 0;
  std::string_view head{buf_.data(), head_end};
  // Status line: HTTP/1.1 200 OK
  auto sp = head.find(' ');
  if (sp == std::string_view::npos || head.size() < sp + 4)
    return 0;
  int status = 0;
  auto st = head.substr(sp + 1, 3);
  if (std::from_chars(st.data(), st.data() + 3, status).ec != std::errc{})
    return 0;
  long long content_length = -1;
  bool chunked = false;
  close_after_ = false;
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos < head.size()) {
    auto next = head.find("\r\n", pos + 2);
    auto line = head.substr(pos + 2, (next == std::string_view::npos ? head.size() : next)
                                       - (pos + 2));
    if (iequals_prefix(line, "content-length:")) {
      auto v = trim(line.substr(15));
      std::from_chars(v.data(), v.data() + v.size(), content_length);
    } else if (iequals_prefix(line, "transfer-encoding:")) {
      auto v = trim(line.substr(18));
      chunked = iequals_prefix(v, "chunked");
    } else if (iequals_prefix(line, "connection:")) {
      auto v = trim(line.substr(11));
      close_after_ = iequals_prefix(v, "close");
    }
    pos = next;
  }
  auto body_start = head_end + 4;
  if (chunked) {
    if (!read_chunked(body_start, body))
      return 0;
    return status;
  }
  if (content_length < 0) {
    // No length: the body runs to EOF (the server closes).
    while (fill()) {
    }
    body.assign(buf_, body_start, std::string::npos);
    consumed_ = buf_.size();
    close_after_ = true;
    return status;
  }
  auto need = body_start + static_cast<size_t>(content_length);
  while (buf_.size() < need)
    if (!fill())
      return 0;
  body.assign(buf_, body_start, static_cast<size_t>(content_length));
  consumed_ = need;
  return status;
}

bool raw_connection::read_chunked(size_t pos, std::string& body) {
  for (;;) {
    size_t eol;
    while ((eol = buf_.find("\r\n", pos)) == std::string::npos)
      if (!fill())
        return false;
    size_t size = 0;
    auto line = std::string_view{buf_}.substr(pos, eol - pos);
    auto r = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (r.ec != std::errc{})
      return false;
    pos = eol + 2;
    if (size == 0) {
      // Trailers (none expected) end with an empty line.
      while ((eol = buf_.find("\r\n", pos)) == std::string::npos)
        if (!fill())
          return false;
      consumed_ = eol + 2;
      return true;
    }
    while (buf_.size() < pos + size + 2)
      if (!fill())
        return false;
    body.append(buf_, pos, size);
    pos += size + 2;
  }
}

} // namespace seq::bench
