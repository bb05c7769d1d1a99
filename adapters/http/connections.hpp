// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Which client connections have a request in flight, so that a shutdown half-closes only the
/// idle ones (adapters/http/server.cpp, end_idle_connections).
///
/// cpp-httplib 0.11 will not write a response on a connection whose read side is shut down
/// (its is_socket_alive check sees the EOF), so a request in flight there would be processed
/// but never answered. The server calls begin() when a route's handler starts and end() once
/// the response has been written; a shutdown ends a connection only through try_end().
///
/// A connection is known by its client's port, one slot per port. Two clients on different
/// addresses with the same port share a slot: an idle connection then waits for a later scan,
/// and a request on the other one may be refused as if its connection had been ended. Both
/// happen only during a shutdown.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace seq::http {

class connection_tracker {
public:
  connection_tracker();

  /// A routed request from client port `port` starts. False: shutdown has already ended that
  /// connection, so the request must not be processed (its answer could not be written).
  /// Either way, end() follows once the response is written.
  bool begin(int port);
  /// The response to a request that began has been written (or its write failed).
  void end(int port);
  /// Shutdown: marks the connection from `port` ended unless a request is in flight on it.
  /// True: the caller may shut down its read side.
  bool try_end(int port);

  /// Requests between begin() and end().
  int64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  /// The `ves_http_requests_in_flight` gauge as Prometheus text.
  std::string render() const;

private:
  static constexpr uint32_t ended_bit = 1u << 31;
  static bool tracked(int port) { return port >= 0 && port <= 65535; }
  std::unique_ptr<std::atomic<uint32_t>[]> slots_;
  std::atomic<int64_t> in_flight_{0};
};

} // namespace seq::http
