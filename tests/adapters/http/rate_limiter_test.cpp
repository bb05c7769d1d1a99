// SPDX-License-Identifier: Apache-2.0
// adapters/http/rate_limiter: fixed windows per key and the bounded map (wire-contract §4.6).
#include "adapters/http/rate_limiter.hpp"

#include <catch2/catch.hpp>

#include <string>

using seq::http::rate_limiter;
using namespace std::chrono_literals;

TEST_CASE("a key gets `limit` requests per fixed window", "[http][rate_limit]") {
  rate_limiter rl{60s, 100};
  auto t0 = rate_limiter::clock::time_point{} + 1000s;
  for (int i = 0; i < 3; ++i)
    CHECK(rl.allow("a", 3, t0 + std::chrono::seconds{i}));
  CHECK_FALSE(rl.allow("a", 3, t0 + 10s));
  CHECK_FALSE(rl.allow("a", 3, t0 + 59s)); // refused requests do not extend the window
  CHECK(rl.allow("b", 3, t0 + 59s));       // other keys have their own window
  // The window began at t0: it ends 60 s later, not 60 s after the last request.
  CHECK(rl.allow("a", 3, t0 + 60s));
  CHECK(rl.allow("a", 3, t0 + 61s));
  CHECK(rl.allow("a", 3, t0 + 62s));
  CHECK_FALSE(rl.allow("a", 3, t0 + 63s));
  CHECK(rl.window() == 60s);
}

TEST_CASE("the map stays within max_entries: expired windows go first, then the oldest tenth",
          "[http][rate_limit]") {
  rate_limiter rl{60s, 20};
  auto t0 = rate_limiter::clock::time_point{} + 1000s;
  for (int i = 0; i < 20; ++i)
    CHECK(rl.allow("k" + std::to_string(i), 1, t0 + std::chrono::seconds{i}));
  CHECK(rl.size() == 20);
  // Full, nothing expired: a new key drops the oldest tenth (k0, k1).
  CHECK(rl.allow("x", 1, t0 + 30s));
  CHECK(rl.size() == 19);
  CHECK(rl.allow("k0", 1, t0 + 30s)); // a new window: the old one was dropped
  CHECK_FALSE(rl.allow("k2", 1, t0 + 30s));
  CHECK(rl.size() == 20);
  // Full again at t0 + 65 s, when k2..k5 have expired: only they go.
  CHECK(rl.allow("y", 1, t0 + 65s));
  CHECK(rl.size() == 17);
  CHECK_FALSE(rl.allow("k6", 1, t0 + 65s)); // its window (t0 + 6 s) is still running
  CHECK_FALSE(rl.allow("k0", 1, t0 + 65s));
}
