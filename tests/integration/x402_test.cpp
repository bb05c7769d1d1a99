// SPDX-License-Identifier: Apache-2.0
// x402 payments end to end on both backends (no chain: batches seal and stay committed):
// - an independent Node agent (tests/x402_client/, @noble/ed25519) pays another many times;
//   batches seal by size and by time on their own; every receipt verifies offline with
//   `ves verify payment-receipt`, a tampered one does not;
// - the request rules from C++: window, signing hash, bad signature, agent keys, addresses,
//   nonce replay and idempotency (also when two requests race), reads and list filters;
// - receipts answer 409 before batching; manual batches and the settle route's transitions;
// - a restart keeps the x402 head and the waiting intents.
#include "messages/x402.hpp"
#include "tests/integration/projection_harness.hpp"
#include "tests/integration/x402_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

namespace seq::it {
namespace {

using proj::eventually;
using proj::own_database;

/// A copy of `v` (JSON values share their objects) with member `k` replaced.
json::value set_field(const json::value& v, const std::string& k, json::value x) {
  auto c = parse_json(v.dump());
  c.set(k, std::move(x));
  return c;
}

std::string stream_q(const agent_identity& a) {
  return "tenant_id=" + a.tenant.str() + "&store_id=" + a.store.str();
}

std::filesystem::path source_dir() {
  return std::filesystem::path{__FILE__}.parent_path().parent_path().parent_path();
}

std::string which_node() {
  auto r = run_command({"/bin/sh", "-c", "command -v node"});
  auto path = last_line(r.out);
  if (r.exit_code != 0 || path.empty())
    FAIL("node is not on PATH (the x402 client test needs Node.js 20 and `npm ci`)");
  return path;
}

} // namespace

TEST_CASE("an independent Node agent pays another; batches seal and receipts verify offline",
          "[integration][x402]") {
  temp_dir dir{"ves-it-x402"};
  own_database db{dir};
  server_process srv{server_config{dir.path(),
                                   db.url(),
                                   {{"X402_BATCH_MAX_SIZE", "4"},
                                    {"VES_X402_BATCH_MAX_WAIT_MS", "1500"},
                                    {"X402_BATCH_NETWORKS", "set_chain"}}}};
  api_client admin{srv.port()};
  auto stream = agent_identity::random();

  auto node = which_node();
  auto script = (source_dir() / "tests/x402_client/x402_client.mjs").string();
  auto self_check = run_command({node, script, "vectors"});
  INFO("node x402_client.mjs vectors: " << self_check.out);
  REQUIRE(self_check.exit_code == 0);
  auto run = run_command({node, script, "scenario", "--url",
                          "http://127.0.0.1:" + std::to_string(srv.port()), "--key",
                          test_admin_key, "--tenant", stream.tenant.str(), "--store",
                          stream.store.str(), "--count", "5"},
                         std::chrono::seconds{120});
  INFO("node x402_client.mjs scenario: " << run.out);
  REQUIRE(run.exit_code == 0);
  auto summary = parse_json(last_line(run.out));
  const auto& paid = arr_of(summary, "intents");
  REQUIRE(paid.size() == 11); // 2 × 5 alternating payments + 1 with an idempotency key
  auto checks = member(summary, "checks");
  CHECK(str_of(checks, "nonce_replay") == "INVALID_FIELD_VALUE");
  CHECK(str_of(checks, "bad_signature") == "SIGNATURE_VERIFICATION_FAILED");
  std::set<uint64_t> seqs;
  for (const auto& x : paid)
    seqs.insert(u64_of(x, "sequence_number"));
  CHECK(seqs.size() == 11);
  CHECK(*seqs.begin() == 1);
  CHECK(*seqs.rbegin() == 11); // refused requests took no number

  // Seal by size (4) and by time (1.5 s) without any request.
  std::vector<json::value> intents;
  REQUIRE(eventually(
    [&] {
      intents = list_intents(admin, stream);
      return intents.size() == 11
             && std::all_of(intents.begin(), intents.end(), [](const json::value& x) {
                  return str_of(x, "status") == "batched";
                });
    },
    std::chrono::seconds{30}));
  std::map<std::string, size_t> per_batch;
  for (const auto& x : intents)
    ++per_batch[str_of(x, "batch_id")];
  size_t full = 0, total = 0;
  for (const auto& [id, n] : per_batch) {
    CHECK(n <= 4);
    full += n == 4;
    total += n;
    auto r = admin.get("/api/v1/x402/batches/" + id);
    INFO(r.describe());
    REQUIRE(r.status == 200);
    auto& b = member(r.doc(), "batch");
    CHECK(str_of(b, "status") == "committed");
    CHECK(u64_of(b, "payment_count") == n);
    CHECK(arr_of(b, "intent_ids").size() == n); // the reference always lists none
    CHECK(str_of(b, "merkle_root").size() == 64);
    CHECK(str_of(b, "network") == "set_chain");
  }
  CHECK(total == 11);
  CHECK(full >= 1); // at least one batch was sealed by size

  // Every receipt verifies offline; a tampered one does not.
  std::string tampered, malformed, trailing_junk, spaced_number, with_recovery_byte;
  for (const auto& x : intents) {
    auto id = str_of(x, "intent_id");
    auto r = admin.get("/api/v1/x402/payments/" + id + "/receipt");
    INFO(r.describe());
    REQUIRE(r.status == 200);
    auto& rc = member(r.doc(), "receipt");
    CHECK(str_of(rc, "intent_id") == id);
    CHECK(u64_of(rc, "total_leaves") == per_batch[str_of(rc, "batch_id")]);
    CHECK(verify_offline(dir, r.body, id) == 0);
    if (tampered.empty()) {
      tampered = obj({{"receipt", set_field(rc, "amount", num(u64_of(rc, "amount") + 1))}}).dump();
      malformed = obj({{"receipt", set_field(rc, "merkle_root", std::string{"0xzz"})}}).dump();
      auto sig = str_of(rc, "payer_signature");
      trailing_junk = obj({{"receipt", set_field(rc, "payer_signature", sig + "zzzz")}}).dump();
      spaced_number =
        obj({{"receipt",
              set_field(rc, "nonce", " " + std::to_string(u64_of(rc, "nonce")))}}).dump();
      // 65 bytes, bare hex: the server accepts a trailing recovery byte and so does the check.
      with_recovery_byte =
        obj({{"receipt", set_field(rc, "payer_signature", sig.substr(2) + "1b")}}).dump();
    }
  }
  CHECK(verify_offline(dir, tampered, "tampered") == 1);
  // A malformed field is a finding about the data (1); input that is not JSON cannot be read (2).
  CHECK(verify_offline(dir, malformed, "malformed") == 1);
  CHECK(verify_offline(dir, trailing_junk, "trailing-junk") == 1);
  CHECK(verify_offline(dir, spaced_number, "spaced-number") == 1);
  CHECK(verify_offline(dir, with_recovery_byte, "recovery-byte") == 0);
  CHECK(verify_offline(dir, "not json", "not-json") == 2);
}

TEST_CASE("x402 request rules, nonce replay and idempotency under races",
          "[integration][x402]") {
  temp_dir dir{"ves-it-x402"};
  own_database db{dir};
  server_process srv{server_config{dir.path(), db.url(), {{"X402_BATCH_NETWORKS", ","}}}};
  api_client admin{srv.port()};
  payer p;

  auto first = pay_ok(admin, p, {.amount = 10, .nonce = 1});
  // Window: at most 86,400 s ahead, not in the past.
  auto far = pay(admin, p, {.nonce = 2, .valid_until = now_unix() + 86400 + 120});
  check_error(far, 400, "INVALID_FIELD_VALUE");
  CHECK(error_message(far) == "Payment intent validity exceeds maximum window");
  auto past = pay(admin, p, {.nonce = 2, .valid_until = now_unix() - 5});
  check_error(past, 400, "INVALID_FIELD_VALUE");
  CHECK(error_message(past) == "Payment intent has expired");
  // The signing hash must match the fields; the signature must be the payer's.
  auto body = intent_body(p, {.nonce = 3});
  auto wrong_amount = set_field(body, "amount", num(11));
  auto r = admin.post("/api/v1/x402/payments", wrong_amount);
  check_error(r, 400, "INVALID_FIELD_VALUE");
  CHECK(error_message(r) == "Signing hash does not match payment parameters");
  payer other;
  auto forged = set_field(body, "payer_public_key", ves::to_0x_hex(other.id.public_key));
  check_error(admin.post("/api/v1/x402/payments", forged), 400, "SIGNATURE_VERIFICATION_FAILED");
  // Without payer_public_key the registered agent key verifies, and none is 404.
  check_error(pay(admin, p, {.nonce = 4, .with_public_key = false}), 404, "AGENT_KEY_NOT_FOUND");
  register_key(admin, p.id);
  pay_ok(admin, p, {.nonce = 4, .with_public_key = false});
  // Addresses and amounts.
  check_error(pay(admin, p, {.nonce = 5, .payee = "0x123"}), 400, "INVALID_FIELD_VALUE");
  check_error(pay(admin, p, {.nonce = 5, .payee = "0x" + std::string(66, 'a')}), 413,
              "PAYLOAD_TOO_LARGE");
  check_error(pay(admin, p, {.nonce = 5, .payee = p.address}), 400, "INVALID_FIELD_VALUE");
  check_error(pay(admin, p, {.amount = 0, .nonce = 5}), 400, "INVALID_FIELD_VALUE");
  check_error(admin.post("/api/v1/x402/payments", set_field(body, "asset", "btc")), 422);
  // Nonce replay, other contents.
  auto replay = pay(admin, p, {.amount = 99, .nonce = 1});
  check_error(replay, 400, "INVALID_FIELD_VALUE");
  CHECK(error_message(replay) == "Nonce already used for this payer");
  // Idempotency: the key returns the first intent, before any signature check.
  auto keyed = pay_ok(admin, p, {.nonce = 6, .idempotency_key = std::string{"inv-1"}});
  auto again_body = set_field(intent_body(p, {.amount = 7, .nonce = 7,
                                              .idempotency_key = std::string{"inv-1"}}),
                              "payer_signature", ves::to_0x_hex(ves::sig64{}));
  auto again = admin.post("/api/v1/x402/payments", again_body);
  INFO(again.describe());
  REQUIRE(again.status == 200);
  CHECK(str_of(again.doc(), "intent_id") == keyed);

  // Races: 8 threads with one nonce → one number; 8 threads with one key → one intent.
  auto race = [&](auto make) {
    std::vector<response> out(8);
    std::vector<std::thread> ts;
    for (size_t i = 0; i < out.size(); ++i)
      ts.emplace_back([&, i] {
        api_client c{srv.port()};
        out[i] = c.post("/api/v1/x402/payments", make(i));
      });
    for (auto& t : ts)
      t.join();
    return out;
  };
  auto same_nonce = race([&](size_t i) { return intent_body(p, {.amount = 20 + i, .nonce = 50}); });
  size_t ok = 0, refused = 0;
  for (auto& x : same_nonce) {
    INFO(x.describe());
    ok += x.status == 200;
    refused += x.status == 400 && error_message(x) == "Nonce already used for this payer";
  }
  CHECK(ok == 1);
  CHECK(refused == 7);
  auto same_key = race([&](size_t i) {
    return intent_body(p, {.amount = 30, .nonce = 60 + i, .idempotency_key = std::string{"k2"}});
  });
  std::set<std::string> ids;
  for (auto& x : same_key) {
    INFO(x.describe());
    REQUIRE(x.status == 200);
    ids.insert(str_of(x.doc(), "intent_id"));
  }
  CHECK(ids.size() == 1);

  // Reads.
  auto got = admin.get("/api/v1/x402/payments/" + first);
  INFO(got.describe());
  REQUIRE(got.status == 200);
  CHECK(str_of(got.doc(), "status") == "sequenced");
  CHECK(u64_of(got.doc(), "sequence_number") == 1);
  CHECK(member(got.doc(), "sequenced_at").is_string());
  check_error(admin.get("/api/v1/x402/payments/" + ves::uuid::random_v4().str()), 404,
              "RESOURCE_NOT_FOUND");
  auto all = list_intents(admin, p.id);
  CHECK(all.size() == 5); // nonces 1, 4, 6, 50 and the one keyed race winner
  std::set<uint64_t> numbers;
  for (auto& x : all) {
    numbers.insert(u64_of(x, "sequence_number"));
    CHECK(u64_of(x, "agent_key_id") == 1); // left out of every request: stored as 1
  }
  CHECK(numbers == std::set<uint64_t>{1, 2, 3, 4, 5});
  auto newest = all.front();
  CHECK(str_of(newest, "payer_address") == p.address);
  CHECK(str_of(newest, "signing_hash").rfind("0x", 0) == 0);
  CHECK(u64_of(newest, "chain_id") == 84532001);
  CHECK(str_of(newest, "token_address") == "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913");
  CHECK(list_intents(admin, p.id, "&status=batched").empty());
  CHECK(list_intents(admin, p.id, "&payee_address=" + std::string{payee_evm}).size() == 5);
  check_error(admin.get("/api/v1/x402/payments?" + stream_q(p.id) + "&limit=0"), 400);
  check_error(admin.get("/api/v1/x402/payments?" + stream_q(p.id) + "&limit=1001"), 413,
              "BATCH_TOO_LARGE");
  check_error(admin.get("/api/v1/x402/payments?store_id=" + p.id.store.str()), 400,
              "MISSING_REQUIRED_FIELD");
}

TEST_CASE("receipts wait for batches; manual batches and settlement follow the reference",
          "[integration][x402]") {
  temp_dir dir{"ves-it-x402"};
  own_database db{dir};
  // base is not batched automatically: its intents wait for POST /api/v1/x402/batches.
  server_process srv{server_config{dir.path(), db.url(), {{"X402_BATCH_NETWORKS", "set_chain"}}}};
  api_client admin{srv.port()};
  payer p;
  std::vector<std::string> ids;
  for (uint64_t n = 1; n <= 3; ++n)
    ids.push_back(pay_ok(admin, p, {.amount = n * 100, .nonce = n, .network = "base"}));

  auto early = admin.get("/api/v1/x402/payments/" + ids[0] + "/receipt");
  check_error(early, 409, "INTENT_NOT_BATCHED");
  CHECK(str_of(member(member(early.doc(), "error"), "details"), "status") == "sequenced");

  auto batches = [&](json::object extra) {
    json::object o{{"tenant_id", p.id.tenant.str()},
                   {"store_id", p.id.store.str()},
                   {"network", "base"}};
    for (auto& kv : extra)
      o.push_back(kv);
    return admin.post("/api/v1/x402/batches", obj(std::move(o)));
  };
  check_error(batches({{"max_size", num(0)}}), 400);
  check_error(batches({{"max_size", num(1001)}}), 413, "BATCH_TOO_LARGE");
  check_error(batches({{"intent_ids", json::array{json::value{ids[0]}, json::value{ids[0]}}}}),
              400);
  check_error(batches({{"intent_ids", json::array{json::value{ves::uuid::random_v4().str()}}}}),
              404);
  auto made = batches({{"intent_ids", json::array{json::value{ids[2]}, json::value{ids[0]}}}});
  INFO(made.describe());
  REQUIRE(made.status == 200);
  auto batch_id = str_of(made.doc(), "batch_id");
  CHECK(str_of(made.doc(), "status") == "committed");
  CHECK(u64_of(made.doc(), "payment_count") == 2);
  CHECK(str_of(made.doc(), "merkle_root").rfind("0x", 0) == 0);
  auto range = arr_of(made.doc(), "sequence_range");
  REQUIRE(range.size() == 2);
  CHECK(range[0].as_number().u == 1);
  CHECK(range[1].as_number().u == 3);
  auto rest = batches({});
  INFO(rest.describe());
  REQUIRE(rest.status == 200);
  CHECK(u64_of(rest.doc(), "payment_count") == 1);
  auto none = batches({});
  check_error(none, 400);
  CHECK(error_message(none) == "No pending intents found for batching");

  auto got = admin.get("/api/v1/x402/batches/" + batch_id);
  INFO(got.describe());
  REQUIRE(got.status == 200);
  auto& b = member(got.doc(), "batch");
  auto listed = arr_of(b, "intent_ids");
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].as_string() == ids[0]); // sequence order
  CHECK(listed[1].as_string() == ids[2]);
  auto totals = arr_of(b, "total_amounts");
  REQUIRE(totals.size() == 1);
  CHECK(u64_of(totals[0], "total_amount") == 400);
  check_error(admin.get("/api/v1/x402/batches/" + ves::uuid::random_v4().str()), 404,
              "BATCH_NOT_FOUND");
  check_error(admin.get("/api/v1/x402/batches/settle"), 405, "INVALID_REQUEST_BODY");

  auto receipt = admin.get("/api/v1/x402/payments/" + ids[2] + "/receipt");
  INFO(receipt.describe());
  REQUIRE(receipt.status == 200);
  CHECK(verify_offline(dir, receipt.body, "manual") == 0);

  // Settle: committed → submitted → settled, then idempotent.
  auto settle = [&](json::object o) {
    o.emplace(o.begin(), "batch_id", batch_id);
    return admin.post("/api/v1/x402/batches/settle", obj(std::move(o)));
  };
  auto tx = ves::to_0x_hex(ves::sha256(std::string{"settlement tx"}));
  auto other_tx = ves::to_0x_hex(ves::sha256(std::string{"another tx"}));
  check_error(settle({}), 400, "INVALID_FIELD_VALUE");
  // The BIGINT columns: a block number or gas above i64::MAX is refused, nothing recorded.
  for (auto field : {"block_number", "gas_used"}) {
    auto big = settle({{"tx_hash", tx}, {"block_number", num(1)}, {field, num(uint64_t{1} << 63)}});
    check_error(big, 400, "INVALID_FIELD_VALUE");
    CHECK(error_message(big) == std::string{field} + " must fit in i64");
  }
  auto submitted = settle({{"tx_hash", tx}});
  INFO(submitted.describe());
  REQUIRE(submitted.status == 200);
  CHECK(str_of(submitted.doc(), "status") == "submitted");
  CHECK(str_of(submitted.doc(), "message") == "Batch submission recorded");
  check_error(settle({{"tx_hash", other_tx}, {"block_number", num(9)}}), 400);
  check_error(settle({{"tx_hash", tx}}), 400); // block_number required now
  auto settled = settle({{"tx_hash", tx}, {"block_number", num(1234)}, {"gas_used", num(50000)}});
  INFO(settled.describe());
  REQUIRE(settled.status == 200);
  CHECK(str_of(settled.doc(), "status") == "settled");
  CHECK(str_of(settled.doc(), "message") == "Batch settlement confirmed");
  CHECK(u64_of(settled.doc(), "block_number") == 1234);
  auto idem = settle({{"tx_hash", tx}, {"block_number", num(1234)}});
  INFO(idem.describe());
  REQUIRE(idem.status == 200);
  CHECK(str_of(idem.doc(), "message") == "Batch already settled");
  check_error(settle({{"block_number", num(1235)}}), 400);
  check_error(admin.post("/api/v1/x402/batches/settle",
                         obj({{"batch_id", ves::uuid::random_v4().str()}, {"tx_hash", tx}})),
              404, "BATCH_NOT_FOUND");
  auto settled_intents = list_intents(admin, p.id, "&status=settled");
  REQUIRE(settled_intents.size() == 2);
  for (auto& x : settled_intents) {
    CHECK(str_of(x, "tx_hash") == tx);
    CHECK(u64_of(x, "block_number") == 1234);
  }
  auto final_receipt = admin.get("/api/v1/x402/payments/" + ids[0] + "/receipt");
  INFO(final_receipt.describe());
  REQUIRE(final_receipt.status == 200);
  CHECK(str_of(member(final_receipt.doc(), "receipt"), "tx_hash") == tx);
  CHECK(verify_offline(dir, final_receipt.body, "settled") == 0);
}

TEST_CASE("a restart keeps the x402 head and the intents waiting for a batch",
          "[integration][x402]") {
  temp_dir dir{"ves-it-x402"};
  own_database db{dir};
  server_process srv{server_config{dir.path(),
                                   db.url(),
                                   {{"X402_BATCH_MAX_SIZE", "4"},
                                    {"VES_X402_BATCH_MAX_WAIT_MS", "3600000"}}}};
  payer p;
  {
    api_client admin{srv.port()};
    pay_ok(admin, p, {.nonce = 1});
    pay_ok(admin, p, {.nonce = 2});
  }
  srv.kill9();
  srv.start();
  api_client admin{srv.port()};
  check_error(pay(admin, p, {.nonce = 2}), 400); // the nonce survived the crash
  pay_ok(admin, p, {.nonce = 3});
  auto last = pay(admin, p, {.nonce = 4});
  INFO(last.describe());
  REQUIRE(last.status == 200);
  CHECK(u64_of(last.doc(), "sequence_number") == 4);
  // Two intents from before the crash + two after = max_size: sealed by size.
  std::vector<json::value> intents;
  REQUIRE(eventually([&] {
    intents = list_intents(admin, p.id, "&status=batched");
    return intents.size() == 4;
  }, std::chrono::seconds{30}));
  std::set<std::string> batch_ids;
  for (auto& x : intents)
    batch_ids.insert(str_of(x, "batch_id"));
  CHECK(batch_ids.size() == 1);
}

} // namespace seq::it
