// SPDX-License-Identifier: Apache-2.0
// Stream registry, supervisors and the whole topology on the deterministic test coordinator.
// This TU owns the CAF test runner's main().
#define CAF_SUITE registry
#include "tests/actors/ingest_fixture.hpp"

#include "actors/registry/stream_registry.hpp"
#include "actors/supervision/stream_supervisor.hpp"
#include "actors/topology.hpp"

#include "caf/test/unit_test_impl.hpp"

using namespace seq;
using namespace std::chrono_literals;
using seq::test::iota_numbers;

namespace {

struct fixture : seq::test::ingest_fixture {
  caf::actor writer_gate;

  caf::actor spawn_registry() {
    writer_gate = spawn_gate(spawn_writer());
    return keep(sys.spawn(actors::stream_registry,
                          actors::sequencer_deps{cfg_ptr, spawn_pool(), writer_gate, &metrics}));
  }

  actors::stream_registry_state& registry_state(const caf::actor& a) {
    return deref<caf::stateful_actor<actors::stream_registry_state>>(a).state;
  }

  actors::stream_supervisor_state& supervisor_state(const caf::actor& a) {
    return deref<caf::stateful_actor<actors::stream_supervisor_state>>(a).state;
  }

  caf::actor supervisor_of(const caf::actor& reg) {
    auto& streams = registry_state(reg).streams;
    CAF_REQUIRE_EQUAL(streams.size(), 1u);
    return streams.begin()->second.supervisor;
  }

  struct drain_reply {
    bool done = false;
    caf::error err;
  };

  std::shared_ptr<drain_reply> drain(const caf::actor& dest) {
    auto r = std::make_shared<drain_reply>();
    sys.spawn([dest, r](caf::event_based_actor* c) {
      c->request(dest, caf::infinite, msg::drain_atom_v)
        .then([r](caf::ok_atom) { r->done = true; },
              [r](caf::error& e) {
                r->done = true;
                r->err = e;
              });
    });
    return r;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(registry_tests, fixture)

CAF_TEST(the registry spawns one supervised sequencer per stream on first use) {
  auto reg = spawn_registry();
  auto a = ingest(reg, events(2));
  auto b = ingest(reg, events(1, 2));
  sched.run();
  CAF_REQUIRE(a->done && b->done);
  CAF_CHECK_EQUAL(a->numbers(), iota_numbers(1, 2));
  CAF_CHECK_EQUAL(b->numbers(), iota_numbers(3, 3));
  CAF_CHECK_EQUAL(registry_state(reg).streams.size(), 1u);
  CAF_CHECK_EQUAL(metrics.streams_active.load(), 1);
}

CAF_TEST(a crashed sequencer is respawned and continues at the stored head) {
  auto reg = spawn_registry();
  auto a = ingest(reg, events(2));
  sched.run();
  CAF_CHECK_EQUAL(a->numbers(), iota_numbers(1, 2));
  auto sup = supervisor_of(reg);
  auto old_child = supervisor_state(sup).child;
  // Crash it with a write in flight: that request is lost (not acknowledged).
  gate_of(writer_gate).open = false;
  auto e = make_event(7);
  auto lost = ingest(reg, {e});
  sched.run();
  CAF_CHECK_EQUAL(gate_of(writer_gate).held.size(), 1u);
  caf::anon_send_exit(old_child, caf::exit_reason::kill);
  sched.run();
  CAF_REQUIRE(lost->done);
  CAF_CHECK_EQUAL(lost->err, errc::internal);
  auto& sst = supervisor_state(sup);
  CAF_REQUIRE(sst.child);
  CAF_CHECK_NOT_EQUAL(sst.child, old_child);
  CAF_CHECK_EQUAL(sst.restarts, 1u);
  CAF_CHECK_EQUAL(metrics.sequencer_restarts.load(), 1u);
  // The orphaned write still reaches storage; the new sequencer loads after it.
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_CHECK(seq_state(sst.child).loaded);
  CAF_CHECK_EQUAL(seq_state(sst.child).st->heads().ves, 3u);
  // The client retries: an exact replay, answered with the stored receipt.
  auto retry = ingest(reg, {e});
  auto next = ingest(reg, events(1, 8));
  sched.run();
  CAF_REQUIRE(retry->done && !retry->err);
  CAF_CHECK_EQUAL(retry->numbers(), iota_numbers(3, 3));
  CAF_CHECK_EQUAL(retry->ves->accepted, 0u);
  CAF_CHECK_EQUAL(next->numbers(), iota_numbers(4, 4));
  CAF_CHECK_EQUAL(stored_numbers(), iota_numbers(1, 4));
}

CAF_TEST(a supervisor gives up after too many crashes and the stream starts fresh) {
  cfg.restart.max_restarts = 1;
  cfg_ptr = std::make_shared<const actors::ingest_config>(cfg);
  auto reg = spawn_registry();
  auto a = ingest(reg, events(1));
  sched.run();
  auto sup = supervisor_of(reg);
  caf::anon_send_exit(supervisor_state(sup).child, caf::exit_reason::kill);
  sched.run();
  caf::anon_send_exit(supervisor_state(sup).child, caf::exit_reason::kill);
  sched.run();
  CAF_CHECK_EQUAL(registry_state(reg).streams.size(), 0u);
  CAF_CHECK_EQUAL(metrics.streams_active.load(), 0);
  auto b = ingest(reg, events(1, 1));
  sched.run();
  CAF_REQUIRE(b->done && !b->err);
  CAF_CHECK_EQUAL(b->numbers(), iota_numbers(2, 2));
  CAF_CHECK_NOT_EQUAL(supervisor_of(reg), sup);
}

CAF_TEST(the second restart waits for the back-off) {
  cfg.restart.base_delay = 2s;
  cfg_ptr = std::make_shared<const actors::ingest_config>(cfg);
  auto reg = spawn_registry();
  auto a = ingest(reg, events(1));
  sched.run();
  auto sup = supervisor_of(reg);
  caf::anon_send_exit(supervisor_state(sup).child, caf::exit_reason::kill);
  sched.run();
  CAF_REQUIRE(supervisor_state(sup).child); // first restart: immediate
  caf::anon_send_exit(supervisor_state(sup).child, caf::exit_reason::kill);
  sched.run();
  CAF_CHECK(!supervisor_state(sup).child);
  auto parked = ingest(reg, events(1, 1)); // waits in the supervisor
  sched.run();
  CAF_CHECK(!parked->done);
  CAF_CHECK_EQUAL(supervisor_state(sup).waiting.size(), 1u);
  advance_time(2s);
  sched.run();
  CAF_REQUIRE(supervisor_state(sup).child);
  CAF_REQUIRE(parked->done && !parked->err);
  CAF_CHECK_EQUAL(parked->numbers(), iota_numbers(2, 2));
}

CAF_TEST(idle streams are stopped and streams with work in flight are not) {
  auto reg = spawn_registry();
  auto a = ingest(reg, events(1));
  sched.run();
  CAF_REQUIRE(a->done);
  advance_time(5s); // tick: idle for 5 s < 10 s
  sched.run();
  CAF_CHECK_EQUAL(registry_state(reg).streams.size(), 1u);
  // A write stays in flight across the idle timeout: the stream must stay.
  gate_of(writer_gate).open = false;
  auto busy = ingest(reg, events(1, 1));
  sched.run();
  advance_time(5s);
  sched.run();
  advance_time(10s);
  sched.run();
  CAF_CHECK_EQUAL(registry_state(reg).streams.size(), 1u);
  CAF_CHECK(!busy->done);
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(busy->done && !busy->err);
  // Now idle: the next ticks stop it (user_shutdown: no respawn).
  CAF_CHECK_EQUAL(registry_state(reg).memory_trims, 0u);
  advance_time(5s);
  sched.run();
  CAF_CHECK_EQUAL(registry_state(reg).streams.size(), 0u);
  CAF_CHECK_EQUAL(metrics.streams_active.load(), 0);
  CAF_CHECK_EQUAL(metrics.sequencer_restarts.load(), 0u);
  // Its supervisor has ended; one memory trim follows a second later.
  CAF_CHECK_EQUAL(registry_state(reg).idle_stopping, 0u);
  CAF_CHECK_EQUAL(registry_state(reg).memory_trims, 0u);
  advance_time(1s);
  sched.run();
  CAF_CHECK_EQUAL(registry_state(reg).memory_trims, 1u);
  // The next request starts the stream again, from the stored head.
  auto b = ingest(reg, events(1, 2));
  sched.run();
  CAF_REQUIRE(b->done && !b->err);
  CAF_CHECK_EQUAL(b->numbers(), iota_numbers(3, 3));
  // Ticks that stop nothing do not trim.
  advance_time(4s);
  sched.run();
  CAF_CHECK_EQUAL(registry_state(reg).streams.size(), 1u);
  CAF_CHECK_EQUAL(registry_state(reg).memory_trims, 1u);
}

CAF_TEST(drain refuses new work and answers once every queue is flushed) {
  auto reg = spawn_registry();
  gate_of(writer_gate).open = false;
  auto a = ingest(reg, events(2));
  sched.run();
  auto d = drain(reg);
  sched.run();
  CAF_CHECK(!d->done);
  auto late = ingest(reg, events(1, 5));
  sched.run();
  CAF_REQUIRE(late->done);
  CAF_CHECK_EQUAL(late->err, errc::shutting_down);
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(a->done && !a->err);
  CAF_CHECK_EQUAL(a->numbers(), iota_numbers(1, 2));
  CAF_REQUIRE(d->done);
  CAF_CHECK(!d->err);
}

CAF_TEST(spawn_ingest_topology wires the registry to the verify pool and the writers) {
  auto topo = actors::spawn_ingest_topology(sys, cfg, factory, &metrics);
  keep(topo.registry);
  keep(topo.verify_pool);
  keep(topo.writers);
  auto v = ingest(topo.registry, events(3));
  auto l = ingest_legacy(topo.registry, 2);
  sched.run();
  CAF_REQUIRE(v->done && !v->err);
  CAF_REQUIRE(l->done && !l->err);
  CAF_CHECK_EQUAL(v->numbers(), iota_numbers(1, 3));
  CAF_CHECK_EQUAL(l->legacy->head, 2u);
  CAF_CHECK_EQUAL(metrics.events_accepted.load(), 5u);
  CAF_CHECK(metrics.write_latency_us.count.load() >= 1u);
  auto d = drain(topo.registry);
  sched.run();
  CAF_CHECK(d->done && !d->err);
}

CAF_TEST_FIXTURE_SCOPE_END()
