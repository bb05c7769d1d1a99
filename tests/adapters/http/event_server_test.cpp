// SPDX-License-Identifier: Apache-2.0
// The event-loop HTTP server over real loopback TCP: blocking and async routes, the async
// timeout, the errors it answers itself, pipelining and keep-alive, HEAD, and stop() with idle
// and in-flight connections. Normal requests go through httplib::Client; pipelining and
// malformed input through a raw blocking socket with a receive timeout.
#include "adapters/http/event_server.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using seq::http::event_server;
using seq::http::event_server_options;
using seq::http::exchange_ptr;

namespace {

constexpr auto io_timeout = 5s;

/// A one-shot gate: `open()` releases every `wait()` (bounded).
class gate {
public:
  void open() {
    {
      std::lock_guard<std::mutex> g{mx_};
      open_ = true;
    }
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds limit = 10s) {
    std::unique_lock<std::mutex> g{mx_};
    return cv_.wait_for(g, limit, [this] { return open_; });
  }

private:
  std::mutex mx_;
  std::condition_variable cv_;
  bool open_ = false;
};

/// The hooks every test uses: the server's own errors say what they are in the body.
event_server::hooks test_hooks() {
  event_server::hooks h;
  h.transport_error = [](const httplib::Request&, httplib::Response& res) {
    res.set_content("transport " + std::to_string(res.status), "text/plain");
  };
  h.exception = [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    res.status = 500;
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      res.set_content(std::string{"exception: "} + e.what(), "text/plain");
    } catch (...) {
      res.set_content("exception: unknown", "text/plain");
    }
  };
  h.timeout = [](const httplib::Request&, httplib::Response& res) {
    res.status = 504;
    res.set_content("timed out", "text/plain");
  };
  return h;
}

event_server_options test_options() {
  event_server_options o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.loops = 2;
  o.workers = 4;
  return o;
}

uint16_t start(event_server& srv) {
  auto r = srv.start();
  if (auto* err = std::get_if<std::string>(&r))
    FAIL("event_server::start failed: " << *err);
  auto port = std::get<uint16_t>(r);
  REQUIRE(port != 0);
  return port;
}

httplib::Client client(uint16_t port) {
  httplib::Client cli{"127.0.0.1", port};
  cli.set_connection_timeout(5, 0);
  cli.set_read_timeout(5, 0);
  cli.set_write_timeout(5, 0);
  return cli;
}

/// One response read off a raw socket.
struct raw_response {
  int status = 0;
  std::string head; ///< status line and headers
  std::string body;
  bool has_header(std::string_view line) const {
    return head.find(std::string{line} + "\r\n") != std::string::npos;
  }
};

/// A blocking loopback socket with a receive timeout, so that nothing waits forever. It
/// throws rather than asserting: it is also used off the test's thread, where Catch's
/// assertions are not safe.
class raw_conn {
public:
  explicit raw_conn(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
      throw std::runtime_error{"socket() failed"};
    timeval tv{};
    tv.tv_sec = std::chrono::duration_cast<std::chrono::seconds>(io_timeout).count();
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      throw std::runtime_error{"connect() failed"};
    }
  }
  ~raw_conn() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  raw_conn(const raw_conn&) = delete;
  raw_conn& operator=(const raw_conn&) = delete;

  void send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0)
        throw std::runtime_error{"send() failed"};
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  /// Reads one more chunk into the buffer; false on EOF, error or timeout.
  bool fill() {
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      eof_ = n == 0;
      reset_ = n < 0 && errno == ECONNRESET;
      return false;
    }
    buf_.append(buf, static_cast<size_t>(n));
    return true;
  }

  /// The next response (framed by Content-Length, none meaning no body); nullopt if the
  /// connection ended or timed out first.
  std::optional<raw_response> read_response() {
    for (;;) {
      auto end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        raw_response r;
        r.head = buf_.substr(0, end + 2);
        r.status = std::stoi(r.head.substr(9, 3));
        size_t len = 0;
        if (auto p = r.head.find("Content-Length: "); p != std::string::npos)
          len = std::stoul(r.head.substr(p + 16, r.head.find("\r\n", p) - p - 16));
        if (buf_.size() >= end + 4 + len) {
          r.body = buf_.substr(end + 4, len);
          buf_.erase(0, end + 4 + len);
          return r;
        }
      }
      if (!fill())
        return std::nullopt;
    }
  }

  /// True when the server closed the connection (EOF) with no further bytes, within the
  /// receive timeout.
  bool closed_by_peer() {
    while (fill()) {
    }
    return eof_ && buf_.empty();
  }

  /// Sends without blocking until the socket would block; the bytes that went out.
  size_t send_until_full(std::string_view bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n <= 0)
        break;
      sent += static_cast<size_t>(n);
    }
    return sent;
  }

  /// Half-closes: the server reads EOF after what was sent.
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  void set_send_buffer(int bytes) {
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
  }

  /// True when the connection ended (EOF or reset) within the receive timeout.
  bool ended() {
    while (fill()) {
    }
    return eof_ || reset_;
  }

  /// True when no byte arrives within `wait` (a bounded check for the absence of a response).
  bool silent_for(std::chrono::milliseconds wait) {
    if (!buf_.empty())
      return false;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(wait.count())) == 0;
  }

  const std::string& buffered() const { return buf_; }

private:
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
  bool reset_ = false;
};

/// Sends `bytes` on a new connection and checks the answer the server makes itself (status
/// `status`, from transport_error) and that it closes the connection after it.
raw_response check_closing_error(uint16_t port, std::string_view bytes, int status) {
  raw_conn c{port};
  c.send_all(bytes);
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == status);
  CHECK(r->body == "transport " + std::to_string(status));
  CHECK(r->has_header("Connection: close"));
  CHECK(c.closed_by_peer());
  return *r;
}

template <class Rep, class Period>
bool in_flight_reaches_zero(const event_server& srv, std::chrono::duration<Rep, Period> limit) {
  // in_flight is decremented before the response's bytes are written, so once a client has
  // its answer the count is already down; this only bounds the check.
  auto until = std::chrono::steady_clock::now() + limit;
  while (srv.in_flight() != 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::yield();
  return srv.in_flight() == 0;
}

} // namespace

TEST_CASE("event_server: a blocking route with a regex capture and a query", "[http][event_server]") {
  std::mutex mx;
  std::vector<std::string> completed_routes;
  auto hooks = test_hooks();
  hooks.completed = [&](const seq::http::exchange& ex) {
    std::lock_guard<std::mutex> g{mx};
    completed_routes.push_back(ex.route);
  };
  event_server srv{test_options(), hooks};
  srv.add("GET", R"(/items/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content("item=" + req.matches[1].str() + " q=" + req.get_param_value("q")
                      + " path=" + req.path,
                    "text/plain");
    res.set_header("X-Handler", "items");
  });
  auto port = start(srv);
  auto cli = client(port);

  auto res = cli.Get("/items/42?q=hello%20world");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "item=42 q=hello world path=/items/42");
  CHECK(res->get_header_value("X-Handler") == "items");
  CHECK(res->get_header_value("Content-Type") == "text/plain");

  // The pattern must match the whole path.
  auto partial = cli.Get("/items/42/more");
  REQUIRE(partial);
  CHECK(partial->status == 404);
  CHECK(partial->body == "transport 404");

  // A POST to a GET route is not routed: the path exists, the method does not.
  auto post = cli.Post("/items/42", "x", "text/plain");
  REQUIRE(post);
  CHECK(post->status == 405);
  CHECK(post->body == "transport 405");
  CHECK(post->get_header_value("Allow") == "GET, HEAD");

  CHECK(in_flight_reaches_zero(srv, 1s));
  srv.stop();
  std::lock_guard<std::mutex> g{mx};
  REQUIRE(completed_routes.size() == 3);
  CHECK(completed_routes[0] == R"(/items/(\d+))");
  CHECK(completed_routes[1].empty());
  CHECK(completed_routes[2].empty());
}

TEST_CASE("event_server: an async route answered later from another thread",
          "[http][event_server]") {
  std::promise<exchange_ptr> got;
  std::thread::id handler_thread;
  event_server srv{test_options(), test_hooks()};
  srv.add_async(
    "POST", "/async",
    [&](const exchange_ptr& ex) {
      handler_thread = std::this_thread::get_id();
      got.set_value(ex); // no answer yet
    },
    5s);
  auto port = start(srv);

  auto fut = std::async(std::launch::async, [port] {
    auto cli = client(port);
    return cli.Post("/async", "ping", "text/plain");
  });
  auto ex_fut = got.get_future();
  REQUIRE(ex_fut.wait_for(io_timeout) == std::future_status::ready);
  auto ex = ex_fut.get();
  CHECK(ex->req.body == "ping");
  CHECK(ex->route == "/async");
  CHECK_FALSE(ex->answered());
  // Not answered: the client is still waiting.
  CHECK(fut.wait_for(50ms) == std::future_status::timeout);
  CHECK(srv.in_flight() == 1);

  std::thread::id answer_thread;
  std::thread answerer([&] {
    answer_thread = std::this_thread::get_id();
    ex->complete([&](httplib::Response& res) {
      res.status = 202;
      res.set_content("pong:" + ex->req.body, "text/plain");
    });
    // A second answer is ignored.
    ex->complete([](httplib::Response& res) { res.status = 500; });
  });
  answerer.join();
  CHECK(ex->answered());

  REQUIRE(fut.wait_for(io_timeout) == std::future_status::ready);
  auto res = fut.get();
  REQUIRE(res);
  CHECK(res->status == 202);
  CHECK(res->body == "pong:ping");
  CHECK(handler_thread != answer_thread);
  CHECK(in_flight_reaches_zero(srv, 1s));
}

TEST_CASE("event_server: an async route that never answers gets the timeout response",
          "[http][event_server]") {
  std::promise<exchange_ptr> got;
  event_server srv{test_options(), test_hooks()};
  srv.add_async(
    "GET", "/never", [&](const exchange_ptr& ex) { got.set_value(ex); }, 200ms);
  auto port = start(srv);
  auto cli = client(port);

  auto t0 = std::chrono::steady_clock::now();
  auto res = cli.Get("/never");
  auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(res);
  CHECK(res->status == 504);
  CHECK(res->body == "timed out");
  CHECK(took >= 200ms);
  CHECK(took < 3500ms); // the sweep runs once a second
  CHECK(in_flight_reaches_zero(srv, 1s));

  // The late answer is ignored, and the connection still serves the next request.
  auto ex_fut = got.get_future();
  REQUIRE(ex_fut.wait_for(0s) == std::future_status::ready);
  auto ex = ex_fut.get();
  CHECK(ex->answered());
  bool filled = false;
  ex->complete([&](httplib::Response&) { filled = true; });
  CHECK_FALSE(filled);
  CHECK(srv.in_flight() == 0);
}

TEST_CASE("event_server: an unknown path is a 404 from transport_error", "[http][event_server]") {
  event_server srv{test_options(), test_hooks()};
  srv.add("GET", "/known", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("known", "text/plain");
  });
  auto port = start(srv);
  auto cli = client(port);
  auto res = cli.Get("/unknown");
  REQUIRE(res);
  CHECK(res->status == 404);
  CHECK(res->body == "transport 404");
  auto ok = cli.Get("/known");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body == "known");
}

TEST_CASE("event_server: routes match the path as sent, before percent-decoding",
          "[http][event_server]") {
  event_server srv{test_options(), test_hooks()};
  srv.add("GET", R"(/names/([^/]+))", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.matches[1].str() + " " + req.path, "text/plain");
  });
  srv.add("GET", "/plain", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("plain", "text/plain");
  });
  auto port = start(srv);
  auto cli = client(port);
  // An encoded slash stays inside its segment; the capture is raw (path_param decodes it) and
  // req.path is decoded.
  auto r = cli.Get("/names/a%2Fb%20c");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "a%2Fb%20c /names/a/b c");
  auto two = cli.Get("/names/a/b");
  REQUIRE(two);
  CHECK(two->status == 404);
  // A literal route matches only its own text, not an encoded spelling of it.
  auto spelled = cli.Get("/pl%61in");
  REQUIRE(spelled);
  CHECK(spelled->status == 404);
}

TEST_CASE("event_server: a route without parameters owns its path; another method is a 405",
          "[http][event_server]") {
  event_server srv{test_options(), test_hooks()};
  auto answer = [](std::string body) {
    return [body](const httplib::Request&, httplib::Response& res) {
      res.set_content(body, "text/plain");
    };
  };
  srv.add("GET", R"(/batches/([^/]+))", answer("lookup"));
  srv.add("POST", "/batches/settle", answer("settle"));
  srv.add("DELETE", R"(/batches/([^/]+))", answer("delete"));
  auto port = start(srv);
  auto cli = client(port);

  auto settle = cli.Post("/batches/settle", "x", "text/plain");
  REQUIRE(settle);
  CHECK(settle->body == "settle");
  auto lookup = cli.Get("/batches/b1");
  REQUIRE(lookup);
  CHECK(lookup->body == "lookup");

  // The parameter route would match "settle", but the literal route owns the path.
  auto get_settle = cli.Get("/batches/settle");
  REQUIRE(get_settle);
  CHECK(get_settle->status == 405);
  CHECK(get_settle->body == "transport 405");
  CHECK(get_settle->get_header_value("Allow") == "POST");

  // A path served by two methods lists both (GET with HEAD), each once.
  auto put = cli.Put("/batches/b1", "x", "text/plain");
  REQUIRE(put);
  CHECK(put->status == 405);
  CHECK(put->get_header_value("Allow") == "GET, HEAD, DELETE");

  auto none = cli.Get("/batches/b1/items");
  REQUIRE(none);
  CHECK(none->status == 404);
  CHECK_FALSE(none->has_header("Allow"));
}

TEST_CASE("event_server: malformed requests get the error and a closed connection",
          "[http][event_server]") {
  event_server srv{test_options(), test_hooks()};
  srv.add("GET", "/x", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("x", "text/plain");
  });
  auto port = start(srv);

  SECTION("a bad request line") {
    check_closing_error(port, "GARBAGE\r\n\r\n", 400);
  }
  SECTION("a header without a colon, after a good pipelined request") {
    raw_conn c{port};
    c.send_all("GET /x HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\nBroken header\r\n\r\n");
    auto first = c.read_response();
    REQUIRE(first);
    CHECK(first->status == 200);
    CHECK(first->body == "x");
    CHECK(first->has_header("Connection: keep-alive"));
    auto second = c.read_response();
    REQUIRE(second);
    CHECK(second->status == 400);
    CHECK(second->has_header("Connection: close"));
    CHECK(c.closed_by_peer());
  }
  SECTION("an unsupported version") {
    auto r = check_closing_error(port, "GET /x HTTP/2.0\r\n\r\n", 505);
    CHECK(r.head.rfind("HTTP/1.1 505 HTTP Version Not Supported\r\n", 0) == 0);
  }
  SECTION("an unsupported transfer coding") {
    check_closing_error(port, "POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501);
  }
  CHECK(in_flight_reaches_zero(srv, 1s));
}

TEST_CASE("event_server: pipelined requests are answered in order", "[http][event_server]") {
  gate slow_entered, slow_may_finish;
  event_server srv{test_options(), test_hooks()};
  srv.add("GET", "/slow", [&](const httplib::Request&, httplib::Response& res) {
    // Held until the test has seen that nothing was answered out of order.
    slow_entered.open();
    slow_may_finish.wait();
    res.set_content("slow", "text/plain");
  });
  srv.add("GET", R"(/echo/(\w+))", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.matches[1].str(), "text/plain");
  });
  srv.add_async(
    "POST", "/async-echo",
    [](const exchange_ptr& ex) {
      ex->complete([&](httplib::Response& res) { res.set_content(ex->req.body, "text/plain"); });
    },
    5s);
  auto port = start(srv);

  SECTION("two GETs in one write") {
    raw_conn c{port};
    c.send_all("GET /echo/first HTTP/1.1\r\nHost: t\r\n\r\n"
               "GET /echo/second HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    auto a = c.read_response();
    auto b = c.read_response();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->status == 200);
    CHECK(a->body == "first");
    CHECK(a->has_header("Connection: keep-alive"));
    CHECK(b->status == 200);
    CHECK(b->body == "second");
    CHECK(b->has_header("Connection: close"));
    CHECK(c.closed_by_peer());
  }
  SECTION("a client that half-closes after its requests still gets every answer") {
    raw_conn c{port};
    c.send_all("GET /echo/one HTTP/1.1\r\n\r\nGET /echo/two HTTP/1.1\r\n\r\n"
               "GET /echo/partial HTTP/1.1\r\n");
    c.shutdown_write();
    auto a = c.read_response();
    auto b = c.read_response();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->body == "one");
    CHECK(b->body == "two");
    CHECK(c.closed_by_peer()); // the incomplete third request is dropped with the connection
  }
  SECTION("a slow first request holds back the second") {
    raw_conn c{port};
    c.send_all("GET /slow HTTP/1.1\r\n\r\n"
               "POST /async-echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nquick"
               "GET /echo/third HTTP/1.1\r\nConnection: close\r\n\r\n");
    REQUIRE(slow_entered.wait());
    // The async echo behind it could answer at once, but must wait its turn.
    CHECK(c.silent_for(200ms));
    CHECK(srv.in_flight() == 1);
    slow_may_finish.open();
    auto a = c.read_response();
    auto b = c.read_response();
    auto d = c.read_response();
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(d);
    CHECK(a->body == "slow");
    CHECK(b->body == "quick");
    CHECK(d->body == "third");
    CHECK(c.closed_by_peer());
  }
  CHECK(in_flight_reaches_zero(srv, 1s));
}

TEST_CASE("event_server: a long pipeline answered inline does not grow the stack",
          "[http][event_server]") {
  // Requests the server answers at once (an async route answering inline, a 404) are taken
  // one after the other from the connection's buffer. Done by recursion (after_write →
  // process → dispatch → complete → after_write …), a client pipelining ~1 MB of them on one
  // connection overflowed the loop thread's stack.
  auto opts = test_options();
  opts.loops = 1;
  opts.keep_alive_max = 1'000'000;
  gate held, release;
  std::atomic<uintptr_t> max_span{0};
  event_server srv{opts, test_hooks()};
  srv.add_async(
    "GET", "/hold",
    [&](const exchange_ptr& ex) {
      // Blocks the loop thread on purpose, so that the pipeline behind it is buffered whole.
      held.open();
      release.wait();
      ex->complete([](httplib::Response& res) { res.set_content("held", "text/plain"); });
    },
    10s);
  srv.add_async(
    "GET", "/a",
    [&](const exchange_ptr& ex) {
      // How far this thread's stack reaches between the shallowest and deepest call.
      thread_local uintptr_t hi = 0, lo = UINTPTR_MAX;
      auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
      hi = std::max(hi, here);
      lo = std::min(lo, here);
      auto span = hi - lo;
      auto seen = max_span.load();
      while (span > seen && !max_span.compare_exchange_weak(seen, span)) {
      }
      ex->complete([](httplib::Response& res) { res.set_content("a", "text/plain"); });
    },
    10s);
  auto port = start(srv);

  constexpr int pairs = 30000; // 60,000 requests, ~1.2 MB
  std::string pipeline;
  for (int i = 0; i < pairs; ++i)
    pipeline += "GET /a HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\n";

  raw_conn c{port};
  c.set_send_buffer(8 << 20);
  c.send_all("GET /hold HTTP/1.1\r\n\r\n");
  REQUIRE(held.wait());
  auto queued = c.send_until_full(pipeline);
  INFO("bytes buffered before the loop resumed: " << queued);
  release.open();
  auto rest = std::async(std::launch::async, [&c, &pipeline, queued] {
    c.send_all(std::string_view{pipeline}.substr(queued));
  });

  auto first = c.read_response();
  REQUIRE(first);
  CHECK(first->body == "held");
  int as = 0, not_found = 0, out_of_order = 0;
  for (int i = 0; i < 2 * pairs; ++i) {
    auto r = c.read_response();
    if (!r)
      break; // counted short below
    bool want_a = i % 2 == 0;
    if (want_a ? r->body != "a" : r->status != 404)
      ++out_of_order;
    (want_a ? as : not_found) += 1;
  }
  REQUIRE(rest.wait_for(io_timeout) == std::future_status::ready);
  rest.get();
  CHECK(as == pairs);
  CHECK(not_found == pairs);
  CHECK(out_of_order == 0);
  CHECK(max_span.load() < 256 * 1024);
  CHECK(in_flight_reaches_zero(srv, 1s));
}

TEST_CASE("event_server: Expect 100-continue gets an interim response", "[http][event_server]") {
  event_server srv{test_options(), test_hooks()};
  srv.add("POST", "/upload", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content("got " + std::to_string(req.body.size()), "text/plain");
  });
  auto port = start(srv);
  raw_conn c{port};
  c.send_all("POST /upload HTTP/1.1\r\nContent-Length: 6\r\nExpect: 100-continue\r\n\r\n");
  auto interim = c.read_response();
  REQUIRE(interim);
  CHECK(interim->status == 100);
  CHECK(interim->body.empty());
  c.send_all("abcdef");
  auto final_res = c.read_response();
  REQUIRE(final_res);
  CHECK(final_res->status == 200);
  CHECK(final_res->body == "got 6");
}

TEST_CASE("event_server: keep-alive reuses one connection", "[http][event_server]") {
  auto opts = test_options();
  SECTION("several requests on one connection") {
    event_server srv{opts, test_hooks()};
    srv.add("GET", "/who", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.remote_port), "text/plain");
    });
    auto port = start(srv);
    auto cli = client(port);
    cli.set_keep_alive(true);
    std::vector<std::string> ports;
    for (int i = 0; i < 5; ++i) {
      auto res = cli.Get("/who");
      REQUIRE(res);
      CHECK(res->status == 200);
      CHECK(res->get_header_value("Connection") == "keep-alive");
      ports.push_back(res->body);
    }
    for (auto& p : ports)
      CHECK(p == ports.front()); // the same client port: the same connection
  }
  SECTION("keep_alive_max = 2 closes after the second response") {
    opts.keep_alive_max = 2;
    event_server srv{opts, test_hooks()};
    srv.add("GET", "/who", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.remote_port), "text/plain");
    });
    auto port = start(srv);
    auto cli = client(port);
    cli.set_keep_alive(true);
    auto r1 = cli.Get("/who");
    REQUIRE(r1);
    CHECK(r1->get_header_value("Connection") == "keep-alive");
    auto r2 = cli.Get("/who");
    REQUIRE(r2);
    CHECK(r2->get_header_value("Connection") == "close");
    CHECK(r2->body == r1->body);
    // The client reconnects for the third.
    auto r3 = cli.Get("/who");
    REQUIRE(r3);
    CHECK(r3->status == 200);
    CHECK(r3->get_header_value("Connection") == "keep-alive");
    CHECK(r3->body != r1->body);
  }
  SECTION("HTTP/1.0 without keep-alive is closed after the response") {
    event_server srv{opts, test_hooks()};
    srv.add("GET", "/who", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("1.0", "text/plain");
    });
    auto port = start(srv);
    raw_conn c{port};
    c.send_all("GET /who HTTP/1.0\r\n\r\n");
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->body == "1.0");
    CHECK(r->has_header("Connection: close"));
    CHECK(c.closed_by_peer());
  }
}

TEST_CASE("event_server: a body over the limit is 413", "[http][event_server]") {
  auto opts = test_options();
  opts.limits.max_body_bytes = 1024;
  std::atomic<int> calls{0};
  event_server srv{opts, test_hooks()};
  srv.add("POST", "/in", [&](const httplib::Request& req, httplib::Response& res) {
    ++calls;
    res.set_content(std::to_string(req.body.size()), "text/plain");
  });
  auto port = start(srv);

  SECTION("by Content-Length, answered before the body is sent") {
    check_closing_error(port, "POST /in HTTP/1.1\r\nContent-Length: 100000\r\n\r\n", 413);
  }
  SECTION("by chunks") {
    check_closing_error(port,
                        "POST /in HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n"
                          + std::string(1024, 'a') + "\r\n1\r\n",
                        413);
  }
  SECTION("at the limit it is accepted") {
    auto cli = client(port);
    auto res = cli.Post("/in", std::string(1024, 'b'), "application/octet-stream");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "1024");
    CHECK(calls == 1);
  }
  SECTION("headers over the limit are 431") {
    auto small = test_options();
    small.limits.max_header_bytes = 512;
    event_server srv2{small, test_hooks()};
    srv2.add("GET", "/", [](const httplib::Request&, httplib::Response&) {});
    auto port2 = start(srv2);
    check_closing_error(port2, "GET / HTTP/1.1\r\nX-Big: " + std::string(1000, 'h') + "\r\n\r\n",
                        431);
  }
}

TEST_CASE("event_server: a throwing handler gets the exception hook's response",
          "[http][event_server]") {
  event_server srv{test_options(), test_hooks()};
  srv.add("GET", "/boom", [](const httplib::Request&, httplib::Response&) {
    throw std::runtime_error{"kaboom"};
  });
  srv.add_async(
    "GET", "/async-boom",
    [](const exchange_ptr&) { throw std::runtime_error{"async kaboom"}; }, 5s);
  auto port = start(srv);
  auto cli = client(port);
  cli.set_keep_alive(true);

  auto res = cli.Get("/boom");
  REQUIRE(res);
  CHECK(res->status == 500);
  CHECK(res->body == "exception: kaboom");

  auto ares = cli.Get("/async-boom");
  REQUIRE(ares);
  CHECK(ares->status == 500);
  CHECK(ares->body == "exception: async kaboom");

  // The connection and the server keep working.
  auto again = cli.Get("/boom");
  REQUIRE(again);
  CHECK(again->status == 500);
  CHECK(in_flight_reaches_zero(srv, 1s));
}

TEST_CASE("event_server: HEAD on a GET route sends headers without the body",
          "[http][event_server]") {
  event_server srv{test_options(), test_hooks()};
  srv.add("GET", "/doc", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content("0123456789abcdef", "text/csv");
    res.set_header("X-Method", req.method);
  });
  auto port = start(srv);

  auto cli = client(port);
  auto res = cli.Head("/doc");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body.empty());
  CHECK(res->get_header_value("Content-Length") == "16");
  CHECK(res->get_header_value("Content-Type") == "text/csv");
  CHECK(res->get_header_value("X-Method") == "HEAD");

  // On the wire: nothing after the blank line, and the connection serves the next request.
  raw_conn c{port};
  c.send_all("HEAD /doc HTTP/1.1\r\n\r\nGET /doc HTTP/1.1\r\nConnection: close\r\n\r\n");
  CHECK(c.ended()); // read everything up to the server's close
  const std::string& all = c.buffered();
  auto first_end = all.find("\r\n\r\n");
  REQUIRE(first_end != std::string::npos);
  CHECK(all.compare(first_end + 4, 9, "HTTP/1.1 ") == 0); // the GET's status line follows
  CHECK(all.substr(all.size() - 16) == "0123456789abcdef");
  CHECK(all.find("0123456789abcdef") == all.size() - 16); // the body appears once
}

TEST_CASE("event_server: stop() closes idle keep-alive connections at once",
          "[http][event_server]") {
  event_server srv{test_options(), test_hooks()}; // keep_alive_timeout: 30 s
  srv.add("GET", "/x", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("x", "text/plain");
  });
  auto port = start(srv);

  raw_conn idle{port};
  idle.send_all("GET /x HTTP/1.1\r\n\r\n");
  auto r = idle.read_response();
  REQUIRE(r);
  CHECK(r->has_header("Connection: keep-alive"));
  // Connected, nothing sent (it may still sit in the backlog when stop() begins).
  raw_conn never_sent{port};

  auto t0 = std::chrono::steady_clock::now();
  srv.stop();
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took < 5s);
  CHECK(idle.closed_by_peer());
  CHECK(never_sent.ended());
  CHECK(srv.in_flight() == 0);
  srv.stop(); // idempotent
}

TEST_CASE("event_server: stop() answers a request in flight in a blocking handler",
          "[http][event_server]") {
  gate entered, release;
  event_server srv{test_options(), test_hooks()};
  srv.add("GET", "/held", [&](const httplib::Request&, httplib::Response& res) {
    entered.open();
    if (!release.wait())
      res.status = 599; // the test never released it: make that visible
    else
      res.set_content("finished", "text/plain");
  });
  srv.add("GET", "/x", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("x", "text/plain");
  });
  auto port = start(srv);

  // An idle keep-alive connection: its closing shows that stop() has begun.
  raw_conn idle{port};
  idle.send_all("GET /x HTTP/1.1\r\n\r\n");
  REQUIRE(idle.read_response());

  auto in_flight_res = std::async(std::launch::async, [port] {
    raw_conn c{port};
    c.send_all("GET /held HTTP/1.1\r\n\r\n");
    auto r = c.read_response();
    bool closed = c.closed_by_peer();
    return std::make_pair(r, closed);
  });
  REQUIRE(entered.wait());
  CHECK(srv.in_flight() == 1);

  auto stopper = std::async(std::launch::async, [&srv] {
    auto t0 = std::chrono::steady_clock::now();
    srv.stop();
    return std::chrono::steady_clock::now() - t0;
  });
  REQUIRE(idle.closed_by_peer()); // stop() is under way
  // stop() waits for the held request.
  CHECK(stopper.wait_for(100ms) == std::future_status::timeout);
  release.open();

  REQUIRE(stopper.wait_for(io_timeout) == std::future_status::ready);
  CHECK(stopper.get() < 5s);
  REQUIRE(in_flight_res.wait_for(io_timeout) == std::future_status::ready);
  auto [r, closed] = in_flight_res.get();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "finished");
  CHECK(r->has_header("Connection: close"));
  CHECK(closed);
  CHECK(srv.in_flight() == 0);
}

TEST_CASE("event_server: out of descriptors, it waits instead of spinning, then accepts",
          "[http][event_server]") {
#if defined(__SANITIZE_ADDRESS__)
  // The sanitizer build also runs UBSan, whose type checks need a pipe to tell whether memory
  // is readable: with no descriptor left, the first check of each new type (the logger's, a
  // format buffer's) reports a false "invalid vptr" and halts. The plain build runs this test.
  WARN("skipped under the sanitizers: UBSan needs free descriptors");
  return;
#endif
  event_server srv{test_options(), test_hooks()};
  srv.add("GET", "/x", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("x", "text/plain");
  });
  auto port = start(srv);

  // The clients connect (the kernel completes the handshakes into the backlog), then the
  // process runs out of descriptors: the server's accept4() fails with EMFILE.
  std::vector<std::unique_ptr<raw_conn>> clients;
  for (int i = 0; i < 3; ++i)
    clients.push_back(std::make_unique<raw_conn>(port));
  int max_fd = 0;
  for (auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
    max_fd = std::max(max_fd, std::stoi(e.path().filename().string()));
  std::vector<int> fillers; // every free number below max_fd, so that none is left
  for (;;) {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fd > max_fd) {
      if (fd >= 0)
        ::close(fd);
      break;
    }
    fillers.push_back(fd);
  }
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
  rlimit low = old;
  low.rlim_cur = static_cast<rlim_t>(max_fd + 1);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);

  auto cpu = [] {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return std::chrono::seconds{u.ru_utime.tv_sec + u.ru_stime.tv_sec}
           + std::chrono::microseconds{u.ru_utime.tv_usec + u.ru_stime.tv_usec};
  };
  auto before = cpu();
  std::this_thread::sleep_for(500ms); // the state under test is "nothing happens"
  auto spent = cpu() - before;
  ::setrlimit(RLIMIT_NOFILE, &old);
  for (int fd : fillers)
    ::close(fd);
  // A loop spinning on the readable listener would have burnt most of the 500 ms.
  CHECK(spent < 150ms);

  for (auto& c : clients) {
    c->send_all("GET /x HTTP/1.1\r\n\r\n");
    auto r = c->read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "x");
  }
}

TEST_CASE("event_server: many concurrent clients", "[http][event_server]") {
  event_server srv{test_options(), test_hooks()};
  srv.add("POST", R"(/sum/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.matches[1].str() + ":" + req.body, "text/plain");
  });
  auto port = start(srv);
  constexpr int clients = 8, per_client = 25;
  std::vector<std::future<int>> futs;
  for (int c = 0; c < clients; ++c)
    futs.push_back(std::async(std::launch::async, [port, c] {
      auto cli = client(port);
      cli.set_keep_alive(true);
      int ok = 0;
      for (int i = 0; i < per_client; ++i) {
        auto body = std::to_string(c * 1000 + i);
        auto res = cli.Post("/sum/" + std::to_string(c), body, "text/plain");
        if (res && res->status == 200 && res->body == std::to_string(c) + ":" + body)
          ++ok;
      }
      return ok;
    }));
  for (auto& f : futs) {
    REQUIRE(f.wait_for(30s) == std::future_status::ready);
    CHECK(f.get() == per_client);
  }
  CHECK(in_flight_reaches_zero(srv, 1s));
}
