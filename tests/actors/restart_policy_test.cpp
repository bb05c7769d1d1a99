// SPDX-License-Identifier: Apache-2.0
#include "actors/supervision/restart_policy.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace std::chrono_literals;
using seq::actors::restart_options;
using seq::actors::restart_policy;

TEST_CASE("restart_policy backs off exponentially and gives up past the limit",
          "[restart_policy]") {
  restart_options o;
  o.max_restarts = 4;
  o.window = 60s;
  o.base_delay = 100ms;
  o.max_delay = 250ms;
  restart_policy p{o};
  const auto t0 = restart_policy::time_point{} + 1h;

  auto d1 = p.on_failure(t0);
  CHECK(d1.restart);
  CHECK(d1.delay == 0ms);
  auto d2 = p.on_failure(t0 + 1s);
  CHECK(d2.restart);
  CHECK(d2.delay == 100ms);
  auto d3 = p.on_failure(t0 + 2s);
  CHECK(d3.delay == 200ms);
  auto d4 = p.on_failure(t0 + 3s);
  CHECK(d4.restart);
  CHECK(d4.delay == 250ms); // capped
  CHECK(p.recent_failures() == 4);

  SECTION("a fifth failure inside the window gives up") {
    CHECK_FALSE(p.on_failure(t0 + 4s).restart);
  }
  SECTION("failures older than the window are forgotten") {
    auto d = p.on_failure(t0 + 60500ms);
    CHECK(d.restart);
    CHECK(d.delay == 250ms);
    CHECK(p.recent_failures() == 4); // t0 dropped; t0+1s..t0+3s and t0+60.5s remain
    auto late = p.on_failure(t0 + 200s);
    CHECK(late.restart);
    CHECK(late.delay == 0ms);
    CHECK(p.recent_failures() == 1);
  }
}

TEST_CASE("restart_policy delays", "[restart_policy]") {
  restart_options o;
  o.base_delay = 10ms;
  o.max_delay = 1s;
  restart_policy p{o};
  CHECK(p.delay(1) == 0ms);
  CHECK(p.delay(2) == 10ms);
  CHECK(p.delay(3) == 20ms);
  CHECK(p.delay(5) == 80ms);
  CHECK(p.delay(40) == 1s);
}
