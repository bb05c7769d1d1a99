// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Committer actor — one per stream, a companion of the stream supervisor.
///
/// Role: creates the stream's commitments. Automatic VES commitments when at least
///   `max_events` VES events are uncommitted or the oldest has waited `max_age`
///   (commit_planner); manual VES and legacy commitments requested by the routes go through
///   the same actor, one job at a time, so automatic and manual commitments never race
///   (ves-crypto §8 chaining, idempotent for the same range). Serves VES inclusion proofs from
///   the trees of its last few commitments (no rebuild), or loads a batch's leaves first.
/// Interface (dynamically typed `caf::actor`, messages/committer.hpp):
///   events_committed                             new events stored (no reply; VES only counts)
///   create_ves_commitment    → ves_commitment    errc::invalid_request for range mistakes
///   create_legacy_commitment → legacy_commitment
///   get_ves_proof            → ves_proof         errc::not_found / forbidden / invalid_request
///   commit_tick_atom (from itself): the age deadline or the end of a back-off
///   companion_wake_atom (from the supervisor): the uncommitted events are due by age
///   companion_idle_atom: idle stop (actors/supervision/companion.hpp)
/// Sends: committer_load, create_ves_commitment, create_legacy_commitment, get_ves_proof
///   (requests) to the commit I/O worker of its stream; companion_idle_atom to its supervisor.
/// Supervision: started by the stream supervisor as the companion with role "committer"
///   (`committer_companion`) when it is needed: once `max_events` VES events are in while it
///   does not run, or when the first of them has waited `max_age` (then it is woken with
///   companion_wake_atom and commits them at once, after loading), or on get_companion
///   (manual commitments, proofs). While it waits for the age limit no committer runs: the
///   supervisor keeps the time. Once everything is committed (or automatic commits are
///   off) and nothing happened for `companion_idle_stop`, it stops in agreement with the
///   supervisor. Respawned after a crash. A restart or stop loses only the tree cache (proofs
///   then rebuild the tree from the stored leaves) and, for a crash, the queued requests
///   (their callers see an error): the new committer reloads the last commitment's end and
///   the head from storage; the committed rows are the truth.
/// State: commit_planner, the queue of manual requests, the tree cache, the idle stop.
/// Failure modes: a failed automatic commitment pauses automatic commits for `retry_delay`;
///   a failed load is retried after `retry_delay`; manual requests get the error.
///
/// Wiring (runtime/node.cpp):
///   auto cio = committer::spawn_commit_io(sys, workers, true, event_store_factory);
///   committer::committer_deps cd;  cd.io = cio;  cd.options = …;
///   ingest_cfg.companions.push_back(committer::committer_companion(cd));

#include "actors/committer/commit_io.hpp"
#include "actors/committer/commit_planner.hpp"
#include "actors/supervision/companion.hpp"
#include "messages/committer.hpp"
#include "messages/ves/ves.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/timespan.hpp"
#include "caf/typed_response_promise.hpp"

namespace seq::actors::committer {

/// The role name of the committer companion (msg::get_companion{stream, "committer"}).
inline constexpr const char* committer_role = "committer";

struct committer_deps {
  commit_io io;
  commit_options options;
  /// Upper bound for one job on the I/O worker.
  caf::timespan io_timeout = std::chrono::minutes{5};
  /// Pause after a failed load or automatic commitment.
  caf::timespan retry_delay = std::chrono::seconds{1};
  /// Trees kept in memory for proofs.
  size_t cached_trees = 8;
};

struct committer_state {
  static inline const char* name = "committer";

  struct ves_job {
    msg::create_ves_commitment req;
    caf::typed_response_promise<msg::ves_commitment> rp;
  };
  struct legacy_job {
    msg::create_legacy_commitment req;
    caf::typed_response_promise<msg::legacy_commitment> rp;
  };
  struct cached_tree {
    msg::ves_commitment commitment;
    ves::merkle_tree tree;
  };

  committer_deps deps;
  msg::stream_key stream;
  std::unique_ptr<commit_planner> planner;
  caf::actor io;
  bool loaded = false;
  bool busy = false;
  bool auto_paused = false;
  bool overdue = false; ///< woken by the supervisor: the uncommitted events are due by age
  size_t proofs = 0;    ///< proof requests waiting for the I/O worker (no stop meanwhile)
  std::optional<commit_planner::time_point> timer_at;
  std::vector<std::variant<ves_job, legacy_job>> queue; ///< oldest first
  std::vector<cached_tree> cache;                       ///< newest last
  companion_idle idle;

  committer_state() = default;
  committer_state(const committer_state&) = delete;
  committer_state& operator=(const committer_state&) = delete;
  /// Fails the requests still queued.
  ~committer_state();
};

caf::behavior committer(caf::stateful_actor<committer_state>* self, msg::stream_key stream,
                        committer_deps deps);

/// The companion_spec that makes every stream supervisor spawn a committer (role
/// "committer").
companion_spec committer_companion(committer_deps deps);

} // namespace seq::actors::committer
