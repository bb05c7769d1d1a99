// SPDX-License-Identifier: Apache-2.0
// messages/x402: intents and batches built from the x402 section of ves_vectors.json (signing
// hash, leaves, batch root, state root, proofs), the request rules of §3.15, the lifecycle
// transitions, the manual settle rules, transfer aggregation and the offline receipt check.

#include "messages/x402.hpp"

#include "messages/ves/json.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace seq;
using msg::x402_batch_status;
using msg::x402_status;
namespace json = seq::ves::json;

namespace {

const json::value& vectors() {
  static const json::value v = [] {
    std::ifstream in{SEQ_VECTORS_FILE};
    std::stringstream ss;
    ss << in.rdbuf();
    auto parsed = json::try_parse(ss.str());
    REQUIRE(parsed.has_value());
    return *parsed;
  }();
  return v;
}

const json::value& at(const json::value& v, std::string_view k) {
  auto* x = v.find(k);
  REQUIRE(x != nullptr);
  return *x;
}

std::string str(const json::value& v, std::string_view k) {
  return at(v, k).as_string();
}

uint64_t u64(const json::value& v, std::string_view k) {
  const auto& x = at(v, k);
  if (x.is_string())
    return std::stoull(x.as_string());
  return x.as_number().u;
}

template <size_t N>
std::array<uint8_t, N> hex(const std::string& s) {
  auto x = ves::from_hex_fixed<N>(s);
  REQUIRE(x.has_value());
  return *x;
}

msg::uuid uuid_of(const std::string& s) {
  auto u = msg::uuid::parse(s);
  REQUIRE(u.has_value());
  return *u;
}

/// The vector intents as this project stores them (batch vector ids and numbers).
std::vector<msg::x402_intent> vector_intents() {
  const auto& x = at(vectors(), "x402");
  const auto& b = at(x, "batch");
  const auto& ids = at(b, "intent_ids").as_array();
  const auto& seqs = at(b, "sequence_numbers").as_array();
  std::vector<msg::x402_intent> out;
  size_t i = 0;
  for (const auto& v : at(x, "intents").as_array()) {
    msg::x402_intent in;
    in.intent_id = uuid_of(ids[i].as_string());
    in.tenant_id = uuid_of(str(b, "tenant_id"));
    in.store_id = uuid_of(str(b, "store_id"));
    in.source_agent_id = msg::uuid::random_v4();
    in.payer_address = str(v, "payer_address");
    in.payee_address = str(v, "payee_address");
    in.amount = u64(v, "amount");
    in.asset = ves::x402_asset_string(str(v, "asset"));
    in.network = str(v, "network");
    in.chain_id = ves::x402_chain_id(in.network);
    in.valid_until = u64(v, "valid_until");
    in.nonce = u64(v, "nonce");
    in.signing_hash = hex<32>(str(v, "signing_hash"));
    in.payer_signature = hex<64>(str(v, "payer_signature"));
    in.payer_public_key = hex<32>(str(v, "payer_public_key"));
    in.sequence_number = seqs[i].as_number().u;
    in.status = x402_status::sequenced;
    out.push_back(std::move(in));
    ++i;
  }
  return out;
}

msg::x402_intent valid_intent() {
  msg::x402_intent x;
  x.tenant_id = msg::uuid::random_v4();
  x.store_id = msg::uuid::random_v4();
  x.source_agent_id = msg::uuid::random_v4();
  x.payer_address = "0x1234567890123456789012345678901234567890";
  x.payee_address = "0x0987654321098765432109876543210987654321";
  x.amount = 1;
  x.asset = "usdc";
  x.network = "set_chain";
  return x;
}

} // namespace

TEST_CASE("x402 signing hashes and leaves match the vectors", "[x402][vectors]") {
  auto xs = vector_intents();
  const auto& b = at(at(vectors(), "x402"), "batch");
  const auto& leaves = at(b, "leaves").as_array();
  REQUIRE(xs.size() == leaves.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    CHECK(msg::x402_signing_hash(xs[i]) == xs[i].signing_hash);
    CHECK(msg::x402_signature_valid(xs[i], *xs[i].payer_public_key));
    CHECK(ves::to_hex(msg::x402_leaf(xs[i])) == leaves[i].as_string());
    auto other = xs[i];
    other.amount += 1;
    CHECK(msg::x402_signing_hash(other) != xs[i].signing_hash);
    ves::seed32 other_seed{};
    other_seed.fill(0x33);
    CHECK_FALSE(msg::x402_signature_valid(xs[i], ves::ed25519_public_key(other_seed)));
  }
}

TEST_CASE("a batch built from the vector intents has the vector roots", "[x402][vectors]") {
  auto xs = vector_intents();
  const auto& b = at(at(vectors(), "x402"), "batch");
  std::reverse(xs.begin(), xs.end()); // the builder orders by sequence number
  auto batch = msg::build_x402_batch(uuid_of(str(b, "batch_id")), xs, 1'700'000'000'000'000);
  CHECK(batch.status == x402_batch_status::committed);
  REQUIRE(batch.merkle_root.has_value());
  CHECK(ves::to_hex(*batch.merkle_root) == str(b, "merkle_root"));
  CHECK(ves::to_hex(*batch.new_state_root) == str(b, "new_state_root"));
  CHECK_FALSE(batch.prev_state_root.has_value());
  CHECK(batch.sequence_start == 1);
  CHECK(batch.sequence_end == 3);
  CHECK(batch.payment_count == 3);
  REQUIRE(batch.intent_ids.size() == 3);
  CHECK(batch.intent_ids[0] == uuid_of("55555555-0000-4000-8000-000000000001"));
  // usdc 1000000, then ssusd 250 + i64::MAX (the sum needs more than 64 bits).
  REQUIRE(batch.total_amounts.size() == 2);
  CHECK(batch.total_amounts[0].asset == "usdc");
  CHECK(batch.total_amounts[0].total_amount == "1000000");
  CHECK(batch.total_amounts[1].asset == "ssusd");
  CHECK(batch.total_amounts[1].total_amount == "9223372036854776057");
  CHECK(batch.total_amounts[1].payment_count == 2);
  for (const auto& x : xs) {
    CHECK(x.status == x402_status::batched);
    CHECK(x.batch_id == batch.batch_id);
  }
  for (const auto& p : at(b, "inclusion_proofs").as_array()) {
    auto idx = p.find("leaf_index")->as_number().u;
    auto proof = msg::x402_prove(xs, batch.intent_ids[idx]);
    REQUIRE(proof.has_value());
    CHECK(proof->leaf_index == idx);
    CHECK(proof->total_leaves == 3);
    CHECK(proof->root == *batch.merkle_root);
    std::vector<std::string> got;
    for (const auto& h : proof->path)
      got.push_back(ves::to_0x_hex(h));
    std::vector<std::string> want;
    for (const auto& h : p.find("proof_0x")->as_array())
      want.push_back(h.as_string());
    CHECK(got == want);
  }
  CHECK_FALSE(msg::x402_prove(xs, msg::uuid::random_v4()).has_value());
}

TEST_CASE("status names and lifecycle transitions", "[x402]") {
  for (auto s : {x402_status::pending, x402_status::sequenced, x402_status::batched,
                 x402_status::settled, x402_status::expired, x402_status::failed}) {
    x402_status back = x402_status::pending;
    REQUIRE(msg::from_string(msg::to_string(s), back));
    CHECK(back == s);
  }
  x402_batch_status bs;
  CHECK(msg::from_string("submitted", bs));
  CHECK(bs == x402_batch_status::submitted);
  CHECK_FALSE(msg::from_string("SETTLED", bs));
  using s = x402_status;
  CHECK(msg::x402_transition_allowed(s::pending, s::sequenced));
  CHECK(msg::x402_transition_allowed(s::sequenced, s::batched));
  CHECK(msg::x402_transition_allowed(s::sequenced, s::expired));
  CHECK(msg::x402_transition_allowed(s::batched, s::settled));
  CHECK(msg::x402_transition_allowed(s::batched, s::failed));
  CHECK_FALSE(msg::x402_transition_allowed(s::batched, s::expired));
  CHECK_FALSE(msg::x402_transition_allowed(s::sequenced, s::settled));
  CHECK_FALSE(msg::x402_transition_allowed(s::settled, s::failed));
  CHECK_FALSE(msg::x402_transition_allowed(s::expired, s::batched));
  using b = x402_batch_status;
  CHECK(msg::x402_transition_allowed(b::committed, b::submitted));
  CHECK(msg::x402_transition_allowed(b::committed, b::settled));
  CHECK(msg::x402_transition_allowed(b::submitted, b::settled));
  CHECK(msg::x402_transition_allowed(b::submitted, b::failed));
  CHECK_FALSE(msg::x402_transition_allowed(b::settled, b::submitted));
  CHECK_FALSE(msg::x402_transition_allowed(b::failed, b::settled));
  CHECK_FALSE(msg::x402_transition_allowed(b::pending, b::settled));
}

TEST_CASE("request field rules", "[x402]") {
  using k = msg::x402_violation::kind;
  CHECK_FALSE(msg::check_x402_fields(valid_intent()).has_value());
  auto fails = [](auto change, k kind, std::string_view text) {
    auto x = valid_intent();
    change(x);
    auto v = msg::check_x402_fields(x);
    REQUIRE(v.has_value());
    CHECK(v->what == kind);
    CHECK(v->message.find(text) != std::string::npos);
  };
  fails([](auto& x) { x.tenant_id = {}; }, k::invalid, "tenant_id cannot be nil");
  fails([](auto& x) { x.source_agent_id = {}; }, k::invalid, "agent_id cannot be nil");
  fails([](auto& x) { x.agent_key_id = 0; }, k::invalid, "agent_key_id");
  fails([](auto& x) { x.payer_address = "0x"; }, k::invalid, "must not be empty");
  fails([](auto& x) { x.payer_address = "0x123"; }, k::invalid, "even number");
  fails([](auto& x) { x.payee_address = "0xzz"; }, k::invalid, "hex");
  fails([](auto& x) { x.payer_address = "0x" + std::string(66, 'a'); }, k::too_large, "66");
  fails([](auto& x) { x.payee_address = x.payer_address; }, k::invalid, "must differ");
  fails([](auto& x) { x.amount = 0; }, k::invalid, "amount");
  fails([](auto& x) { x.amount = uint64_t{1} << 63; }, k::invalid, "amount");
  fails([](auto& x) { x.asset = "btc"; }, k::invalid, "unknown asset");
  fails([](auto& x) { x.network = "solana"; }, k::invalid, "unknown network");
  fails([](auto& x) { x.description = "  \t"; }, k::invalid, "blank");
  fails([](auto& x) { x.idempotency_key = std::string(256, 'k'); }, k::too_large, "255");
  fails([](auto& x) { x.resource_uri = std::string(4097, 'u'); }, k::too_large, "4096");
  auto ok = valid_intent();
  ok.payer_address = "abcd"; // hex without 0x is allowed
  ok.amount = uint64_t{1} << 62;
  ok.asset = "ssusd";
  CHECK_FALSE(msg::check_x402_fields(ok).has_value());
}

TEST_CASE("the validity window", "[x402]") {
  uint64_t now = 1'700'000'000;
  CHECK_FALSE(msg::check_x402_window(now, now).has_value());
  CHECK_FALSE(msg::check_x402_window(now + 86400, now).has_value());
  auto late = msg::check_x402_window(now + 86401, now);
  REQUIRE(late.has_value());
  CHECK(late->message == "Payment intent validity exceeds maximum window");
  auto past = msg::check_x402_window(now - 1, now);
  REQUIRE(past.has_value());
  CHECK(past->message == "Payment intent has expired");
}

TEST_CASE("token addresses and EVM addresses", "[x402]") {
  CHECK(msg::x402_default_token_address("usdc", "base")
        == "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913");
  CHECK(msg::x402_default_token_address("ssusd", "set_chain")
        == "0x0000000000000000000000000000000000001001");
  // Verbatim from the reference, although it is not a 20-byte address.
  auto dai = msg::x402_default_token_address("dai", "ethereum");
  CHECK(dai.rfind("0x6B175474E89094C44Da98b954Ee", 0) == 0);
  CHECK_FALSE(msg::parse_evm_address(dai).has_value());
  CHECK(msg::x402_default_token_address("eth", "base").empty());
  CHECK(msg::parse_evm_address("0x1234567890AbCdEf1234567890aBcDeF12345678").has_value());
  CHECK(msg::parse_evm_address("1234567890abcdef1234567890abcdef12345678").has_value());
  CHECK_FALSE(msg::parse_evm_address("0x1234").has_value());
  CHECK(msg::x402_networks().size() == 10);
}

TEST_CASE("transfers are aggregated per payer and payee", "[x402]") {
  auto a = valid_intent();
  a.amount = 5;
  auto b = a;
  b.amount = 7;
  auto c = a;
  c.payer_address = "0x0987654321098765432109876543210987654321";
  c.payee_address = "0x1234567890123456789012345678901234567890";
  c.amount = 1;
  auto big = a;
  big.amount = UINT64_MAX - 10; // does not fit next to 12: a second transfer
  auto ts = msg::x402_aggregate_transfers({a, c, b, big});
  REQUIRE(ts.size() == 3);
  CHECK(ts[0].amount == 12);
  CHECK(ts[0].from == *msg::parse_evm_address(a.payer_address));
  CHECK(ts[0].to == *msg::parse_evm_address(a.payee_address));
  CHECK(ts[1].amount == 1);
  CHECK(ts[2].amount == UINT64_MAX - 10);
  CHECK(ts[2].from == ts[0].from);
}

TEST_CASE("which batches can be settled on chain", "[x402]") {
  auto a = valid_intent();
  std::string token = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
  CHECK(msg::x402_unsettleable_reason({a}, token, 84532001).empty());
  CHECK(msg::x402_unsettleable_reason({a}, "", 84532001).find("no token") != std::string::npos);
  CHECK(msg::x402_unsettleable_reason({a}, token, 1).find("not the configured chain")
        != std::string::npos);
  auto solana = a;
  solana.payee_address = "abcdef";
  CHECK(msg::x402_unsettleable_reason({a, solana}, token, 84532001).find("payee")
        != std::string::npos);
  auto dai = a;
  dai.asset = "dai";
  CHECK(msg::x402_unsettleable_reason({a, dai}, token, 84532001).find("mixes assets")
        != std::string::npos);
}

TEST_CASE("manual settle rules of the reference", "[x402]") {
  using k = msg::x402_settle_decision::kind;
  msg::x402_batch b;
  b.batch_id = msg::uuid::random_v4();
  auto tx = ves::sha256(std::string{"tx"});
  auto other = ves::sha256(std::string{"other"});
  msg::x402_settle_request r;
  SECTION("committed") {
    b.status = x402_batch_status::committed;
    CHECK(msg::decide_x402_settle(b, r).what == k::bad_field); // tx_hash required
    r.tx_hash = tx;
    auto d = msg::decide_x402_settle(b, r);
    CHECK(d.what == k::apply);
    CHECK(d.to == x402_batch_status::submitted);
    CHECK(d.message == "Batch submission recorded");
    r.block_number = 9;
    d = msg::decide_x402_settle(b, r);
    CHECK(d.to == x402_batch_status::settled);
    CHECK(d.message == "Batch submitted and settled");
  }
  SECTION("submitted") {
    b.status = x402_batch_status::submitted;
    b.tx_hash = tx;
    CHECK(msg::decide_x402_settle(b, r).what == k::bad_field); // block_number required
    r.block_number = 9;
    auto d = msg::decide_x402_settle(b, r);
    CHECK(d.what == k::apply);
    CHECK(d.to == x402_batch_status::settled);
    CHECK(d.message == "Batch settlement confirmed");
    r.tx_hash = other;
    CHECK(msg::decide_x402_settle(b, r).what == k::bad_field);
  }
  SECTION("settled") {
    b.status = x402_batch_status::settled;
    b.tx_hash = tx;
    b.block_number = 9;
    b.gas_used = 100;
    auto d = msg::decide_x402_settle(b, r);
    CHECK(d.what == k::unchanged);
    CHECK(d.message == "Batch already settled");
    r.tx_hash = tx;
    r.block_number = 9;
    r.gas_used = 100;
    CHECK(msg::decide_x402_settle(b, r).what == k::unchanged);
    r.gas_used = 101;
    CHECK(msg::decide_x402_settle(b, r).what == k::bad_field);
  }
  SECTION("pending and failed") {
    r.tx_hash = tx;
    r.block_number = 1;
    for (auto s : {x402_batch_status::pending, x402_batch_status::failed}) {
      b.status = s;
      auto d = msg::decide_x402_settle(b, r);
      CHECK(d.what == k::bad_transition);
      CHECK(d.message.find(msg::to_string(s) + " -> settled") != std::string::npos);
    }
  }
}

TEST_CASE("a receipt is checked offline", "[x402]") {
  auto xs = vector_intents();
  const auto& vb = at(at(vectors(), "x402"), "batch");
  auto batch = msg::build_x402_batch(uuid_of(str(vb, "batch_id")), xs, 0);
  auto proof = msg::x402_prove(xs, xs[1].intent_id);
  REQUIRE(proof.has_value());
  msg::x402_receipt_fields r;
  r.intent_id = xs[1].intent_id;
  r.batch_id = batch.batch_id;
  r.sequence_number = xs[1].sequence_number;
  r.fields = xs[1].fields();
  r.claimed_chain_id = xs[1].chain_id;
  r.signing_hash = xs[1].signing_hash;
  r.payer_signature = xs[1].payer_signature;
  r.payer_public_key = xs[1].payer_public_key;
  r.merkle_root = *batch.merkle_root;
  r.inclusion_proof = proof->path;
  r.leaf_index = proof->leaf_index;
  r.total_leaves = proof->total_leaves;
  r.tenant_id = batch.stream.tenant_id;
  r.store_id = batch.stream.store_id;
  r.new_state_root = batch.new_state_root;
  auto c = msg::check_x402_receipt(r);
  CHECK(c.ok());
  CHECK(c.signature_checked);
  CHECK(c.state_root_checked);
  CHECK(c.leaf == proof->leaf);

  auto tampered = r;
  tampered.fields.amount += 1;
  c = msg::check_x402_receipt(tampered);
  CHECK_FALSE(c.signing_hash_ok);
  CHECK_FALSE(c.proof_ok);
  tampered = r;
  tampered.leaf_index = 0;
  CHECK_FALSE(msg::check_x402_receipt(tampered).ok());
  tampered = r;
  tampered.claimed_chain_id = 1;
  CHECK_FALSE(msg::check_x402_receipt(tampered).chain_id_ok);
  tampered = r;
  tampered.new_state_root = ves::hash32{};
  CHECK_FALSE(msg::check_x402_receipt(tampered).ok());
  tampered = r;
  tampered.payer_signature[0] ^= 1;
  c = msg::check_x402_receipt(tampered);
  CHECK_FALSE(c.signature_ok);
  CHECK_FALSE(c.ok());
}
