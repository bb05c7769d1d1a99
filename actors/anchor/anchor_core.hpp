// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The anchor actor's rules as a plain class (no actors, no I/O): the job queue, how each
/// chain answer is classified, what an automatic round skips, and the counters.
///
/// Jobs run one at a time, in arrival order. A batch id is queued at most once: a second
/// request for a queued batch waits for the same outcome. Automatic rounds add the pending
/// commitments they find (oldest first) behind the jobs already queued.
/// After a job fails:
///   - transient (chain unreachable, timeout, breaker open): the automatic jobs still queued are
///     dropped (the next round finds them again); requests from clients still run (they fail
///     fast while the breaker is open, so each client gets its own answer at once);
///   - refused by the contract: the automatic jobs queued for the same stream are dropped (a
///     later commitment of that stream cannot pass before this one);
///   - anything else: only this job fails.

#include "messages/anchor.hpp"
#include "messages/errc.hpp"

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "caf/error.hpp"

namespace seq::actors::anchor {

/// How a failed job's error is treated.
enum class failure_kind : uint8_t { transient, rejected, other };
failure_kind classify(const caf::error& e);

struct job {
  msg::uuid batch_id;
  msg::anchor_kind kind = msg::anchor_kind::ves;
  /// Who waits for the outcome (ids the CAF shell maps to response promises).
  std::vector<uint64_t> waiters;
  /// Known once the commitment is loaded.
  std::optional<msg::stream_key> stream;
  bool automatic() const { return waiters.empty(); }
};

class anchor_core {
public:
  explicit anchor_core(bool automatic) { status_.automatic = automatic; }

  /// A client asks for `batch_id`; `waiter` is told the outcome. True when a new job was
  /// queued (false: it joined the job already queued for that batch).
  bool request(const msg::uuid& batch_id, msg::anchor_kind kind, uint64_t waiter);

  /// An automatic round found these pending VES commitments (oldest first). Returns how many
  /// were queued (the others are queued already).
  size_t add_round(const msg::anchor_pending& pending);
  /// Counts the start of an automatic round.
  void round_started() { ++status_.rounds; }

  /// The job to run next, when none runs; marks it running.
  job* start_next();
  /// The running job, if any.
  job* running() { return running_ ? &queue_.front() : nullptr; }
  bool idle() const { return !running_; }

  /// Ends the running job with its outcome; returns its waiters.
  std::vector<uint64_t> finish(const msg::anchor_outcome& o, msg::timestamp_us now);
  /// Ends the running job with an error (see the file comment); returns its waiters.
  std::vector<uint64_t> fail(const caf::error& e, const std::string& message);

  /// Remembers an error that belongs to no job (shown as last_error).
  void note_error(std::string message) { status_.last_error = std::move(message); }

  msg::anchor_status status() const;
  size_t queued() const { return queue_.size(); }

private:
  job* find(const msg::uuid& batch_id);
  std::vector<uint64_t> pop();

  std::deque<job> queue_;
  bool running_ = false;
  msg::anchor_status status_;
};

} // namespace seq::actors::anchor
