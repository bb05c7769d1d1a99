// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The two halves of the load generator's minimal HTTP/1.1 keep-alive client for the measured
/// phase (runner.cpp drives them from one event loop): a non-blocking loopback connection, and
/// an incremental parser for one response (Content-Length, chunked, or a body that runs to the
/// end of the connection). On this 2-core machine the client shares the CPU with the server, so
/// the hot path avoids everything a general client does per request (header maps, string
/// building, URL parsing, a thread per connection). Setup, pulls and checks use cpp-httplib.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace seq::bench {

/// Connects to host:port (an IPv4 address) with a blocking connect, then makes the socket
/// non-blocking with TCP_NODELAY. Returns the descriptor, or -1.
int open_nonblocking(const std::string& host, uint16_t port);

enum class parse_status { incomplete, done, malformed };

struct parsed_response {
  int status = 0;
  size_t consumed = 0; ///< bytes of the buffer the response took
  bool close = false;  ///< `Connection: close`, or a body that ran to the end of the stream
  std::string body;
};

/// Parses the response at the start of `buf`. `eof`: no more bytes will arrive (a response
/// without Content-Length or chunked coding then ends at the end of `buf`; anything else that
/// is still incomplete is malformed).
parse_status parse_response(std::string_view buf, bool eof, parsed_response& out);

} // namespace seq::bench
