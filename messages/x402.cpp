// SPDX-License-Identifier: Apache-2.0
#include "messages/x402.hpp"

#include <algorithm>
#include <limits>
#include <map>

namespace seq::msg {

namespace {

constexpr uint64_t max_amount = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

template <class E, size_t N>
bool lookup(const std::array<std::string_view, N>& names, std::string_view s, E& out) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == s) {
      out = static_cast<E>(i);
      return true;
    }
  return false;
}

constexpr std::array<std::string_view, 6> status_names
  = {"pending", "sequenced", "batched", "settled", "expired", "failed"};
constexpr std::array<std::string_view, 5> batch_status_names
  = {"pending", "committed", "submitted", "settled", "failed"};

x402_violation invalid(std::string m) {
  return {x402_violation::kind::invalid, std::move(m)};
}

x402_violation too_large(std::string m) {
  return {x402_violation::kind::too_large, std::move(m)};
}

std::optional<x402_violation> check_address(std::string_view name, const std::string& a) {
  if (a.size() > 66)
    return too_large(std::string{name} + " exceeds 66 characters");
  auto hex = std::string_view{a};
  if (hex.substr(0, 2) == "0x")
    hex.remove_prefix(2);
  if (hex.empty())
    return invalid(std::string{name} + " must not be empty");
  if (hex.size() % 2 != 0)
    return invalid(std::string{name} + " must have an even number of hex digits");
  if (!ves::from_hex(hex, false))
    return invalid(std::string{name} + " must be hex (optional 0x prefix)");
  return std::nullopt;
}

std::optional<x402_violation> check_text(std::string_view name,
                                         const std::optional<std::string>& v, size_t max) {
  if (!v)
    return std::nullopt;
  if (v->size() > max)
    return too_large(std::string{name} + " exceeds " + std::to_string(max) + " bytes");
  auto blank = std::all_of(v->begin(), v->end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
  if (blank)
    return invalid(std::string{name} + " must not be blank");
  return std::nullopt;
}

/// Decimal text of a 128-bit unsigned sum.
std::string decimal(unsigned __int128 v) {
  if (v == 0)
    return "0";
  std::string out;
  while (v > 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

void sort_by_sequence(std::vector<x402_intent>& xs) {
  std::sort(xs.begin(), xs.end(), [](const x402_intent& a, const x402_intent& b) {
    return a.sequence_number < b.sequence_number;
  });
}

} // namespace

// -- enums ------------------------------------------------------------------------------------

std::string to_string(x402_status x) {
  auto i = static_cast<size_t>(x);
  return i < status_names.size() ? std::string{status_names[i]} : "unknown";
}

std::string to_string(x402_batch_status x) {
  auto i = static_cast<size_t>(x);
  return i < batch_status_names.size() ? std::string{batch_status_names[i]} : "unknown";
}

bool from_string(std::string_view s, x402_status& out) {
  return lookup(status_names, s, out);
}

bool from_string(std::string_view s, x402_batch_status& out) {
  return lookup(batch_status_names, s, out);
}

bool x402_transition_allowed(x402_status from, x402_status to) {
  using s = x402_status;
  switch (from) {
    case s::pending:
      return to == s::sequenced || to == s::failed;
    case s::sequenced:
      return to == s::batched || to == s::expired;
    case s::batched:
      return to == s::settled || to == s::failed;
    case s::settled:
    case s::expired:
    case s::failed:
      return false;
  }
  return false;
}

bool x402_transition_allowed(x402_batch_status from, x402_batch_status to) {
  using s = x402_batch_status;
  switch (from) {
    case s::pending:
      return to == s::committed || to == s::failed;
    case s::committed:
      return to == s::submitted || to == s::settled || to == s::failed;
    case s::submitted:
      return to == s::settled || to == s::failed;
    case s::settled:
    case s::failed:
      return false;
  }
  return false;
}

// -- networks, assets, addresses -----------------------------------------------------------

const std::vector<std::string>& x402_networks() {
  static const std::vector<std::string> xs{
    "set_chain", "set_chain_testnet", "arc",      "arc_testnet", "base",
    "base_sepolia", "ethereum",       "ethereum_sepolia", "arbitrum", "optimism"};
  return xs;
}

std::string x402_default_token_address(std::string_view asset, std::string_view network) {
  if (asset == "usdc" && (network == "set_chain" || network == "base"))
    return "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
  if (asset == "ssusd" && network == "set_chain")
    return "0x0000000000000000000000000000000000001001";
  if (asset == "usdc" && (network == "arc" || network == "arc_testnet"))
    return "0x3600000000000000000000000000000000000000";
  if (network == "ethereum") {
    if (asset == "usdc")
      return "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
    if (asset == "usdt")
      return "0xdAC17F958D2ee523a2206206994597C13D831ec7";
    if (asset == "dai")
      return "0x6B175474E89094C44Da98b954Ee4606eB48"; // sic: the reference's 38 digits
  }
  return {};
}

std::optional<std::array<uint8_t, 20>> parse_evm_address(std::string_view s) {
  return ves::from_hex_fixed<20>(s, true);
}

// -- intents ----------------------------------------------------------------------------------

ves::x402_fields x402_intent::fields() const {
  ves::x402_fields f;
  f.payer_address = payer_address;
  f.payee_address = payee_address;
  f.amount = amount;
  f.asset = asset;
  f.network = network;
  f.chain_id = ves::x402_chain_id(network);
  f.valid_until = valid_until;
  f.nonce = nonce;
  return f;
}

std::optional<x402_violation> check_x402_fields(const x402_intent& x) {
  if (x.tenant_id.is_nil())
    return invalid("tenant_id cannot be nil");
  if (x.store_id.is_nil())
    return invalid("store_id cannot be nil");
  if (x.source_agent_id.is_nil())
    return invalid("agent_id cannot be nil");
  if (x.agent_key_id && *x.agent_key_id == 0)
    return invalid("agent_key_id must be greater than 0");
  if (auto v = check_address("payer_address", x.payer_address))
    return v;
  if (auto v = check_address("payee_address", x.payee_address))
    return v;
  if (x.payer_address == x.payee_address)
    return invalid("payer_address and payee_address must differ");
  if (x.amount == 0 || x.amount > max_amount)
    return invalid("amount must be between 1 and " + std::to_string(max_amount));
  if (ves::x402_asset_string(x.asset).empty())
    return invalid("unknown asset \"" + x.asset + "\"");
  if (ves::x402_chain_id(x.network) == 0)
    return invalid("unknown network \"" + x.network + "\"");
  if (auto v = check_text("resource_uri", x.resource_uri, 4096))
    return v;
  if (auto v = check_text("description", x.description, 8192))
    return v;
  if (auto v = check_text("merchant_id", x.merchant_id, 1024))
    return v;
  if (auto v = check_text("idempotency_key", x.idempotency_key, 255))
    return v;
  return std::nullopt;
}

std::optional<x402_violation> check_x402_window(uint64_t valid_until, uint64_t now_unix) {
  if (valid_until < now_unix)
    return invalid("Payment intent has expired");
  if (valid_until - now_unix > x402_max_validity_s)
    return invalid("Payment intent validity exceeds maximum window");
  return std::nullopt;
}

bool x402_key_usable(const agent_key& k, timestamp_us now) {
  if (k.status == "revoked" || (k.revoked_at && *k.revoked_at <= now))
    return false;
  if (k.status == "expired" || (k.valid_to && now > *k.valid_to))
    return false;
  return !(k.valid_from && now < *k.valid_from);
}

hash32 x402_signing_hash(const x402_intent& x) {
  return ves::x402_signing_hash(x.fields());
}

bool x402_signature_valid(const x402_intent& x, const pubkey32& pk) {
  return ves::ed25519_verify(pk, x.signing_hash, x.payer_signature);
}

hash32 x402_leaf(const x402_intent& x) {
  return ves::x402_leaf_hash(x.intent_id, x.sequence_number, x.fields(), x.signing_hash,
                             x.payer_signature);
}

// -- batches ----------------------------------------------------------------------------------

x402_batch build_x402_batch(const uuid& batch_id, std::vector<x402_intent>& intents,
                            timestamp_us now) {
  sort_by_sequence(intents);
  x402_batch b;
  b.batch_id = batch_id;
  b.status = x402_batch_status::committed;
  b.stream = intents.front().stream();
  b.network = intents.front().network;
  b.payment_count = static_cast<uint32_t>(intents.size());
  std::vector<hash32> leaves;
  leaves.reserve(intents.size());
  std::vector<unsigned __int128> sums;
  for (auto& x : intents) {
    leaves.push_back(x402_leaf(x));
    auto i = std::find_if(b.total_amounts.begin(), b.total_amounts.end(),
                          [&](const x402_asset_total& t) { return t.asset == x.asset; });
    if (i == b.total_amounts.end()) {
      b.total_amounts.push_back(x402_asset_total{x.asset, {}, 0});
      sums.push_back(0);
      i = b.total_amounts.end() - 1;
    }
    auto k = static_cast<size_t>(i - b.total_amounts.begin());
    sums[k] += x.amount;
    ++i->payment_count;
    b.intent_ids.push_back(x.intent_id);
    x.status = x402_status::batched;
    x.batch_id = batch_id;
    x.updated_at = now;
  }
  for (size_t k = 0; k < sums.size(); ++k)
    b.total_amounts[k].total_amount = decimal(sums[k]);
  auto root = ves::legacy_merkle_root(leaves);
  b.merkle_root = root;
  b.new_state_root = ves::x402_batch_state_root(b.stream.tenant_id, b.stream.store_id, batch_id,
                                                root);
  b.sequence_start = intents.front().sequence_number;
  b.sequence_end = intents.back().sequence_number;
  b.created_at = now;
  b.committed_at = now;
  return b;
}

std::optional<x402_inclusion> x402_prove(std::vector<x402_intent> intents, const uuid& intent_id) {
  sort_by_sequence(intents);
  std::vector<hash32> leaves;
  leaves.reserve(intents.size());
  std::optional<size_t> index;
  for (size_t i = 0; i < intents.size(); ++i) {
    leaves.push_back(x402_leaf(intents[i]));
    if (intents[i].intent_id == intent_id)
      index = i;
  }
  if (!index)
    return std::nullopt;
  x402_inclusion p;
  p.leaf = leaves[*index];
  p.root = ves::legacy_merkle_root(leaves);
  p.path = ves::legacy_merkle_proof(leaves, *index);
  p.leaf_index = *index;
  p.total_leaves = leaves.size();
  return p;
}

std::string x402_unsettleable_reason(const std::vector<x402_intent>& intents,
                                     std::string_view token, uint64_t chain_id) {
  if (intents.empty())
    return "the batch has no intents";
  if (token.empty())
    return "no token address is configured for asset " + intents.front().asset + " on "
           + intents.front().network;
  if (!parse_evm_address(token))
    return "the token address " + std::string{token} + " is not a 20-byte EVM address";
  for (const auto& x : intents) {
    if (x.asset != intents.front().asset)
      return "the batch mixes assets (" + intents.front().asset + ", " + x.asset + ")";
    if (ves::x402_chain_id(x.network) != chain_id)
      return "network " + x.network + " is not the configured chain (chain id "
             + std::to_string(chain_id) + ")";
    if (!parse_evm_address(x.payer_address))
      return "payer " + x.payer_address + " is not a 20-byte EVM address";
    if (!parse_evm_address(x.payee_address))
      return "payee " + x.payee_address + " is not a 20-byte EVM address";
  }
  return {};
}

std::vector<x402_transfer> x402_aggregate_transfers(const std::vector<x402_intent>& intents) {
  std::vector<x402_transfer> out;
  // (from, to) → index of the pair's current (last) transfer.
  std::map<std::pair<std::array<uint8_t, 20>, std::array<uint8_t, 20>>, size_t> open;
  for (const auto& x : intents) {
    auto from = parse_evm_address(x.payer_address).value_or(std::array<uint8_t, 20>{});
    auto to = parse_evm_address(x.payee_address).value_or(std::array<uint8_t, 20>{});
    auto key = std::pair{from, to};
    auto i = open.find(key);
    if (i != open.end() && out[i->second].amount <= UINT64_MAX - x.amount) {
      out[i->second].amount += x.amount;
      continue;
    }
    open[key] = out.size();
    out.push_back(x402_transfer{from, to, x.amount});
  }
  return out;
}

// -- manual settlement ------------------------------------------------------------------------

x402_settle_decision decide_x402_settle(const x402_batch& b, const x402_settle_request& r) {
  using s = x402_batch_status;
  using k = x402_settle_decision::kind;
  x402_settle_decision d;
  switch (b.status) {
    case s::committed:
      if (!r.tx_hash)
        return {k::bad_field, s::committed, "tx_hash is required to submit a committed batch"};
      if (r.block_number)
        return {k::apply, s::settled, "Batch submitted and settled"};
      return {k::apply, s::submitted, "Batch submission recorded"};
    case s::submitted:
      if (r.tx_hash && b.tx_hash && *r.tx_hash != *b.tx_hash)
        return {k::bad_field, s::submitted, "tx_hash does not match the submitted transaction"};
      if (!r.block_number)
        return {k::bad_field, s::submitted, "block_number is required to confirm settlement"};
      return {k::apply, s::settled, "Batch settlement confirmed"};
    case s::settled:
      if (r.tx_hash && b.tx_hash && *r.tx_hash != *b.tx_hash)
        return {k::bad_field, s::settled, "Batch already settled with a different tx_hash"};
      if (r.block_number && b.block_number && *r.block_number != *b.block_number)
        return {k::bad_field, s::settled,
                "Batch already settled with a different block_number"};
      if (r.gas_used && b.gas_used && *r.gas_used != *b.gas_used)
        return {k::bad_field, s::settled, "Batch already settled with a different gas_used"};
      return {k::unchanged, s::settled, "Batch already settled"};
    case s::pending:
    case s::failed:
      break;
  }
  d.what = k::bad_transition;
  d.to = s::settled;
  d.message = "invalid state transition for x402_batch/" + b.batch_id.str() + ": "
              + to_string(b.status) + " -> settled";
  return d;
}

// -- receipts ---------------------------------------------------------------------------------

x402_receipt_check check_x402_receipt(const x402_receipt_fields& r) {
  x402_receipt_check c;
  c.chain_id_ok = r.fields.chain_id != 0 && r.claimed_chain_id == r.fields.chain_id;
  c.signing_hash_ok = ves::x402_signing_hash(r.fields) == r.signing_hash;
  c.leaf = ves::x402_leaf_hash(r.intent_id, r.sequence_number, r.fields, r.signing_hash,
                               r.payer_signature);
  c.proof_ok = r.total_leaves > 0 && r.leaf_index < r.total_leaves
               && ves::legacy_verify_proof(c.leaf, r.merkle_root, r.inclusion_proof,
                                           r.leaf_index, r.total_leaves);
  if (r.payer_public_key) {
    c.signature_checked = true;
    c.signature_ok = ves::ed25519_verify(*r.payer_public_key, r.signing_hash, r.payer_signature);
  }
  if (r.tenant_id && r.store_id && r.new_state_root) {
    c.state_root_checked = true;
    c.state_root_ok = ves::x402_batch_state_root(*r.tenant_id, *r.store_id, r.batch_id,
                                                 r.merkle_root)
                      == *r.new_state_root;
  }
  return c;
}

} // namespace seq::msg
