// SPDX-License-Identifier: Apache-2.0
// x402 settlement against a REAL local EVM chain (ganache through tests/support/chain_harness.sh,
// contracts compiled by deploy/contracts/compile.mjs; helpers in chain_support.hpp): the TEST
// token and VesPaymentBatch are deployed with the project's chain adapter, payers are minted
// tokens and approve the contract, and batches of x402 intents — leaves, rs_merkle root and
// batch state root computed with messages/ves (ves-crypto §10) — are settled through
// rpc_chain_gateway and through the circuit-breaker actor. Checked: balances move exactly once,
// the stored record and the BatchSettled log, idempotent re-settlement (the original tx, no
// new transaction), the contract's refusals (unauthorised settler, missing allowance reverts
// the whole batch, unequal arrays, a batch id settled before), no configured contract, and a
// chain that stops and comes back.

#include "actors/circuit_breaker/circuit_breaker.hpp"
#include "adapters/chain/abi.hpp"
#include "adapters/chain/anchor_contract.hpp"
#include "adapters/chain/gateway.hpp"
#include "adapters/chain/payment_contract.hpp"
#include "messages/chain.hpp"
#include "messages/errc.hpp"
#include "messages/settlement.hpp"
#include "messages/type_ids.hpp"
#include "messages/ves/ves.hpp"
#include "tests/integration/chain_support.hpp"

#include <catch2/catch.hpp>

#include <ctime>
#include <map>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"

using namespace seq;
using namespace seq::chain;
using namespace seq::chain::support;
using namespace std::chrono_literals;

namespace {

// -- more of ganache's deterministic test accounts (public TEST ONLY keys) --------------------

constexpr const char* payer_a_key = // account 3
  "646f1ce2fdad0e6deeeb5c7e8e5543bdde65e86029e2fd9fc169899c440a7913";
constexpr const char* payer_b_key = // account 4
  "add53f9a7e588d003326d1cbf9e4a43c061aadd9bc938c843a79e7b4fd2ad743";
constexpr const char* payer_c_key = // account 5
  "395df67f0c2d2d9fe1ad08d1bc8b6627011959b79c53d7dd6a3536a33ab8a4fd";

/// Payees need no key: they only receive tokens.
address payee(const char* hex) {
  auto a = address::parse(hex);
  REQUIRE(a);
  return *a;
}

/// The payers' Ed25519 key for x402 intent signatures. TEST ONLY.
ves::seed32 intent_seed() {
  ves::seed32 s{};
  s.fill(0x42);
  return s;
}

// -- x402 batches computed with messages/ves ----------------------------------------------------

struct payment {
  address payer, payee;
  uint64_t amount = 0;
};

struct x402_batch {
  msg::settle_payment_batch msg;
  std::vector<hash32> leaves;
};

/// A committed x402 batch of `payments` (sequence numbers first_seq…): signed intents, their
/// leaves (ves-crypto §10), the rs_merkle root, the batch state root, and the transfers
/// aggregated per (payer, payee) in order of first appearance.
x402_batch make_batch(const ves::uuid& tenant, const ves::uuid& store, const address& token,
                      const std::vector<payment>& payments, uint64_t first_seq) {
  x402_batch b;
  b.msg.batch_id = ves::uuid::random_v4();
  b.msg.tenant_id = tenant;
  b.msg.store_id = store;
  auto seed = intent_seed();
  auto pk = ves::ed25519_public_key(seed);
  auto valid_until = static_cast<uint64_t>(std::time(nullptr)) + 3600;
  std::map<std::pair<address, address>, size_t> slot;
  for (size_t i = 0; i < payments.size(); ++i) {
    const auto& p = payments[i];
    ves::x402_fields f;
    f.payer_address = p.payer.checksummed();
    f.payee_address = p.payee.hex();
    f.amount = p.amount;
    f.asset = "usdc";
    f.network = "set_chain";
    f.chain_id = ves::x402_chain_id(f.network);
    REQUIRE(f.chain_id == chain_id);
    f.valid_until = valid_until;
    f.nonce = first_seq + i;
    auto signing_hash = ves::x402_signing_hash(f);
    auto sig = ves::ed25519_sign(seed, signing_hash);
    REQUIRE(ves::ed25519_verify(pk, signing_hash, sig));
    b.leaves.push_back(
      ves::x402_leaf_hash(ves::uuid::random_v4(), first_seq + i, f, signing_hash, sig));
    auto key = std::make_pair(p.payer, p.payee);
    if (auto it = slot.find(key); it != slot.end()) {
      b.msg.transfers[it->second].amount += p.amount;
    } else {
      slot.emplace(key, b.msg.transfers.size());
      b.msg.transfers.push_back({p.payer.b, p.payee.b, p.amount});
    }
  }
  b.msg.merkle_root = ves::legacy_merkle_root(b.leaves);
  b.msg.state_root = ves::x402_batch_state_root(tenant, store, b.msg.batch_id, b.msg.merkle_root);
  b.msg.sequence_start = first_seq;
  b.msg.sequence_end = first_seq + payments.size() - 1;
  b.msg.payment_count = static_cast<uint32_t>(payments.size());
  b.msg.token = token.b;
  // the root is a real rs_merkle root: every intent's proof verifies against it
  for (size_t i = 0; i < b.leaves.size(); ++i)
    REQUIRE(ves::legacy_verify_proof(b.leaves[i], b.msg.merkle_root,
                                     ves::legacy_merkle_proof(b.leaves, i), i, b.leaves.size()));
  return b;
}

// -- the chain side ---------------------------------------------------------------------------

chain_settings settle_settings(const std::optional<address>& settlement, const char* hex) {
  chain_settings s;
  s.rpc_url = chain_env().url();
  s.contract_address = "0x0000000000000000000000000000000000000001"; // no anchoring here
  if (settlement)
    s.settlement_contract_address = settlement->checksummed();
  s.private_key_hex = hex;
  s.chain_id = chain_id;
  s.connect_timeout = 1s;
  s.io_timeout = 10s;
  s.receipt_poll_interval = 20ms;
  s.receipt_timeout = 30s;
  return s;
}

std::unique_ptr<rpc_chain_gateway> settle_gateway(const std::optional<address>& settlement,
                                                  const char* hex) {
  auto g = rpc_chain_gateway::make(settle_settings(settlement, hex));
  if (!g)
    FAIL("gateway: " << text(g.error()));
  return std::move(*g);
}

uint64_t balance_of(rpc_client& c, const address& token, const address& holder) {
  auto v = REQUIRE_OK(erc20::decode_uint256(view(c, token, erc20::balance_of(holder))));
  REQUIRE(v->fits_u64());
  return v->low_u64();
}

u256 unlimited() {
  u256 v;
  v.be.fill(0xff);
  return v;
}

/// Deployed TEST token and settlement contract (the sequencer key is the authorised settler),
/// payers A and B minted and approved, payer C minted but NOT approved; all three let
/// settlements of the stream (tenant, store) move their tokens.
struct settlement_env {
  account owner{owner_key};
  address token, contract;
  address a = key(payer_a_key).addr(), b = key(payer_b_key).addr(), c = key(payer_c_key).addr();
  ves::uuid tenant = ves::uuid::random_v4(), store = ves::uuid::random_v4();

  settlement_env() {
    token = deploy(owner, "VesTestToken", {});
    contract = deploy(owner, "VesPaymentBatch",
                      abi::encoder{}.add_address(key(sequencer_key).addr()).finish());
    transact(owner, token, erc20::mint(a, u256::from_u64(1'000'000)));
    transact(owner, token, erc20::mint(b, u256::from_u64(500'000)));
    transact(owner, token, erc20::mint(c, u256::from_u64(100'000)));
    for (const char* payer : {payer_a_key, payer_b_key}) {
      account p{payer};
      transact(p, token, erc20::approve(contract, unlimited()));
    }
    for (const char* payer : {payer_a_key, payer_b_key, payer_c_key}) {
      account p{payer};
      transact(p, contract, payment_batch::set_payer_stream(tenant, store, true));
    }
  }

  bool pays_through(rpc_client& cl, const address& payer, const ves::uuid& t,
                    const ves::uuid& s) const {
    auto ret = view(cl, contract, payment_batch::is_payer_stream(payer, t, s));
    return *REQUIRE_OK(payment_batch::decode_is_settled(ret)); // one bool word
  }

  bool settled(rpc_client& cl, const ves::uuid& id) const {
    auto ret = view(cl, contract, payment_batch::is_settled(id));
    return *REQUIRE_OK(payment_batch::decode_is_settled(ret));
  }
};

/// Sends a transaction and returns its error (the call must fail).
caf::error refused(account& from, const address& to, bytes data) {
  tx_request req;
  req.to = to;
  req.data = std::move(data);
  auto r = from.sender.send_and_wait(req);
  REQUIRE_FALSE(r);
  return r.error();
}

} // namespace

// -- the contracts ---------------------------------------------------------------------------

TEST_CASE("the settlement contract and the test token expose the ABI the adapter encodes",
          "[chain][integration][settlement]") {
  auto check_ids = [](const std::string& contract, std::initializer_list<const char*> sigs) {
    auto ids = at(chain_env().artifact(contract), "methodIdentifiers");
    for (const char* sig : sigs) {
      INFO(contract << ": " << sig);
      CHECK(at(ids, sig).as_string() == ves::to_hex(function_selector(sig)));
    }
  };
  check_ids("VesPaymentBatch",
            {payment_batch::settle_batch_sig, payment_batch::is_settled_sig,
             payment_batch::get_settlement_sig, payment_batch::get_latest_sequence_sig,
             payment_batch::set_settler_authorization_sig, payment_batch::set_payer_stream_sig,
             payment_batch::is_payer_stream_sig});
  check_ids("VesTestToken", {erc20::balance_of_sig, erc20::allowance_sig, erc20::approve_sig,
                             erc20::transfer_sig, erc20::transfer_from_sig, erc20::mint_sig});
  // the token says it is a test token
  account owner{owner_key};
  auto token = deploy(owner, "VesTestToken", {});
  auto cl = rpc();
  auto dec = abi::decoder(view(cl, token, abi::encoder{function_selector("decimals()")}.finish()));
  CHECK(dec.uint64(0) == 6u);
  auto name = view(cl, token, abi::encoder{function_selector("name()")}.finish());
  CHECK(std::string(name.begin(), name.end()).find("TEST ONLY") != std::string::npos);
  // mint is the owner's, transfer moves balances
  account a{payer_a_key};
  CHECK(a.sender.from().checksummed() == "0xE11BA2b4D45Eaed5996Cd0823791E0C93114882d");
  auto not_owner = refused(a, token, erc20::mint(a.sender.from(), u256::from_u64(5)));
  CHECK(not_owner == errc::chain_rejected);
  CHECK(error_message(not_owner).find("Not owner") != std::string::npos);
  transact(owner, token, erc20::mint(a.sender.from(), u256::from_u64(700)));
  auto to = payee("0x00000000000000000000000000000000000a11ce");
  transact(a, token, erc20::transfer(to, u256::from_u64(200)));
  CHECK(balance_of(cl, token, a.sender.from()) == 500);
  CHECK(balance_of(cl, token, to) == 200);
  auto too_much = refused(a, token, erc20::transfer(to, u256::from_u64(501)));
  CHECK(error_message(too_much).find("Insufficient balance") != std::string::npos);
}

// -- settlement through the gateway ----------------------------------------------------------

TEST_CASE("x402 batches settle on chain exactly once through rpc_chain_gateway",
          "[chain][integration][settlement]") {
  settlement_env env;
  auto cl = rpc();
  auto p1 = payee("0x00000000000000000000000000000000000a11ce");
  auto p2 = payee("0x0000000000000000000000000000000000000b0b");
  auto gw = settle_gateway(env.contract, sequencer_key);
  auto batch = make_batch(env.tenant, env.store, env.token,
                          {{env.a, p1, 100}, {env.a, p1, 250}, {env.a, p2, 40}, {env.b, p1, 1000}},
                          11);
  REQUIRE(batch.msg.transfers.size() == 3); // A→P1 aggregated
  CHECK(batch.msg.transfers[0].amount == 350);

  CHECK(REQUIRE_OK(gw->is_batch_settled(batch.msg.batch_id)) == false);
  auto head = REQUIRE_OK(cl.block_number());
  auto tx = REQUIRE_OK(gw->settle_payment_batch(batch.msg));
  CHECK(tx->chain_id == chain_id);
  CHECK(tx->block_number > *head);
  auto rc = REQUIRE_OK(cl.transaction_receipt(tx->tx_hash));
  REQUIRE(*rc);
  CHECK((*rc)->success);
  CHECK((*rc)->block_number == tx->block_number);

  // balances moved exactly
  CHECK(balance_of(cl, env.token, env.a) == 1'000'000 - 390);
  CHECK(balance_of(cl, env.token, env.b) == 500'000 - 1000);
  CHECK(balance_of(cl, env.token, p1) == 1350);
  CHECK(balance_of(cl, env.token, p2) == 40);
  CHECK(REQUIRE_OK(gw->is_batch_settled(batch.msg.batch_id)) == true);

  // the calldata on chain is the adapter's encoding
  auto sent = REQUIRE_OK(cl.call("eth_getTransactionByHash", {to_data(tx->tx_hash)}));
  CHECK(at(*sent, "input").as_string() == to_data(payment_batch::settle_batch(batch.msg)));
  CHECK(at(*sent, "to").as_string() == env.contract.hex());

  // the stored record
  auto rec = REQUIRE_OK(payment_batch::decode_get_settlement(
    view(cl, env.contract, payment_batch::get_settlement(batch.msg.batch_id))));
  CHECK(rec->found);
  CHECK(rec->tenant_id == uuid_to_bytes32(env.tenant));
  CHECK(rec->store_id == uuid_to_bytes32(env.store));
  CHECK(rec->merkle_root == batch.msg.merkle_root);
  CHECK(rec->state_root == batch.msg.state_root);
  CHECK(rec->sequence_start == 11);
  CHECK(rec->sequence_end == 14);
  CHECK(rec->payment_count == 4);
  CHECK(rec->token == env.token);
  CHECK(rec->transfer_count == 3);
  CHECK(rec->total_amount == u256::from_u64(1390));
  CHECK(rec->settled_at > 0);
  CHECK(rec->block_number == tx->block_number);
  CHECK(rec->submitter == gw->sender_address());
  auto latest = abi::decoder(
    view(cl, env.contract, payment_batch::get_latest_sequence(env.tenant, env.store)));
  CHECK(latest.uint64(0) == 14u);

  // the BatchSettled log: batchId and tenantId indexed, the rest in the data
  log_filter f;
  f.address = env.contract;
  f.topics = {payment_batch::batch_settled_topic(), uuid_to_bytes32(batch.msg.batch_id)};
  auto logs = REQUIRE_OK(cl.get_logs(f));
  REQUIRE(logs->size() == 1);
  const auto& log = logs->front();
  CHECK(log.tx_hash == tx->tx_hash);
  CHECK(log.block_number == tx->block_number);
  REQUIRE(log.topics.size() == 3);
  CHECK(log.topics[2] == uuid_to_bytes32(env.tenant));
  abi::decoder data(log.data);
  CHECK(data.bytes32(0) == uuid_to_bytes32(env.store));
  CHECK(data.bytes32(1) == batch.msg.merkle_root);
  CHECK(data.bytes32(2) == batch.msg.state_root);
  CHECK(data.uint64(5) == 4u);
  CHECK(data.addr(6) == env.token);
  CHECK(data.uint64(7) == 3u);
  CHECK(data.uint64(8) == 1390u);
  // … and the token's three Transfer events in the same transaction
  log_filter tf;
  tf.address = env.token;
  tf.from_block = tf.to_block = to_quantity(tx->block_number);
  tf.topics = {keccak256(std::string_view{"Transfer(address,address,uint256)"})};
  auto transfers = REQUIRE_OK(cl.get_logs(tf));
  CHECK(transfers->size() == 3);
  for (const auto& t : *transfers)
    CHECK(t.tx_hash == tx->tx_hash);

  SECTION("settling the same batch again answers the original transaction and sends nothing") {
    auto settler = key(sequencer_key).addr();
    auto nonce = REQUIRE_OK(cl.transaction_count(settler));
    auto again = REQUIRE_OK(gw->settle_payment_batch(batch.msg));
    CHECK(*again == *tx);
    // a fresh gateway (a restarted server) finds it too
    auto fresh = settle_gateway(env.contract, sequencer_key);
    CHECK(*REQUIRE_OK(fresh->settle_payment_batch(batch.msg)) == *tx);
    CHECK(REQUIRE_OK(cl.transaction_count(settler)) == *nonce);
    CHECK(balance_of(cl, env.token, env.a) == 1'000'000 - 390);
    CHECK(balance_of(cl, env.token, p1) == 1350);
    // the contract itself refuses a second settleBatch of the id
    account s{sequencer_key};
    auto dup = refused(s, env.contract, payment_batch::settle_batch(batch.msg));
    CHECK(dup == errc::chain_rejected);
    CHECK(error_message(dup).find("Batch already settled") != std::string::npos);
    // the same id with other roots is another batch: refused, never answered with our tx
    auto forged = batch.msg;
    forged.merkle_root[0] ^= 0x01;
    auto other = gw->settle_payment_batch(forged);
    REQUIRE_FALSE(other);
    CHECK(other.error() == errc::chain_rejected);
    CHECK(error_message(other.error()).find("settled on chain with merkle root")
          != std::string::npos);
  }
  SECTION("an address that is not an authorised settler is refused") {
    auto stranger = settle_gateway(env.contract, other_key);
    auto next = make_batch(env.tenant, env.store, env.token, {{env.a, p1, 5}}, 15);
    auto r = stranger->settle_payment_batch(next.msg);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::chain_rejected);
    CHECK(error_message(r.error()).find("Not an authorized settler") != std::string::npos);
    CHECK_FALSE(env.settled(cl, next.msg.batch_id));
    CHECK(balance_of(cl, env.token, env.a) == 1'000'000 - 390);
    // once the owner authorises it, it may settle
    transact(env.owner, env.contract,
             payment_batch::set_settler_authorization(key(other_key).addr(), true));
    REQUIRE_OK(stranger->settle_payment_batch(next.msg));
    CHECK(balance_of(cl, env.token, env.a) == 1'000'000 - 395);
  }
  SECTION("a transfer without allowance reverts the whole batch") {
    auto next =
      make_batch(env.tenant, env.store, env.token, {{env.a, p1, 10}, {env.c, p2, 20}}, 15);
    auto r = gw->settle_payment_batch(next.msg);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::chain_rejected);
    CHECK(error_message(r.error()).find("Transfer 1 failed: Insufficient allowance")
          != std::string::npos);
    CHECK_FALSE(env.settled(cl, next.msg.batch_id));
    CHECK(balance_of(cl, env.token, env.a) == 1'000'000 - 390); // A's transfer undone too
    CHECK(balance_of(cl, env.token, env.c) == 100'000);
    CHECK(balance_of(cl, env.token, p1) == 1350);
    CHECK(balance_of(cl, env.token, p2) == 40);
    // the refused batch stays settleable once C approves (no chaining blocks it)
    account c{payer_c_key};
    transact(c, env.token, erc20::approve(env.contract, u256::from_u64(20)));
    REQUIRE_OK(gw->settle_payment_batch(next.msg));
    CHECK(balance_of(cl, env.token, env.c) == 100'000 - 20);
    CHECK(balance_of(cl, env.token, p2) == 60);
    auto left = REQUIRE_OK(
      erc20::decode_uint256(view(cl, env.token, erc20::allowance(env.c, env.contract))));
    CHECK(left->is_zero());
  }
  SECTION("a payer's tokens move only for the streams it has authorised") {
    // Another stream of the same tenant, and another tenant: A's approval of the token does
    // not let their settlements spend A's tokens (an intent's Ed25519 key is not bound to A).
    auto other_store = ves::uuid::random_v4(), other_tenant = ves::uuid::random_v4();
    CHECK(env.pays_through(cl, env.a, env.tenant, env.store));
    CHECK_FALSE(env.pays_through(cl, env.a, env.tenant, other_store));
    for (auto [t, st] : {std::pair{env.tenant, other_store}, std::pair{other_tenant, env.store}}) {
      auto forged = make_batch(t, st, env.token, {{env.b, p1, 1}, {env.a, p2, 300}}, 1);
      auto r = gw->settle_payment_batch(forged.msg);
      REQUIRE_FALSE(r);
      CHECK(r.error() == errc::chain_rejected);
      CHECK(error_message(r.error()).find("Transfer 0 failed: payer has not authorised the stream")
            != std::string::npos);
      CHECK_FALSE(env.settled(cl, forged.msg.batch_id));
    }
    CHECK(balance_of(cl, env.token, env.a) == 1'000'000 - 390);
    CHECK(balance_of(cl, env.token, p2) == 40);
    // Once A (and B) authorise the other stream, its batches may move their tokens; A may
    // withdraw the authorisation again.
    account a{payer_a_key}, b{payer_b_key};
    transact(a, env.contract, payment_batch::set_payer_stream(env.tenant, other_store, true));
    transact(b, env.contract, payment_batch::set_payer_stream(env.tenant, other_store, true));
    auto allowed = make_batch(env.tenant, other_store, env.token, {{env.a, p2, 300}}, 1);
    REQUIRE_OK(gw->settle_payment_batch(allowed.msg));
    CHECK(balance_of(cl, env.token, env.a) == 1'000'000 - 690);
    transact(a, env.contract, payment_batch::set_payer_stream(env.tenant, other_store, false));
    CHECK_FALSE(env.pays_through(cl, env.a, env.tenant, other_store));
    auto withdrawn = make_batch(env.tenant, other_store, env.token, {{env.a, p2, 1}}, 2);
    REQUIRE_FALSE(gw->settle_payment_batch(withdrawn.msg));
    CHECK(balance_of(cl, env.token, env.a) == 1'000'000 - 690);
  }
  SECTION("the contract checks the arrays and the batch") {
    account s{sequencer_key};
    auto next = make_batch(env.tenant, env.store, env.token, {{env.a, p1, 1}, {env.b, p1, 2}}, 15);
    auto settle_with = [&](std::vector<hash32> from, std::vector<hash32> to,
                           std::vector<hash32> amounts, uint32_t count = 2) {
      return abi::encoder{function_selector(payment_batch::settle_batch_sig)}
        .add_bytes32(uuid_to_bytes32(next.msg.batch_id))
        .add_bytes32(uuid_to_bytes32(env.tenant))
        .add_bytes32(uuid_to_bytes32(env.store))
        .add_bytes32(next.msg.merkle_root)
        .add_bytes32(next.msg.state_root)
        .add_uint(15)
        .add_uint(16)
        .add_uint(count)
        .add_address(env.token)
        .add_bytes32_array(from)
        .add_bytes32_array(to)
        .add_bytes32_array(amounts)
        .finish();
    };
    auto word = [](const address& a) {
      hash32 w{};
      std::copy(a.b.begin(), a.b.end(), w.begin() + 12);
      return w;
    };
    auto amt = [](uint64_t v) { return u256::from_u64(v).be; };
    auto mismatch = refused(
      s, env.contract, settle_with({word(env.a), word(env.b)}, {word(p1)}, {amt(1), amt(2)}));
    CHECK(error_message(mismatch).find("Array length mismatch") != std::string::npos);
    auto too_many = refused(
      s, env.contract,
      settle_with({word(env.a), word(env.b)}, {word(p1), word(p1)}, {amt(1), amt(2)}, 1));
    CHECK(error_message(too_many).find("More transfers than payments") != std::string::npos);
    auto range = next.msg;
    range.sequence_start = 17;
    auto bad_range = gw->settle_payment_batch(range);
    REQUIRE_FALSE(bad_range);
    CHECK(error_message(bad_range.error()).find("Invalid sequence range") != std::string::npos);
    auto no_token = next.msg;
    no_token.token = p1.b; // not a contract
    auto r = gw->settle_payment_batch(no_token);
    REQUIRE_FALSE(r);
    CHECK(error_message(r.error()).find("Token is not a contract") != std::string::npos);
    CHECK_FALSE(env.settled(cl, next.msg.batch_id));
    REQUIRE_OK(gw->settle_payment_batch(next.msg)); // the well-formed batch goes through
  }
  SECTION("no settlement contract configured") {
    auto bare = settle_gateway(std::nullopt, sequencer_key);
    auto r = bare->settle_payment_batch(batch.msg);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::invalid_request);
    CHECK(error_message(r.error()) == "x402 settlement contract is not configured");
    auto q = bare->is_batch_settled(batch.msg.batch_id);
    REQUIRE_FALSE(q);
    CHECK(q.error() == errc::invalid_request);
    auto s = settle_settings(std::nullopt, sequencer_key);
    s.settlement_contract_address = "0x1234";
    auto bad = rpc_chain_gateway::make(s);
    REQUIRE_FALSE(bad);
    CHECK(bad.error() == errc::invalid_request);
  }
}

// -- through the circuit breaker, and over an outage ------------------------------------------

TEST_CASE("x402 settlement through the circuit breaker, while the chain is down and after it "
          "returns",
          "[chain][integration][settlement][breaker]") {
  settlement_env env;
  auto cl = rpc();
  auto p1 = payee("0x00000000000000000000000000000000000a11ce");

  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::seq>();
  caf::actor_system sys{cfg};
  actors::circuit_breaker_config bc;
  bc.breaker.name = "settlement";
  bc.breaker.failure_threshold = 3;
  bc.breaker.success_threshold = 1;
  bc.breaker.failure_window = 60s;
  bc.breaker.open_timeout = 1s;
  bc.breaker.slow_call_threshold = 20s;
  bc.call_timeout = 60s;
  bc.detached_io = true;
  auto breaker = actors::spawn_circuit_breaker(
    sys, bc, make_gateway_factory(settle_settings(env.contract, sequencer_key)));
  caf::scoped_actor self{sys};
  auto settle = [&](const msg::settle_payment_batch& b) {
    caf::expected<msg::chain_tx> out = make_error(errc::internal, "no reply");
    self->request(breaker, 90s, b)
      .receive([&](msg::chain_tx& r) { out = std::move(r); },
               [&](caf::error& e) { out = std::move(e); });
    return out;
  };
  auto check = [&](const ves::uuid& id) {
    caf::expected<msg::batch_settled_state> out = make_error(errc::internal, "no reply");
    self->request(breaker, 90s, msg::check_batch_settled{id})
      .receive([&](msg::batch_settled_state& r) { out = std::move(r); },
               [&](caf::error& e) { out = std::move(e); });
    return out;
  };
  auto status = [&] {
    msg::breaker_status st;
    self->request(breaker, 10s, caf::get_atom_v)
      .receive([&](msg::breaker_status& x) { st = std::move(x); },
               [&](caf::error& e) { FAIL("breaker status: " << text(e)); });
    return st;
  };

  auto first = make_batch(env.tenant, env.store, env.token, {{env.a, p1, 70}, {env.b, p1, 30}}, 1);
  CHECK(REQUIRE_OK(check(first.msg.batch_id))->settled == false);
  auto tx1 = REQUIRE_OK(settle(first.msg));
  CHECK(tx1->chain_id == chain_id);
  CHECK(REQUIRE_OK(check(first.msg.batch_id))->settled == true);
  CHECK(*REQUIRE_OK(settle(first.msg)) == *tx1); // idempotent through the actors too
  CHECK(balance_of(cl, env.token, p1) == 100);

  // the chain goes away: the settlement fails as unreachable, directly and through the breaker
  auto second = make_batch(env.tenant, env.store, env.token, {{env.a, p1, 5}}, 3);
  auto direct = settle_gateway(env.contract, sequencer_key);
  chain_env().stop();
  auto down = direct->settle_payment_batch(second.msg);
  REQUIRE_FALSE(down);
  CHECK((down.error() == errc::chain_unavailable || down.error() == errc::timeout));
  auto via = settle(second.msg);
  REQUIRE_FALSE(via);
  CHECK((via.error() == errc::chain_unavailable || via.error() == errc::timeout));
  CHECK(status().failures == 1);
  CHECK(status().state == msg::breaker_state::closed);

  chain_env().restart();
  auto tx2 = REQUIRE_OK(settle(second.msg));
  CHECK(tx2->block_number > tx1->block_number);
  CHECK(*REQUIRE_OK(direct->settle_payment_batch(second.msg)) == *tx2); // reconnects, answers
  CHECK(balance_of(cl, env.token, p1) == 105);
  CHECK(balance_of(cl, env.token, env.a) == 1'000'000 - 75);
  // the refusals of the contract count as successes: the chain is healthy
  auto stranger_batch = make_batch(env.tenant, env.store, env.token, {{env.c, p1, 1}}, 4);
  auto no_allowance = settle(stranger_batch.msg);
  REQUIRE_FALSE(no_allowance);
  CHECK(no_allowance.error() == errc::chain_rejected);
  auto st = status();
  CHECK(st.state == msg::breaker_state::closed);
  CHECK(st.failures == 1);
  caf::anon_send_exit(breaker, caf::exit_reason::user_shutdown);
}
