// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Projection I/O workers — a small pool per node.
///
/// Role: perform the blocking storage work of the projectors and the DLQ retry actor. Each
///   worker owns two connections: an event_store (to read events) and a
///   projection_store (projections, checkpoints, DLQ), opened lazily through the
///   factories, and runs `projection_engine` on them. All jobs of one stream go to the
///   same worker (`projection_io::for_stream`, a hash of the stream key), so they run one
///   after another in that worker's mailbox: even a crashed projector's last batch
///   finishes before its respawned successor loads, and no event is applied twice.
/// Interface (dynamically typed `caf::actor`, messages/projector.hpp):
///   load_projection  → projection_loaded   checkpoints, blocked entities (heals orphaned
///                                          chains), a halt that outlived a restart
///   project_batch    → batch_projected     a batch (a storage failure is in the outcome)
///   apply_dlq_retry  → dlq_retry_applied   re-apply a DLQ row and the rows behind it
///   resume_halt      → halt_resumed        move a halted checkpoint past its event
///   dlq_fetch_due    → dlq_rows            pending rows due for retry
///   dlq_fetch_stale  → dlq_rows            rows left in `retrying` before a time
///   dlq_get          → dlq_entry           errc::not_found when absent
///   dlq_update       → ok_atom             overwrite status / retry data of a row
///   dlq_audit        → ok_atom             one audit row
///   Any call may instead answer a caf::error carrying the store's seq::errc.
/// Sends: nothing but replies.
/// Supervision: spawned by the runtime (spawn_projection_io), stopped with
///   stop_projection_io at shutdown. A crash loses only the job in progress (its caller
///   sees sec::request_receiver_down or a timeout and retries later); projection steps
///   are single transactions, so nothing half-done remains.
/// State: the two connections, the shared DLQ policy and clock.
/// Threading: blocking I/O — spawned detached unless `projection_io_options::detached` is
///   false (tests on the deterministic coordinator).

#include "actors/dlq/retry_schedule.hpp"
#include "actors/ingest_config.hpp"
#include "actors/projector/projection_engine.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "caf/stateful_actor.hpp"

namespace seq::actors::projection {

using projection_store_ptr = std::unique_ptr<storage::projection_store>;

/// Opens a new projection_store connection (on the same database as the event store).
/// Must be thread-safe: detached workers call it from their own threads.
using projection_store_factory = std::function<caf::expected<projection_store_ptr>()>;

struct projection_io_options {
  /// Worker actors (each with its own two connections); at least 1.
  size_t workers = 2;
  /// Run them as detached actors (own threads). false only on the test coordinator.
  bool detached = true;
  /// The DLQ state machine used for new DLQ rows and failed retries. Share it with the DLQ
  /// retry actor; null → dlq_policy{retry_schedule{retry_options{}}}.
  std::shared_ptr<const dlq::dlq_policy> policy;
  /// Wall clock for DLQ rows and projections; null → msg::now_us.
  clock_fn clock;
};

/// The workers of one node.
struct projection_io {
  std::vector<caf::actor> workers;
  /// The worker that runs every job of stream `s`.
  const caf::actor& for_stream(const msg::stream_key& s) const;
  bool valid() const {
    return !workers.empty();
  }
};

struct projection_io_state {
  static inline const char* name = "projection_io";
  store_factory events_factory;
  projection_store_factory projections_factory;
  store_ptr events;
  projection_store_ptr projections;
  std::shared_ptr<const dlq::dlq_policy> policy;
  clock_fn clock;
};

caf::behavior projection_io_worker(caf::stateful_actor<projection_io_state>* self,
                                   store_factory events, projection_store_factory projections,
                                   std::shared_ptr<const dlq::dlq_policy> policy, clock_fn clock);

/// Spawns `opts.workers` workers.
projection_io spawn_projection_io(caf::actor_system& sys, const projection_io_options& opts,
                                  store_factory events, projection_store_factory projections);

/// Sends exit(user_shutdown) to every worker.
void stop_projection_io(const projection_io& io);

} // namespace seq::actors::projection
