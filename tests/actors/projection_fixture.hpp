// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Fixture of the projector and DLQ retry actor DSL tests: the ingest fixture (real
/// SQLite events, deterministic coordinator) plus projection I/O workers over the
/// in-memory projection_store TEST DOUBLE (tests/actors/projection_store_double.hpp), a
/// virtual wall clock (the coordinator's time, so DLQ times follow advance_time), a fixed
/// random source (no jitter), a stream registry whose supervisors spawn a projector
/// companion, an optional DLQ retry actor, an `io_gate` that can hold projection I/O
/// requests, and helpers that ingest signed VES and legacy domain events.
/// Include it after `#define CAF_SUITE …`.

#include "tests/actors/gate.hpp"
#include "tests/actors/ingest_fixture.hpp"

#include "actors/dlq/dlq_retry.hpp"
#include "actors/projector/projector.hpp"
#include "actors/registry/stream_registry.hpp"
#include "actors/supervision/stream_supervisor.hpp"
#include "tests/actors/projection_store_double.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace seq::test {

// -- a gate in front of a projection I/O worker ------------------------------------------------

/// A gate (tests/actors/gate.hpp) for projection I/O requests.
inline caf::behavior io_gate(caf::stateful_actor<gate_state>* self, caf::actor target) {
  self->state.target = std::move(target);
  return {
    [self](msg::load_projection& x) { return gate_pass<msg::projection_loaded>(self, x); },
    [self](msg::project_batch& x) { return gate_pass<msg::batch_projected>(self, x); },
    [self](msg::apply_dlq_retry& x) { return gate_pass<msg::dlq_retry_applied>(self, x); },
    [self](msg::resume_halt& x) { return gate_pass<msg::halt_resumed>(self, x); },
    [self](msg::dlq_fetch_due& x) { return gate_pass<msg::dlq_rows>(self, x); },
    [self](msg::dlq_fetch_stale& x) { return gate_pass<msg::dlq_rows>(self, x); },
    [self](msg::dlq_get& x) { return gate_pass<msg::dlq_entry>(self, x); },
    [self](msg::dlq_update& x) { return gate_pass<caf::ok_atom>(self, x); },
    [self](msg::dlq_audit& x) { return gate_pass<caf::ok_atom>(self, x); },
    gate_toggle(self),
  };
}

/// One domain event to ingest.
struct domain_event {
  std::string entity_type, entity_id, event_type;
  std::string payload = "{}";
  std::optional<uint64_t> base_version = std::nullopt;
};

/// What a one-shot client got for a request answered with T.
template <class T>
struct answer {
  bool done = false;
  std::optional<T> value;
  caf::error err;
};

struct projection_fixture : ingest_fixture {
  static constexpr msg::timestamp_us epoch = 1'700'000'000'000'000;
  static constexpr auto sp_ves = static_cast<uint8_t>(msg::space::ves);
  static constexpr auto sp_legacy = static_cast<uint8_t>(msg::space::legacy);

  std::shared_ptr<projection_db> pdb = std::make_shared<projection_db>();
  actors::projection::projection_store_factory pfactory;
  std::shared_ptr<const actors::dlq::dlq_policy> policy;
  actors::projection::clock_fn clock;
  caf::actor_clock::time_point start;
  actors::projection::projection_metrics pmetrics;
  actors::projection::projection_io io;
  caf::actor worker;    ///< the one real I/O worker
  caf::actor io_gate_a; ///< the gate in front of it (what the projector talks to)
  actors::projection::projector_deps pdeps;
  caf::actor registry;

  projection_fixture() {
    start = sched.clock().now();
    clock = [this] {
      return epoch
             + std::chrono::duration_cast<std::chrono::microseconds>(sched.clock().now() - start)
                 .count();
    };
    auto db = pdb;
    pfactory = [db]() -> caf::expected<actors::projection::projection_store_ptr> {
      return actors::projection::projection_store_ptr{new projection_store_double(db)};
    };
    policy = std::make_shared<const actors::dlq::dlq_policy>(actors::dlq::retry_schedule{
      actors::dlq::retry_options{}, [] { return 0.5; }});
    // Streams stay up while tests move virtual time by hours.
    cfg.idle_timeout = std::chrono::hours{1000};
    cfg.idle_check_interval = std::chrono::hours{1000};
  }

  /// Spawns the I/O worker (behind a gate) and makes every stream supervisor spawn a
  /// projector with `mode`, `linger` and `batch_size`.
  void start_projection(msg::blocking_mode mode = msg::blocking_mode::park,
                        caf::timespan linger = caf::timespan{0}, uint32_t batch_size = 100) {
    auto real = actors::projection::spawn_projection_io(
      sys, actors::projection::projection_io_options{1, false, policy, clock}, factory, pfactory);
    worker = keep(real.workers.front());
    io_gate_a = keep(sys.spawn(io_gate, worker));
    io.workers = {io_gate_a};
    pdeps.io = io;
    pdeps.default_mode = mode;
    pdeps.batch_size = batch_size;
    pdeps.linger = linger;
    pdeps.io_timeout = std::chrono::hours{1000};
    pdeps.retry_delay = std::chrono::seconds{1};
    pdeps.heal_interval = std::chrono::minutes{1};
    pdeps.metrics = &pmetrics;
    cfg.companions = {actors::projection::projector_companion(pdeps)};
    cfg_ptr = std::make_shared<const actors::ingest_config>(cfg);
  }

  caf::actor spawn_registry() {
    registry = keep(sys.spawn(actors::stream_registry,
                              actors::sequencer_deps{cfg_ptr, spawn_pool(), spawn_writer(),
                                                     &metrics}));
    return registry;
  }

  /// The DLQ retry actor; with `bypass_gate` its storage calls go straight to the worker.
  caf::actor spawn_retry(caf::timespan poll = std::chrono::seconds{1}, bool bypass_gate = false) {
    actors::dlq::dlq_retry_deps d;
    d.registry = registry;
    d.io = io;
    if (bypass_gate)
      d.io.workers = {worker};
    d.policy = policy;
    d.poll_interval = poll;
    d.request_timeout = std::chrono::hours{1000};
    d.clock = clock;
    d.metrics = &pmetrics;
    return keep(actors::dlq::spawn_dlq_retry(sys, d));
  }

  // -- access to the actors' state -------------------------------------------------------------

  actors::stream_supervisor_state& supervisor() {
    auto& streams =
      deref<caf::stateful_actor<actors::stream_registry_state>>(registry).state.streams;
    CAF_REQUIRE_EQUAL(streams.size(), 1u);
    return deref<caf::stateful_actor<actors::stream_supervisor_state>>(
             streams.begin()->second.supervisor)
      .state;
  }

  caf::actor projector() {
    auto& sup = supervisor();
    CAF_REQUIRE_EQUAL(sup.companions.size(), 1u);
    return sup.companions.front().actor;
  }

  actors::projection::projector_state& pstate() {
    auto p = projector();
    CAF_REQUIRE(p);
    return deref<caf::stateful_actor<actors::projection::projector_state>>(p).state;
  }

  msg::projection_status status() {
    return pstate().core->status();
  }

  gate_state& iogate() {
    return deref<caf::stateful_actor<gate_state>>(io_gate_a).state;
  }

  actors::dlq::dlq_retry_state& retry_state(const caf::actor& a) {
    return deref<caf::stateful_actor<actors::dlq::dlq_retry_state>>(a).state;
  }

  /// The virtual wall-clock time.
  msg::timestamp_us now() {
    return clock();
  }

  /// Moves virtual time to `t` (µs since the epoch) and runs what is due.
  void advance_to(msg::timestamp_us t) {
    auto d = t - now();
    CAF_REQUIRE(d >= 0);
    if (d > 0)
      advance_time(std::chrono::microseconds{d});
    sched.run();
  }

  // -- events ----------------------------------------------------------------------------------

  msg::ves_candidate ves_event(const domain_event& d) {
    auto c = make_event(0, d.entity_id, std::nullopt, d.base_version);
    auto& ev = c.ev;
    ev.entity_type = d.entity_type;
    ev.event_type = d.event_type;
    c.payload = *ves::json::try_parse(d.payload);
    ev.payload_plain_hash = ves::payload_plain_hash(c.payload->jcs());
    ev.agent_signature = ves::ed25519_sign(
      agent_seed, ves::event_signing_hash(actors::verifier::signing_header(ev)));
    return c;
  }

  /// Ingests VES events through the registry (one request) and runs until quiet.
  std::shared_ptr<reply> ingest_ves(const std::vector<domain_event>& ds) {
    std::vector<msg::ves_candidate> evs;
    for (const auto& d : ds)
      evs.push_back(ves_event(d));
    auto r = ingest(registry, std::move(evs));
    sched.run();
    CAF_REQUIRE(r->done);
    CAF_REQUIRE(!r->err);
    CAF_REQUIRE_EQUAL(r->ves->accepted, ds.size());
    return r;
  }

  /// The event ids of the VES events stored with these sequence numbers.
  msg::uuid ves_id(uint64_t seq) {
    auto db = direct_store();
    auto xs = db->read_ves_events(stream, seq, 1);
    CAF_REQUIRE(xs && xs->size() == 1);
    return xs->front().ev.event_id;
  }

  /// Ingests legacy events through the registry (one request) and runs until quiet.
  void ingest_legacy_events(const std::vector<domain_event>& ds) {
    auto evs = std::make_shared<std::vector<msg::legacy_candidate>>();
    for (const auto& d : ds) {
      msg::legacy_candidate c;
      c.ev.event_id = msg::uuid::random_v4();
      c.ev.tenant_id = stream.tenant_id;
      c.ev.store_id = stream.store_id;
      c.ev.entity_type = d.entity_type;
      c.ev.entity_id = d.entity_id;
      c.ev.event_type = d.event_type;
      c.ev.source_agent = agent;
      c.ev.created_at = msg::now_us();
      c.ev.base_version = d.base_version;
      c.payload = *ves::json::try_parse(d.payload);
      c.provided_payload_hash = ves::legacy_payload_hash(c.payload.legacy_canonical());
      evs->push_back(std::move(c));
    }
    auto done = std::make_shared<answer<msg::legacy_ingested>>();
    auto dest = registry;
    msg::ingest_legacy x{stream, evs, nullptr};
    sys.spawn([dest, x, done](caf::event_based_actor* c) {
      c->request(dest, caf::infinite, x)
        .then(
          [done](msg::legacy_ingested& v) {
            done->done = true;
            done->value = v;
          },
          [done](caf::error& e) {
            done->done = true;
            done->err = e;
          });
    });
    sched.run();
    CAF_REQUIRE(done->done);
    CAF_REQUIRE(!done->err);
    CAF_REQUIRE_EQUAL(done->value->outcome->accepted, ds.size());
  }

  /// Sends a request from a one-shot client; run the scheduler to get the answer.
  template <class T, class... Ts>
  std::shared_ptr<answer<T>> ask(const caf::actor& dest, Ts... xs) {
    auto a = std::make_shared<answer<T>>();
    sys.spawn([dest, a, xs...](caf::event_based_actor* c) {
      c->request(dest, caf::infinite, xs...)
        .then(
          [a](T& v) {
            a->done = true;
            a->value = std::move(v);
          },
          [a](caf::error& e) {
            a->done = true;
            a->err = e;
          });
    });
    return a;
  }

  // -- projections -----------------------------------------------------------------------------

  std::optional<msg::projection_row> row(const std::string& type, const std::string& id) {
    return pdb->projection(stream, type, id);
  }

  /// A top-level string field of an entity's projected state ("" when absent).
  std::string field(const std::string& type, const std::string& id, const std::string& name) {
    auto r = row(type, id);
    if (!r)
      return "";
    auto state = ves::json::try_parse(r->state);
    CAF_REQUIRE(state);
    auto v = state->find(name);
    return v && v->is_string() ? v->as_string() : "";
  }

  int64_t version(const std::string& type, const std::string& id) {
    auto r = row(type, id);
    return r ? r->version : 0;
  }

  msg::dlq_entry entry(const msg::uuid& id) {
    auto e = pdb->entry(id);
    CAF_REQUIRE(e);
    return *e;
  }

  /// Puts a projection into the store behind the actors' back (an operator's repair).
  void repair(const std::string& type, const std::string& id, const std::string& state,
              int64_t version) {
    msg::projection_row r;
    r.stream = stream;
    r.entity_type = type;
    r.entity_id = id;
    r.state = state;
    r.version = version;
    pdb->put_projection(r);
  }
};

} // namespace seq::test
