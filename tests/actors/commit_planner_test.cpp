// SPDX-License-Identifier: Apache-2.0
// commit_planner: when automatic commitments are due and which range they cover.
#include "actors/committer/commit_planner.hpp"

#include <catch2/catch.hpp>

using namespace seq::actors::committer;
using namespace std::chrono_literals;

namespace {

commit_options opts(uint64_t n, std::chrono::nanoseconds age, bool on = true) {
  commit_options o;
  o.automatic = on;
  o.max_events = n;
  o.max_age = age;
  return o;
}

} // namespace

TEST_CASE("due by count, capped at max_events", "[committer]") {
  commit_planner p{opts(4, 1h)};
  p.reset(0, 0, 0s);
  CHECK_FALSE(p.due(0s));
  p.on_events(3, 1s);
  CHECK_FALSE(p.due(1s));
  p.on_events(10, 2s);
  auto r = p.due(2s);
  REQUIRE(r);
  CHECK(r->first == 1);
  CHECK(r->second == 4);
  p.on_commitment(4, 3s);
  r = p.due(3s);
  REQUIRE(r);
  CHECK(*r == commit_planner::range{5, 8});
  p.on_commitment(8, 4s);
  CHECK_FALSE(p.due(4s)); // two left, young
  CHECK(p.uncommitted() == 2);
  CHECK(p.deadline() == std::optional<commit_planner::time_point>{4s + 1h});
}

TEST_CASE("due by age of the oldest uncommitted event", "[committer]") {
  commit_planner p{opts(100, 5s)};
  p.reset(0, 0, 0s);
  CHECK_FALSE(p.deadline());
  p.on_events(2, 10s);
  CHECK(p.deadline() == std::optional<commit_planner::time_point>{15s});
  p.on_events(3, 12s); // the oldest still counts
  CHECK_FALSE(p.due(14s));
  auto r = p.due(15s);
  REQUIRE(r);
  CHECK(*r == commit_planner::range{1, 3});
  p.on_commitment(3, 16s);
  CHECK_FALSE(p.deadline());
  CHECK_FALSE(p.due(100s));
}

TEST_CASE("reset after a restart and manual commitments", "[committer]") {
  commit_planner p{opts(100, 5s)};
  p.reset(7, 9, 0s); // two stored but uncommitted events
  CHECK(p.last_end() == 7);
  CHECK(p.head() == 9);
  CHECK(p.due(5s) == std::optional<commit_planner::range>{{8, 9}});
  p.on_commitment(9, 6s); // a manual commitment covered them
  CHECK_FALSE(p.due(60s));
  p.on_commitment(5, 7s); // an older end changes nothing
  CHECK(p.last_end() == 9);
}

TEST_CASE("automatic commits off", "[committer]") {
  commit_planner p{opts(1, 1s, false)};
  p.reset(0, 50, 0s);
  CHECK_FALSE(p.due(1h));
  CHECK_FALSE(p.deadline());
  CHECK(p.uncommitted() == 50);
}
