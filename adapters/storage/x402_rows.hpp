// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Row decoders and encodings of the x402 tables, shared by both backends (see rows.hpp for
/// `row_view`). The SELECT column orders are fixed; backends substitute their own expressions
/// for the time columns (µs since the epoch) and JSON columns (text) but keep the order.

#include "adapters/storage/rows.hpp"
#include "messages/x402.hpp"

#include <optional>
#include <string>
#include <vector>

namespace seq::storage::detail {

/// x402_payment_intents: 0 intent_id, 1 x402_version, 2 status, 3 tenant_id, 4 store_id,
/// 5 source_agent_id, 6 agent_key_id, 7 payer_address, 8 payee_address, 9 amount, 10 asset,
/// 11 network, 12 chain_id, 13 token_address, 14 created_at_unix, 15 valid_until, 16 nonce,
/// 17 idempotency_key, 18 resource_uri, 19 description, 20 order_id, 21 merchant_id,
/// 22 signing_hash, 23 payer_signature, 24 payer_public_key, 25 sequence_number,
/// 26 sequenced_at, 27 batch_id, 28 tx_hash, 29 block_number, 30 settled_at, 31 metadata,
/// 32 created_at, 33 updated_at.
msg::x402_intent decode_x402_intent(const row_view& r);

/// x402_payment_batches: 0 batch_id, 1 status, 2 tenant_id, 3 store_id, 4 network,
/// 5 payment_count, 6 total_amounts, 7 merkle_root, 8 prev_state_root, 9 new_state_root,
/// 10 sequence_start, 11 sequence_end, 12 tx_hash, 13 block_number, 14 gas_used,
/// 15 created_at, 16 committed_at, 17 submitted_at, 18 settled_at.
msg::x402_batch decode_x402_batch(const row_view& r);

/// `total_amounts` as stored: `[{"asset":…,"total_amount":<number>,"payment_count":…}]`.
std::string encode_x402_totals(const std::vector<msg::x402_asset_total>& xs);
std::optional<std::vector<msg::x402_asset_total>> decode_x402_totals(const std::string& json);

/// A transaction hash as stored in the VARCHAR(66) columns: `0x` + 64 lowercase hex.
std::string encode_tx_hash(const msg::hash32& h);

/// Compact JSON of stored metadata (JSONB prints its own spacing), "" for NULL/invalid.
std::string compact_json(const std::string& text);

} // namespace seq::storage::detail
