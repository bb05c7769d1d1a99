// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Chain worker actor.
///
/// Role: performs the blocking chain calls (JSON-RPC, transaction signing, receipt polling)
///   on ONE chain_gateway it owns, so they never run on the cooperative scheduler.
/// Interface (dynamically typed `caf::actor`), all from messages/chain.hpp:
///   probe_chain                → chain_head
///   anchor_commitment          → chain_tx
///   check_anchored             → anchored_state
///   fetch_onchain_commitment   → onchain_commitment
///   fetch_onchain_stream_head  → onchain_stream_head
///   verify_inclusion_on_chain  → inclusion_verified
///   settle_payment_batch       → chain_tx             (messages/settlement.hpp, x402)
///   check_batch_settled        → batch_settled_state
///   Any call may instead answer a caf::error with the gateway's seq::errc unchanged
///   (errc::chain_unavailable, errc::timeout, errc::chain_rejected, errc::invalid_request).
/// Sends: nothing but replies.
/// Supervision: spawned and monitored by its circuit_breaker actor, which respawns it after a
///   crash. A crash loses only the call in progress (the breaker answers it with an error).
/// State: the gateway (opened lazily through the factory; reopened after a failed open).
/// Failure modes: the factory fails → that error for the call, retried on the next call.
/// Threading: blocking I/O — spawned detached unless the breaker's config says otherwise
///   (tests on the deterministic coordinator).

#include "messages/chain.hpp"

#include <memory>

#include "caf/fwd.hpp"
#include "caf/stateful_actor.hpp"

namespace seq::actors {

struct chain_worker_state {
  static inline const char* name = "chain_worker";
  chain::chain_gateway_factory factory;
  std::unique_ptr<chain::chain_gateway> gateway;
};

caf::behavior chain_worker(caf::stateful_actor<chain_worker_state>* self,
                           chain::chain_gateway_factory factory);

} // namespace seq::actors
