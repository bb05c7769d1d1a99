// SPDX-License-Identifier: Apache-2.0
#pragma once

/// DLQ retry actor — one per node (in a cluster: one per cluster, elected by the runtime).
///
/// Role: retries dead-lettered events. Every `poll_interval` it puts rows whose retry was
///   lost (status retrying, not touched for `stale_after`) back to pending, then fetches up
///   to `batch_size` rows due for retry (due_for_retry), and for each: marks it retrying,
///   asks the stream's projector (msg::get_companion{stream, "projector"} via the stream
///   registry) to re-apply the event (msg::reapply_dlq), and counts the outcome. The
///   projector writes the row's outcome (resolved, pending with the next retry time, or
///   dead; see actors/dlq/retry_schedule.hpp) in the same transaction as the projection,
///   and re-applies the rows that waited behind a resolved row. Re-applying never moves a
///   checkpoint backwards. One round at a time; a round ends when its retries are answered.
/// Interface (dynamically typed `caf::actor`):
///   retry_dlq      → dlq_entry   operator-triggered retry of one row (route
///                                `POST /api/v1/dlq/{id}/retry`, CLI): the row as written
///                                afterwards, or errc::not_found / errc::invalid_request
///                                (resolved, already being retried, waits behind an earlier
///                                row of its entity) / storage errors. Dead rows may be
///                                retried this way.
///   tick_atom      (from itself) a polling round
/// Sends: dlq_fetch_stale, dlq_fetch_due, dlq_get, dlq_update, dlq_audit to the projection
///   I/O workers; get_companion to the registry; reapply_dlq to projectors (all requests).
///   Every retry writes a `dlq_retry` audit row (actor "dlq_retry", or `requested_by`).
/// Supervision: spawned by the runtime (spawn_dlq_retry) and stopped with the node. A
///   restart loses the retries in flight: their rows stay `retrying` until the next
///   stale check puts them back to pending.
/// State: the ids being retried, whether a round is running.
/// Failure modes: the projector cannot be reached, or its storage fails → the row goes
///   back to its previous status with the next retry per schedule (retry_count unchanged).
///
/// Wiring (runtime/node.cpp), after spawn_ingest_topology:
///   dlq::dlq_retry_deps rd;  rd.registry = topo.registry;  rd.io = io;  rd.policy = policy;
///   rd.metrics = &projection_metrics;
///   auto retry = dlq::spawn_dlq_retry(sys, rd);
///   // routes: request(retry, timeout, msg::retry_dlq{id, key_prefix}) → msg::dlq_entry
///   // shutdown: anon_send_exit(retry, caf::exit_reason::user_shutdown)

#include "actors/dlq/retry_schedule.hpp"
#include "actors/projector/projection_engine.hpp"
#include "actors/projector/projection_io.hpp"
#include "actors/projector/projection_metrics.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/timespan.hpp"

namespace seq::actors::dlq {

struct dlq_retry_deps {
  /// The stream registry (answers msg::get_companion, spawning the stream on first use).
  caf::actor registry;
  /// The node's projection I/O workers.
  projection::projection_io io;
  /// The same policy object the I/O workers use; null → default retry_options.
  std::shared_ptr<const dlq_policy> policy;
  caf::timespan poll_interval = std::chrono::seconds{5};
  /// Due rows fetched per round.
  uint32_t batch_size = 32;
  /// A row left in retrying this long is put back to pending.
  caf::timespan stale_after = std::chrono::minutes{10};
  /// Upper bound for each request (storage, registry, projector).
  caf::timespan request_timeout = std::chrono::minutes{5};
  /// Wall clock (DLQ times); null → msg::now_us.
  projection::clock_fn clock;
  /// May be null.
  projection::projection_metrics* metrics = nullptr;
};

struct dlq_retry_state {
  static inline const char* name = "dlq_retry";
  dlq_retry_deps deps;
  std::set<msg::uuid> in_flight;
  bool round_active = false;
  /// Retries of the current round not answered yet.
  size_t round_left = 0;
  uint64_t rounds = 0;
};

caf::behavior dlq_retry(caf::stateful_actor<dlq_retry_state>* self, dlq_retry_deps deps);

/// Spawns the retry actor (event-based: all its I/O runs on the projection I/O workers).
caf::actor spawn_dlq_retry(caf::actor_system& sys, dlq_retry_deps deps);

} // namespace seq::actors::dlq
