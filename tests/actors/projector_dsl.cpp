// SPDX-License-Identifier: Apache-2.0
// The projector as a stream companion, on the deterministic test coordinator: real events
// (SQLite) flow from the sequencer through the supervisor's events_committed into the
// projector, which applies them through a projection I/O worker to the in-memory
// projection_store TEST DOUBLE.
#define CAF_SUITE projector
#include "tests/actors/projection_fixture.hpp"

using namespace seq;
using namespace std::chrono_literals;
using test::domain_event;

namespace {

struct fixture : test::projection_fixture {
  /// Kills the current projector and runs until the supervisor's respawn settled.
  caf::actor crash_projector() {
    auto old = projector();
    caf::anon_send_exit(old, caf::exit_reason::kill);
    sched.run();
    auto fresh = projector();
    CAF_REQUIRE(fresh);
    CAF_REQUIRE_NOT_EQUAL(fresh, old);
    return fresh;
  }
};

const std::string order_c1 = R"({"customer_id":"C1"})";

} // namespace

CAF_TEST_FIXTURE_SCOPE(projector_tests, fixture)

CAF_TEST(events_committed reaches the projector through the supervisor) {
  start_projection();
  spawn_registry();
  iogate().open = false; // the projector cannot read yet: what it knows came from the supervisor
  ingest_ves({{"order", "O1", "order.created", order_c1}, {"order", "O1", "order.confirmed"}});
  auto st = status();
  CAF_CHECK_EQUAL(st.known_head_ves, 2u);
  CAF_CHECK_EQUAL(st.checkpoints.ves, 0u);
  CAF_CHECK(!st.loaded);
  CAF_CHECK(!row("order", "O1"));
  // Adapters reach the companion through the registry.
  auto p = ask<caf::actor>(registry, msg::get_companion{stream, "projector"});
  auto none = ask<caf::actor>(registry, msg::get_companion{stream, "committer"});
  sched.run();
  CAF_REQUIRE(p->done && p->value);
  CAF_CHECK_EQUAL(*p->value, projector());
  CAF_REQUIRE(none->done);
  CAF_CHECK_EQUAL(none->err, errc::not_found);
  self->send(io_gate_a, caf::put_atom_v, true);
  sched.run();
  st = status();
  CAF_CHECK(st.loaded);
  CAF_CHECK_EQUAL(st.checkpoints.ves, 2u);
  CAF_CHECK_EQUAL(st.applied, 2u);
  CAF_CHECK_EQUAL(field("order", "O1", "status"), "confirmed");
  CAF_CHECK_EQUAL(version("order", "O1"), 2);
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 2u);
  CAF_CHECK_EQUAL(pmetrics.events_applied.load(), 2u);
  // The supervisor handed over the committed group: the batch was projected from it.
  CAF_CHECK_EQUAL(pmetrics.events_fed.load(), 2u);
  CAF_CHECK_EQUAL(pstate().feed.held(sp_ves), 0u);
  // The next commit is projected as soon as it is announced.
  ingest_ves({{"order", "O1", "order.processing"}});
  CAF_CHECK_EQUAL(field("order", "O1", "status"), "processing");
  CAF_CHECK_EQUAL(status().known_head_ves, 3u);
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 3u);
  CAF_CHECK_EQUAL(pmetrics.events_fed.load(), 3u);
}

CAF_TEST(a partial batch of a busy stream lingers and a full one goes at once) {
  start_projection(msg::blocking_mode::park, 20ms, 3);
  spawn_registry();
  // A quiet stream: its first event is projected at once.
  ingest_ves({{"order", "O1", "order.created", order_c1}});
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 1u);
  // Less than 20 ms after that batch: one event waits for more.
  ingest_ves({{"order", "O1", "order.confirmed"}});
  CAF_CHECK_EQUAL(status().known_head_ves, 2u);
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 1u);
  CAF_CHECK(!pstate().busy);
  CAF_CHECK(pstate().linger_timer);
  // Three behind make a full batch, which goes at once.
  ingest_ves({{"product", "P1", "product.created"}, {"product", "P2", "product.created"}});
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 4u);
  CAF_CHECK_EQUAL(field("order", "O1", "status"), "confirmed");
  // The next partial batch waits until 20 ms after the end of the previous batch (the
  // wake-up armed for the first wait is still pending), not 20 ms from its own commit.
  advance_time(10ms);
  sched.run();
  ingest_ves({{"order", "O1", "order.processing"}});
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 4u);
  advance_time(9ms);
  sched.run();
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 4u);
  advance_time(1ms);
  sched.run();
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 5u);
  CAF_CHECK_EQUAL(field("order", "O1", "status"), "processing");
  CAF_CHECK(!pstate().linger_timer);
  // A lingering projector does not stop for idleness; once caught up it does.
  ingest_ves({{"order", "O1", "order.shipped"}});
  CAF_CHECK(pstate().linger_timer);
  advance_time(cfg.companion_idle_stop / 2);
  sched.run();
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 6u);
  CAF_CHECK_EQUAL(field("order", "O1", "status"), "shipped");
  advance_time(cfg.companion_idle_stop * 2);
  sched.run();
  CAF_CHECK(!projector());
  CAF_CHECK_EQUAL(pmetrics.events_applied.load(), 6u);
  // One batch per space at the start (each reads to its end), then 3, 1 and 1 events.
  CAF_CHECK_EQUAL(pmetrics.batches.load(), 5u);
}

CAF_TEST(legacy and VES events share an entity and have their own checkpoints) {
  start_projection();
  spawn_registry();
  ingest_legacy_events({{"customer", "C1", "customer.created", R"({"email":"a@x.io"})"},
                        {"Item", "I1", "Created"}});
  ingest_ves({{"customer", "C1", "customer.updated", R"({"name":"Ann"})", 1},
              {"customer", "C1", "customer.feedback_given"}});
  auto st = status();
  CAF_CHECK_EQUAL(st.checkpoints.legacy, 2u);
  CAF_CHECK_EQUAL(st.checkpoints.ves, 2u);
  CAF_CHECK_EQUAL(st.applied, 2u);
  CAF_CHECK_EQUAL(st.skipped, 2u);
  CAF_CHECK_EQUAL(field("customer", "C1", "name"), "Ann");
  CAF_CHECK_EQUAL(version("customer", "C1"), 2);
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).legacy, 2u);
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 2u);
  CAF_CHECK_EQUAL(pmetrics.events_skipped.load(), 2u);
}

CAF_TEST(the checkpoint survives a projector restart) {
  start_projection();
  spawn_registry();
  ingest_ves({{"order", "O1", "order.created", order_c1},
              {"order", "O1", "order.confirmed"},
              {"order", "O1", "order.processing"}});
  CAF_REQUIRE_EQUAL(pdb->checkpoint(stream).ves, 3u);
  auto steps = pdb->step_count();
  CAF_CHECK_EQUAL(steps, 3u);
  // A restart loads checkpoint 3 and applies nothing again.
  crash_projector();
  CAF_CHECK(status().loaded);
  CAF_CHECK_EQUAL(status().checkpoints.ves, 3u);
  CAF_CHECK_EQUAL(status().applied, 0u);
  CAF_CHECK_EQUAL(pdb->step_count(), steps);
  CAF_CHECK_EQUAL(version("order", "O1"), 3);
  // A crash with a batch in flight: the batch still completes on the stream's worker, and
  // the new projector loads only after it, so nothing is applied twice or skipped.
  iogate().open = false;
  ingest_ves({{"order", "O1", "order.shipped"}, {"order", "O1", "order.delivered"}});
  CAF_CHECK_EQUAL(iogate().held.size(), 1u); // the batch 4..5
  crash_projector();
  CAF_CHECK_EQUAL(iogate().held.size(), 2u); // + the new projector's load
  CAF_CHECK(!status().loaded);
  self->send(io_gate_a, caf::put_atom_v, true);
  sched.run();
  CAF_CHECK_EQUAL(status().checkpoints.ves, 5u);
  CAF_CHECK_EQUAL(status().applied, 0u); // the new projector found nothing left to do
  CAF_CHECK_EQUAL(pdb->step_count(), 5u);
  CAF_CHECK_EQUAL(version("order", "O1"), 5);
  CAF_CHECK_EQUAL(field("order", "O1", "status"), "delivered");
  CAF_CHECK_EQUAL(supervisor().restarts, 0u); // companions do not count as sequencer restarts
  // A restart while behind catches up from storage: the committed groups the old projector
  // held are gone with it.
  iogate().open = false;
  ingest_ves({{"product", "P1", "product.created"}, {"product", "P2", "product.created"}});
  CAF_CHECK_EQUAL(pstate().feed.held(sp_ves), 2u);
  iogate().held.clear(); // that batch is lost with the crash below
  auto fed = pmetrics.events_fed.load();
  crash_projector();
  self->send(io_gate_a, caf::put_atom_v, true);
  sched.run();
  CAF_CHECK_EQUAL(status().checkpoints.ves, 7u);
  CAF_CHECK_EQUAL(status().applied, 2u);
  CAF_CHECK_EQUAL(pmetrics.events_fed.load(), fed);
  CAF_CHECK_EQUAL(version("product", "P1"), 1);
  CAF_CHECK_EQUAL(version("product", "P2"), 1);
}

CAF_TEST(a storage failure pauses the projector and it goes on where it stopped) {
  start_projection();
  spawn_registry();
  pdb->fail_next_steps(1, errc::storage_unavailable);
  ingest_ves({{"product", "P1", "product.created"}, {"product", "P2", "product.created"}});
  CAF_CHECK(pstate().core->backing_off());
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 0u);
  CAF_CHECK_EQUAL(pmetrics.storage_errors.load(), 1u);
  advance_time(1s);
  sched.run();
  CAF_CHECK(!pstate().core->backing_off());
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 2u);
  CAF_CHECK_EQUAL(version("product", "P1"), 1);
  CAF_CHECK_EQUAL(version("product", "P2"), 1);
}

CAF_TEST(an entity blocked behind a parked event waits while other entities go on) {
  start_projection();
  spawn_registry();
  auto retry = spawn_retry();
  ingest_ves({{"order", "O1", "order.confirmed"}, // no such order yet: parked
              {"order", "O2", "order.created", order_c1},
              {"order", "O1", "order.processing"}, // waits behind it
              {"order", "O2", "order.confirmed"}});
  auto head = ves_id(1);
  auto behind = ves_id(3);
  CAF_CHECK_EQUAL(field("order", "O2", "status"), "confirmed");
  CAF_CHECK(!row("order", "O1"));
  CAF_CHECK_EQUAL(status().checkpoints.ves, 4u);
  CAF_CHECK_EQUAL(status().blocked_entities, 1u);
  CAF_CHECK_EQUAL(status().parked, 1u);
  CAF_CHECK_EQUAL(status().blocked_behind, 1u);
  auto h = entry(head);
  CAF_CHECK_EQUAL(h.reason, msg::dlq_reason::handler_error);
  CAF_CHECK_EQUAL(h.status, msg::dlq_status::pending);
  CAF_CHECK_EQUAL(*h.next_retry_at, epoch + 60'000'000);
  auto b = entry(behind);
  CAF_CHECK(b.blocked_behind);
  CAF_CHECK(!b.next_retry_at);
  // It cannot be retried before the row it waits behind.
  auto refused = ask<msg::dlq_entry>(retry, msg::retry_dlq{behind, "op"});
  sched.run();
  CAF_REQUIRE(refused->done);
  CAF_CHECK_EQUAL(refused->err, errc::invalid_request);
  CAF_CHECK_EQUAL(entry(behind).status, msg::dlq_status::pending);
  CAF_CHECK(!entry(behind).next_retry_at);
  // The order is created through the legacy API: VES rows do not hold back legacy events.
  ingest_legacy_events({{"order", "O1", "order.created", order_c1}});
  CAF_CHECK_EQUAL(field("order", "O1", "status"), "pending");
  // At its retry time the parked event applies, then the one behind it, in order.
  advance_to(epoch + 60'000'000);
  CAF_CHECK_EQUAL(entry(head).status, msg::dlq_status::resolved);
  CAF_CHECK_EQUAL(entry(behind).status, msg::dlq_status::resolved);
  CAF_CHECK_EQUAL(field("order", "O1", "status"), "processing");
  CAF_CHECK_EQUAL(version("order", "O1"), 3);
  auto o1 = row("order", "O1");
  CAF_REQUIRE(o1);
  CAF_CHECK_EQUAL(o1->last_sequence, 3u);
  CAF_CHECK_EQUAL(status().blocked_entities, 0u);
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 4u); // never moved backwards
  CAF_CHECK_EQUAL(pmetrics.retries_attempted.load(), 2u); // the refused one and this one
  CAF_CHECK_EQUAL(pmetrics.retries_not_run.load(), 1u);
  CAF_CHECK_EQUAL(pmetrics.retries_succeeded.load(), 1u);
  CAF_CHECK_EQUAL(pmetrics.chain_resolved.load(), 1u);
  CAF_CHECK_EQUAL(pdb->audit_count("dlq_retry"), 2u);
  CAF_CHECK_EQUAL(pdb->audit_count("dlq_resolve"), 2u);
  // The entity is free again: its next event applies at once.
  ingest_ves({{"order", "O1", "order.shipped"}});
  CAF_CHECK_EQUAL(field("order", "O1", "status"), "shipped");
  CAF_CHECK_EQUAL(pdb->entries().size(), 2u);
}

CAF_TEST(halt mode stops the stream at a failed event until an operator resumes it) {
  start_projection(msg::blocking_mode::halt);
  spawn_registry();
  ingest_ves({{"order", "O1", "order.created", order_c1},
              {"order", "O1", "order.shipped"}, // pending → shipped: invalid, dead at once
              {"product", "P1", "product.created"}});
  auto bad = ves_id(2);
  auto st = status();
  CAF_CHECK(st.halted);
  CAF_CHECK_EQUAL(st.mode, msg::blocking_mode::halt);
  CAF_CHECK_EQUAL(st.halted_sequence, 2u);
  CAF_CHECK_EQUAL(st.halted_dlq_id, bad);
  CAF_CHECK_EQUAL(st.checkpoints.ves, 1u);
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 1u);
  CAF_CHECK(!row("product", "P1"));
  CAF_CHECK_EQUAL(entry(bad).status, msg::dlq_status::dead);
  CAF_CHECK_EQUAL(pmetrics.halts.load(), 1u);
  // More events (VES and legacy) wait too.
  ingest_ves({{"product", "P2", "product.created"}});
  ingest_legacy_events({{"product", "P3", "product.created"}});
  CAF_CHECK(status().halted);
  CAF_CHECK(!row("product", "P2"));
  CAF_CHECK(!row("product", "P3"));
  CAF_CHECK_EQUAL(status().known_head_ves, 4u);
  // A restart halts at the same event again, without a second DLQ row or a new step.
  auto steps = pdb->step_count();
  crash_projector();
  CAF_CHECK(status().halted);
  CAF_CHECK_EQUAL(status().halted_dlq_id, bad);
  CAF_CHECK_EQUAL(pdb->step_count(), steps);
  CAF_CHECK_EQUAL(pdb->entries().size(), 1u);
  // The operator resumes: the event stays parked, its entity is blocked, the rest goes on.
  auto r = ask<msg::projection_status>(projector(), msg::resume_atom_v);
  sched.run();
  CAF_REQUIRE(r->done && r->value);
  CAF_CHECK(!r->value->halted);
  CAF_CHECK_EQUAL(r->value->blocked_entities, 1u);
  st = status();
  CAF_CHECK(!st.halted);
  CAF_CHECK_EQUAL(st.checkpoints.ves, 4u);
  CAF_CHECK_EQUAL(st.checkpoints.legacy, 1u);
  CAF_CHECK(row("product", "P1"));
  CAF_CHECK(row("product", "P2"));
  CAF_CHECK(row("product", "P3"));
  CAF_CHECK_EQUAL(entry(bad).status, msg::dlq_status::dead);
  ingest_ves({{"order", "O1", "order.cancelled"}});
  CAF_CHECK_EQUAL(field("order", "O1", "status"), "pending"); // parked behind the dead row
  CAF_CHECK(entry(ves_id(5)).blocked_behind);
  // Resuming when not halted just answers the status.
  auto again = ask<msg::projection_status>(projector(), msg::resume_atom_v);
  sched.run();
  CAF_REQUIRE(again->done && again->value);
  CAF_CHECK_EQUAL(again->value->checkpoints.ves, 5u);
}

CAF_TEST(a halted stream continues after a retry of the failed event succeeds) {
  start_projection(msg::blocking_mode::halt);
  spawn_registry();
  auto retry = spawn_retry();
  ingest_ves({{"order", "O1", "order.created", order_c1},
              {"order", "O1", "order.confirmed", "{}", 1},
              {"order", "O1", "order.note_added"}, // unknown type: skipped, version 3 in ingest
              {"order", "O1", "order.processing", "{}", 3},
              {"product", "P1", "product.created"}});
  // The projection never counts the skipped event: version 2 ≠ base_version 3.
  auto bad = ves_id(4);
  CAF_CHECK(status().halted);
  CAF_CHECK_EQUAL(status().checkpoints.ves, 3u);
  CAF_CHECK_EQUAL(entry(bad).reason, msg::dlq_reason::version_conflict);
  CAF_CHECK_EQUAL(entry(bad).status, msg::dlq_status::pending);
  // The operator repairs the projection's version and retries the event.
  auto fixed = row("order", "O1");
  CAF_REQUIRE(fixed);
  repair("order", "O1", fixed->state, 3);
  auto r = ask<msg::dlq_entry>(retry, msg::retry_dlq{bad, "admin"});
  sched.run();
  CAF_REQUIRE(r->done && r->value);
  CAF_CHECK_EQUAL(r->value->status, msg::dlq_status::resolved);
  CAF_CHECK(!status().halted);
  CAF_CHECK_EQUAL(status().checkpoints.ves, 5u);
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 5u);
  CAF_CHECK_EQUAL(field("order", "O1", "status"), "processing");
  CAF_CHECK_EQUAL(version("order", "O1"), 4);
  CAF_CHECK(row("product", "P1"));
  CAF_CHECK_EQUAL(pdb->audits.back().actor, "admin");
}

CAF_TEST(a projector runs only from the first commit until it is idle and catches up) {
  start_projection();
  spawn_registry();
  // A request whose only event is rejected starts the stream but commits nothing.
  auto bad = make_event(1);
  bad.ev.agent_signature[0] ^= 0x01;
  auto r = ingest(registry, {bad});
  sched.run();
  CAF_REQUIRE(r->done && r->ves);
  CAF_CHECK_EQUAL(r->ves->accepted, 0u);
  CAF_CHECK(!supervisor().companions.front().actor);
  // The first commit starts it; it projects and, idle for companion_idle_stop, stops.
  ingest_ves({{"order", "O1", "order.created", order_c1}, {"order", "O1", "order.confirmed"}});
  auto first = projector();
  CAF_REQUIRE(first);
  CAF_CHECK_EQUAL(status().checkpoints.ves, 2u);
  advance_time(cfg.companion_idle_stop);
  sched.run();
  CAF_CHECK(!projector());
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 2u);
  // Legacy and VES commits start the next one, which loads the checkpoint and catches up
  // (including what was committed while it was being stopped: here, with the I/O held).
  iogate().open = false;
  ingest_legacy_events({{"order", "O1", "order.processing"}});
  ingest_ves({{"order", "O1", "order.shipped"}});
  auto second = projector();
  CAF_REQUIRE(second);
  CAF_CHECK_NOT_EQUAL(first, second);
  self->send(io_gate_a, caf::put_atom_v, true);
  sched.run();
  CAF_CHECK_EQUAL(status().checkpoints.ves, 3u);
  CAF_CHECK_EQUAL(status().checkpoints.legacy, 1u);
  CAF_CHECK_EQUAL(status().applied, 2u); // counters count since this projector started
  CAF_CHECK_EQUAL(field("order", "O1", "status"), "shipped");
  CAF_CHECK_EQUAL(pdb->step_count(), 4u); // each event applied once
  CAF_CHECK_EQUAL(supervisor().companion_starts, 2u);
  // While work arrives it stays: each commit within companion_idle_stop resets its clock.
  for (int i = 0; i < 3; ++i) {
    advance_time(cfg.companion_idle_stop / 2);
    sched.run();
    ingest_ves({{"product", "P" + std::to_string(i), "product.created"}});
  }
  CAF_CHECK_EQUAL(projector(), second);
  advance_time(cfg.companion_idle_stop);
  sched.run();
  CAF_CHECK(!projector());
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 6u);
}

CAF_TEST(a projector with blocked entities keeps running for its heal tick) {
  start_projection();
  spawn_registry();
  ingest_ves({{"order", "O1", "order.confirmed"}}); // no such order: parked, O1 blocked
  CAF_CHECK_EQUAL(status().blocked_entities, 1u);
  advance_time(cfg.companion_idle_stop * 5);
  sched.run();
  CAF_CHECK(projector());
  CAF_CHECK(pstate().heal_timer);
}

CAF_TEST(a stream without a companion spec has no projector) {
  spawn_registry();
  auto p = ask<caf::actor>(registry, msg::get_companion{stream, "projector"});
  sched.run();
  CAF_REQUIRE(p->done);
  CAF_CHECK_EQUAL(p->err, errc::not_found);
}

CAF_TEST_FIXTURE_SCOPE_END()
