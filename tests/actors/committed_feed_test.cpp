// SPDX-License-Identifier: Apache-2.0
// The projector's committed feed: which committed events it keeps for its next batches, and
// when it lets them go.
#include "actors/projector/committed_feed.hpp"

#include <catch2/catch.hpp>

using namespace seq;
using actors::projection::committed_feed;

namespace {

constexpr auto sp_ves = static_cast<uint8_t>(msg::space::ves);
constexpr auto sp_legacy = static_cast<uint8_t>(msg::space::legacy);
constexpr auto sp_x402 = static_cast<uint8_t>(msg::space::x402);

/// A committed group with VES events [first, last] (none when first is 0) and legacy events
/// [lfirst, llast].
storage::write_group group(uint64_t first, uint64_t last, uint64_t lfirst = 1,
                           uint64_t llast = 0) {
  storage::write_group g;
  for (uint64_t n = first; n > 0 && n <= last; ++n) {
    msg::sequenced_ves_event e;
    e.sequence_number = n;
    e.ev.entity_type = "inventory";
    e.ev.entity_id = "sku-" + std::to_string(n);
    e.ev.payload = "{}";
    g.ves.push_back(e);
  }
  for (uint64_t n = lfirst; n <= llast; ++n) {
    msg::sequenced_legacy_event e;
    e.sequence_number = n;
    e.ev.entity_id = "C" + std::to_string(n);
    g.legacy.push_back(e);
  }
  return g;
}

/// "first-last" of each group handed out.
std::vector<std::string> ranges(const std::vector<msg::fed_events>& xs) {
  std::vector<std::string> out;
  for (const auto& x : xs)
    out.push_back(std::to_string(x->front().sequence_number) + "-"
                  + std::to_string(x->back().sequence_number));
  return out;
}

using v = std::vector<std::string>;

} // namespace

TEST_CASE("the feed hands out the held groups that overlap a batch", "[projector]") {
  committed_feed feed{100};
  feed.add(sp_ves, group(1, 10));
  feed.add(sp_ves, group(11, 15));
  feed.add(sp_ves, group(16, 30));
  CHECK(feed.held(sp_ves) == 30);
  CHECK(feed.held(sp_legacy) == 0);
  CHECK(ranges(feed.covering(sp_ves, 1, 100)) == v{"1-10", "11-15", "16-30"});
  CHECK(ranges(feed.covering(sp_ves, 1, 10)) == v{"1-10"});
  CHECK(ranges(feed.covering(sp_ves, 5, 7)) == v{"1-10", "11-15"});
  CHECK(ranges(feed.covering(sp_ves, 15, 2)) == v{"11-15", "16-30"});
  CHECK(ranges(feed.covering(sp_ves, 30, 100)) == v{"16-30"});
  // A batch that starts outside the held run reads storage: nothing is handed out.
  CHECK(feed.covering(sp_ves, 31, 100).empty());
  CHECK(feed.covering(sp_ves, 1, 0).empty());
  CHECK(feed.covering(sp_legacy, 1, 100).empty());
  // What is held is what a read returns.
  auto held = feed.covering(sp_ves, 1, 1);
  REQUIRE(held.size() == 1);
  const auto& e = held[0]->at(2);
  CHECK(e.space == sp_ves);
  CHECK(e.sequence_number == 3);
  CHECK(e.entity_id == "sku-3");
  CHECK(e.payload == "{}");
}

TEST_CASE("the feed keeps each space's events of a group on their own", "[projector]") {
  committed_feed feed{100};
  auto both = group(1, 3, 1, 2);
  feed.add(sp_ves, both);
  feed.add(sp_legacy, both);
  feed.add(sp_legacy, group(0, 0, 3, 3)); // a group with legacy events only
  CHECK(feed.held(sp_ves) == 3);
  CHECK(feed.held(sp_legacy) == 3);
  CHECK(ranges(feed.covering(sp_legacy, 1, 100)) == v{"1-2", "3-3"});
  CHECK(feed.covering(sp_legacy, 1, 100)[0]->front().space == sp_legacy);
  feed.add(sp_ves, group(0, 0, 4, 4)); // no VES events: nothing to keep
  CHECK(feed.held(sp_ves) == 3);
}

TEST_CASE("the feed forgets what is projected", "[projector]") {
  committed_feed feed{100};
  feed.add(sp_ves, group(1, 10));
  feed.add(sp_ves, group(11, 20));
  feed.drop_through(sp_ves, 9);
  CHECK(feed.held(sp_ves) == 20); // the first group still holds event 10
  feed.drop_through(sp_ves, 10);
  CHECK(feed.held(sp_ves) == 10);
  CHECK(feed.covering(sp_ves, 5, 10).empty()); // starts before the run now
  CHECK(ranges(feed.covering(sp_ves, 11, 10)) == v{"11-20"});
  feed.drop_through(sp_ves, 25);
  CHECK(feed.held(sp_ves) == 0);
  CHECK(feed.covering(sp_ves, 21, 10).empty());
}

TEST_CASE("a group that does not continue the run starts a new one", "[projector]") {
  committed_feed feed{100};
  feed.add(sp_ves, group(1, 10));
  feed.add(sp_ves, group(21, 30)); // 11..20 were never handed over (a gap)
  CHECK(feed.held(sp_ves) == 10);
  CHECK(feed.covering(sp_ves, 1, 100).empty());
  CHECK(ranges(feed.covering(sp_ves, 21, 100)) == v{"21-30"});
  feed.add(sp_ves, group(25, 40)); // overlaps what is held: not a continuation either
  CHECK(feed.held(sp_ves) == 16);
  CHECK(ranges(feed.covering(sp_ves, 25, 100)) == v{"25-40"});
  // A group whose own numbers have a gap is not kept, and ends the run.
  auto holey = group(41, 45);
  holey.ves.erase(holey.ves.begin() + 2);
  feed.add(sp_ves, holey);
  CHECK(feed.held(sp_ves) == 0);
}

TEST_CASE("the feed holds at most its capacity per space, dropping the oldest",
          "[projector]") {
  committed_feed feed{25};
  feed.add(sp_ves, group(1, 10));
  feed.add(sp_ves, group(11, 20));
  feed.add(sp_legacy, group(0, 0, 1, 20)); // spaces count separately
  CHECK(feed.held(sp_ves) == 20);
  feed.add(sp_ves, group(21, 30));
  CHECK(feed.held(sp_ves) == 20);
  CHECK(feed.covering(sp_ves, 1, 100).empty()); // 1..10 come from storage now
  CHECK(ranges(feed.covering(sp_ves, 11, 100)) == v{"11-20", "21-30"});
  CHECK(ranges(feed.covering(sp_legacy, 1, 100)) == v{"1-20"});
  // A single group above the capacity is not kept at all.
  feed.add(sp_ves, group(31, 60));
  CHECK(feed.held(sp_ves) == 0);
}

TEST_CASE("the feed ignores x402 and keeps nothing with a capacity of zero", "[projector]") {
  committed_feed feed{100};
  feed.add(sp_x402, group(1, 10));
  CHECK(feed.held(sp_x402) == 0);
  CHECK(feed.covering(sp_x402, 1, 10).empty());
  committed_feed none{0};
  none.add(sp_ves, group(1, 1));
  CHECK(none.held(sp_ves) == 0);
}
