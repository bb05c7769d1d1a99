// SPDX-License-Identifier: Apache-2.0
// connection_tracker: a shutdown half-closes only connections without a request in flight,
// a request on a connection it has ended is refused, and httplib's own error responses.
#include "adapters/http/connections.hpp"
#include "adapters/http/server.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>

#include <atomic>
#include <thread>

using seq::http::connection_tracker;

TEST_CASE("connection_tracker ends only idle connections", "[http][shutdown]") {
  connection_tracker t;
  CHECK(t.in_flight() == 0);

  SECTION("a busy connection is left open and can be ended once its answer is written") {
    REQUIRE(t.begin(40001));
    REQUIRE(t.begin(40002));
    CHECK(t.in_flight() == 2);
    CHECK_FALSE(t.try_end(40001));
    CHECK_FALSE(t.try_end(40001)); // still busy on a later scan
    // The refused scan left no mark: the next request on that connection still runs.
    t.end(40001);
    REQUIRE(t.begin(40001));
    t.end(40001);
    CHECK(t.try_end(40001));
    t.end(40002);
    CHECK(t.in_flight() == 0);
    CHECK(t.try_end(40002));
    CHECK(t.render().find("ves_http_requests_in_flight 0\n") != std::string::npos);
  }

  SECTION("a request on an ended connection is refused and still counted until answered") {
    REQUIRE(t.try_end(40003));
    CHECK(t.try_end(40003)); // a later scan may half-close it again
    CHECK_FALSE(t.begin(40003));
    CHECK(t.in_flight() == 1);
    CHECK(t.render().find("ves_http_requests_in_flight 1\n") != std::string::npos);
    // A scan during the refused request keeps the connection's end mark.
    CHECK_FALSE(t.try_end(40003));
    t.end(40003);
    CHECK_FALSE(t.begin(40003));
    t.end(40003);
    CHECK(t.in_flight() == 0);
    // Other connections are unaffected.
    CHECK(t.begin(40004));
    t.end(40004);
  }

  SECTION("a port outside 0..65535 is counted but never protected") {
    CHECK(t.begin(-1));
    CHECK(t.in_flight() == 1);
    CHECK(t.try_end(-1));
    t.end(-1);
    CHECK(t.in_flight() == 0);
  }
}

TEST_CASE("connection_tracker never ends a connection with a request running", "[http][shutdown]") {
  // A worker runs requests on one connection while a scanner tries to end it. Whenever the
  // scanner succeeds, no admitted request may be running, and none may be admitted after.
  for (int round = 0; round < 200; ++round) {
    connection_tracker t;
    std::atomic<bool> running{false}, ended{false}, stop{false};
    std::atomic<int> admitted_after_end{0}, ended_while_running{0};
    std::thread worker([&] {
      while (!stop.load()) {
        bool was_ended = ended.load();
        if (t.begin(50000)) {
          running.store(true);
          if (was_ended)
            admitted_after_end.fetch_add(1);
          running.store(false);
        }
        t.end(50000);
      }
    });
    std::thread scanner([&] {
      for (int i = 0; i < 1000; ++i) {
        if (t.try_end(50000)) {
          if (running.load())
            ended_while_running.fetch_add(1);
          ended.store(true);
          break;
        }
      }
      stop.store(true);
    });
    scanner.join();
    worker.join();
    REQUIRE(ended_while_running.load() == 0);
    REQUIRE(admitted_after_end.load() == 0);
    REQUIRE(t.in_flight() == 0);
  }
}

TEST_CASE("httplib's own errors get a body; a request cut off by a shutdown answers 503",
          "[http][shutdown]") {
  httplib::Request req;
  req.method = "POST";
  req.path = "/api/v1/ves/events/ingest";
  httplib::Response res;
  auto fill = [&](int status, bool stopping) {
    res = httplib::Response{};
    res.status = status;
    seq::http::fill_transport_error(req, res, stopping);
  };

  fill(400, true);
  CHECK(res.status == 503);
  CHECK(res.get_header_value("x-error-code") == "SERVICE_UNAVAILABLE");
  CHECK(res.get_header_value("Retry-After") == "1");
  CHECK(res.body.find("\"message\":\"Server is shutting down\"") != std::string::npos);
  CHECK_FALSE(res.get_header_value("x-request-id").empty());

  fill(400, false);
  CHECK(res.status == 400);
  CHECK(res.get_header_value("x-error-code") == "INVALID_REQUEST_BODY");

  fill(404, true);
  CHECK(res.status == 404);
  CHECK(res.get_header_value("x-error-code") == "RESOURCE_NOT_FOUND");
  CHECK(res.body.find("No route for POST /api/v1/ves/events/ingest") != std::string::npos);

  fill(413, false);
  CHECK(res.status == 413);
  CHECK(res.get_header_value("x-error-code") == "PAYLOAD_TOO_LARGE");

  // A route's own error response is left as it is, also while stopping.
  res = httplib::Response{};
  res.status = 400;
  res.set_content("{\"error\":{}}", "application/json");
  seq::http::fill_transport_error(req, res, true);
  CHECK(res.status == 400);
  CHECK(res.body == "{\"error\":{}}");
}
