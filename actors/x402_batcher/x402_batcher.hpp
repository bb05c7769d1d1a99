// SPDX-License-Identifier: Apache-2.0
#pragma once

/// x402 batcher actor — one per (stream, network), spawned by the batcher hub.
///
/// Role: seals the stream's sequenced intents of one network into Merkle-committed batches —
///   when `max_size` intents wait or the oldest has waited `max_wait` (batch_planner) — and
///   expires intents whose valid_until passed before they were batched. With a chain (a
///   circuit breaker) and auto_settle, it settles each committed batch on the project's
///   settlement contract, one at a time, oldest first; it is the only settler of its stream
///   and network on this node. Manual batches (POST /api/v1/x402/batches) go through it too,
///   so manual and automatic seals never race.
/// Interface (dynamically typed `caf::actor`):
///   x402_sequenced                             new intents (this network's are counted)
///   create_x402_batch → x402_batch_made        manual seal (errc::not_found,
///                                              errc::invalid_request)
///   (caf::put_atom, caf::actor)                the circuit breaker (from the hub)
///   x402_tick_atom (from itself)               a deadline or a back-off ended
/// Sends: x402_load_state, x402_seal, x402_fetch_batch, x402_record (requests) to its stream's
///   x402 I/O worker; probe_chain (when the chain id is not configured) and
///   settle_payment_batch (requests) to the circuit breaker.
/// Supervision: spawned and monitored by the hub, which respawns it after a crash. A restart
///   loses only counts and the settlement queue: the new batcher reloads what waits and the
///   committed batches from storage. A settlement in flight at the crash is sent again; the
///   settlement gateway is idempotent per batch id (it answers the original transaction).
/// State: batch_planner, queued manual requests, the settlement in progress, one timer.
/// Failure modes: a failed load or automatic seal is retried after `retry_initial`; a manual
///   seal answers its error. Settlement: chain unreachable, timeout, breaker open → retried
///   with back-off (batch_planner); errc::chain_rejected → tried again after the other queued
///   batches, and after `max_refusals` refusals the batch and its intents become failed;
///   errc::invalid_request (no settlement contract) → automatic settlement stops for
///   this batcher; a batch that cannot settle on chain (non-EVM addresses, no token address,
///   mixed assets, another chain) stays committed for manual settlement.
/// Time: wall-clock µs that advance with the actor clock (virtual time in tests).

#include "actors/x402_batcher/batch_planner.hpp"
#include "actors/x402_batcher/settlement_batch.hpp"
#include "actors/x402_batcher/x402_io.hpp"
#include "actors/x402_batcher/x402_metrics.hpp"

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "caf/actor.hpp"
#include "caf/actor_clock.hpp"
#include "caf/fwd.hpp"
#include "caf/response_promise.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/timespan.hpp"

namespace seq::actors::x402 {

struct batcher_deps {
  x402_io io;
  /// The chain circuit breaker; invalid: no chain, batches seal but are not settled.
  caf::actor breaker;
  settlement_config settlement;
  batcher_options options;
  caf::timespan io_timeout = std::chrono::minutes{5};
  /// Upper bound for one settlement through the breaker (it waits for confirmations).
  caf::timespan settle_timeout = std::chrono::minutes{10};
  x402_metrics* metrics = nullptr;
};

struct x402_batcher_state {
  static inline const char* name = "x402_batcher";

  struct manual_request {
    msg::create_x402_batch req;
    caf::response_promise rp;
  };

  msg::stream_key stream;
  std::string network;
  batcher_deps deps;
  std::unique_ptr<batch_planner> plan;
  bool loaded = false;
  bool loading = false;
  bool sealing = false;
  bool settling = false;
  bool settle_disabled = false;
  std::deque<manual_request> manual;
  /// A confirmed transaction whose recording failed: recorded before anything else is sent.
  std::optional<msg::x402_batch_update> unrecorded;
  /// Automatic work waits until then after a storage failure (µs).
  msg::timestamp_us storage_retry_at = 0;
  /// The chain id batches settle on (configured, or learned from the chain).
  uint64_t chain_id = 0;
  /// When the pending timer fires (µs), if one is pending.
  std::optional<msg::timestamp_us> tick_at;
  caf::actor_clock::time_point clock0;
  msg::timestamp_us wall0 = 0;

  x402_batcher_state() = default;
  x402_batcher_state(const x402_batcher_state&) = delete;
  x402_batcher_state& operator=(const x402_batcher_state&) = delete;
  /// Fails queued manual requests.
  ~x402_batcher_state();
};

caf::behavior x402_batcher(caf::stateful_actor<x402_batcher_state>* self, msg::stream_key stream,
                           std::string network, batcher_deps deps);

} // namespace seq::actors::x402
