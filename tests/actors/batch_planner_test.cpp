// SPDX-License-Identifier: Apache-2.0
// The x402 batch planner (actors/x402_batcher/batch_planner): when a seal or an expiry is due,
// counting notices once against storage summaries, the settlement queue and its back-off, and
// the next deadline.
#include "actors/x402_batcher/batch_planner.hpp"

#include <catch2/catch.hpp>

using namespace seq;
using namespace std::chrono_literals;
using seq::actors::x402::batch_planner;
using seq::actors::x402::batcher_options;
using action = batch_planner::action;

namespace {

constexpr msg::timestamp_us t0 = 1'700'000'000'000'000;

msg::x402_notice notice(uint64_t seq, msg::timestamp_us at, uint64_t valid_until = 1'800'000'000) {
  return msg::x402_notice{"set_chain", seq, at, valid_until};
}

batcher_options options(uint32_t max_size = 3) {
  batcher_options o;
  o.max_size = max_size;
  o.max_wait = 30s;
  o.auto_settle = true;
  o.retry_initial = 1s;
  o.retry_max = 4s;
  return o;
}

} // namespace

TEST_CASE("a seal is due by size or by the oldest intent's wait", "[x402][batch_planner]") {
  batch_planner p{options()};
  CHECK(p.due(t0) == action::none);
  CHECK_FALSE(p.next_deadline().has_value());
  p.on_sequenced(notice(1, t0));
  p.on_sequenced(notice(2, t0 + 5'000'000));
  CHECK(p.waiting() == 2);
  CHECK(p.due(t0 + 29'999'999) == action::none);
  CHECK(p.next_deadline() == t0 + 30'000'000);
  CHECK(p.due(t0 + 30'000'000) == action::seal_by_time);
  p.on_sequenced(notice(3, t0 + 6'000'000));
  CHECK(p.due(t0 + 6'000'000) == action::seal_by_size);
}

TEST_CASE("notices already covered by a storage read are not counted", "[x402][batch_planner]") {
  batch_planner p{options()};
  p.on_sequenced(notice(1, t0));
  msg::x402_pending_summary s;
  s.count = 1;
  s.oldest_sequenced_at = t0 + 1;
  s.earliest_valid_until = 1'800'000'000;
  s.last_sequence = 7; // the stream reached 7 (other networks, batched intents)
  p.on_summary(s);
  p.on_sequenced(notice(5, t0)); // read already
  p.on_sequenced(notice(7, t0));
  CHECK(p.waiting() == 1);
  p.on_sequenced(notice(8, t0 + 2));
  CHECK(p.waiting() == 2);
  CHECK(p.pending().oldest_sequenced_at == t0 + 1);
}

TEST_CASE("expiry is due once a waiting intent's valid_until has passed", "[x402][batch_planner]") {
  batch_planner p{options(100)};
  uint64_t valid_until = t0 / 1'000'000 + 5;
  p.on_sequenced(notice(1, t0, valid_until));
  CHECK(p.next_deadline() == static_cast<msg::timestamp_us>(valid_until + 1) * 1'000'000);
  CHECK(p.due(t0 + 5'999'999) == action::none);
  CHECK(p.due(t0 + 6'000'000) == action::expire);
}

TEST_CASE("without automatic sealing only expiry is due", "[x402][batch_planner]") {
  auto o = options(1);
  o.auto_seal = false;
  batch_planner p{o};
  p.on_sequenced(notice(1, t0, t0 / 1'000'000 + 1));
  CHECK(p.due(t0 + 1'000'000) == action::none);
  CHECK(p.due(t0 + 2'000'000) == action::expire);
}

TEST_CASE("batches settle oldest first with a doubling back-off", "[x402][batch_planner]") {
  batch_planner p{options()};
  auto a = msg::uuid::random_v4();
  auto b = msg::uuid::random_v4();
  p.add_committed(a);
  p.add_committed(b);
  p.add_committed(a); // once
  CHECK(p.queued() == 2);
  CHECK(p.settle_next(t0) == a);
  p.retry_later(t0);
  CHECK_FALSE(p.settle_next(t0 + 999'999).has_value());
  CHECK(p.settle_next(t0 + 1'000'000) == a);
  CHECK(p.next_deadline() == t0 + 1'000'000);
  p.retry_later(t0);
  CHECK(p.current_delay() == 2s);
  p.retry_later(t0);
  p.retry_later(t0);
  CHECK(p.current_delay() == 4s); // capped at retry_max
  p.settled(a);
  CHECK(p.current_delay() == 0s);
  CHECK(p.settle_next(t0) == b);
  CHECK_FALSE(p.next_deadline().has_value());
}

TEST_CASE("a refused batch goes to the back until it is given up", "[x402][batch_planner]") {
  auto o = options();
  o.max_refusals = 2;
  batch_planner p{o};
  auto a = msg::uuid::random_v4();
  auto b = msg::uuid::random_v4();
  p.add_committed(a);
  p.add_committed(b);
  CHECK_FALSE(p.refused(a, t0));
  CHECK(p.settle_next(t0 + 1'000'000) == b); // b first now, after the back-off
  p.settled(b);
  CHECK(p.settle_next(t0) == a);
  CHECK(p.refused(a, t0)); // the second refusal: give up
  p.settled(a);
  CHECK(p.queued() == 0);
}

TEST_CASE("without automatic settlement nothing is queued", "[x402][batch_planner]") {
  auto o = options();
  o.auto_settle = false;
  batch_planner p{o};
  p.add_committed(msg::uuid::random_v4());
  CHECK(p.queued() == 0);
}
