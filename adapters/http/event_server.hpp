// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The HTTP/1.1 server under the routes: a few epoll loop threads own the connections, and a
/// request goes to its route the moment it is complete.
/// - A blocking route (reads, keys, anything that waits) runs on the worker pool.
/// - An async route runs on the loop thread itself, must not block, and answers later from
///   any thread through exchange::complete. The ingest routes are async: they decode and
///   verify on the loop thread and hand the batch to the stream actor; the answer is written by
///   the thread that delivers the stream's reply. No thread waits for a stream, and a group
///   commit's answers cost no thread wake-ups.
/// The handlers keep taking httplib::Request and httplib::Response (the route code is the same
/// for both kinds); cpp-httplib's own server is not used (its thread per connection, its two
/// writes per response and the wake-ups between them cost T1 and T3 12–28 % of the server's
/// CPU per event: bench/README.md, tuning log).
///
/// Routes match the path as sent (before percent-decoding, so `%2F` stays inside a segment);
/// their captures in `req.matches` are raw, `req.path` is decoded. A route without regex syntax
/// owns its path: another method there is a 405 with `Allow`, not a match of a parameter route.
///
/// A connection is owned by one thread at a time: the loop while it waits for bytes (armed in
/// epoll with EPOLLONESHOT), otherwise the thread that handles its request. One request per
/// connection is handled at a time; pipelined requests are taken in order.

#include "adapters/http/wire.hpp"

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <httplib.h>

namespace seq::http {

struct event_server_options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;            ///< 0: any free port
  size_t loops = 2;             ///< epoll loop threads (the async routes run on them)
  size_t workers = 64;          ///< threads for the blocking routes
  int backlog = 4096;
  wire::limits limits;
  std::chrono::milliseconds keep_alive_timeout{30000}; ///< an idle connection is closed after it
  size_t keep_alive_max = 10000;                       ///< requests per connection
  std::chrono::milliseconds read_timeout{30000};       ///< a request must arrive within it
  std::chrono::milliseconds write_timeout{30000};      ///< a response must leave within it
};

class event_server;
struct connection;

/// One request and its response, alive until the response is written.
class exchange {
public:
  httplib::Request req;
  httplib::Response res;
  /// The route's pattern ("" when no route matched) and when the request was complete.
  std::string route;
  std::chrono::steady_clock::time_point started;

  /// Answers: `fill(res)` then writes the response; if `fill` throws, the response is the
  /// server's exception hook's instead. Only the first call does anything (an async route's
  /// timeout and its late answer may race); thread-safe.
  template <class F>
  void complete(F&& fill) {
    if (claimed_.exchange(true, std::memory_order_acq_rel))
      return;
    try {
      fill(res);
    } catch (...) {
      answer_exception(std::current_exception());
    }
    send();
  }
  bool answered() const { return claimed_.load(std::memory_order_acquire); }

private:
  friend class event_server;
  void answer_exception(std::exception_ptr ep);
  void send();
  event_server* server_ = nullptr;
  std::shared_ptr<connection> conn_;
  bool keep_alive_ = false;
  bool head_ = false;
  std::chrono::steady_clock::time_point deadline_;
  std::atomic<bool> claimed_{false};
};
using exchange_ptr = std::shared_ptr<exchange>;

class event_server {
public:
  using blocking_handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  /// Runs on a loop thread, must not block; answers through exchange::complete, now or later.
  /// If it has not answered within `async_timeout`, the server answers with `on_timeout`.
  using async_handler = std::function<void(const exchange_ptr&)>;

  struct hooks {
    /// Fills the body of a response the server makes itself: `res.status` is 400, 404, 413,
    /// 431, 501 or 505 (a request it could not route or parse), or 503 (stopping).
    std::function<void(const httplib::Request&, httplib::Response&)> transport_error;
    /// A handler threw something other than what it catches itself.
    std::function<void(const httplib::Request&, httplib::Response&, std::exception_ptr)>
      exception;
    /// An async route did not answer in time.
    std::function<void(const httplib::Request&, httplib::Response&)> timeout;
    /// Right before a response is written (metrics, access log).
    std::function<void(const exchange&)> completed;
  };

  event_server(event_server_options opts, hooks h);
  ~event_server();
  event_server(const event_server&) = delete;
  event_server& operator=(const event_server&) = delete;

  /// Routes are tried in the order they were added; `pattern` must match the whole path.
  void add(const std::string& method, const std::string& pattern, blocking_handler h);
  void add_async(const std::string& method, const std::string& pattern, async_handler h,
                 std::chrono::milliseconds async_timeout);

  /// Binds, listens and starts the threads; the bound port or an error message.
  std::variant<uint16_t, std::string> start();
  /// Stops accepting, closes idle connections, answers what is in flight (with
  /// `Connection: close`), then joins every thread. Idempotent.
  void stop();

  /// Requests between their arrival and their response being written.
  int64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

private:
  struct route;
  struct loop;
  class pool;
  friend class exchange;

  void run_loop(loop& l);
  /// Accepts every pending connection; false when out of descriptors (or memory).
  bool accept_all();
  void on_event(loop& l, connection& c, uint32_t events);
  /// Takes the requests buffered on `c` (owned by the caller): dispatches one, or re-arms.
  void process(const std::shared_ptr<connection>& c);
  void dispatch(exchange_ptr ex);
  /// Answers with a response the server makes itself (`status`, body from the hook).
  void answer_transport_error(const exchange_ptr& ex, int status);
  /// The response is in `c->out`: writes it, or leaves the rest to the loop.
  void respond_now(const std::shared_ptr<connection>& c);
  /// Writes what `c` holds in its output buffer; true when all of it went out.
  bool flush(connection& c);
  /// After a response went out in full: the next request, re-arm, or close.
  void after_write(const std::shared_ptr<connection>& c);
  void arm(connection& c, uint32_t events);
  void close(connection& c);
  void sweep(loop& l);
  void wake(loop& l);

  event_server_options opts_;
  hooks hooks_;
  std::vector<route> routes_;
  std::vector<std::unique_ptr<loop>> loops_;
  std::unique_ptr<pool> pool_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<size_t> next_loop_{0};
};

} // namespace seq::http
