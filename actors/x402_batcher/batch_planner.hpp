// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The rules of one x402 batcher (one stream, one network) as a plain class: WHEN to seal a
/// batch, when to expire overdue intents, and the settlement queue with its retry back-off.
/// What a batch contains is decided by storage (actors/x402_batcher/settlement_batch.hpp):
/// this class only counts what waits.
///
/// Sealing: a batch is due when `max_size` intents wait, or when the oldest has waited
/// `max_wait`. Expiry is due when a waiting intent's valid_until has passed. Knowledge comes
/// from two sources: notices of newly sequenced intents (counted once: a notice numbered at or
/// below the last storage read is already in that read), and storage summaries, which replace
/// the count after every load or seal.
///
/// Settlement: committed batches are settled one at a time, oldest first (one settler per
/// stream and network). A failure that may pass (chain unreachable, breaker open, timeout)
/// keeps the batch at the head of the queue and delays the next attempt: `retry_initial`,
/// doubling up to `retry_max`; a success resets the delay. A refusal by the contract moves the
/// batch to the back of the queue (later batches do not wait behind it) until it was refused
/// `max_refusals` times; then it is given up (the batcher records it failed).
///
/// Times are microseconds on the caller's clock (the batcher passes wall-clock time that
/// advances with its actor clock, so virtual time works in tests).

#include "messages/x402.hpp"
#include "messages/x402_store.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>

namespace seq::actors::x402 {

struct batcher_options {
  /// Seal when this many intents wait (1..1000).
  uint32_t max_size = 100;
  /// ... or when the oldest has waited this long.
  std::chrono::microseconds max_wait = std::chrono::seconds{30};
  /// Seal automatically (the network is one of the configured batch networks). Manual
  /// batches (POST /api/v1/x402/batches) are always possible.
  bool auto_seal = true;
  /// Settle committed batches on chain through the circuit breaker.
  bool auto_settle = false;
  std::chrono::microseconds retry_initial = std::chrono::seconds{1};
  std::chrono::microseconds retry_max = std::chrono::seconds{60};
  /// Refusals by the settlement contract (a missing allowance or balance may be fixed by the
  /// payer) before a batch is given up as failed.
  uint32_t max_refusals = 3;
};

class batch_planner {
public:
  using time_us = msg::timestamp_us;

  explicit batch_planner(batcher_options o);

  const batcher_options& options() const { return opts_; }

  // -- what waits -----------------------------------------------------------------------------

  /// Replaces the count with what storage holds (after a load, a seal or an expiry).
  void on_summary(const msg::x402_pending_summary& s);
  /// A newly sequenced intent of this network; ignored when the last summary covered it.
  void on_sequenced(const msg::x402_notice& n);

  uint64_t waiting() const { return pending_.count; }
  const msg::x402_pending_summary& pending() const { return pending_; }

  enum class action : uint8_t {
    none = 0,
    seal_by_size = 1,
    seal_by_time = 2,
    expire = 3, ///< only expiry is due
  };
  /// What is due at `now` (seal wins over expiry: sealing expires first).
  action due(time_us now) const;

  // -- settlement -----------------------------------------------------------------------------

  /// Queues a committed batch for settlement (no-op when auto_settle is off or queued).
  void add_committed(const msg::uuid& batch_id);
  /// The batch to settle now, if any: the head of the queue once the back-off has passed.
  std::optional<msg::uuid> settle_next(time_us now) const;
  /// The head of the queue settled (or left the queue for good): drop it, reset the delay.
  void settled(const msg::uuid& batch_id);
  /// The head failed with an error that may pass: try again after the back-off.
  void retry_later(time_us now);
  /// The contract refused `batch_id`: true when it must be given up (max_refusals reached;
  /// it stays queued until `settled`), else it moves to the back of the queue after a back-off.
  bool refused(const msg::uuid& batch_id, time_us now);
  size_t queued() const { return queue_.size(); }
  std::chrono::microseconds current_delay() const { return delay_; }

  // -- timers ---------------------------------------------------------------------------------

  /// The earliest time something becomes due (seal by time, expiry, settlement retry).
  std::optional<time_us> next_deadline() const;

private:
  batcher_options opts_;
  msg::x402_pending_summary pending_;
  std::deque<msg::uuid> queue_;
  std::map<msg::uuid, uint32_t> refusals_;
  std::chrono::microseconds delay_{0};
  time_us retry_at_ = 0;
};

} // namespace seq::actors::x402
