// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Stream sequencer actor — one per (tenant, store) stream.
///
/// Role: gives accepted events of its stream gap-free numbers in the legacy and VES
///   spaces, with group commit: while one write is in flight, every request that arrives
///   (and is verified) goes into the NEXT single transaction (up to
///   `group_commit_max_events`), which is planned (numbers, receipts signed) on top of the
///   group in flight while that one is written, and sent the moment it committed. Replies
///   only after the request's own transaction committed.
///   The rules live in the plain class `stream_state`; this shell decodes messages, keeps
///   the queue, talks to the verify pool and the storage writer, and answers promises.
/// Interface (dynamically typed `caf::actor`):
///   ingest_ves     → ves_ingested      or caf::error (errc::overloaded, errc::shutting_down,
///   ingest_legacy  → legacy_ingested      storage errors of the group, sequence_exhausted)
///   ingest_x402    → x402_ingested     (x402 space; errc::invalid_request for a used nonce)
///   activity_atom  → stream_activity   unanswered events (queued / being written)
///   drain_atom     → ok_atom           after the queue is empty; new work is refused from then
///   reload_atom    (from itself)       retry loading the stream state
/// Sends: verify_ves_batch / verify_legacy_batch to the verify pool (request); load_stream,
///   commit_group, inspect_conflict to the storage writer (request); events_committed (with
///   a read-only pointer to the committed group) to `notify` and x402_sequenced to
///   `cfg->x402_sink` after each commit.
/// Supervision: spawned and monitored by its stream_supervisor, which respawns it after a
///   crash; the new one reloads heads and versions from storage. A restart loses the
///   unanswered requests: they are failed with errc::internal (never acknowledged, so the
///   client may retry; exact replays are idempotent).
/// State: stream_state (heads, versions, id caches), the request queue in arrival order
///   (a request enters a group only when it and every request before it are verified, so
///   requests are sequenced in the order they arrived), the group in flight, and the next
///   group being planned on top of it. If the group in flight fails in any way, the next
///   group's plan is dropped and its requests return to the front of the queue, to be
///   planned again on the state that follows the failure.
/// Failure modes: errc::storage_conflict → inspect the conflict, apply it, plan the SAME
///   requests again (at most `max_conflict_retries` times, then the group fails with
///   errc::storage_unavailable and state is reloaded); errc::storage_failure (storage
///   refused the group, e.g. a value a column cannot hold) of a group of several requests →
///   state is reloaded and the same requests are written again one per group, so only the
///   request that carries the refused value fails; any other write error → exactly the
///   requests of that group fail with it, then state is reloaded before the next write
///   (no gap, no duplicate); load failure → retried every `reload_retry` while requests
///   wait; more than `max_queued_events` unanswered events → errc::overloaded.

#include "actors/ingest_config.hpp"
#include "actors/metrics.hpp"
#include "actors/sequencer/stream_state.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "caf/response_promise.hpp"
#include "caf/stateful_actor.hpp"

namespace seq::actors {

/// What a sequencer (and its supervisor) needs from the topology.
struct sequencer_deps {
  std::shared_ptr<const ingest_config> cfg;
  caf::actor verify_pool;
  caf::actor writer;
  ingest_metrics* metrics = nullptr;
  /// Receives msg::events_committed after every commit (the stream supervisor); may be null.
  caf::actor notify = {};
};

struct sequencer_state {
  static inline const char* name = "sequencer";

  /// One client request, from arrival until its answer.
  struct pending {
    uint64_t id = 0;
    caf::response_promise rp;
    bool is_ves = true;
    size_t events = 0;
    bool ready = false; ///< verified; `req` is filled
    queued_request req;
  };

  sequencer_deps deps;
  std::unique_ptr<stream_state> st;
  std::deque<pending> queue;   ///< arrival order (ids increasing)
  std::vector<pending> in_flight;
  /// The plan of `in_flight` (none while a conflict is inspected).
  std::shared_ptr<group_plan> plan;
  /// Verified requests planned on top of `plan` while it is written (arrival order), and
  /// their plan so far (allocated only then: an idle stream stays small); `next_events` of
  /// them (still counted in `queued_events`).
  std::vector<pending> next;
  std::unique_ptr<stream_state::group_builder> next_plan;
  size_t next_events = 0;
  bool loaded = false;   ///< state loaded from storage
  bool writing = false;  ///< a commit (or its conflict inspection) is in flight
  bool loading = false;
  bool draining = false;
  uint64_t next_id = 1;
  size_t queued_events = 0;
  size_t in_flight_events = 0;
  size_t conflict_retries = 0;
  /// Groups still to be written with one request each, after storage refused a group.
  size_t isolate = 0;
  std::vector<caf::response_promise> drain_waiters;

  sequencer_state() = default;
  sequencer_state(const sequencer_state&) = delete;
  sequencer_state& operator=(const sequencer_state&) = delete;
  /// Fails every unanswered request (the actor stopped or crashed).
  ~sequencer_state();
};

caf::behavior sequencer(caf::stateful_actor<sequencer_state>* self, msg::stream_key key,
                        sequencer_deps deps);

} // namespace seq::actors
