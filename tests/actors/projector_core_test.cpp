// SPDX-License-Identifier: Apache-2.0
// The projector's per-stream rules: which job comes next, checkpoints, blocked entities,
// halts and back-offs.
#include "actors/projector/projector_core.hpp"

#include "messages/errc.hpp"

#include <catch2/catch.hpp>

#include <memory>

using namespace seq;
using actors::projection::projector_core;
using actors::projection::projector_options;
using job = projector_core::job_kind;

namespace {

constexpr auto sp_ves = static_cast<uint8_t>(msg::space::ves);
constexpr auto sp_legacy = static_cast<uint8_t>(msg::space::legacy);

msg::stream_key key() {
  return {*msg::uuid::parse("00000000-0000-0000-0000-000000000001"),
          *msg::uuid::parse("00000000-0000-0000-0000-000000000002")};
}

msg::projection_loaded loaded(uint64_t legacy_cp, uint64_t ves_cp,
                              std::vector<msg::blocked_entity> blocked = {}) {
  msg::projection_loaded x;
  x.checkpoints.legacy = legacy_cp;
  x.checkpoints.ves = ves_cp;
  x.blocked = std::make_shared<const std::vector<msg::blocked_entity>>(std::move(blocked));
  return x;
}

msg::projection_batch_outcome outcome(uint64_t checkpoint, uint64_t read, bool end) {
  msg::projection_batch_outcome o;
  o.checkpoint = checkpoint;
  o.events_read = read;
  o.end_reached = end;
  return o;
}

projector_core make(msg::blocking_mode mode = msg::blocking_mode::park, uint32_t batch = 100) {
  return projector_core{key(), projector_options{mode, batch}};
}

} // namespace

TEST_CASE("a projector loads first, then reads both spaces to their end", "[projector_core]") {
  auto c = make();
  CHECK(c.next(false, false) == job::load);
  CHECK(c.next(true, true) == job::load); // even retries wait for the load
  c.on_loaded(loaded(4, 7));
  CHECK(c.loaded());
  CHECK(c.checkpoint(sp_legacy) == 4);
  CHECK(c.checkpoint(sp_ves) == 7);
  REQUIRE(c.next(false, false) == job::batch);
  auto a = c.make_batch();
  auto b_space = a.space == sp_ves ? sp_legacy : sp_ves;
  CHECK(a.from == (a.space == sp_ves ? 8u : 5u));
  CHECK(a.limit == 100);
  c.on_batch(a.space, outcome(c.checkpoint(a.space), 0, true));
  REQUIRE(c.next(false, false) == job::batch);
  auto b = c.make_batch();
  CHECK(b.space == b_space);
  c.on_batch(b.space, outcome(c.checkpoint(b.space), 0, true));
  CHECK(c.next(false, false) == job::none);
}

TEST_CASE("events_committed makes a space behind until its checkpoint reaches the head",
          "[projector_core]") {
  auto c = make(msg::blocking_mode::park, 2);
  c.on_loaded(loaded(0, 0));
  c.on_batch(sp_ves, outcome(0, 0, true));
  c.on_batch(sp_legacy, outcome(0, 0, true));
  CHECK(c.next(false, false) == job::none);
  c.on_committed(sp_ves, 5);
  CHECK(c.behind(sp_ves));
  CHECK_FALSE(c.behind(sp_legacy));
  auto b = c.make_batch();
  CHECK(b.space == sp_ves);
  CHECK(b.from == 1);
  CHECK(b.limit == 2);
  c.on_batch(sp_ves, outcome(2, 2, false));
  CHECK(c.make_batch().from == 3);
  c.on_batch(sp_ves, outcome(4, 2, false));
  c.on_batch(sp_ves, outcome(5, 1, true));
  CHECK(c.checkpoint(sp_ves) == 5);
  CHECK(c.next(false, false) == job::none);
  c.on_committed(static_cast<uint8_t>(msg::space::x402), 9); // no projections for x402
  CHECK(c.next(false, false) == job::none);
  auto st = c.status();
  CHECK(st.known_head_ves == 5);
  CHECK(st.checkpoints.ves == 5);
}

TEST_CASE("a partial batch lingers only while the stream is busy", "[projector_core]") {
  using std::chrono::milliseconds;
  projector_options o{msg::blocking_mode::park, 10};
  o.linger = milliseconds{20};
  projector_core c{key(), o};
  c.on_loaded(loaded(0, 0));
  // Ends unknown since the load: no waiting, whatever the time.
  CHECK_FALSE(c.lingers(milliseconds{0}));
  c.on_batch(sp_ves, outcome(0, 0, true));
  CHECK_FALSE(c.lingers(milliseconds{0})); // the legacy end is still unknown
  c.on_batch(sp_legacy, outcome(0, 0, true));
  c.on_committed(sp_ves, 3);
  REQUIRE(c.next(false, false) == job::batch);
  CHECK(c.lingers(milliseconds{0}));
  CHECK(c.lingers(milliseconds{19}));
  CHECK_FALSE(c.lingers(milliseconds{20})); // the wait is over
  CHECK_FALSE(c.lingers(milliseconds{500})); // a quiet stream: at once
  // A full batch of either space goes at once.
  c.on_committed(sp_legacy, 10);
  CHECK_FALSE(c.lingers(milliseconds{0}));
  c.on_batch(sp_legacy, outcome(10, 10, true));
  CHECK(c.lingers(milliseconds{0}));
  c.on_committed(sp_ves, 10);
  CHECK_FALSE(c.lingers(milliseconds{0}));
  // A batch that read past the announced head (legacy 12 > 10) does not count as waiting.
  c.on_batch(sp_ves, outcome(10, 10, true));
  c.on_batch(sp_legacy, outcome(12, 2, true));
  c.on_committed(sp_ves, 11);
  CHECK(c.lingers(milliseconds{0}));
  // Off by default.
  auto d = make(msg::blocking_mode::park, 10);
  d.on_loaded(loaded(0, 0));
  d.on_batch(sp_ves, outcome(0, 0, true));
  d.on_batch(sp_legacy, outcome(0, 0, true));
  d.on_committed(sp_ves, 1);
  CHECK_FALSE(d.lingers(milliseconds{0}));
}

TEST_CASE("both spaces behind take turns", "[projector_core]") {
  auto c = make();
  c.on_loaded(loaded(0, 0));
  std::vector<uint8_t> order;
  for (int i = 0; i < 4; ++i) {
    auto b = c.make_batch();
    order.push_back(b.space);
    c.on_batch(b.space, outcome(b.from + 99, 100, false));
  }
  CHECK(order == std::vector<uint8_t>{sp_legacy, sp_ves, sp_legacy, sp_ves});
}

TEST_CASE("newly blocked entities go with the next batch of their space", "[projector_core]") {
  auto c = make();
  c.on_loaded(loaded(0, 0, {{sp_ves, {"order", "O9"}}}));
  CHECK(c.blocked(sp_ves).count({"order", "O9"}) == 1);
  CHECK(c.blocked(sp_legacy).empty());
  auto o = outcome(3, 3, false);
  o.newly_blocked.push_back({"order", "O1"});
  o.parked = 1;
  c.on_batch(sp_ves, o);
  CHECK(c.blocked(sp_ves).size() == 2);
  c.on_batch(sp_legacy, outcome(0, 0, true));
  auto b = c.make_batch();
  CHECK(b.space == sp_ves);
  CHECK(b.blocked.size() == 2);
  CHECK(c.status().blocked_entities == 2);
  CHECK(c.status().parked == 1);
}

TEST_CASE("retries come before batches; a resolved row unblocks its entity", "[projector_core]") {
  auto c = make();
  c.on_loaded(loaded(0, 10, {{sp_ves, {"order", "O1"}}}));
  CHECK(c.next(true, false) == job::retry);
  msg::dlq_entry e;
  e.entity_type = "order";
  e.entity_id = "O1";
  e.space = sp_ves;
  e.sequence_number = 4;
  auto req = c.make_retry(e);
  CHECK(req.checkpoint == 10);
  CHECK(req.stream == key());
  msg::dlq_retry_outcome out;
  out.entry = e;
  out.entry.status = msg::dlq_status::resolved;
  out.chain_resolved = 2;
  SECTION("chain done") {
    out.entity_clear = true;
    c.on_retry(out);
    CHECK(c.blocked(sp_ves).empty());
    CHECK(c.status().applied == 3);
    CHECK(c.checkpoint(sp_ves) == 10); // not moved
  }
  SECTION("a row behind failed on its own") {
    out.new_head = e;
    c.on_retry(out);
    CHECK(c.blocked(sp_ves).size() == 1);
  }
  SECTION("a storage failure interrupted the chain: reload") {
    out.chain_error = caf::make_error(errc::storage_unavailable, "down");
    c.on_retry(out);
    CHECK(c.next(false, false) == job::load);
  }
  SECTION("the retry failed again") {
    out.entry.status = msg::dlq_status::pending;
    c.on_retry(out);
    CHECK(c.blocked(sp_ves).size() == 1);
    CHECK(c.status().applied == 0);
  }
}

TEST_CASE("halt mode: no batch while halted; resume or a successful retry lifts it",
          "[projector_core]") {
  auto c = make(msg::blocking_mode::halt);
  c.on_loaded(loaded(0, 0));
  auto b = c.make_batch();
  CHECK(b.mode == msg::blocking_mode::halt);
  c.on_batch(b.space == sp_ves ? sp_legacy : sp_ves, outcome(0, 0, true)); // the other space
  auto o = outcome(2, 5, true);
  msg::projection_halt h;
  h.space = b.space;
  h.sequence_number = 3;
  h.dlq_id = msg::uuid::random_v4();
  h.entity = {"order", "O1"};
  o.halted = h;
  c.on_batch(b.space, o);
  c.on_committed(b.space, 9);
  REQUIRE(c.halted());
  CHECK(c.next(false, false) == job::none);
  CHECK(c.next(true, false) == job::retry);
  CHECK(c.next(false, true) == job::resume);
  auto st = c.status();
  CHECK(st.halted);
  CHECK(st.halted_sequence == 3);
  CHECK(st.halted_dlq_id == h.dlq_id);
  CHECK(st.checkpoints.legacy + st.checkpoints.ves == 2);
  SECTION("resume with the row still unresolved blocks the entity") {
    c.on_resumed(msg::halt_resumed{3, true});
    CHECK_FALSE(c.halted());
    CHECK(c.checkpoint(h.space) == 3);
    CHECK(c.blocked(h.space).count({"order", "O1"}) == 1);
    CHECK(c.next(false, false) == job::batch);
    CHECK(c.make_batch().from == 4);
  }
  SECTION("a retry of the halted row that fails keeps the halt") {
    msg::dlq_retry_outcome out;
    out.entry.id = h.dlq_id;
    out.entry.space = h.space;
    out.entry.sequence_number = 3;
    out.entry.entity_type = "order";
    out.entry.entity_id = "O1";
    out.entry.status = msg::dlq_status::pending;
    out.entry.message = "again";
    c.on_retry(out);
    REQUIRE(c.halted());
    CHECK(c.halt()->message == "again");
    CHECK(c.blocked(h.space).empty());
    SECTION("and one that succeeds lifts it and passes the event") {
      out.entry.status = msg::dlq_status::resolved;
      out.checkpoint_advanced = true;
      out.entity_clear = true;
      c.on_retry(out);
      CHECK_FALSE(c.halted());
      CHECK(c.checkpoint(h.space) == 3);
      CHECK(c.next(false, false) == job::batch);
    }
  }
}

TEST_CASE("a storage failure pauses batches until the back-off elapses", "[projector_core]") {
  auto c = make();
  c.on_loaded(loaded(0, 0));
  auto b = c.make_batch();
  auto o = outcome(3, 3, false);
  o.applied = 3;
  o.error = caf::make_error(errc::storage_unavailable, "down");
  c.on_batch(b.space, o);
  CHECK(c.checkpoint(b.space) == 3); // committed progress is kept
  CHECK(c.backing_off());
  CHECK(c.next(true, true) == job::none);
  c.backoff_elapsed();
  REQUIRE(c.next(false, false) == job::batch);
  auto other = c.make_batch(); // the other space's turn
  CHECK(other.space != b.space);
  CHECK(other.from == 1);
  c.on_batch(other.space, outcome(0, 0, true));
  CHECK(c.make_batch().from == 4);
  c.backoff();
  CHECK(c.next(false, false) == job::none);
}

TEST_CASE("an empty read below an announced head backs off instead of spinning",
          "[projector_core]") {
  auto c = make();
  c.on_loaded(loaded(0, 0));
  c.on_committed(sp_ves, 3);
  c.on_batch(sp_legacy, outcome(0, 0, true));
  c.on_batch(sp_ves, outcome(0, 0, true)); // a lagging replica: nothing yet
  CHECK(c.backing_off());
  c.backoff_elapsed();
  CHECK(c.next(false, false) == job::batch);
}

TEST_CASE("a reload refreshes checkpoints and blocked entities", "[projector_core]") {
  auto c = make();
  c.on_loaded(loaded(0, 0, {{sp_ves, {"order", "O1"}}}));
  CHECK(c.any_blocked());
  c.reload();
  CHECK(c.next(true, false) == job::load);
  c.on_loaded(loaded(2, 2));
  CHECK_FALSE(c.any_blocked());
  CHECK(c.next(true, false) == job::retry);
}
