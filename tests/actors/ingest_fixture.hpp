// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Shared fixture of the actor DSL tests: a deterministic actor system with the project's
/// type-ID block, a throw-away SQLite database (real storage, behind `faulty_store` so a
/// test can make commits fail), an agent key, signed VES events, one-shot client actors
/// that record replies, and a `gate` actor that can hold requests on their way to another
/// actor (to keep a write "in flight" or a verification pending as long as a test wants).
/// Include it after `#define CAF_SUITE …`.

#define FAIL(msg) CAF_FAIL(msg) // 0.17.6: dsl.hpp's request<T>() helper calls FAIL()
#include "caf/test/dsl.hpp"

#include "actors/ingest_config.hpp"
#include "actors/metrics.hpp"
#include "actors/sequencer/sequencer.hpp"
#include "actors/storage_writer/storage_writer.hpp"
#include "actors/verify/verifier.hpp"
#include "actors/verify/verify_pool.hpp"
#include "adapters/storage/event_store.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"
#include "messages/ves/json.hpp"
#include "messages/ves/ves.hpp"
#include "tests/actors/faulty_store.hpp"
#include "tests/actors/gate.hpp"

#include <cstdio>
#include <sqlite3.h>
#include <functional>
#include <memory>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

#include "caf/all.hpp"

namespace seq::test {

struct test_config : caf::actor_system_config {
  test_config() {
    add_message_types<caf::id_block::seq>();
  }
};

/// What a one-shot client received.
struct reply {
  bool done = false;
  caf::error err;
  std::shared_ptr<const msg::ves_ingest_outcome> ves;
  std::shared_ptr<const msg::legacy_ingest_outcome> legacy;

  /// Sequence numbers of the receipts (new events and replays), in order.
  std::vector<uint64_t> numbers() const {
    std::vector<uint64_t> out;
    if (ves)
      for (const auto& r : ves->receipts)
        out.push_back(r.sequence_number);
    return out;
  }
};

/// A gate (tests/actors/gate.hpp) in front of a writer or a verify pool.
inline caf::behavior gate(caf::stateful_actor<gate_state>* self, caf::actor target) {
  self->state.target = std::move(target);
  return {
    [self](msg::load_stream& x) { return gate_pass<msg::stream_loaded>(self, x); },
    [self](msg::commit_group& x) { return gate_pass<msg::group_committed>(self, x); },
    [self](msg::inspect_conflict& x) { return gate_pass<msg::conflict_inspected>(self, x); },
    [self](msg::verify_ves_batch& x) { return gate_pass<msg::ves_batch_verified>(self, x); },
    [self](msg::verify_legacy_batch& x) {
      return gate_pass<msg::legacy_batch_verified>(self, x);
    },
    gate_toggle(self),
  };
}

struct ingest_fixture : test_coordinator_fixture<test_config> {
  std::string db_path;
  std::shared_ptr<fault_plan> faults = std::make_shared<fault_plan>();
  actors::store_factory factory;
  actors::ingest_config cfg;
  std::shared_ptr<const actors::ingest_config> cfg_ptr;
  actors::ingest_metrics metrics;
  msg::stream_key stream;
  msg::uuid agent;
  ves::seed32 agent_seed{};
  std::vector<caf::actor> to_stop;

  ingest_fixture() {
    char tmpl[] = "/tmp/seq_actor_dsl_XXXXXX";
    int fd = mkstemp(tmpl);
    CAF_REQUIRE(fd >= 0);
    close(fd);
    db_path = tmpl;
    auto plan = faults;
    auto url = "sqlite://" + db_path;
    factory = [url, plan]() -> caf::expected<actors::store_ptr> {
      auto s = storage::open_store(url);
      if (!s)
        return std::move(s.error());
      return actors::store_ptr{new faulty_store(std::move(*s), plan)};
    };
    auto db = direct_store();
    CAF_REQUIRE(db->migrate());
    stream.tenant_id = *msg::uuid::parse("00000000-0000-0000-0000-000000000001");
    stream.store_id = *msg::uuid::parse("00000000-0000-0000-0000-000000000002");
    agent = *msg::uuid::parse("22222222-2222-2222-2222-222222222222");
    agent_seed.fill(0x42);
    msg::agent_key k;
    k.tenant_id = stream.tenant_id;
    k.agent_id = agent;
    k.key_id = 1;
    k.public_key = ves::ed25519_public_key(agent_seed);
    k.key_algorithm = 1;
    k.created_at = msg::now_us();
    CAF_REQUIRE(db->insert_agent_key(k));
    cfg.verify_workers = 2;
    cfg.storage_writers = 1;
    cfg.group_commit_max_events = 100;
    cfg.max_queued_events = 1000;
    cfg.recent_id_cache = 1000;
    cfg.idle_timeout = std::chrono::seconds{10};
    cfg.idle_check_interval = std::chrono::seconds{5};
    cfg.io_timeout = std::chrono::hours{1};
    cfg.reload_retry = std::chrono::seconds{1};
    cfg.sequencer_seed.fill(0x07);
    cfg.sequencer_id = *msg::uuid::parse("5e5e5e5e-0000-4000-8000-000000000001");
    cfg.detached_io = false;
    cfg_ptr = std::make_shared<const actors::ingest_config>(cfg);
  }

  ~ingest_fixture() override {
    for (auto& a : to_stop)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    sched.run();
    for (auto suffix : {"", "-wal", "-shm"})
      std::remove((db_path + suffix).c_str());
  }

  /// A connection of the test itself (to inspect or change storage behind the actors).
  std::unique_ptr<storage::event_store> direct_store() {
    auto s = storage::open_store("sqlite://" + db_path);
    CAF_REQUIRE(s);
    return std::move(*s);
  }

  /// Remembers an actor to kill at the end of the test.
  caf::actor keep(caf::actor a) {
    to_stop.push_back(a);
    return a;
  }

  caf::actor spawn_pool() {
    return keep(
      actors::spawn_verify_pool(sys, cfg, factory, actors::make_key_cache(cfg), &metrics));
  }

  caf::actor spawn_writer() {
    return keep(actors::spawn_storage_writer(sys, factory, &metrics, false));
  }

  caf::actor spawn_gate(caf::actor target) {
    return keep(sys.spawn(gate, std::move(target)));
  }

  caf::actor spawn_sequencer(caf::actor pool, caf::actor writer) {
    return keep(sys.spawn(actors::sequencer, stream,
                          actors::sequencer_deps{cfg_ptr, std::move(pool), std::move(writer),
                                                 &metrics}));
  }

  actors::sequencer_state& seq_state(const caf::actor& a) {
    return deref<caf::stateful_actor<actors::sequencer_state>>(a).state;
  }

  gate_state& gate_of(const caf::actor& a) {
    return deref<caf::stateful_actor<gate_state>>(a).state;
  }

  /// A VES event signed by the test agent.
  msg::ves_candidate make_event(int n, std::string entity = "SKU-1",
                                std::optional<msg::uuid> command = {},
                                std::optional<uint64_t> base = {}) {
    msg::ves_candidate c;
    auto& ev = c.ev;
    ev.event_id = msg::uuid::random_v4();
    ev.tenant_id = stream.tenant_id;
    ev.store_id = stream.store_id;
    ev.source_agent_id = agent;
    ev.agent_key_id = 1;
    ev.entity_type = "Item";
    ev.entity_id = std::move(entity);
    ev.event_type = "Adjusted";
    ev.created_at = "2025-01-01T00:00:00Z";
    ev.command_id = command;
    ev.base_version = base;
    c.payload = *ves::json::try_parse("{\"n\":" + std::to_string(n) + "}");
    ev.payload_plain_hash = ves::payload_plain_hash(c.payload->jcs());
    ev.agent_signature = ves::ed25519_sign(
      agent_seed, ves::event_signing_hash(actors::verifier::signing_header(ev)));
    return c;
  }

  std::vector<msg::ves_candidate> events(int count, int first = 0) {
    std::vector<msg::ves_candidate> out;
    for (int i = 0; i < count; ++i)
      out.push_back(make_event(first + i));
    return out;
  }

  /// Spawns a client that requests `dest` to ingest `evs` and records the reply.
  std::shared_ptr<reply> ingest(const caf::actor& dest, std::vector<msg::ves_candidate> evs) {
    return ingest(dest, msg::ingest_ves{stream, std::make_shared<std::vector<msg::ves_candidate>>(
                                                  std::move(evs)),
                                        nullptr});
  }

  /// Same for a ready-made request (e.g. one the transport verified).
  std::shared_ptr<reply> ingest(const caf::actor& dest, msg::ingest_ves x) {
    auto r = std::make_shared<reply>();
    sys.spawn([dest, x, r](caf::event_based_actor* c) {
      c->request(dest, caf::infinite, x)
        .then([r](msg::ves_ingested& v) {
                r->done = true;
                r->ves = v.outcome;
              },
              [r](caf::error& e) {
                r->done = true;
                r->err = e;
              });
    });
    return r;
  }

  /// Same for a legacy batch of `count` events with correct payload hashes, verified by the
  /// sequencer's pool or, with `preverified`, here (as a transport would).
  std::shared_ptr<reply> ingest_legacy(const caf::actor& dest, int count,
                                       bool preverified = false) {
    auto r = std::make_shared<reply>();
    auto evs = std::make_shared<std::vector<msg::legacy_candidate>>();
    for (int i = 0; i < count; ++i) {
      msg::legacy_candidate c;
      c.ev.event_id = msg::uuid::random_v4();
      c.ev.tenant_id = stream.tenant_id;
      c.ev.store_id = stream.store_id;
      c.ev.entity_type = "Item";
      c.ev.entity_id = "L-" + std::to_string(i);
      c.ev.event_type = "Created";
      c.ev.source_agent = agent;
      c.ev.created_at = msg::now_us();
      c.payload = *ves::json::try_parse("{\"i\":" + std::to_string(i) + "}");
      c.provided_payload_hash = ves::legacy_payload_hash(c.payload.legacy_canonical());
      evs->push_back(std::move(c));
    }
    msg::ingest_legacy x{stream, evs, nullptr};
    if (preverified)
      x.verified = actors::verify_legacy_here(std::move(*std::exchange(x.events, nullptr)));
    sys.spawn([dest, x, r](caf::event_based_actor* c) {
      c->request(dest, caf::infinite, x)
        .then([r](msg::legacy_ingested& v) {
                r->done = true;
                r->legacy = v.outcome;
              },
              [r](caf::error& e) {
                r->done = true;
                r->err = e;
              });
    });
    return r;
  }

  /// Runs `sql` on the test database behind the actors' back.
  void exec_sql(const std::string& sql) {
    sqlite3* db = nullptr;
    CAF_REQUIRE_EQUAL(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
    CAF_CHECK_EQUAL(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  /// Revokes the test agent's key behind the actors' back (no store API changes keys).
  void revoke_agent_key() {
    exec_sql("UPDATE agent_signing_keys SET status = 'revoked', revoked_at = "
             + std::to_string(msg::now_us() - 1));
  }

  /// Sequence numbers of the stored VES events of the stream, ascending.
  std::vector<uint64_t> stored_numbers() {
    auto db = direct_store();
    auto xs = db->read_ves_events(stream, 1, 1000);
    CAF_REQUIRE(xs);
    std::vector<uint64_t> out;
    for (const auto& x : *xs)
      out.push_back(x.sequence_number);
    return out;
  }
};

inline std::vector<uint64_t> iota_numbers(uint64_t from, uint64_t to) {
  std::vector<uint64_t> out;
  for (auto i = from; i <= to; ++i)
    out.push_back(i);
  return out;
}

} // namespace seq::test
