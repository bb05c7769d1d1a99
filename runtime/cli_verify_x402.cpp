// SPDX-License-Identifier: Apache-2.0
// `ves verify payment-receipt` (see cli_verify_x402.hpp).
#include "runtime/cli_verify_x402.hpp"

#include "runtime/cli_verify.hpp"

#include "messages/ves/json.hpp"
#include "messages/ves/ves.hpp"
#include "messages/x402.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace seq::runtime::cli {

namespace {

namespace json = ves::json;

/// Input that cannot be read, is not a JSON object, or a bad --payer-key (exit 2).
struct bad_input : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A receipt field that is missing or malformed: a finding about the data (exit 1), as in the
/// other verify commands.
struct bad_field : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const json::value* field(const json::value& r, std::string_view k) {
  auto* v = r.find(k);
  return v && !v->is_null() ? v : nullptr;
}

const json::value& need(const json::value& r, std::string_view k) {
  auto* v = field(r, k);
  if (!v)
    throw bad_field("receipt: missing " + std::string{k});
  return *v;
}

std::string text(const json::value& r, std::string_view k) {
  auto& v = need(r, k);
  if (!v.is_string())
    throw bad_field("receipt: " + std::string{k} + " must be a string");
  return v.as_string();
}

uint64_t number(const json::value& r, std::string_view k) {
  auto& v = need(r, k);
  if (v.is_number() && v.as_number().is_u64)
    return v.as_number().u;
  if (v.is_string()) { // some clients print big numbers as strings: decimal digits only
    const auto& t = v.as_string();
    uint64_t x = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), x);
    if (!t.empty() && ec == std::errc{} && end == t.data() + t.size())
      return x;
  }
  throw bad_field("receipt: " + std::string{k} + " must be a non-negative integer");
}

template <size_t N>
std::array<uint8_t, N> bytes(const std::string& s, std::string_view what) {
  auto b = ves::from_hex_fixed<N>(s, true);
  if (!b)
    throw bad_field("receipt: " + std::string{what} + " must be " + std::to_string(N)
                    + " bytes of hex");
  return *b;
}

/// 64 bytes of hex, or 65 (the server accepts a trailing recovery byte and checks the first
/// 64), with or without `0x`.
std::array<uint8_t, 64> signature(const std::string& s) {
  auto b = ves::from_hex(s, true);
  if (!b || (b->size() != 64 && b->size() != 65))
    throw bad_field("receipt: payer_signature must be 64 or 65 bytes of hex");
  std::array<uint8_t, 64> out{};
  std::copy_n(b->begin(), out.size(), out.begin());
  return out;
}

ves::uuid id(const json::value& r, std::string_view k) {
  auto u = ves::uuid::parse(text(r, k));
  if (!u)
    throw bad_field("receipt: " + std::string{k} + " must be a UUID");
  return *u;
}

std::string read_all(const std::string& file) {
  if (file == "-")
    return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  std::ifstream in{file};
  if (!in)
    throw bad_input("cannot read " + file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

msg::x402_receipt_fields decode(const json::value& r, const std::string& payer_key) {
  msg::x402_receipt_fields f;
  f.intent_id = id(r, "intent_id");
  f.batch_id = id(r, "batch_id");
  f.sequence_number = number(r, "sequence_number");
  f.fields.payer_address = text(r, "payer_address");
  f.fields.payee_address = text(r, "payee_address");
  f.fields.amount = number(r, "amount");
  f.fields.asset = ves::x402_asset_string(text(r, "asset"));
  if (f.fields.asset.empty())
    throw bad_field("receipt: unknown asset " + text(r, "asset"));
  f.fields.network = text(r, "network");
  f.fields.chain_id = ves::x402_chain_id(f.fields.network);
  f.claimed_chain_id = number(r, "chain_id");
  f.fields.valid_until = number(r, "valid_until");
  f.fields.nonce = number(r, "nonce");
  f.signing_hash = bytes<32>(text(r, "signing_hash"), "signing_hash");
  f.payer_signature = signature(text(r, "payer_signature"));
  f.merkle_root = bytes<32>(text(r, "merkle_root"), "merkle_root");
  auto& proof = need(r, "inclusion_proof");
  if (!proof.is_array())
    throw bad_field("receipt: inclusion_proof must be an array");
  for (const auto& h : proof.as_array()) {
    if (!h.is_string())
      throw bad_field("receipt: inclusion_proof must hold hex strings");
    f.inclusion_proof.push_back(bytes<32>(h.as_string(), "inclusion_proof[]"));
  }
  f.leaf_index = number(r, "leaf_index");
  f.total_leaves = number(r, "total_leaves");
  if (!payer_key.empty()) {
    f.payer_public_key = ves::from_hex_fixed<32>(payer_key, true);
    if (!f.payer_public_key)
      throw bad_input("--payer-key must be 32 bytes of hex");
  } else if (field(r, "payer_public_key")) {
    f.payer_public_key = bytes<32>(text(r, "payer_public_key"), "payer_public_key");
  }
  if (field(r, "tenant_id") && field(r, "store_id") && field(r, "new_state_root")) {
    f.tenant_id = id(r, "tenant_id");
    f.store_id = id(r, "store_id");
    f.new_state_root = bytes<32>(text(r, "new_state_root"), "new_state_root");
  }
  return f;
}

} // namespace

int verify_payment_receipt(const verify_payment_receipt_options& o, output io) {
  msg::x402_receipt_fields f;
  std::optional<ves::hash32> claimed_leaf;
  std::string tx;
  try {
    auto doc = json::try_parse(read_all(o.file));
    if (!doc || !doc->is_object())
      throw bad_input("the receipt is not a JSON object");
    const auto& r = field(*doc, "receipt") ? need(*doc, "receipt") : *doc;
    if (!r.is_object())
      throw bad_field("receipt: expected an object");
    f = decode(r, o.payer_key);
    if (field(r, "leaf_hash"))
      claimed_leaf = bytes<32>(text(r, "leaf_hash"), "leaf_hash");
    if (field(r, "tx_hash"))
      tx = text(r, "tx_hash") + (field(r, "block_number")
                                   ? " in block " + std::to_string(number(r, "block_number"))
                                   : std::string{});
  } catch (const bad_input& e) {
    io.err << "ves: " << e.what() << "\n";
    return verify_io_error;
  } catch (const bad_field& e) {
    io.out << e.what() << "\nFAILED: payment receipt: 1 problem found\n";
    return verify_invalid;
  }
  auto c = msg::check_x402_receipt(f);
  auto line = [&](bool ok, const std::string& what) {
    io.out << (ok ? "ok      " : "FAILED  ") << what << "\n";
  };
  line(c.chain_id_ok, "chain_id " + std::to_string(f.claimed_chain_id) + " is the chain of "
                        + f.fields.network);
  line(c.signing_hash_ok, "signing_hash recomputed from the payment fields");
  if (c.signature_checked)
    line(c.signature_ok, "payer_signature by " + ves::to_hex(*f.payer_public_key));
  else
    io.err << "note: no payer_public_key: the payer signature was not checked\n";
  bool leaf_ok = !claimed_leaf || *claimed_leaf == c.leaf;
  if (claimed_leaf)
    line(leaf_ok, "leaf_hash " + ves::to_hex(c.leaf));
  line(c.proof_ok, "inclusion proof of leaf " + std::to_string(f.leaf_index) + " of "
                     + std::to_string(f.total_leaves) + " reaches merkle_root "
                     + ves::to_hex(f.merkle_root));
  if (c.state_root_checked)
    line(c.state_root_ok, "new_state_root of batch " + f.batch_id.str());
  if (!tx.empty())
    io.err << "note: settled by transaction " << tx << " (not checked on chain)\n";
  if (c.ok() && leaf_ok) {
    io.out << "OK: payment " << f.intent_id.str() << " (sequence " << f.sequence_number
           << ") is in batch " << f.batch_id.str() << "\n";
    return 0;
  }
  io.out << "FAILED: payment receipt " << f.intent_id.str() << " does not verify\n";
  return 1;
}

} // namespace seq::runtime::cli
