// SPDX-License-Identifier: Apache-2.0
// Sequencer actor on the deterministic test coordinator, with real SQLite storage.
#define CAF_SUITE sequencer
#include "tests/actors/ingest_fixture.hpp"

using namespace seq;
using seq::test::iota_numbers;

namespace {

struct fixture : seq::test::ingest_fixture {
  caf::actor pool_gate;
  caf::actor seqr;

  /// Starts a sequencer whose verify pool is behind a closed gate and sends it request A (one
  /// event, numbered 1), which the gate holds.
  std::shared_ptr<seq::test::reply> hold_first_in_pool() {
    pool_gate = spawn_gate(spawn_pool());
    seqr = spawn_sequencer(pool_gate, spawn_writer());
    sched.run();
    gate_of(pool_gate).open = false;
    auto a = ingest(seqr, events(1, 0));
    sched.run();
    CAF_CHECK_EQUAL(gate_of(pool_gate).held.size(), 1u);
    return a;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(sequencer_tests, fixture)

CAF_TEST(interleaved requests are numbered in arrival order) {
  auto seqr = spawn_sequencer(spawn_pool(), spawn_writer());
  sched.run();
  std::vector<std::shared_ptr<seq::test::reply>> rs;
  for (int i = 0; i < 5; ++i)
    rs.push_back(ingest(seqr, events(2, 10 * i)));
  sched.run();
  for (size_t i = 0; i < rs.size(); ++i) {
    CAF_REQUIRE(rs[i]->done);
    CAF_REQUIRE(!rs[i]->err);
    CAF_CHECK_EQUAL(rs[i]->numbers(), iota_numbers(2 * i + 1, 2 * i + 2));
    CAF_CHECK_EQUAL(rs[i]->ves->head, 2 * i + 2);
  }
  CAF_CHECK_EQUAL(stored_numbers(), iota_numbers(1, 10));
  CAF_CHECK_EQUAL(metrics.events_accepted.load(), 10u);
  CAF_CHECK_EQUAL(metrics.queued_events.load(), 0);
}

CAF_TEST(a request verified early still waits for the requests that arrived before it) {
  auto a = hold_first_in_pool();
  gate_of(pool_gate).open = true; // B passes, A stays held
  auto b = ingest(seqr, events(2, 1));
  sched.run();
  CAF_CHECK(!b->done);
  CAF_CHECK_EQUAL(seq_state(seqr).queue.size(), 2u);
  CAF_CHECK(!seq_state(seqr).queue.front().ready);
  CAF_CHECK(seq_state(seqr).queue.back().ready);
  self->send(pool_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(a->done && b->done);
  CAF_CHECK_EQUAL(a->numbers(), iota_numbers(1, 1));
  CAF_CHECK_EQUAL(b->numbers(), iota_numbers(2, 3));
  CAF_CHECK_EQUAL(faults->commits(), (std::vector<size_t>{3}));
}

CAF_TEST(requests arriving during a write go into the next single transaction) {
  auto writer_gate = spawn_gate(spawn_writer());
  auto seqr = spawn_sequencer(spawn_pool(), writer_gate);
  sched.run();
  CAF_REQUIRE(seq_state(seqr).loaded);
  gate_of(writer_gate).open = false;
  auto a = ingest(seqr, events(1, 0));
  sched.run();
  CAF_CHECK(seq_state(seqr).writing);
  CAF_CHECK_EQUAL(gate_of(writer_gate).held.size(), 1u);
  auto b = ingest(seqr, events(2, 1));
  auto c = ingest(seqr, events(1, 3));
  sched.run();
  CAF_CHECK(!a->done && !b->done && !c->done);
  // B and C are planned (numbered, receipts signed) while A is written.
  CAF_CHECK(seq_state(seqr).queue.empty());
  CAF_CHECK_EQUAL(seq_state(seqr).next.size(), 2u);
  CAF_CHECK(seq_state(seqr).next_plan != nullptr);
  CAF_CHECK_EQUAL(seq_state(seqr).queued_events, 3u);
  CAF_CHECK_EQUAL(seq_state(seqr).in_flight_events, 1u);
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(a->done && b->done && c->done);
  CAF_CHECK_EQUAL(a->numbers(), iota_numbers(1, 1));
  CAF_CHECK_EQUAL(b->numbers(), iota_numbers(2, 3));
  CAF_CHECK_EQUAL(c->numbers(), iota_numbers(4, 4));
  CAF_CHECK_EQUAL(b->ves->head, 3u);
  CAF_CHECK_EQUAL(c->ves->head, 4u);
  // Two transactions: A alone, then B and C together.
  CAF_CHECK_EQUAL(faults->commits(), (std::vector<size_t>{1, 3}));
  CAF_CHECK_EQUAL(metrics.group_commit_events.count.load(), 2u);
  CAF_CHECK_EQUAL(metrics.group_commit_events.buckets[0].load(), 1u); // size 1
  CAF_CHECK_EQUAL(metrics.group_commit_events.buckets[2].load(), 1u); // size 3 (<= 4)
}

CAF_TEST(groups are capped at group_commit_max_events) {
  cfg.group_commit_max_events = 3;
  cfg_ptr = std::make_shared<const actors::ingest_config>(cfg);
  auto writer_gate = spawn_gate(spawn_writer());
  auto seqr = spawn_sequencer(spawn_pool(), writer_gate);
  sched.run();
  gate_of(writer_gate).open = false;
  auto a = ingest(seqr, events(1, 0));
  sched.run();
  auto b = ingest(seqr, events(2, 1));
  auto c = ingest(seqr, events(2, 3));
  sched.run();
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(a->done && b->done && c->done);
  CAF_CHECK_EQUAL(c->numbers(), iota_numbers(4, 5));
  CAF_CHECK_EQUAL(faults->commits(), (std::vector<size_t>{1, 2, 2}));
}

CAF_TEST(a failed write fails exactly its requests and leaves no gap) {
  auto writer_gate = spawn_gate(spawn_writer());
  auto seqr = spawn_sequencer(spawn_pool(), writer_gate);
  sched.run();
  auto first = ingest(seqr, events(2, 0));
  sched.run();
  CAF_CHECK_EQUAL(first->numbers(), iota_numbers(1, 2));
  // The next write fails; a request that arrives meanwhile is not part of it.
  faults->fail_next_commits(1, errc::storage_unavailable);
  gate_of(writer_gate).open = false;
  auto doomed = ingest(seqr, events(3, 10));
  sched.run();
  auto later = ingest(seqr, events(1, 20));
  sched.run();
  CAF_CHECK_EQUAL(seq_state(seqr).next.size(), 1u); // planned as 6, on top of the doomed group
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(doomed->done);
  CAF_CHECK_EQUAL(doomed->err, errc::storage_unavailable);
  CAF_REQUIRE(later->done);
  CAF_REQUIRE(!later->err);
  // The sequencer reloaded its head (2) before writing again: 3, not 6.
  CAF_CHECK_EQUAL(later->numbers(), iota_numbers(3, 3));
  auto next = ingest(seqr, events(2, 30));
  sched.run();
  CAF_CHECK_EQUAL(next->numbers(), iota_numbers(4, 5));
  CAF_CHECK_EQUAL(stored_numbers(), iota_numbers(1, 5));
  CAF_CHECK_EQUAL(metrics.write_failures.load(), 1u);
  CAF_CHECK_EQUAL(metrics.requests_failed.load(), 1u);
}

CAF_TEST(a group storage refuses is written again one request at a time) {
  auto writer_gate = spawn_gate(spawn_writer());
  auto seqr = spawn_sequencer(spawn_pool(), writer_gate);
  sched.run();
  auto first = ingest(seqr, events(1, 0));
  sched.run();
  CAF_CHECK_EQUAL(first->numbers(), iota_numbers(1, 1));
  // While `held` is written, three requests queue up; the middle one carries a value storage
  // refuses, so their group of three fails.
  faults->refused_entity = "SKU-BAD";
  gate_of(writer_gate).open = false;
  auto held = ingest(seqr, events(1, 1));
  sched.run();
  auto a = ingest(seqr, {make_event(2, "SKU-A"), make_event(3, "SKU-A")});
  auto bad = ingest(seqr, {make_event(4, "SKU-OK"), make_event(5, "SKU-BAD")});
  auto c = ingest(seqr, {make_event(6, "SKU-C")});
  sched.run();
  CAF_CHECK(!a->done && !bad->done && !c->done);
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(held->done && a->done && bad->done && c->done);
  CAF_CHECK_EQUAL(held->numbers(), iota_numbers(2, 2));
  CAF_REQUIRE(!a->err);
  CAF_CHECK_EQUAL(a->numbers(), iota_numbers(3, 4));
  CAF_CHECK_EQUAL(bad->err, errc::storage_failure);
  CAF_REQUIRE(!c->err);
  CAF_CHECK_EQUAL(c->numbers(), iota_numbers(5, 5));
  CAF_CHECK_EQUAL(c->ves->head, 5u);
  // The group of three (failed), then one group per request; the refused one failed again.
  CAF_CHECK_EQUAL(faults->failed_commits, 2u);
  CAF_CHECK_EQUAL(faults->commits(), (std::vector<size_t>{1, 1, 2, 1}));
  CAF_CHECK_EQUAL(stored_numbers(), iota_numbers(1, 5));
  CAF_CHECK_EQUAL(metrics.requests_failed.load(), 1u);
  CAF_CHECK_EQUAL(metrics.queued_events.load(), 0);
  CAF_CHECK_EQUAL(seq_state(seqr).isolate, 0u);
  // Back to group commits: two requests that arrive during a write share the next one.
  gate_of(writer_gate).open = false;
  auto d = ingest(seqr, events(1, 7));
  sched.run();
  auto e = ingest(seqr, events(1, 8));
  auto f = ingest(seqr, events(2, 9));
  sched.run();
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(d->done && e->done && f->done);
  CAF_CHECK_EQUAL(f->numbers(), iota_numbers(8, 9));
  CAF_CHECK_EQUAL(faults->commits(), (std::vector<size_t>{1, 1, 2, 1, 1, 3}));
}

CAF_TEST(a reload that fails after a refused group answers its requests and ends the isolation) {
  auto writer_gate = spawn_gate(spawn_writer());
  auto seqr = spawn_sequencer(spawn_pool(), writer_gate);
  sched.run();
  faults->refused_entity = "SKU-BAD";
  gate_of(writer_gate).open = false;
  auto held = ingest(seqr, events(1, 0));
  sched.run();
  auto a = ingest(seqr, {make_event(1, "SKU-A")});
  auto bad = ingest(seqr, {make_event(2, "SKU-BAD")});
  sched.run();
  faults->fail_loads = 1; // the reload after the refused group of two
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(held->done && a->done && bad->done);
  CAF_CHECK_EQUAL(held->numbers(), iota_numbers(1, 1));
  CAF_CHECK_EQUAL(a->err, errc::storage_unavailable);
  CAF_CHECK_EQUAL(bad->err, errc::storage_unavailable);
  CAF_CHECK_EQUAL(seq_state(seqr).isolate, 0u);
  CAF_CHECK_EQUAL(metrics.queued_events.load(), 0);
  // The sequencer loads again after reload_retry; then requests share groups as before.
  advance_time(std::chrono::seconds{1});
  sched.run();
  CAF_REQUIRE(seq_state(seqr).loaded);
  gate_of(writer_gate).open = false;
  auto c = ingest(seqr, events(1, 3));
  sched.run();
  auto d = ingest(seqr, events(1, 4));
  auto e = ingest(seqr, events(1, 5));
  sched.run();
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(c->done && d->done && e->done);
  CAF_CHECK_EQUAL(e->numbers(), iota_numbers(4, 4));
  CAF_CHECK_EQUAL(faults->commits(), (std::vector<size_t>{1, 1, 2}));
}

CAF_TEST(a conflict that never resolves fails the group after the retry limit) {
  cfg.max_conflict_retries = 3;
  cfg_ptr = std::make_shared<const actors::ingest_config>(cfg);
  auto seqr = spawn_sequencer(spawn_pool(), spawn_writer());
  sched.run();
  faults->fail_next_commits(4, errc::storage_conflict);
  auto a = ingest(seqr, events(2));
  sched.run();
  CAF_REQUIRE(a->done);
  CAF_CHECK_EQUAL(a->err, errc::storage_unavailable);
  CAF_CHECK_EQUAL(faults->failed_commits, 4u); // first try + 3 re-plans
  CAF_CHECK_EQUAL(metrics.write_conflicts.load(), 3u);
  auto b = ingest(seqr, events(1, 5));
  sched.run();
  CAF_REQUIRE(b->done && !b->err);
  CAF_CHECK_EQUAL(b->numbers(), iota_numbers(1, 1));
}

CAF_TEST(a second owner of the stream is fenced by storage and re-plans without a gap) {
  auto pool = spawn_pool();
  auto writer = spawn_writer();
  auto one = spawn_sequencer(pool, writer);
  auto two = spawn_sequencer(pool, writer); // e.g. a partitioned cluster node
  sched.run();
  auto a = ingest(one, {make_event(1, "SKU-1")});
  sched.run();
  CAF_CHECK_EQUAL(a->numbers(), iota_numbers(1, 1));
  // `two` still believes head = 0 and SKU-1 is at version 0.
  auto b = ingest(two, {make_event(2, "SKU-1"), make_event(3, "SKU-2")});
  sched.run();
  CAF_REQUIRE(b->done);
  CAF_REQUIRE(!b->err);
  CAF_CHECK_EQUAL(b->numbers(), iota_numbers(2, 3));
  CAF_CHECK_EQUAL(faults->conflicts, 1u);
  CAF_CHECK_EQUAL(metrics.write_conflicts.load(), 1u);
  CAF_CHECK_EQUAL(stored_numbers(), iota_numbers(1, 3));
  CAF_CHECK_EQUAL(seq_state(two).st->version({"Item", "SKU-1"}), 2);
}

CAF_TEST(a group planned during a write that meets a conflict is planned again after it) {
  auto writer = spawn_writer();
  auto writer_gate = spawn_gate(writer);
  auto one = spawn_sequencer(spawn_pool(), writer);
  auto two = spawn_sequencer(spawn_pool(), writer_gate);
  sched.run();
  auto a = ingest(one, {make_event(1, "SKU-1")});
  sched.run();
  CAF_CHECK_EQUAL(a->numbers(), iota_numbers(1, 1));
  // `two` believes head = 0: it plans B as 1 and, while B is held, C as 2 and 3 with SKU-1's
  // version as B leaves it.
  gate_of(writer_gate).open = false;
  auto b = ingest(two, {make_event(2, "SKU-1")});
  sched.run();
  auto c = ingest(two, {make_event(3, "SKU-1"), make_event(4, "SKU-2")});
  sched.run();
  CAF_CHECK_EQUAL(seq_state(two).next.size(), 1u);
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(b->done && c->done);
  CAF_REQUIRE(!b->err);
  CAF_REQUIRE(!c->err);
  CAF_CHECK_EQUAL(b->numbers(), iota_numbers(2, 2));
  CAF_CHECK_EQUAL(c->numbers(), iota_numbers(3, 4));
  CAF_CHECK_EQUAL(faults->conflicts, 1u);
  CAF_CHECK_EQUAL(faults->commits(), (std::vector<size_t>{1, 1, 2}));
  CAF_CHECK_EQUAL(stored_numbers(), iota_numbers(1, 4));
  CAF_CHECK_EQUAL(seq_state(two).st->version({"Item", "SKU-1"}), 3);
  CAF_CHECK(seq_state(two).next.empty());
  CAF_CHECK_EQUAL(metrics.queued_events.load(), 0);
}

CAF_TEST(an exact replay of an event still being written waits for its commit) {
  auto writer_gate = spawn_gate(spawn_writer());
  auto seqr = spawn_sequencer(spawn_pool(), writer_gate);
  sched.run();
  auto e = make_event(1);
  gate_of(writer_gate).open = false;
  auto a = ingest(seqr, {e});
  sched.run();
  auto replay = ingest(seqr, {e});
  sched.run();
  CAF_CHECK(!replay->done); // planned ahead as a replay, answered only after A committed
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(a->done && replay->done);
  CAF_REQUIRE(!a->err);
  CAF_REQUIRE(!replay->err);
  CAF_CHECK_EQUAL(replay->ves->accepted, 0u);
  CAF_REQUIRE_EQUAL(replay->ves->receipts.size(), 1u);
  CAF_CHECK_EQUAL(replay->ves->receipts[0].receipt_hash, a->ves->receipts[0].receipt_hash);
  CAF_CHECK_EQUAL(faults->commits(), (std::vector<size_t>{1}));
  // If A's write fails, the replay is planned again: as a new event.
  faults->fail_next_commits(1, errc::storage_unavailable);
  gate_of(writer_gate).open = false;
  auto f = make_event(2);
  auto doomed = ingest(seqr, {f});
  sched.run();
  auto retry = ingest(seqr, {f});
  sched.run();
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(doomed->done && retry->done);
  CAF_CHECK_EQUAL(doomed->err, errc::storage_unavailable);
  CAF_REQUIRE(!retry->err);
  CAF_CHECK_EQUAL(retry->ves->accepted, 1u);
  CAF_CHECK_EQUAL(retry->numbers(), iota_numbers(2, 2));
  CAF_CHECK_EQUAL(stored_numbers(), iota_numbers(1, 2));
}

CAF_TEST(an exact replay unknown to a fresh sequencer is recognised via the conflict report) {
  auto pool = spawn_pool();
  auto writer = spawn_writer();
  auto one = spawn_sequencer(pool, writer);
  sched.run();
  auto e = make_event(1);
  auto a = ingest(one, {e});
  sched.run();
  CAF_REQUIRE(a->done && !a->err);
  auto fresh = spawn_sequencer(pool, writer);
  sched.run();
  CAF_CHECK(!seq_state(fresh).st->knows_ves_event(e.ev.event_id));
  auto tampered = e;
  tampered.payload = *ves::json::try_parse("{\"n\":2}");
  auto b = ingest(fresh, {e, make_event(5)});
  sched.run();
  CAF_REQUIRE(b->done && !b->err);
  CAF_REQUIRE_EQUAL(b->ves->receipts.size(), 2u);
  CAF_CHECK_EQUAL(b->ves->receipts[0].receipt_hash, a->ves->receipts[0].receipt_hash);
  CAF_CHECK_EQUAL(b->ves->receipts[1].sequence_number, 2u);
  CAF_CHECK_EQUAL(b->ves->accepted, 1u);
  auto c = ingest(fresh, {tampered});
  sched.run();
  CAF_REQUIRE(c->done && !c->err);
  CAF_REQUIRE_EQUAL(c->ves->rejections.size(), 1u);
  CAF_CHECK_EQUAL(c->ves->rejections[0].reason, "duplicate_event_id");
  CAF_CHECK_EQUAL(stored_numbers(), iota_numbers(1, 2));
}

CAF_TEST(a retry a fresh sequencer would reject for its version or command gets its receipt) {
  auto pool = spawn_pool();
  auto writer = spawn_writer();
  auto one = spawn_sequencer(pool, writer);
  sched.run();
  auto cmd = msg::uuid::random_v4();
  auto versioned = make_event(1, "SKU-1", std::nullopt, 0);
  auto commanded = make_event(2, "SKU-2", cmd);
  auto a = ingest(one, {versioned, commanded});
  sched.run();
  CAF_REQUIRE(a->done && !a->err);
  CAF_REQUIRE_EQUAL(a->ves->accepted, 2u);
  // A fresh sequencer (a restart: nothing cached) has SKU-1 at version 1, so the retry's
  // base_version 0 conflicts; it learns C2 from a new event that reuses it, then sees the
  // retry of the event that holds C2. Both retries are stored events: their receipts.
  auto fresh = spawn_sequencer(pool, writer);
  sched.run();
  auto reuse = ingest(fresh, {make_event(3, "SKU-3", cmd)});
  sched.run();
  CAF_REQUIRE(reuse->done && !reuse->err);
  CAF_REQUIRE_EQUAL(reuse->ves->rejections.size(), 1u);
  CAF_CHECK_EQUAL(reuse->ves->rejections[0].reason, "duplicate_command_id");
  auto stale = make_event(4, "SKU-1", std::nullopt, 0);
  auto b = ingest(fresh, {versioned, commanded, stale});
  sched.run();
  CAF_REQUIRE(b->done && !b->err);
  CAF_REQUIRE_EQUAL(b->ves->receipts.size(), 2u);
  CAF_CHECK_EQUAL(b->ves->receipts[0].receipt_hash, a->ves->receipts[0].receipt_hash);
  CAF_CHECK_EQUAL(b->ves->receipts[1].receipt_hash, a->ves->receipts[1].receipt_hash);
  CAF_CHECK_EQUAL(b->ves->accepted, 0u);
  CAF_REQUIRE_EQUAL(b->ves->rejections.size(), 1u);
  CAF_CHECK_EQUAL(b->ves->rejections[0].event_id, stale.ev.event_id);
  CAF_CHECK_EQUAL(b->ves->rejections[0].reason, "version_conflict: expected 0, actual 1");
  CAF_CHECK_EQUAL(b->ves->head, 2u);
  CAF_CHECK_EQUAL(stored_numbers(), iota_numbers(1, 2));
}

CAF_TEST(a replay of a stored event gets its receipt even after its key was revoked) {
  auto seqr = spawn_sequencer(spawn_pool(), spawn_writer());
  sched.run();
  auto e = make_event(1);
  auto a = ingest(seqr, {e});
  sched.run();
  CAF_REQUIRE(a->done && !a->err);
  revoke_agent_key();
  // A fresh sequencer and a fresh verify pool: nothing cached anywhere.
  auto other = spawn_sequencer(spawn_pool(), spawn_writer());
  sched.run();
  auto replay_then_new = ingest(other, {e, make_event(2)});
  sched.run();
  CAF_REQUIRE(replay_then_new->done && !replay_then_new->err);
  const auto& out = *replay_then_new->ves;
  CAF_REQUIRE_EQUAL(out.receipts.size(), 1u);
  CAF_CHECK_EQUAL(out.receipts[0].receipt_hash, a->ves->receipts[0].receipt_hash);
  CAF_REQUIRE_EQUAL(out.rejections.size(), 1u);
  CAF_CHECK_EQUAL(out.rejections[0].reason, "agent_key_invalid: Agent key has been revoked");
  CAF_CHECK_EQUAL(out.accepted, 0u);
  auto changed = e;
  changed.ev.agent_signature[0] ^= 1;
  auto c = ingest(other, {changed});
  sched.run();
  CAF_REQUIRE(c->done && !c->err);
  CAF_REQUIRE_EQUAL(c->ves->rejections.size(), 1u);
  CAF_CHECK_EQUAL(c->ves->rejections[0].message,
                  "Event ID already exists with different contents");
  CAF_CHECK_EQUAL(stored_numbers(), iota_numbers(1, 1));
}

CAF_TEST(legacy events are numbered in their own space) {
  auto seqr = spawn_sequencer(spawn_pool(), spawn_writer());
  sched.run();
  auto v = ingest(seqr, events(2));
  auto l = ingest_legacy(seqr, 3);
  sched.run();
  CAF_REQUIRE(v->done && l->done);
  CAF_REQUIRE(!l->err);
  CAF_CHECK_EQUAL(l->legacy->accepted, 3u);
  CAF_CHECK_EQUAL(*l->legacy->sequence_start, 1u);
  CAF_CHECK_EQUAL(*l->legacy->sequence_end, 3u);
  CAF_CHECK_EQUAL(l->legacy->head, 3u);
  CAF_CHECK_EQUAL(v->numbers(), iota_numbers(1, 2));
  auto db = direct_store();
  auto heads = db->load_heads(stream);
  CAF_REQUIRE(heads);
  CAF_CHECK_EQUAL(heads->legacy, 3u);
  CAF_CHECK_EQUAL(heads->ves, 2u);
}

CAF_TEST(too much queued work is refused with overloaded) {
  cfg.max_queued_events = 3;
  cfg_ptr = std::make_shared<const actors::ingest_config>(cfg);
  auto writer_gate = spawn_gate(spawn_writer());
  auto seqr = spawn_sequencer(spawn_pool(), writer_gate);
  sched.run();
  gate_of(writer_gate).open = false;
  auto a = ingest(seqr, events(2));
  sched.run();
  auto b = ingest(seqr, events(2, 5));
  sched.run();
  CAF_REQUIRE(b->done);
  CAF_CHECK_EQUAL(b->err, errc::overloaded);
  CAF_CHECK(!a->done);
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_CHECK(a->done && !a->err);
}

CAF_TEST(batches the transport verified skip the verify pool but keep arrival order) {
  auto a = hold_first_in_pool(); // A goes through the pool and is held there
  // B was verified on the transport's thread with a cached agent key.
  auto keys = actors::make_key_cache(cfg);
  auto db = direct_store();
  CAF_REQUIRE(keys->get(stream.tenant_id, agent, 1, actors::key_cache::clock::now(),
                        [&] { return db->get_agent_key(stream.tenant_id, agent, 1); }));
  auto evs = events(2, 1);
  auto verified = actors::verify_ves_here(evs, *keys, &metrics);
  CAF_REQUIRE(verified != nullptr);
  auto b = ingest(seqr, msg::ingest_ves{stream, nullptr, verified});
  // C is legacy, verified on the transport's thread too.
  auto c = ingest_legacy(seqr, 2, /*preverified=*/true);
  sched.run();
  CAF_CHECK_EQUAL(gate_of(pool_gate).held.size(), 1u); // B and C never asked the pool
  CAF_CHECK(!b->done && !c->done);                      // but wait for A
  CAF_CHECK(seq_state(seqr).queue.back().ready);
  self->send(pool_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(a->done && b->done && c->done);
  CAF_REQUIRE(!a->err && !b->err && !c->err);
  CAF_CHECK_EQUAL(a->numbers(), iota_numbers(1, 1));
  CAF_CHECK_EQUAL(b->numbers(), iota_numbers(2, 3));
  CAF_CHECK_EQUAL(c->legacy->accepted, 2u);
  CAF_CHECK_EQUAL(stored_numbers(), iota_numbers(1, 3));
  CAF_CHECK_EQUAL(gate_of(pool_gate).passed, 1u);
  CAF_CHECK_EQUAL(metrics.queued_events.load(), 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
