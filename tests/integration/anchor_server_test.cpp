// SPDX-License-Identifier: Apache-2.0
// Anchoring end to end through the real server, against a REAL local chain (ganache via
// tests/support/chain_harness.sh, the project's VesSetRegistry compiled with solc-js, both from
// the root package-lock.json):
//   1. the contract is deployed with the server's sequencer address authorised;
//   2. the server's committer makes commitments and its anchor actor anchors them on its own;
//   3. the chain has them (isAnchored, the stored record matches, verify route), and an
//      inclusion proof from GET /api/v1/ves/proofs/{seq} verifies ON CHAIN (verifyInclusion)
//      while a tampered one does not;
//   4. the chain is stopped: the breaker opens (/health/detailed, /metrics, 503 on a manual
//      anchor), and anchoring resumes by itself once the chain is back;
//   5. nothing is anchored twice: one BatchCommitted log per batch, also after a server restart
//      and repeated manual requests; commit-and-anchor and the status routes work.
// Environment (tests/CMakeLists.txt): SEQ_CHAIN_HARNESS, SEQ_CONTRACTS_COMPILE, SEQ_SERVER_BIN.
#include "adapters/chain/anchor_contract.hpp"
#include "tests/integration/chain_support.hpp"
#include "tests/integration/projection_harness.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <limits>
#include <set>

namespace seq::it {
namespace {

namespace cs = seq::chain::support;
using namespace proj;

std::string stream_q(const agent_identity& a) {
  return "tenant_id=" + a.tenant.str() + "&store_id=" + a.store.str();
}

/// The VES commitments of the stream (all of them), ordered by sequence_start.
std::vector<json::value> commitments(api_client& c, const agent_identity& a,
                                     const std::string& anchored = "all") {
  auto r = c.get("/api/v1/ves/commitments?anchored=" + anchored + "&" + stream_q(a));
  INFO(r.describe());
  REQUIRE(r.status == 200);
  auto xs = arr_of(r.doc(), "commitments");
  std::sort(xs.begin(), xs.end(), [](auto& x, auto& y) {
    return u64_of(x, "sequence_start") < u64_of(y, "sequence_start");
  });
  return xs;
}

/// Batch ids of every BatchCommitted event the registry emitted.
std::vector<std::string> committed_logs(const chain::address& contract) {
  auto c = cs::rpc();
  json::array topics;
  topics.emplace_back(ves::to_0x_hex(chain::keccak256(std::string_view{
    "BatchCommitted(bytes32,bytes32,bytes32,bytes32,uint64,uint64,uint32)"})));
  json::object filter;
  filter.emplace_back("address", contract.hex());
  filter.emplace_back("fromBlock", "0x0");
  filter.emplace_back("toBlock", "latest");
  filter.emplace_back("topics", json::value{std::move(topics)});
  auto logs = c.call("eth_getLogs", {json::value{std::move(filter)}});
  REQUIRE(logs);
  std::vector<std::string> out;
  for (auto& l : logs->as_array())
    out.push_back(cs::at(l, "topics").as_array().at(1).as_string());
  return out;
}

bool on_chain_inclusion(const chain::address& contract, const ves::uuid& batch,
                        const ves::hash32& leaf, const std::vector<ves::hash32>& path,
                        uint64_t index) {
  auto c = cs::rpc();
  auto ret = cs::view(c, contract, chain::set_registry::verify_inclusion(batch, leaf, path, index));
  auto ok = chain::abi::decoder(std::move(ret)).boolean(0);
  REQUIRE(ok);
  return *ok;
}

ves::hash32 hex32(const json::value& v, std::string_view key) {
  auto h = ves::from_hex_fixed<32>(str_of(v, key), false);
  REQUIRE(h);
  return *h;
}

std::string breaker_state(api_client& c) {
  auto r = c.get("/health/detailed");
  INFO(r.describe());
  REQUIRE((r.status == 200 || r.status == 503));
  auto& comps = member(r.doc(), "components");
  return str_of(arr_of(comps, "circuit_breakers").at(0), "state");
}

} // namespace

TEST_CASE("the server anchors its commitments on a real chain behind the circuit breaker",
          "[integration][anchor][chain]") {
  // 1. deploy VesSetRegistry (strict mode) with the server's sending account authorised
  cs::account owner{cs::owner_key};
  auto seq_addr = cs::key(cs::sequencer_key).addr();
  auto contract =
    cs::deploy(owner, "VesSetRegistry", chain::abi::encoder{}.add_address(seq_addr).finish());

  temp_dir dir{"ves-it-anchor"};
  server_config cfg{dir.path(),
                    "sqlite://" + dir.path() + "/ves.db",
                    {{"VES_COMMIT_MAX_EVENTS", "4"},
                     {"VES_COMMIT_MAX_AGE_SECS", "3600"},
                     {"L2_RPC_URL", cs::chain_env().url()},
                     {"SET_REGISTRY_ADDRESS", contract.hex()},
                     {"SEQUENCER_PRIVATE_KEY", cs::sequencer_key}, // ganache TEST ONLY key
                     {"L2_CHAIN_ID", std::to_string(cs::chain_id)},
                     {"VES_ANCHOR_ABI", "set_registry"},
                     {"VES_ANCHOR_INTERVAL_MS", "300"},
                     {"VES_ANCHOR_RECEIPT_TIMEOUT_MS", "10000"},
                     {"VES_ANCHOR_RECEIPT_POLL_INTERVAL_MS", "50"},
                     {"VES_ANCHOR_BREAKER_FAILURE_THRESHOLD", "2"},
                     {"VES_ANCHOR_BREAKER_OPEN_TIMEOUT_MS", "1000"},
                     {"VES_ANCHOR_BREAKER_MAX_BACKOFF_MS", "2000"}}};
  auto srv = std::make_unique<server_process>(cfg);
  api_client admin{srv->port()};
  auto a = agent_identity::random();
  register_key(admin, a);

  auto st = admin.get("/api/v1/anchor/status");
  REQUIRE(st.status == 200);
  CHECK(member(st.doc(), "anchor_enabled").as_bool());

  // 2. eight events → two automatic commitments → anchored by the anchor actor on its own
  std::vector<signed_event> evs;
  for (int i = 0; i < 8; ++i)
    evs.push_back(make_event(a, spec("order-" + std::to_string(i))));
  REQUIRE(ingest(admin, a, evs).status == 200);
  REQUIRE(eventually([&] { return commitments(admin, a, "true").size() == 2; }));
  auto anchored = commitments(admin, a, "true");
  CHECK(u64_of(anchored[0], "sequence_end") == 4);
  CHECK(u64_of(anchored[1], "sequence_start") == 5);

  // 3. the chain has them: record, verify route, isAnchored, on-chain inclusion proofs
  for (auto& c : anchored) {
    auto id = cs::uuid_of(str_of(c, "batch_id"));
    auto one = admin.get("/api/v1/ves/commitments/" + id.str());
    REQUIRE(one.status == 200);
    CHECK(member(one.doc(), "is_anchored").as_bool());
    CHECK(u64_of(one.doc(), "chain_id") == cs::chain_id);
    CHECK(str_of(one.doc(), "chain_tx_hash").size() == 64);
    CHECK(u64_of(one.doc(), "chain_block_number") > 0);
    auto v = admin.get("/api/v1/ves/anchor/" + id.str() + "/verify");
    INFO(v.describe());
    REQUIRE(v.status == 200);
    CHECK(member(v.doc(), "anchored_on_chain").as_bool());
    CHECK(member(v.doc(), "matches_local").as_bool());
    auto rpc = cs::rpc();
    auto rec = chain::set_registry::decode_commitments(
      cs::view(rpc, contract, chain::set_registry::commitments(id)));
    REQUIRE(rec);
    CHECK(rec->found);
    CHECK(rec->events_root == hex32(c, "merkle_root"));
    CHECK(rec->prev_state_root == hex32(c, "prev_state_root"));
    CHECK(rec->state_root == hex32(c, "new_state_root"));
  }
  for (uint64_t seq : {2, 6, 8}) {
    auto r = admin.get("/api/v1/ves/proofs/" + std::to_string(seq) + "?" + stream_q(a));
    INFO(r.describe());
    REQUIRE(r.status == 200);
    auto& pr = r.doc();
    auto batch = cs::uuid_of(str_of(pr, "batch_id"));
    auto leaf = hex32(pr, "leaf_hash");
    std::vector<ves::hash32> path;
    for (auto& x : arr_of(pr, "proof_path"))
      path.push_back(*ves::from_hex_fixed<32>(x.as_string(), false));
    auto index = u64_of(pr, "leaf_index");
    CHECK(on_chain_inclusion(contract, batch, leaf, path, index));
    auto bad_leaf = leaf;
    bad_leaf[5] ^= 0x01;
    CHECK_FALSE(on_chain_inclusion(contract, batch, bad_leaf, path, index));
    auto bad_path = path;
    bad_path.at(0)[31] ^= 0x80;
    CHECK_FALSE(on_chain_inclusion(contract, batch, leaf, bad_path, index));
    CHECK_FALSE(on_chain_inclusion(contract, batch, leaf, path, index ^ 1));
  }
  // the independent verifier checks a batch against the server AND the chain record
  {
    auto keys = dir.path() + "/keys.json";
    std::ofstream{keys} << obj({{"agent_keys", json::array{obj({{"tenant_id", a.tenant.str()},
                                                                 {"agent_id", a.agent.str()},
                                                                 {"key_id", num(a.key_id)},
                                                                 {"public_key",
                                                                  ves::to_hex(a.public_key)}})}}})
                              .dump();
    auto verify = [&](const std::string& batch, const std::string& addr) {
      return run_command({cs::need_env("SEQ_CLI_BIN"), "verify", "batch", "--url",
                          "http://127.0.0.1:" + std::to_string(srv->port()), "--api-key",
                          test_admin_key, "--batch-id", batch, "--keys", keys, "--rpc",
                          cs::chain_env().url(), "--contract", addr, "--abi", "set_registry"});
    };
    auto ok = verify(str_of(anchored[1], "batch_id"), contract.hex());
    INFO(ok.out);
    CHECK(ok.exit_code == 0);
    // another registry never saw this batch: the on-chain check fails
    auto empty = cs::deploy(owner, "VesSetRegistry",
                            chain::abi::encoder{}.add_address(seq_addr).finish());
    auto missing = verify(str_of(anchored[1], "batch_id"), empty.hex());
    INFO(missing.out);
    CHECK(missing.exit_code == 1);
  }

  CHECK(breaker_state(admin) == "closed");
  auto m = admin.get("/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.body.find("ves_circuit_breaker_state{breaker=\"anchor\"} 0") != std::string::npos);
  CHECK(m.body.find("ves_anchor_anchored_total 2") != std::string::npos);

  // 4. the chain goes away: the breaker opens, a manual anchor is refused with 503, nothing is
  //    lost; once the chain is back anchoring resumes by itself
  cs::chain_env().stop();
  std::vector<signed_event> more;
  for (int i = 8; i < 12; ++i)
    more.push_back(make_event(a, spec("order-" + std::to_string(i))));
  REQUIRE(ingest(admin, a, more).status == 200);
  REQUIRE(eventually([&] { return commitments(admin, a).size() == 3; }));
  REQUIRE(eventually([&] { return breaker_state(admin) == "open"; }));
  auto third = commitments(admin, a).at(2);
  {
    auto refused =
      admin.post("/api/v1/ves/anchor", obj({{"batch_id", str_of(third, "batch_id")}}));
    INFO(refused.describe());
    CHECK(refused.status == 503);
  }
  {
    // The last error names a commitment (any tenant's): its text is the bootstrap admin's only.
    auto last_error = [](api_client& c) {
      auto r = c.get("/api/v1/anchor/status");
      INFO(r.describe());
      REQUIRE(r.status == 200);
      const auto& e = member(member(r.doc(), "anchoring"), "last_error");
      return e.is_string() ? e.as_string() : std::string{};
    };
    REQUIRE(eventually([&] { return !last_error(admin).empty(); }));
    CHECK(last_error(admin).rfind("anchoring ", 0) == 0);
    auto minted = admin.post("/api/v1/agents/" + a.agent.str() + "/api-keys",
                             obj({{"tenantId", a.tenant.str()}, {"readOnly", true}}));
    INFO(minted.describe());
    REQUIRE(minted.status == 200);
    api_client reader{srv->port(), str_of(minted.doc(), "apiKey")};
    CHECK(last_error(reader) == "anchoring failed (the details are shown to the bootstrap admin)");
  }
  auto health = admin.get("/health/detailed");
  CHECK(str_of(health.doc(), "status") == "degraded");
  CHECK(commitments(admin, a, "true").size() == 2);
  cs::chain_env().restart();
  REQUIRE(eventually([&] { return commitments(admin, a, "true").size() == 3; }));
  CHECK(eventually([&] { return breaker_state(admin) == "closed"; }));
  auto b = admin.get("/health/detailed");
  auto& breaker = arr_of(member(b.doc(), "components"), "circuit_breakers").at(0);
  CHECK(u64_of(breaker, "opened") >= 1);
  CHECK(u64_of(breaker, "rejected") >= 1);

  // 5. nothing twice: a restarted server and repeated manual requests send nothing new
  auto logs = committed_logs(contract);
  CHECK(logs.size() == 3);
  CHECK(std::set<std::string>(logs.begin(), logs.end()).size() == 3);
  srv.reset();
  srv = std::make_unique<server_process>(cfg);
  api_client again{srv->port()};
  for (auto& c : commitments(again, a)) {
    auto r = again.post("/api/v1/ves/anchor", obj({{"batch_id", str_of(c, "batch_id")}}));
    INFO(r.describe());
    REQUIRE(r.status == 200);
    CHECK(str_of(r.doc(), "status") == "already_anchored");
    auto row = again.get("/api/v1/ves/commitments/" + str_of(c, "batch_id"));
    REQUIRE(row.status == 200);
    CHECK(str_of(r.doc(), "chain_tx_hash") == str_of(row.doc(), "chain_tx_hash"));
  }
  std::this_thread::sleep_for(std::chrono::seconds{1}); // a few automatic rounds
  CHECK(committed_logs(contract).size() == 3);

  // commit-and-anchor: the two newest events, committed and anchored in one call
  std::vector<signed_event> last{make_event(a, spec("order-12")), make_event(a, spec("order-13"))};
  REQUIRE(ingest(again, a, last).status == 200);
  // (max_events as large as a u64 goes: the range still ends at the head)
  auto ca = again.post("/api/v1/ves/commitments/anchor",
                       obj({{"tenant_id", a.tenant.str()},
                            {"store_id", a.store.str()},
                            {"max_events", num(std::numeric_limits<uint64_t>::max())}}));
  INFO(ca.describe());
  REQUIRE(ca.status == 200);
  // "already_anchored" when an automatic round took the new commitment first: either way it
  // is on chain exactly once
  auto ca_status = str_of(ca.doc(), "status");
  CHECK((ca_status == "anchored" || ca_status == "already_anchored"));
  CHECK(str_of(ca.doc(), "chain_tx_hash").size() == 64);
  CHECK(u64_of(ca.doc(), "sequence_start") == 13);
  CHECK(u64_of(ca.doc(), "sequence_end") == 14);
  CHECK(str_of(ca.doc(), "prev_state_root") == str_of(commitments(again, a).at(2), "new_state_root"));
  auto nothing = again.post("/api/v1/ves/commitments/anchor",
                            obj({{"tenant_id", a.tenant.str()}, {"store_id", a.store.str()}}));
  CHECK(nothing.status == 400);
  CHECK(committed_logs(contract).size() == 4);
  auto unknown = again.post("/api/v1/ves/anchor", obj({{"batch_id", ves::uuid::random_v4().str()}}));
  CHECK(unknown.status == 404);

  // legacy: a legacy-only stream's commitment, anchored through POST /api/v1/anchor
  auto l = agent_identity::random();
  json::array legacy;
  for (uint64_t i = 0; i < 3; ++i)
    legacy.push_back(legacy_inventory_event(l, "sku-" + std::to_string(i), i));
  auto li = again.post("/api/v1/events/ingest",
                       obj({{"agent_id", l.agent.str()}, {"events", std::move(legacy)}}));
  INFO(li.describe());
  REQUIRE(li.status == 200);
  auto lc = again.post("/api/v1/commitments", obj({{"tenant_id", l.tenant.str()},
                                                   {"store_id", l.store.str()},
                                                   {"sequence_start", num(1)},
                                                   {"sequence_end", num(3)}}));
  INFO(lc.describe());
  REQUIRE(lc.status == 200);
  auto lid = str_of(lc.doc(), "batch_id");
  auto la = again.post("/api/v1/anchor", obj({{"batch_id", lid}}));
  INFO(la.describe());
  REQUIRE(la.status == 200);
  CHECK(str_of(la.doc(), "status") == "anchored");
  CHECK(str_of(la.doc(), "events_root") == str_of(lc.doc(), "events_root"));
  auto la2 = again.post("/api/v1/anchor", obj({{"batch_id", lid}}));
  REQUIRE(la2.status == 200);
  CHECK(str_of(la2.doc(), "status") == "already_anchored");
  CHECK(str_of(la2.doc(), "chain_tx_hash") == str_of(la.doc(), "chain_tx_hash"));
  auto lv = again.get("/api/v1/anchor/" + lid + "/verify");
  INFO(lv.describe());
  REQUIRE(lv.status == 200);
  CHECK(member(lv.doc(), "anchored_on_chain").as_bool());
  CHECK(member(lv.doc(), "matches_local").as_bool());
  auto lrow = again.get("/api/v1/commitments/" + lid);
  REQUIRE(lrow.status == 200);
  CHECK(member(lrow.doc(), "chain_tx_hash").is_array()); // the reference's byte-array form
  CHECK(committed_logs(contract).size() == 5);
  auto nv = again.get("/api/v1/ves/anchor/" + ves::uuid::random_v4().str() + "/verify");
  REQUIRE(nv.status == 200); // the admin may ask about a batch unknown here
  CHECK_FALSE(member(nv.doc(), "anchored_on_chain").as_bool());
  REQUIRE(nv.doc().find("matches_local") != nullptr);
  CHECK(nv.doc().find("matches_local")->is_null());
}

} // namespace seq::it
