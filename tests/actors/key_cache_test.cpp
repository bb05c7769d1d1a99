// SPDX-License-Identifier: Apache-2.0
#include "actors/verify/key_cache.hpp"

#include "messages/errc.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace seq;
using namespace std::chrono_literals;
using seq::actors::key_cache;

namespace {

msg::uuid id(uint8_t a) {
  msg::uuid u;
  u.b[0] = a;
  return u;
}

} // namespace

TEST_CASE("key_cache keeps found keys for the TTL and never caches misses", "[key_cache]") {
  key_cache cache{60s};
  const auto t0 = key_cache::clock::time_point{} + 1h;
  int loads = 0;
  msg::agent_key k;
  k.key_id = 3;
  k.public_key.fill(9);
  auto found = [&]() -> caf::expected<msg::agent_key> {
    ++loads;
    return k;
  };
  auto missing = [&]() -> caf::expected<msg::agent_key> {
    ++loads;
    return make_error(errc::not_found, "no key");
  };

  SECTION("hits inside the TTL, a reload after it") {
    REQUIRE(cache.get(id(1), id(2), 3, t0, found));
    auto again = cache.get(id(1), id(2), 3, t0 + 59s, found);
    REQUIRE(again);
    CHECK(again->public_key == k.public_key);
    CHECK(loads == 1);
    k.status = "revoked";
    auto later = cache.get(id(1), id(2), 3, t0 + 60s, found);
    REQUIRE(later);
    CHECK(later->status == "revoked");
    CHECK(loads == 2);
    CHECK(cache.stats().hits == 1);
    CHECK(cache.stats().misses == 2);
  }
  SECTION("keys are told apart by tenant, agent and key id") {
    REQUIRE(cache.get(id(1), id(2), 3, t0, found));
    REQUIRE(cache.get(id(1), id(2), 4, t0, found));
    REQUIRE(cache.get(id(5), id(2), 3, t0, found));
    CHECK(loads == 3);
    CHECK(cache.size() == 3);
  }
  SECTION("a missing key is looked up every time") {
    CHECK(cache.get(id(1), id(2), 3, t0, missing).error() == errc::not_found);
    CHECK(cache.get(id(1), id(2), 3, t0 + 1s, missing).error() == errc::not_found);
    CHECK(loads == 2);
    CHECK(cache.size() == 0);
    // ... so a key registered a moment later works at once.
    REQUIRE(cache.get(id(1), id(2), 3, t0 + 2s, found));
  }
  SECTION("invalidate forces a reload") {
    REQUIRE(cache.get(id(1), id(2), 3, t0, found));
    cache.invalidate(id(1), id(2), 3);
    REQUIRE(cache.get(id(1), id(2), 3, t0 + 1s, found));
    CHECK(loads == 2);
  }
}

TEST_CASE("key_cache is bounded", "[key_cache]") {
  key_cache cache{60s, 2};
  const auto t0 = key_cache::clock::time_point{} + 1h;
  auto load = []() -> caf::expected<msg::agent_key> { return msg::agent_key{}; };
  REQUIRE(cache.get(id(1), id(1), 1, t0, load));
  REQUIRE(cache.get(id(2), id(2), 1, t0 + 1s, load));
  REQUIRE(cache.get(id(3), id(3), 1, t0 + 2s, load));
  CHECK(cache.size() == 2);
  // The entry closest to expiry (the first) made room.
  int loads = 0;
  auto counting = [&]() -> caf::expected<msg::agent_key> {
    ++loads;
    return msg::agent_key{};
  };
  REQUIRE(cache.get(id(3), id(3), 1, t0 + 3s, counting));
  CHECK(loads == 0);
}
