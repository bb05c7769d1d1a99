// SPDX-License-Identifier: Apache-2.0
// The load generator's HTTP client (bench/loadgen/raw_http.*, runner.*): the incremental
// response parser, and the one-thread event loop against a real cpp-httplib server on a
// loopback port from the OS — keep-alive, chunked answers, servers that close, a refused port,
// request bodies larger than a socket buffer, and open-loop pacing.

#include "bench/loadgen/raw_http.hpp"
#include "bench/loadgen/runner.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

using namespace seq::bench;
using namespace std::chrono_literals;

namespace {

/// A local HTTP server on a free port: /echo answers the request body, /chunked answers it in
/// chunks, /close answers it with `Connection: close`.
class echo_server {
public:
  echo_server() {
    svr_.Post("/echo", [this](const httplib::Request& req, httplib::Response& res) {
      ++hits_;
      res.set_content(req.body, "text/plain");
    });
    svr_.Post("/chunked", [this](const httplib::Request& req, httplib::Response& res) {
      ++hits_;
      auto body = std::make_shared<std::string>(req.body);
      res.set_chunked_content_provider("text/plain",
                                       [body](size_t off, httplib::DataSink& sink) {
                                         if (off < body->size())
                                           sink.write(body->data() + off,
                                                      std::min<size_t>(3, body->size() - off));
                                         else
                                           sink.done();
                                         return true;
                                       });
    });
    svr_.Post("/close", [this](const httplib::Request& req, httplib::Response& res) {
      ++hits_;
      res.set_header("Connection", "close");
      res.set_content(req.body, "text/plain");
    });
    svr_.set_keep_alive_max_count(100000); // cpp-httplib closes after 5 requests by default
    port_ = static_cast<uint16_t>(svr_.bind_to_any_port("127.0.0.1"));
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    while (!svr_.is_running())
      std::this_thread::sleep_for(1ms);
  }
  ~echo_server() {
    svr_.stop();
    thread_.join();
  }
  uint16_t port() const { return port_; }
  int hits() const { return hits_; }

private:
  httplib::Server svr_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::atomic<int> hits_{0};
};

/// n POST requests to `path`, request i carrying body "req-<i>" (or `big` bytes if given).
workload requests_to(uint16_t port, const std::string& path, size_t n, size_t big = 0) {
  workload w;
  w.spec.host = "127.0.0.1";
  w.spec.port = port;
  for (size_t i = 0; i < n; ++i) {
    auto body = big > 0 ? std::string(big, static_cast<char>('a' + i % 26))
                        : "req-" + std::to_string(i);
    request_plan r;
    r.wire = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
             + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    w.requests.push_back(std::move(r));
  }
  return w;
}

std::string body_of(const workload& w, size_t i) {
  const auto& wire = w.requests[i].wire;
  return wire.substr(wire.find("\r\n\r\n") + 4);
}

phase_options closed(size_t n, size_t connections) {
  phase_options o;
  o.end = n;
  o.connections = connections;
  o.max_duration = 30s;
  return o;
}

} // namespace

TEST_CASE("parse_response reads one response at a time", "[loadgen]") {
  parsed_response r;
  const std::string fixed = "HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello";
  for (size_t cut = 0; cut < fixed.size(); ++cut)
    CHECK(parse_response(std::string_view{fixed}.substr(0, cut), false, r)
          == parse_status::incomplete);
  REQUIRE(parse_response(fixed + "HTTP/1.1 200", false, r) == parse_status::done);
  CHECK(r.status == 201);
  CHECK(r.body == "hello");
  CHECK(r.consumed == fixed.size());
  CHECK_FALSE(r.close);
  // Cut short by the end of the stream.
  CHECK(parse_response(fixed.substr(0, fixed.size() - 1), true, r) == parse_status::malformed);

  const std::string chunked = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n"
                              "connection: close\r\n\r\n3\r\nabc\r\na\r\n0123456789\r\n0\r\n\r\n";
  CHECK(parse_response(chunked.substr(0, chunked.size() - 2), false, r)
        == parse_status::incomplete);
  REQUIRE(parse_response(chunked, false, r) == parse_status::done);
  CHECK(r.body == "abc0123456789");
  CHECK(r.consumed == chunked.size());
  CHECK(r.close);

  const std::string to_eof = "HTTP/1.0 200 OK\r\n\r\nuntil the end";
  CHECK(parse_response(to_eof, false, r) == parse_status::incomplete);
  REQUIRE(parse_response(to_eof, true, r) == parse_status::done);
  CHECK(r.body == "until the end");
  CHECK(r.close);

  CHECK(parse_response("HTTP/1.1 2x0 OK\r\n\r\n", false, r) == parse_status::malformed);
  CHECK(parse_response("garbage\r\n\r\n", false, r) == parse_status::malformed);
  CHECK(parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false, r)
        == parse_status::malformed);
}

TEST_CASE("the event loop answers every request over keep-alive connections", "[loadgen]") {
  echo_server srv;
  SECTION("Content-Length answers") {
    auto w = requests_to(srv.port(), "/echo", 300);
    std::vector<request_result> results(w.requests.size());
    auto out = run_phase(w, results, closed(300, 8));
    CHECK(out.sent == 300);
    CHECK(out.transport_errors == 0);
    CHECK(out.reconnects == 0);
    CHECK(out.latency_us.count() == 300);
    for (size_t i = 0; i < results.size(); ++i) {
      CHECK(results[i].status == 200);
      CHECK(results[i].body == body_of(w, i));
    }
  }
  SECTION("chunked answers") {
    auto w = requests_to(srv.port(), "/chunked", 50);
    std::vector<request_result> results(w.requests.size());
    auto out = run_phase(w, results, closed(50, 4));
    CHECK(out.transport_errors == 0);
    for (size_t i = 0; i < results.size(); ++i)
      CHECK(results[i].body == body_of(w, i));
  }
  SECTION("a server that closes after each answer: the next request reconnects") {
    auto w = requests_to(srv.port(), "/close", 40);
    std::vector<request_result> results(w.requests.size());
    auto out = run_phase(w, results, closed(40, 4));
    CHECK(out.transport_errors == 0);
    CHECK(out.reconnects == 36); // 40 connections opened, 4 of them before the clock
    for (size_t i = 0; i < results.size(); ++i)
      CHECK(results[i].body == body_of(w, i));
  }
  SECTION("request bodies larger than the socket buffers go out whole") {
    auto w = requests_to(srv.port(), "/echo", 6, size_t{8} << 20);
    std::vector<request_result> results(w.requests.size());
    auto out = run_phase(w, results, closed(6, 3));
    CHECK(out.transport_errors == 0);
    for (size_t i = 0; i < results.size(); ++i) {
      CHECK(results[i].status == 200);
      CHECK(results[i].body.size() == (size_t{8} << 20));
      CHECK(results[i].body == body_of(w, i));
    }
  }
  SECTION("only the range [begin, end) is sent") {
    auto w = requests_to(srv.port(), "/echo", 30);
    std::vector<request_result> results(w.requests.size());
    auto o = closed(20, 2);
    o.begin = 10;
    auto out = run_phase(w, results, o);
    CHECK(out.sent == 10);
    CHECK(srv.hits() == 10);
    for (size_t i = 0; i < results.size(); ++i)
      CHECK(results[i].status == (i >= 10 && i < 20 ? 200 : -1));
  }
}

/// A loopback port nothing listens on: bound (so no one else gets it) but never listening.
class refusing_port {
public:
  refusing_port() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
  }
  ~refusing_port() { ::close(fd_); }
  uint16_t port() const { return port_; }

private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

TEST_CASE("a refused port fails every request as a transport error", "[loadgen]") {
  refusing_port refused;
  auto port = refused.port();
  auto w = requests_to(port, "/echo", 25);
  std::vector<request_result> results(w.requests.size());
  auto out = run_phase(w, results, closed(25, 4));
  CHECK(out.sent == 25);
  CHECK(out.transport_errors == 25);
  for (const auto& r : results)
    CHECK(r.status == 0);
}

TEST_CASE("open loop sends request j no earlier than t0 + j / rate", "[loadgen]") {
  echo_server srv;
  auto w = requests_to(srv.port(), "/echo", 40);
  std::vector<request_result> results(w.requests.size());
  phase_options o;
  o.end = 40;
  o.connections = 4;
  o.open_loop = true;
  o.requests_per_s = 400; // the last one is due 97.5 ms after t0
  o.max_duration = 30s;
  auto out = run_phase(w, results, o);
  CHECK(out.sent == 40);
  CHECK(out.transport_errors == 0);
  CHECK(out.last_done - out.t0 >= 97500us);
  for (const auto& r : results)
    CHECK(r.status == 200);

  SECTION("requests due after the deadline are not sent") {
    o.max_duration = 50ms; // due times 0, 2.5, …, 50 ms: 21 requests
    std::vector<request_result> again(w.requests.size());
    auto cut = run_phase(w, again, o);
    CHECK(cut.sent == 21);
  }
}
