// SPDX-License-Identifier: Apache-2.0
// x402 settlement end to end through the real server on a REAL local chain (ganache +
// solc-js from the root package-lock.json, the project's VesTestToken and VesPaymentBatch):
//   1. two agents, each an EVM account holding test tokens that approved the settlement
//      contract, pay each other many times (with a nonce replay and an idempotent repeat);
//   2. batches seal (by size and by time) and settle on their own;
//   3. on-chain token balances move by exactly the sum of the settled intents;
//   4. every receipt's inclusion proof verifies offline (`ves verify payment-receipt`);
//   5. the chain stops mid-run: settlement waits (intents stay batched), nothing is lost, and
//      everything settles once the chain is back.
// Environment (tests/CMakeLists.txt): SEQ_CHAIN_HARNESS, SEQ_CONTRACTS_COMPILE, SEQ_SERVER_BIN,
// SEQ_CLI_BIN.
#include "adapters/chain/payment_contract.hpp"
#include "tests/integration/chain_support.hpp"
#include "tests/integration/projection_harness.hpp"
#include "tests/integration/x402_support.hpp"

#include <catch2/catch.hpp>

#include <map>

namespace seq::it {
namespace {

namespace cs = seq::chain::support;
using proj::eventually;

uint64_t token_balance(const chain::address& token, const chain::address& holder) {
  auto c = cs::rpc();
  auto b = chain::erc20::decode_uint256(cs::view(c, token, chain::erc20::balance_of(holder)));
  REQUIRE(b);
  return b->low_u64();
}

/// Pays `n` intents from `from` to `to` (amounts 1 + i·7), nonces from `first_nonce`.
uint64_t pay_many(api_client& c, payer& from, const payer& to, uint64_t first_nonce, int n) {
  uint64_t sum = 0;
  for (int i = 0; i < n; ++i) {
    intent_spec s;
    s.amount = 1 + static_cast<uint64_t>(i) * 7;
    s.nonce = first_nonce + static_cast<uint64_t>(i);
    s.payee = to.address;
    pay_ok(c, from, s);
    sum += s.amount;
  }
  return sum;
}

size_t count_status(const std::vector<json::value>& xs, const std::string& status) {
  return static_cast<size_t>(std::count_if(xs.begin(), xs.end(), [&](const json::value& x) {
    return str_of(x, "status") == status;
  }));
}

} // namespace

TEST_CASE("x402 intents seal and settle on a real chain; balances match; outages lose nothing",
          "[integration][x402][chain]") {
  // -- contracts and funded, approving payers (ganache TEST ONLY accounts) -------------------
  cs::account owner{cs::owner_key};
  cs::account other{cs::other_key};
  auto settler = cs::key(cs::sequencer_key).addr();
  auto token = cs::deploy(owner, "VesTestToken", {});
  auto batches =
    cs::deploy(owner, "VesPaymentBatch", chain::abi::encoder{}.add_address(settler).finish());
  auto anchor = cs::deploy(owner, "VesAnchor", chain::abi::encoder{}.add_bool(false).finish());
  constexpr uint64_t funds = 1'000'000;
  for (auto* acct : {&owner, &other}) {
    cs::transact(owner, token, chain::erc20::mint(acct->sender.from(), chain::u256::from_u64(funds)));
    cs::transact(*acct, token, chain::erc20::approve(batches, chain::u256::from_u64(funds)));
  }

  temp_dir dir{"ves-it-x402-chain"};
  server_config cfg{dir.path(),
                    "sqlite://" + dir.path() + "/ves.db",
                    {{"L2_RPC_URL", cs::chain_env().url()},
                     {"SET_REGISTRY_ADDRESS", anchor.hex()},
                     {"SEQUENCER_PRIVATE_KEY", cs::sequencer_key}, // ganache TEST ONLY key
                     {"L2_CHAIN_ID", std::to_string(cs::chain_id)},
                     {"VES_ANCHOR_AUTO", "false"},
                     {"VES_ANCHOR_RECEIPT_TIMEOUT_MS", "10000"},
                     {"VES_ANCHOR_RECEIPT_POLL_INTERVAL_MS", "50"},
                     {"VES_ANCHOR_BREAKER_FAILURE_THRESHOLD", "2"},
                     {"VES_ANCHOR_BREAKER_OPEN_TIMEOUT_MS", "1000"},
                     {"VES_ANCHOR_BREAKER_MAX_BACKOFF_MS", "2000"},
                     {"VES_X402_SETTLEMENT_CONTRACT", batches.hex()},
                     {"VES_X402_TOKEN_ADDRESSES", "usdc=" + token.hex()},
                     {"X402_BATCH_MAX_SIZE", "6"},
                     {"VES_X402_BATCH_MAX_WAIT_MS", "1000"},
                     {"VES_X402_SETTLE_RETRY_INITIAL_MS", "200"},
                     {"VES_X402_SETTLE_RETRY_MAX_MS", "1000"}}};
  server_process srv{cfg};
  api_client admin{srv.port()};

  payer a, b;
  b.id.tenant = a.id.tenant;
  b.id.store = a.id.store;
  a.address = owner.sender.from().hex();
  b.address = other.sender.from().hex();
  // Each payer lets settlements of this stream move its tokens (approving the token is not
  // enough: the contract also wants the stream named by the payer).
  for (auto* acct : {&owner, &other})
    cs::transact(*acct, batches,
                 chain::payment_batch::set_payer_stream(a.id.tenant, a.id.store, true));

  // -- 1. many payments both ways, a replay and an idempotent repeat --------------------------
  uint64_t a_to_b = pay_many(admin, a, b, 1, 9);
  uint64_t b_to_a = pay_many(admin, b, a, 1, 7);
  intent_spec replay;
  replay.nonce = 3;
  replay.payee = b.address;
  auto r = pay(admin, a, replay);
  INFO(r.describe());
  CHECK(r.status == 400); // nonce already used for this payer
  intent_spec keyed;
  keyed.nonce = 100;
  keyed.amount = 50;
  keyed.payee = b.address;
  keyed.idempotency_key = "order-42";
  auto first = pay_ok(admin, a, keyed);
  auto again = pay(admin, a, keyed);
  REQUIRE(again.status == 200);
  CHECK(str_of(again.doc(), "intent_id") == first);
  a_to_b += 50;
  const size_t total = 9 + 7 + 1;

  // -- 2. batches seal and settle on their own ------------------------------------------------
  REQUIRE(eventually(
    [&] { return count_status(list_intents(admin, a.id), "settled") == total; },
    std::chrono::seconds{120}));

  // -- 3. balances moved by exactly the settled sums ------------------------------------------
  CHECK(token_balance(token, owner.sender.from()) == funds - a_to_b + b_to_a);
  CHECK(token_balance(token, other.sender.from()) == funds + a_to_b - b_to_a);

  // -- 4. every receipt verifies offline, with its batch's tx and block -----------------------
  std::map<std::string, std::string> batch_tx;
  for (const auto& x : list_intents(admin, a.id)) {
    auto id = str_of(x, "intent_id");
    auto rc = admin.get("/api/v1/x402/payments/" + id + "/receipt");
    INFO(rc.describe());
    REQUIRE(rc.status == 200);
    auto& receipt = member(rc.doc(), "receipt");
    CHECK(verify_offline(dir, rc.body, id) == 0);
    CHECK(!str_of(receipt, "tx_hash").empty());
    batch_tx[str_of(receipt, "batch_id")] = str_of(receipt, "tx_hash");
  }
  CHECK(batch_tx.size() >= 3); // 17 intents, at most 6 per batch
  for (auto& [batch, tx] : batch_tx) {
    auto g = admin.get("/api/v1/x402/batches/" + batch);
    REQUIRE(g.status == 200);
    CHECK(str_of(member(g.doc(), "batch"), "status") == "settled");
    CHECK(str_of(member(g.doc(), "batch"), "tx_hash") == tx);
  }

  // -- 5. the chain stops: intents seal but wait; nothing is lost; all settle afterwards ------
  cs::chain_env().stop();
  uint64_t late_a = pay_many(admin, a, b, 200, 5);
  uint64_t late_b = pay_many(admin, b, a, 200, 4);
  REQUIRE(eventually([&] {
    auto xs = list_intents(admin, a.id);
    return count_status(xs, "batched") == 9;
  }));
  CHECK(count_status(list_intents(admin, a.id), "settled") == total);
  cs::chain_env().restart();
  REQUIRE(eventually(
    [&] { return count_status(list_intents(admin, a.id), "settled") == total + 9; },
    std::chrono::seconds{120}));
  CHECK(list_intents(admin, a.id).size() == total + 9);
  CHECK(token_balance(token, owner.sender.from()) == funds - a_to_b - late_a + b_to_a + late_b);
  CHECK(token_balance(token, other.sender.from()) == funds + a_to_b + late_a - b_to_a - late_b);
}

} // namespace seq::it
