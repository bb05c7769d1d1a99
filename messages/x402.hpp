// SPDX-License-Identifier: Apache-2.0
#pragma once

/// x402 agent-to-agent payments: the values (intents, batches, receipts), their lifecycles,
/// the request rules of wire-contract §3.15 / ves-crypto §10 as pure functions, batch building
/// (Merkle root, state root, per-asset totals, on-chain transfers) and the actor messages of
/// sequencing and batching. No I/O. The storage contract is messages/x402_store.hpp.
///
/// Lifecycles (this project; the reference never sets `expired` nor `failed`):
///   intent: pending → sequenced → batched → settled; sequenced → expired (valid_until passed
///           before it was batched); batched → failed (its batch failed on chain).
///   batch:  pending → committed → submitted → settled; committed/submitted → failed.
/// This project writes intents directly as `sequenced` (the reference's `pending` row only
/// lives inside its insert transaction) and batches directly as `committed`.

#include "messages/domain.hpp"
#include "messages/ves/ves.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "caf/error.hpp"
#include "caf/meta/load_callback.hpp"
#include "caf/meta/type_name.hpp"

namespace seq::msg {

// -- enums ------------------------------------------------------------------------------------

enum class x402_status : uint8_t {
  pending = 0,
  sequenced = 1,
  batched = 2,
  settled = 3,
  expired = 4,
  failed = 5,
};

enum class x402_batch_status : uint8_t {
  pending = 0,
  committed = 1,
  submitted = 2,
  settled = 3,
  failed = 4,
};

/// Lowercase wire names ("sequenced", "committed", …).
std::string to_string(x402_status x);
std::string to_string(x402_batch_status x);
bool from_string(std::string_view s, x402_status& out);
bool from_string(std::string_view s, x402_batch_status& out);

/// Whether an intent may move from `from` to `to` (see the file comment).
bool x402_transition_allowed(x402_status from, x402_status to);
/// Whether a batch may move from `from` to `to` (see the file comment).
bool x402_transition_allowed(x402_batch_status from, x402_batch_status to);

// -- networks, assets, addresses -----------------------------------------------------------

/// The network names of §3.15 (set_chain, …, optimism).
const std::vector<std::string>& x402_networks();
/// The reference's token address of an asset on a network (wire-contract §8.4, verbatim,
/// including its 38-digit DAI address), or "" when it has none.
std::string x402_default_token_address(std::string_view asset, std::string_view network);
/// A 20-byte EVM address from hex with an optional lowercase `0x`, any case; nullopt otherwise.
std::optional<std::array<uint8_t, 20>> parse_evm_address(std::string_view s);

/// The key of the nonce fence: (payer address as sent, nonce) within one stream.
struct x402_nonce_key {
  std::string payer_address;
  uint64_t nonce = 0;
  auto operator<=>(const x402_nonce_key&) const = default;
};

// -- intents ----------------------------------------------------------------------------------

/// One payment intent (`x402_payment_intents`). `asset` holds the hash string (usdc, usdt,
/// ssusd, wssusd, dai, eth), `network` the snake name; `chain_id` is derived from the network.
struct x402_intent {
  uuid intent_id;
  uint32_t x402_version = 1;
  x402_status status = x402_status::pending;
  uuid tenant_id, store_id, source_agent_id;
  std::optional<uint32_t> agent_key_id;
  std::string payer_address, payee_address; ///< as sent (0x and case kept)
  uint64_t amount = 0;
  std::string asset, network;
  uint64_t chain_id = 0;
  std::optional<std::string> token_address;
  uint64_t created_at_unix = 0;
  uint64_t valid_until = 0;
  uint64_t nonce = 0;
  std::optional<std::string> idempotency_key, resource_uri, description, merchant_id;
  std::optional<uuid> order_id;
  hash32 signing_hash{};
  sig64 payer_signature{};
  std::optional<pubkey32> payer_public_key;
  uint64_t sequence_number = 0;             ///< 0 until sequenced
  std::optional<timestamp_us> sequenced_at;
  std::optional<uuid> batch_id;
  std::optional<hash32> tx_hash;
  std::optional<uint64_t> block_number;
  std::optional<timestamp_us> settled_at;
  std::string metadata;                     ///< compact JSON text, "" when absent
  timestamp_us created_at = 0, updated_at = 0;

  stream_key stream() const { return {tenant_id, store_id}; }
  /// The fields of the signing hash and the leaf.
  ves::x402_fields fields() const;
  bool operator==(const x402_intent&) const = default;
};

/// What the POST route checks before anything else (§3.15), and how it fails.
struct x402_violation {
  enum class kind : uint8_t {
    invalid = 0,   ///< 400 INVALID_FIELD_VALUE
    too_large = 1, ///< 413 PAYLOAD_TOO_LARGE
  };
  kind what = kind::invalid;
  std::string message;
};

/// Field rules of §3.15: non-nil tenant/store/agent, agent_key_id ≠ 0, addresses (hex with an
/// optional 0x, non-empty, even length, ≤ 66 characters, payer ≠ payee), 0 < amount ≤
/// i64::MAX, known asset and network, optional strings non-blank and within their limits.
std::optional<x402_violation> check_x402_fields(const x402_intent& x);

/// The agent key an intent names when its request leaves `agent_key_id` out: the key that
/// verifies it without `payer_public_key`, and the value stored and listed (as the reference).
inline constexpr uint32_t x402_default_agent_key_id = 1;

/// The longest validity window (valid_until − now), seconds.
inline constexpr uint64_t x402_max_validity_s = 86400;

/// now ≤ valid_until ≤ now + 86,400 s.
std::optional<x402_violation> check_x402_window(uint64_t valid_until, uint64_t now_unix);

/// Whether a registered agent key may verify a payer signature at `now`: not revoked, not
/// expired, already valid (the rule event verification applies).
bool x402_key_usable(const agent_key& k, timestamp_us now);

/// The signing hash of §10 for the intent's fields (chain id from its network).
hash32 x402_signing_hash(const x402_intent& x);
/// Ed25519 check of `payer_signature` over `signing_hash` with `pk`.
bool x402_signature_valid(const x402_intent& x, const pubkey32& pk);
/// The Merkle leaf of a sequenced intent (§10).
hash32 x402_leaf(const x402_intent& x);

// -- batches ----------------------------------------------------------------------------------

/// One entry of a batch's `total_amounts`. The total is a decimal string: the sum of up to
/// 1,000 amounts of up to i64::MAX each does not fit 64 bits.
struct x402_asset_total {
  std::string asset;
  std::string total_amount;
  uint32_t payment_count = 0;
  bool operator==(const x402_asset_total&) const = default;
};

/// One batch (`x402_payment_batches`); `intent_ids` in sequence order when read with them.
struct x402_batch {
  uuid batch_id;
  x402_batch_status status = x402_batch_status::pending;
  stream_key stream;
  std::string network;
  uint32_t payment_count = 0;
  std::vector<x402_asset_total> total_amounts;
  std::optional<hash32> merkle_root, prev_state_root, new_state_root;
  uint64_t sequence_start = 0, sequence_end = 0;
  std::optional<hash32> tx_hash;
  std::optional<uint64_t> block_number, gas_used;
  timestamp_us created_at = 0;
  std::optional<timestamp_us> committed_at, submitted_at, settled_at;
  std::vector<uuid> intent_ids;
  bool operator==(const x402_batch&) const = default;
};

/// Builds a committed batch over `intents` (sequenced, one stream and network, any order:
/// they are sorted by sequence number): leaves in sequence order, rs_merkle root,
/// new_state_root = SHA256(tenant || store || batch_id || root), per-asset totals in first
/// appearance order, sequence range, intent ids. Every intent gets status `batched` and the
/// batch id. `intents` must not be empty.
x402_batch build_x402_batch(const uuid& batch_id, std::vector<x402_intent>& intents,
                            timestamp_us now);

/// An inclusion proof of one intent in its batch.
struct x402_inclusion {
  hash32 leaf{};
  hash32 root{};
  std::vector<hash32> path; ///< rs_merkle proof hashes, bottom-up
  size_t leaf_index = 0;
  size_t total_leaves = 0;
};

/// The proof of `intent_id` over the batch's `intents` (sorted by sequence number first);
/// nullopt when it is not among them.
std::optional<x402_inclusion> x402_prove(std::vector<x402_intent> intents, const uuid& intent_id);

/// An ERC-20 transfer of a settlement: `amount` units from `from` to `to`.
struct x402_transfer {
  std::array<uint8_t, 20> from{}, to{};
  uint64_t amount = 0;
  bool operator==(const x402_transfer&) const = default;
};

/// Why a batch cannot be settled on chain automatically ("" when it can).
/// `token` is the token address the batch's asset settles in ("" = none configured).
std::string x402_unsettleable_reason(const std::vector<x402_intent>& intents,
                                     std::string_view token, uint64_t chain_id);

/// Aggregates the intents of a batch into transfers per (payer, payee), in first-appearance
/// order; a pair whose sum exceeds 2^64 − 1 is split into several transfers. Every address must
/// parse as an EVM address (check x402_unsettleable_reason first).
std::vector<x402_transfer> x402_aggregate_transfers(const std::vector<x402_intent>& intents);

// -- manual settlement (POST /api/v1/x402/batches/settle) ------------------------------------

struct x402_settle_request {
  uuid batch_id;
  std::optional<hash32> tx_hash;
  std::optional<uint64_t> block_number, gas_used;
};

/// What the reference's settle rules decide for a batch in its current state.
struct x402_settle_decision {
  enum class kind : uint8_t {
    apply = 0,              ///< write `to` (with tx/block/gas) and answer `message`
    unchanged = 1,          ///< already settled with the same values: answer `message`
    bad_field = 2,          ///< 400 INVALID_FIELD_VALUE `message`
    bad_transition = 3,     ///< 400 INVALID_STATE_TRANSITION `message`
  };
  kind what = kind::bad_field;
  x402_batch_status to = x402_batch_status::pending;
  std::string message;
};

/// committed: tx_hash required → submitted, or settled when block_number is given;
/// submitted: tx_hash must match the stored one if both exist, block_number required →
/// settled; settled: idempotent, mismatching tx/block/gas → 400; pending/failed → 400
/// INVALID_STATE_TRANSITION.
x402_settle_decision decide_x402_settle(const x402_batch& current, const x402_settle_request& r);

/// A change of a batch's status with its chain fields, applied by storage as a
/// compare-and-set on `from`. When `to` is settled every member intent becomes settled with
/// the batch's tx hash and block; when `to` is failed they become failed.
struct x402_batch_update {
  uuid batch_id;
  x402_batch_status from = x402_batch_status::committed;
  x402_batch_status to = x402_batch_status::settled;
  std::optional<hash32> tx_hash;
  std::optional<uint64_t> block_number, gas_used;
  timestamp_us at = 0;
};

// -- receipts ---------------------------------------------------------------------------------

/// What `ves verify payment-receipt` checks offline, from the receipt JSON alone.
struct x402_receipt_check {
  bool signing_hash_ok = false;   ///< recomputed from the fields (chain id from the network)
  bool chain_id_ok = false;       ///< the receipt's chain_id is the network's
  bool proof_ok = false;          ///< the leaf and proof reach merkle_root
  bool signature_checked = false; ///< a payer_public_key was present
  bool signature_ok = false;
  bool state_root_checked = false; ///< tenant_id, store_id and new_state_root were present
  bool state_root_ok = false;
  hash32 leaf{};
  bool ok() const {
    return signing_hash_ok && chain_id_ok && proof_ok && (!signature_checked || signature_ok)
           && (!state_root_checked || state_root_ok);
  }
};

struct x402_receipt_fields {
  uuid intent_id, batch_id;
  uint64_t sequence_number = 0;
  ves::x402_fields fields;       ///< asset as sent is normalised by the caller
  uint64_t claimed_chain_id = 0;
  hash32 signing_hash{};
  sig64 payer_signature{};
  std::optional<pubkey32> payer_public_key;
  hash32 merkle_root{};
  std::vector<hash32> inclusion_proof;
  uint64_t leaf_index = 0, total_leaves = 0;
  std::optional<uuid> tenant_id, store_id;
  std::optional<hash32> new_state_root;
};

x402_receipt_check check_x402_receipt(const x402_receipt_fields& r);

// -- actor messages: sequencing -------------------------------------------------------------
// Node-local (shared pointers are not serialized), like messages/ingest.hpp.

/// Transport → stream registry → the stream's sequencer: sequence this intent (its
/// signature was verified by the transport). Reply: x402_ingested, or a caf::error:
/// errc::invalid_request "Nonce already used for this payer", errc::sequence_exhausted,
/// storage and overload errors as for events.
struct ingest_x402 {
  stream_key stream;
  std::shared_ptr<const x402_intent> intent;
};

/// The sequencer's answer. `existing` is true when the idempotency key already named an
/// intent of the stream: then `intent_id` is that intent and the other fields are what the
/// sequencer knew of it (the transport re-reads its current state).
struct x402_ingest_outcome {
  uuid intent_id;
  bool existing = false;
  uint64_t sequence_number = 0;
  timestamp_us sequenced_at = 0;
};
struct x402_ingested {
  std::shared_ptr<const x402_ingest_outcome> outcome;
};

/// One newly sequenced intent, as the batchers need to know it.
struct x402_notice {
  std::string network;
  uint64_t sequence_number = 0;
  timestamp_us sequenced_at = 0;
  uint64_t valid_until = 0; ///< unix seconds
  bool operator==(const x402_notice&) const = default;
};

/// Fact, sequencer → x402 batcher hub (ingest_config::x402_sink) after every commit that
/// stored intents.
struct x402_sequenced {
  stream_key stream;
  std::vector<x402_notice> intents;
  bool operator==(const x402_sequenced&) const = default;
};

// -- actor messages: batching and settlement --------------------------------------------------

/// Transport → batcher hub → the (stream, network) batcher: seal a batch now. With
/// `intent_ids`: exactly those (distinct, ≤ max_size, same stream and network, all
/// sequenced); without: up to `max_size` oldest sequenced intents. Reply: x402_batch_made
/// (committed, with intent ids); errc::not_found for an unknown id, errc::invalid_request
/// ("No pending intents found for batching", wrong stream/network/status).
struct create_x402_batch {
  stream_key stream;
  std::string network;
  std::vector<uuid> intent_ids;
  uint32_t max_size = 100;
  bool operator==(const create_x402_batch&) const = default;
};
struct x402_batch_made {
  std::shared_ptr<const x402_batch> batch;
};

/// Transport → batcher hub: record a settlement done elsewhere (reference rules,
/// decide_x402_settle). Reply: x402_settled; errc::not_found, errc::invalid_request,
/// errc::invalid_state_transition.
struct settle_x402_batch {
  uuid batch_id;
  std::optional<hash32> tx_hash;
  std::optional<uint64_t> block_number, gas_used;
  bool operator==(const settle_x402_batch&) const = default;
};
struct x402_settled {
  std::shared_ptr<const x402_batch> batch;
  std::string message;
};

// -- inspectors -------------------------------------------------------------------------------
// Batches travel as shared pointers (node-local, not serialized), like messages/ingest.hpp.

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ingest_x402& x) {
  return f(caf::meta::type_name("seq::ingest_x402"), x.stream);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, x402_ingested&) {
  return f(caf::meta::type_name("seq::x402_ingested"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, x402_notice& x) {
  return f(caf::meta::type_name("seq::x402_notice"), x.network, x.sequence_number,
           x.sequenced_at, x.valid_until);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, x402_sequenced& x) {
  return f(caf::meta::type_name("seq::x402_sequenced"), x.stream, x.intents);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_x402_batch& x) {
  return f(caf::meta::type_name("seq::create_x402_batch"), x.stream, x.network, x.intent_ids,
           x.max_size);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, x402_batch_made&) {
  return f(caf::meta::type_name("seq::x402_batch_made"));
}
// std::optional is not inspectable in CAF 0.17: optional fields travel as (flag, value).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, settle_x402_batch& x) {
  bool has_tx = x.tx_hash.has_value();
  hash32 tx = x.tx_hash.value_or(hash32{});
  bool has_block = x.block_number.has_value();
  uint64_t block = x.block_number.value_or(0);
  bool has_gas = x.gas_used.has_value();
  uint64_t gas = x.gas_used.value_or(0);
  return f(caf::meta::type_name("seq::settle_x402_batch"), x.batch_id, has_tx, tx, has_block,
           block, has_gas, gas, caf::meta::load_callback([&]() -> caf::error {
             x.tx_hash = has_tx ? std::optional<hash32>{tx} : std::nullopt;
             x.block_number = has_block ? std::optional<uint64_t>{block} : std::nullopt;
             x.gas_used = has_gas ? std::optional<uint64_t>{gas} : std::nullopt;
             return caf::none;
           }));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, x402_settled& x) {
  return f(caf::meta::type_name("seq::x402_settled"), x.message);
}

} // namespace seq::msg
