// SPDX-License-Identifier: Apache-2.0
// The projector's committed feed: which committed groups it keeps for its next batches, and
// when it lets them go.
#include "actors/projector/committed_feed.hpp"

#include <catch2/catch.hpp>

using namespace seq;
using actors::projection::committed_feed;
using actors::projection::group_ptr;

namespace {

constexpr auto sp_ves = static_cast<uint8_t>(msg::space::ves);
constexpr auto sp_legacy = static_cast<uint8_t>(msg::space::legacy);
constexpr auto sp_x402 = static_cast<uint8_t>(msg::space::x402);

/// A distinct (empty) group per call: the feed only keeps and hands out the pointers.
group_ptr group() {
  return std::make_shared<const storage::write_group>();
}

} // namespace

TEST_CASE("the feed hands out the held groups that overlap a batch", "[projector]") {
  committed_feed feed{100};
  auto a = group(), b = group(), c = group();
  feed.add(sp_ves, 1, 10, a);
  feed.add(sp_ves, 11, 15, b);
  feed.add(sp_ves, 16, 30, c);
  CHECK(feed.held(sp_ves) == 30);
  CHECK(feed.held(sp_legacy) == 0);
  using v = std::vector<group_ptr>;
  CHECK(feed.covering(sp_ves, 1, 100) == v{a, b, c});
  CHECK(feed.covering(sp_ves, 1, 10) == v{a});
  CHECK(feed.covering(sp_ves, 5, 7) == v{a, b});
  CHECK(feed.covering(sp_ves, 15, 2) == v{b, c});
  CHECK(feed.covering(sp_ves, 30, 100) == v{c});
  // A batch that starts outside the held run reads storage: nothing is handed out.
  CHECK(feed.covering(sp_ves, 31, 100).empty());
  CHECK(feed.covering(sp_ves, 1, 0).empty());
  CHECK(feed.covering(sp_legacy, 1, 100).empty());
}

TEST_CASE("the feed forgets what is projected", "[projector]") {
  committed_feed feed{100};
  auto a = group(), b = group();
  feed.add(sp_ves, 1, 10, a);
  feed.add(sp_ves, 11, 20, b);
  feed.drop_through(sp_ves, 9);
  CHECK(feed.held(sp_ves) == 20); // group a still holds event 10
  feed.drop_through(sp_ves, 10);
  CHECK(feed.held(sp_ves) == 10);
  CHECK(feed.covering(sp_ves, 5, 10).empty()); // starts before the run now
  CHECK(feed.covering(sp_ves, 11, 10) == std::vector<group_ptr>{b});
  feed.drop_through(sp_ves, 25);
  CHECK(feed.held(sp_ves) == 0);
  CHECK(feed.covering(sp_ves, 21, 10).empty());
  CHECK(a.use_count() == 1); // the feed let go of both groups
  CHECK(b.use_count() == 1);
}

TEST_CASE("a group that does not continue the run starts a new one", "[projector]") {
  committed_feed feed{100};
  auto a = group(), b = group(), c = group();
  feed.add(sp_ves, 1, 10, a);
  feed.add(sp_ves, 21, 30, b); // 11..20 were never handed over (a gap)
  CHECK(feed.held(sp_ves) == 10);
  CHECK(feed.covering(sp_ves, 1, 100).empty());
  CHECK(feed.covering(sp_ves, 21, 100) == std::vector<group_ptr>{b});
  feed.add(sp_ves, 25, 40, c); // overlaps what is held: not a continuation either
  CHECK(feed.held(sp_ves) == 16);
  CHECK(feed.covering(sp_ves, 25, 100) == std::vector<group_ptr>{c});
}

TEST_CASE("the feed holds at most its capacity per space, dropping the oldest",
          "[projector]") {
  committed_feed feed{25};
  auto a = group(), b = group(), c = group(), l = group();
  feed.add(sp_ves, 1, 10, a);
  feed.add(sp_ves, 11, 20, b);
  feed.add(sp_legacy, 1, 20, l); // spaces count separately
  CHECK(feed.held(sp_ves) == 20);
  feed.add(sp_ves, 21, 30, c);
  CHECK(feed.held(sp_ves) == 20);
  CHECK(a.use_count() == 1);
  CHECK(feed.covering(sp_ves, 1, 100).empty()); // 1..10 come from storage now
  CHECK(feed.covering(sp_ves, 11, 100) == std::vector<group_ptr>{b, c});
  CHECK(feed.covering(sp_legacy, 1, 100) == std::vector<group_ptr>{l});
  // A single group above the capacity is not kept at all.
  feed.add(sp_ves, 31, 60, group());
  CHECK(feed.held(sp_ves) == 0);
}

TEST_CASE("the feed ignores x402, missing groups and a capacity of zero", "[projector]") {
  committed_feed feed{100};
  feed.add(sp_x402, 1, 10, group());
  feed.add(sp_ves, 1, 10, nullptr);
  feed.add(sp_ves, 5, 4, group());
  CHECK(feed.held(sp_x402) == 0);
  CHECK(feed.held(sp_ves) == 0);
  CHECK(feed.covering(sp_x402, 1, 10).empty());
  committed_feed none{0};
  none.add(sp_ves, 1, 1, group());
  CHECK(none.held(sp_ves) == 0);
}
