// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Projector actor — one per stream, a companion of the stream supervisor.
///
/// Role: applies the stream's stored events (VES plaintext and legacy; encrypted VES events
///   are counted and skipped) to the domain projections in sequence order per space, and
///   parks the events that fail in the DLQ (see blocking_mode in messages/projector.hpp
///   for park vs halt). It never touches the ingest path: it learns of new events from
///   msg::events_committed (a `send` from the supervisor), which hands it the committed
///   group itself. It keeps the group's projectable events (`committed_feed`, at most
///   `feed_capacity` events per space) until they are projected, so a batch that starts in
///   them is projected from memory; any other batch (after a start, a restart or a fall
///   behind the feed) reads its events from storage, through the projection I/O worker of
///   its stream. The rules live in the plain class `projector_core`; the work on storage in
///   `projection_engine` (run by the worker).
/// Interface (dynamically typed `caf::actor`):
///   events_committed                   new events of a space are stored (no reply)
///   reapply_dlq         → dlq_entry    re-apply a DLQ row's event (from the DLQ retry
///                                      actor); the row as written, or a caf::error
///                                      (errc::invalid_request: it waits behind an earlier
///                                      row of its entity; storage errors)
///   get_atom            → projection_status
///   resume_atom         → projection_status  continue past a halt (halt mode; see
///                                      blocking_mode); answered at once when not halted
///   project_atom, tick_atom, linger_atom (from itself) end a back-off / periodic heal
///                                      check / the wait of a batch that lingers
///   companion_idle_atom, companion_wake_atom  idle stop (actors/supervision/companion.hpp)
/// Sends: load_projection, project_batch, apply_dlq_retry, resume_halt (requests) to the
///   projection I/O worker of its stream. One job at a time: a batch of `batch_size`
///   events, a DLQ retry, a resume or a (re)load. companion_idle_atom to its supervisor.
///   A batch that would not be full waits until `linger` has passed since the previous
///   batch ended (projector_core::lingers): a hot stream's projection trails by at most
///   about `linger` plus one batch, and a quiet stream's event is projected at once.
/// Supervision: started by the stream supervisor as the companion with role "projector"
///   (`projector_companion`) on the first legacy or VES commit of its stream (or on
///   get_companion: the routes, the DLQ retry actor, the catch-up at boot), monitored and
///   respawned after a crash, stopped with the stream. Once caught up with nothing to do
///   (no job, no retry, no back-off, no blocked entity) for `companion_idle_stop` it stops,
///   in agreement with the supervisor, and the next commit starts a new one. A restart or
///   stop loses only in-memory state (including the counters of projection_status, which
///   count since this projector started): the new projector loads its checkpoints and
///   blocked entities and catches up from storage (every applied event and its checkpoint
///   were one transaction, so nothing is applied twice or skipped). DLQ retries it held
///   fail (the DLQ retry actor puts their rows back).
/// State: projector_core (checkpoints, heads announced, blocked entities, halt, counters),
///   the DLQ retries and resume requests waiting for their turn, the idle stop.
/// Failure modes: a storage failure or timeout of a job → pause `retry_delay`, then go on
///   (the failed job's committed progress is kept). While entities are blocked it reloads
///   every `heal_interval`, which re-applies rows left waiting behind a purged row.
///
/// Wiring (runtime/node.cpp):
///   auto policy = std::make_shared<const dlq::dlq_policy>(dlq::retry_schedule{retry_opts});
///   auto io = projection::spawn_projection_io(sys, {workers, true, policy, {}},
///                                             event_store_factory, projection_store_factory);
///   projection::projector_deps pd;  pd.io = io;  pd.default_mode = …;  pd.modes = …;
///   pd.metrics = &projection_metrics;
///   ingest_cfg.companions.push_back(projection::projector_companion(pd));
///   auto topo = spawn_ingest_topology(sys, ingest_cfg, …);
///   // then the DLQ retry actor (actors/dlq/dlq_retry.hpp) with topo.registry and io.

#include "actors/ingest_config.hpp"
#include "actors/projector/committed_feed.hpp"
#include "actors/projector/projection_io.hpp"
#include "actors/projector/projection_metrics.hpp"
#include "actors/projector/projector_core.hpp"
#include "actors/supervision/companion.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_clock.hpp"
#include "caf/fwd.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/timespan.hpp"
#include "caf/typed_response_promise.hpp"

namespace seq::actors::projection {

/// The role name of the projector companion (msg::get_companion{stream, "projector"}).
inline constexpr const char* projector_role = "projector";

struct projector_deps {
  /// The node's projection I/O workers (spawn_projection_io).
  projection_io io;
  /// Blocking mode of every stream without an entry in `modes`.
  msg::blocking_mode default_mode = msg::blocking_mode::park;
  /// Per-stream blocking modes.
  std::map<msg::stream_key, msg::blocking_mode> modes;
  /// Events per batch.
  uint32_t batch_size = 100;
  /// How long after a batch a partial one may wait to fill up (0: never waits).
  caf::timespan linger{0};
  /// Upper bound for one job on the I/O worker.
  caf::timespan io_timeout = std::chrono::minutes{5};
  /// Pause after a storage failure.
  caf::timespan retry_delay = std::chrono::seconds{1};
  /// While entities are blocked: reload this often (heals chains left behind purged rows;
  /// costs five queries plus the orphaned chains it re-applies).
  caf::timespan heal_interval = std::chrono::minutes{5};
  /// May be null.
  projection_metrics* metrics = nullptr;

  msg::blocking_mode mode_for(const msg::stream_key& s) const;
};

/// Committed events a projector keeps for its next batches, per space: four batches.
constexpr size_t feed_capacity(uint32_t batch_size) {
  return 4 * static_cast<size_t>(batch_size);
}

struct projector_state {
  static inline const char* name = "projector";

  struct waiting_retry {
    caf::typed_response_promise<msg::dlq_entry> rp;
    msg::dlq_entry entry;
  };

  projector_deps deps;
  std::unique_ptr<projector_core> core;
  /// Committed events not projected yet (from events_committed): batches take them from
  /// here instead of storage.
  committed_feed feed{0};
  caf::actor io;
  bool busy = false;
  bool backoff_timer = false;
  bool heal_timer = false; ///< a heal tick is scheduled (only while some entity is blocked)
  bool linger_timer = false; ///< a partial batch waits for linger_atom
  std::optional<caf::actor_clock::time_point> last_batch_end; ///< of the previous batch
  std::vector<waiting_retry> retries; ///< oldest first
  companion_idle idle;
  std::vector<caf::typed_response_promise<msg::projection_status>> resumes;

  projector_state() = default;
  projector_state(const projector_state&) = delete;
  projector_state& operator=(const projector_state&) = delete;
  /// Fails the retries and resume requests still waiting.
  ~projector_state();
};

caf::behavior projector(caf::stateful_actor<projector_state>* self, msg::stream_key stream,
                        projector_deps deps);

/// The companion_spec that makes every stream supervisor spawn a projector (role
/// "projector"). Put it into ingest_config::companions before spawn_ingest_topology.
companion_spec projector_companion(projector_deps deps);

} // namespace seq::actors::projection
