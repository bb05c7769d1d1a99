// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The on-chain half of x402 settlement: what the batcher asks the chain to do with a
/// committed x402 batch. Requests go to the circuit breaker (messages/chain.hpp), which
/// forwards them to its chain worker, whose chain_gateway sends them to the project's
/// settlement contract (deploy/contracts/VesPaymentBatch.sol, `settleBatch`).
///
/// settle_payment_batch is idempotent across restarts: the gateway first asks the contract
/// whether the batch id is settled and, if so, answers the ORIGINAL transaction (found through
/// its BatchSettled log) without sending anything.
///
/// Replies may be errors:
/// - errc::chain_rejected: the contract refused (already settled by a transaction the gateway
///   cannot find, unequal or too many transfers, a transfer failed — missing allowance or
///   balance — or the sender is not an authorised settler); the message quotes the reason;
/// - errc::chain_unavailable / errc::timeout: the chain cannot be reached, or the transaction
///   was not confirmed in time (ask again: the idempotent path finds it once it is mined);
/// - errc::circuit_open: the breaker is open;
/// - errc::invalid_request: no settlement contract is configured.

#include "messages/chain.hpp"
#include "messages/domain.hpp"

#include <cstdint>
#include <vector>

#include "caf/meta/type_name.hpp"

namespace seq::msg {

/// One aggregated ERC-20 transfer of a batch: token.transferFrom(from, to, amount).
struct settlement_transfer {
  evm_address from{}, to{};
  uint64_t amount = 0; ///< token base units
  bool operator==(const settlement_transfer&) const = default;
};

/// Settle one committed x402 batch on chain: records merkle_root (ves-crypto §10, rs_merkle
/// over the intent leaves) and state_root (SHA256(tenant ‖ store ‖ batch ‖ merkle_root)) with
/// the batch's range and count, and moves `transfers` of `token`, all in one transaction.
/// Reply: chain_tx (chain id, tx hash, block number) once confirmed.
struct settle_payment_batch {
  uuid batch_id, tenant_id, store_id;
  hash32 merkle_root{}, state_root{};
  uint64_t sequence_start = 0, sequence_end = 0;
  uint32_t payment_count = 0;
  evm_address token{};
  std::vector<settlement_transfer> transfers;
  bool operator==(const settle_payment_batch&) const = default;
};

/// Is this batch settled on chain? Reply: batch_settled_state.
struct check_batch_settled {
  uuid batch_id;
  bool operator==(const check_batch_settled&) const = default;
};
struct batch_settled_state {
  bool settled = false;
  bool operator==(const batch_settled_state&) const = default;
};

// -- inspectors -------------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, settlement_transfer& x) {
  return f(caf::meta::type_name("seq::settlement_transfer"), x.from, x.to, x.amount);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, settle_payment_batch& x) {
  return f(caf::meta::type_name("seq::settle_payment_batch"), x.batch_id, x.tenant_id,
           x.store_id, x.merkle_root, x.state_root, x.sequence_start, x.sequence_end,
           x.payment_count, x.token, x.transfers);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, check_batch_settled& x) {
  return f(caf::meta::type_name("seq::check_batch_settled"), x.batch_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_settled_state& x) {
  return f(caf::meta::type_name("seq::batch_settled_state"), x.settled);
}

} // namespace seq::msg
