// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The blocking steps of x402 batching as plain functions over the storage contract (run by
/// the x402 I/O workers, x402_io.hpp), and the translation of a committed batch into the
/// settlement contract call. No actors.

#include "messages/settlement.hpp"
#include "messages/x402.hpp"
#include "messages/x402_batching.hpp"
#include "messages/x402_store.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "caf/expected.hpp"

namespace seq::actors::x402 {

/// Expires overdue intents of the request's stream and network, then (unless nothing should
/// be sealed) seals one batch with id `batch_id` at `req.now`:
/// - with `req.intent_ids`: exactly those; errc::not_found "Payment intent … not found",
///   errc::invalid_request when one belongs to another stream or network or is not sequenced;
/// - without: up to `req.max_size` oldest sequenced intents (only the oldest one's asset when
///   `req.single_asset`); none → errc::invalid_request "No pending intents found for batching"
///   for a `manual` request, a null batch for an automatic one (max_size 0: expire only).
/// The batch row and the claim of its intents are one transaction. A seal that loses a race
/// for its intents reads again (up to 3 times); named intents fail instead.
caf::expected<msg::x402_sealed> seal_batch(storage::x402_store& xs, const msg::x402_seal& req,
                                           const msg::uuid& batch_id);

/// The batch with its member intents (errc::not_found).
caf::expected<msg::x402_sealed> fetch_batch(storage::x402_store& xs, const msg::uuid& id);

/// POST /api/v1/x402/batches/settle: the reference's rules (msg::decide_x402_settle) applied
/// with a compare-and-set (re-decided when the batch changed meanwhile).
/// errc::not_found, errc::invalid_request, errc::invalid_state_transition.
caf::expected<msg::x402_settled> settle_manually(storage::x402_store& xs,
                                                 const msg::settle_x402_batch& req,
                                                 msg::timestamp_us now);

/// Where and how batches settle on chain.
struct settlement_config {
  /// The configured chain's id; 0 = not known yet (the batcher asks the chain).
  uint64_t chain_id = 0;
  /// Token address per asset (hash name); assets without an entry use the reference's table.
  std::map<std::string, std::string> tokens;
};

/// The settlement contract call for a committed batch and its intents, or why it cannot be
/// settled automatically (see msg::x402_unsettleable_reason).
std::variant<msg::settle_payment_batch, std::string>
settlement_for(const msg::x402_batch& b, const std::vector<msg::x402_intent>& intents,
               const settlement_config& cfg);

} // namespace seq::actors::x402
