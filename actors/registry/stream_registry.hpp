// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Stream registry actor — the entry point of ingest on a node.
///
/// Role: routes each request by its stream_key to that stream's stream_supervisor, spawning
///   it on first use; stops streams that were idle for `idle_timeout`; drains all streams
///   on shutdown.
/// Interface (dynamically typed `caf::actor`):
///   ingest_ves     → ves_ingested     (delegated to the stream; errc::shutting_down while
///   ingest_legacy  → legacy_ingested   draining)
///   ingest_x402    → x402_ingested
///   drain_atom     → ok_atom          refuses new work from now on and answers once every
///                                     sequencer has flushed its queue
///   get_atom                          → uint64_t  number of live streams
///   get_atom, stream_key              → caf::actor the stream's supervisor (invalid if none)
///   tick_atom (from itself, every `idle_check_interval`) → idle check
///   trim_atom (from itself, private) → malloc_trim(0): once the supervisors stopped for
///                                     idleness have ended, freed memory goes back to the OS
/// Sends: delegated requests and activity_atom probes (request without a timeout: a CAF 0.17
///   request timeout outlives its answer in the clock; the supervisor always answers) to
///   supervisors;
///   exit(user_shutdown) to idle supervisors (no respawn follows).
/// Supervision: spawned by spawn_ingest_topology; linked to the verify pool and the writer
///   pool (if either dies the registry ends, and when the registry ends they end). It
///   monitors its supervisors: a supervisor's end (gave up, stopped) only removes the
///   stream, which restarts fresh on its next request. However the registry ends, its
///   state's destructor sends exit(user_shutdown) to every supervisor.
/// State: stream_key → {supervisor, last activity time, activity counter, probing flag}.
/// Failure modes: an idle probe that fails or shows queued/in-flight work, or a request
///   that arrived after the probe was sent, keeps the stream alive. A restart of the
///   registry itself loses only the routing table (streams are respawned on demand).

#include "actors/sequencer/sequencer.hpp"

#include <cstdint>
#include <map>

#include "caf/actor.hpp"
#include "caf/actor_clock.hpp"
#include "caf/stateful_actor.hpp"

namespace seq::actors {

struct stream_registry_state {
  static inline const char* name = "stream_registry";

  struct entry {
    caf::actor supervisor;
    caf::actor_clock::time_point last_activity;
    uint64_t activity = 0; ///< bumped by every forwarded request
    bool probing = false;
  };

  sequencer_deps deps;
  std::map<msg::stream_key, entry> streams;
  bool draining = false;
  /// Supervisors stopped for idleness whose end has not been seen yet. When the last one
  /// has ended, one memory trim follows (at most one per `idle_check_interval`).
  size_t idle_stopping = 0;
  bool trim_scheduled = false;
  caf::actor_clock::time_point last_trim{};
  uint64_t memory_trims = 0; ///< trims done so far

  stream_registry_state() = default;
  stream_registry_state(const stream_registry_state&) = delete;
  stream_registry_state& operator=(const stream_registry_state&) = delete;
  /// Stops every stream supervisor.
  ~stream_registry_state();
};

caf::behavior stream_registry(caf::stateful_actor<stream_registry_state>* self,
                              sequencer_deps deps);

} // namespace seq::actors
