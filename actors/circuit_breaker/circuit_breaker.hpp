// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Circuit-breaker actor (one per external service; this one guards the EVM chain).
///
/// Role: every chain call passes through it. It asks its breaker (breaker.hpp) whether the
///   call may go; if not it answers at once with errc::circuit_open ("<name> circuit breaker
///   is open; retry in N ms"). Otherwise it forwards the call to its chain worker and, when
///   the answer comes, tells the breaker how it went and passes the answer on unchanged.
/// Interface (dynamically typed `caf::actor`): the chain requests of messages/chain.hpp
///   (probe_chain, anchor_commitment, check_anchored, fetch_onchain_commitment,
///   fetch_onchain_stream_head, verify_inclusion_on_chain, and the x402 settlement requests
///   settle_payment_batch and check_batch_settled of messages/settlement.hpp), with the
///   worker's replies; and
///   caf::get_atom → msg::breaker_status (state and counters for /health/detailed, /metrics).
/// Counted as failures: errc::chain_unavailable, errc::timeout, a worker that does not answer
///   within `call_timeout` (sec::request_timeout), is gone or dies during the call
///   (sec::request_receiver_down, sec::runtime_error, an exit reason), and successful calls
///   slower than the slow-call threshold. Refusals (errc::chain_rejected, errc::invalid_request)
///   prove the chain is up and count as successes.
/// Sends: requests to its worker; nothing else but replies.
/// Supervision: spawns its chain worker (detached unless configured otherwise) and monitors
///   it; a dead worker is respawned on the next call. The breaker itself is spawned by the
///   runtime (root supervisor); a restart loses the breaker state (it starts closed).
/// State: the breaker, the worker handle, the worker's spawn function.
/// Time: the actor clock (virtual time under the CAF test coordinator).

#include "actors/circuit_breaker/breaker.hpp"
#include "messages/chain.hpp"

#include <functional>
#include <memory>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/timespan.hpp"

namespace seq::actors {

struct circuit_breaker_config {
  breaker_options breaker = breaker_options::anchor_defaults();
  /// Upper bound for one forwarded call (an anchor waits for its confirmations inside it).
  caf::timespan call_timeout = std::chrono::minutes{3};
  /// Run the chain worker detached (own thread). Tests on the test coordinator set false.
  bool detached_io = true;
  /// Jitter source in [0, 1); empty = random.
  std::function<double()> random;
};

struct circuit_breaker_state {
  static inline const char* name = "circuit_breaker";
  std::unique_ptr<breaker> cb;
  caf::actor worker;
  circuit_breaker_config cfg;
  chain::chain_gateway_factory factory;
};

caf::behavior circuit_breaker(caf::stateful_actor<circuit_breaker_state>* self,
                              circuit_breaker_config cfg, chain::chain_gateway_factory factory);

/// Spawns a breaker (and, through it, its worker).
caf::actor spawn_circuit_breaker(caf::actor_system& sys, circuit_breaker_config cfg,
                                 chain::chain_gateway_factory factory);

/// True for the errors that say the service is unhealthy (see the header comment).
bool counts_as_failure(const caf::error& e);

} // namespace seq::actors
