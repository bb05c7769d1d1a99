// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Settings of the ingest topology (verify pool, storage writers, stream registry,
/// supervisors, sequencers) and the storage connection factory they are given. The runtime
/// fills this from config/settings; tests fill it by hand.

#include "messages/domain.hpp"
#include "messages/store.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

#include "caf/expected.hpp"
#include "caf/timespan.hpp"

namespace seq::ves {
class ed25519_signer;
} // namespace seq::ves

namespace seq::actors {

/// One storage connection, owned by exactly one actor.
using store_ptr = std::unique_ptr<storage::event_store>;

/// Opens a new storage connection; called once per verify worker and per storage writer
/// (and again after a failed open). Must be thread-safe: detached actors call it from their
/// own threads.
using store_factory = std::function<caf::expected<store_ptr>()>;

/// Back-off and limits of a stream supervisor (see actors/supervision/restart_policy.hpp).
struct restart_options {
  /// Failures inside `window` beyond this many make the supervisor give up.
  size_t max_restarts = 5;
  caf::timespan window = std::chrono::seconds{60};
  /// The first restart in a window is immediate; the n-th waits base_delay * 2^(n-2).
  caf::timespan base_delay = std::chrono::milliseconds{100};
  caf::timespan max_delay = std::chrono::seconds{5};
};

/// When a stream supervisor starts a companion that does not run (not yet, or no longer: it
/// stopped itself after `ingest_config::companion_idle_stop` with nothing to do). Events of
/// `spaces` committed while it does not run are counted; it starts once `events` of them are
/// in, or once the first of them has waited `max_age` (then it also gets
/// companion_wake_atom: its pending events are overdue). msg::get_companion always starts it.
struct companion_start {
  /// Bit (1 << msg::space value) per counted space; 0: started by get_companion only.
  uint8_t spaces = 0xff;
  uint64_t events = 1;
  /// Zero: no age limit.
  caf::timespan max_age{0};
};

/// A per-stream companion actor (projector, committer, …): started by each stream supervisor
/// when `start` says so (lazily, not with the stream), monitored and respawned after a crash
/// (it must reload its own state from storage). It receives msg::events_committed after
/// every commit of its stream while it runs (with the committed group, which it may read but
/// must not keep for long: it holds the sequencer's whole plan), and adapters reach it with
/// msg::get_companion{stream, role} sent to the registry. It may stop itself when idle
/// (actors/supervision/companion.hpp).
struct companion_spec {
  std::string role;
  std::function<caf::actor(caf::event_based_actor* parent, const msg::stream_key& stream)> spawn;
  companion_start start;
};

struct ingest_config {
  /// Verify workers (each owns one storage connection for key lookups); 0 = hardware threads.
  size_t verify_workers = 0;
  /// Storage writer actors shared by all streams (each owns one connection).
  size_t storage_writers = 2;
  /// Most events in one group commit (a single larger request still goes alone).
  size_t group_commit_max_events = 1000;
  /// Most events a stream holds unanswered (queued + being verified); beyond → errc::overloaded.
  size_t max_queued_events = 50000;
  /// Capacity of each recent event-id / command-id LRU cache of a stream.
  size_t recent_id_cache = 100000;
  /// A stream with no request for this long (and no pending work) is stopped.
  caf::timespan idle_timeout = std::chrono::minutes{5};
  /// How often the registry looks for idle streams.
  caf::timespan idle_check_interval = std::chrono::seconds{30};
  /// How long a verified agent key is reused before it is read again (revocations take at
  /// most this long to be seen). Not-found keys are never cached.
  caf::timespan key_cache_ttl = std::chrono::seconds{60};
  /// Upper bound for one storage or verification round trip seen from a sequencer.
  caf::timespan io_timeout = std::chrono::seconds{60};
  /// Delay before a sequencer retries loading its state after a storage failure.
  caf::timespan reload_retry = std::chrono::seconds{1};
  /// Consecutive storage conflicts on one group before its requests fail with
  /// errc::storage_conflict.
  size_t max_conflict_retries = 8;
  /// Receipts: Ed25519 seed, sequencer id and key version (always 0 in the reference).
  ves::seed32 sequencer_seed{};
  msg::uuid sequencer_id;
  int32_t sequencer_key_version = 0;
  /// `sequencer_seed` as a ready signing key, shared by all streams; spawn_ingest_topology
  /// derives it from the seed when empty (set it only together with the seed).
  std::shared_ptr<const ves::ed25519_signer> sequencer_signer;
  restart_options restart;
  /// Companions of every stream (none by default).
  std::vector<companion_spec> companions;
  /// A companion with nothing to do for this long stops (its supervisor starts it again when
  /// needed, see companion_start); zero: companions run as long as their stream.
  caf::timespan companion_idle_stop = std::chrono::seconds{1};
  /// Receives msg::x402_sequenced after every commit that stored payment intents (the x402
  /// batcher hub, actors/x402_batcher/); invalid: nobody is told.
  caf::actor x402_sink;
  /// Run the verify workers and storage writers as detached actors (own threads, blocking
  /// I/O allowed). Tests on the deterministic test coordinator set this to false.
  bool detached_io = true;
};

} // namespace seq::actors
