// SPDX-License-Identifier: Apache-2.0
#pragma once

/// A minimal HTTP/1.1 keep-alive client for the measured phase of the load generator: it
/// writes a request that was fully formatted before the clock started and reads one response
/// (Content-Length or chunked body). On this 2-core machine the client shares the CPU with the
/// server, so the hot loop avoids everything a general client does per request (header maps,
/// string building, URL parsing). Setup, pulls and checks use cpp-httplib instead.

#include <cstdint>
#include <string>
#include <string_view>

namespace seq::bench {

class raw_connection {
public:
  raw_connection(std::string host, uint16_t port);
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;
  ~raw_connection();

  /// Opens the connection now (before a clock starts); false when that fails.
  bool connect() { return ensure_connected(); }

  /// Sends `request` and reads the response into `body`. Returns the HTTP status, or 0 when the
  /// connection failed before a whole response arrived (the connection is then closed and the
  /// next call reconnects). A response with `Connection: close` also closes the connection
  /// after it has been read.
  int round_trip(std::string_view request, std::string& body);

  /// Transport failures seen so far (connect, write or read errors, truncated responses).
  uint64_t transport_errors() const { return transport_errors_; }
  /// Connections opened so far (the first one included).
  uint64_t connects() const { return connects_; }

private:
  bool ensure_connected();
  void close_fd();
  /// Reads more bytes into buf_; false on EOF or error.
  bool fill();
  /// Parses one complete response from buf_; 0 when it is malformed.
  int read_response(std::string& body);
  bool read_chunked(size_t pos, std::string& body);

  std::string host_;
  uint16_t port_;
  int fd_ = -1;
  std::string buf_;
  size_t consumed_ = 0;
  bool close_after_ = false;
  uint64_t transport_errors_ = 0;
  uint64_t connects_ = 0;
};

} // namespace seq::bench
