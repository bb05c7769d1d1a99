// SPDX-License-Identifier: Apache-2.0
// Commitments and inclusion proofs end to end, on both backends: an automatic VES commitment
// appears once enough events are stored (VES_COMMIT_MAX_EVENTS=4), a manual one continues the
// state-root chain, repeats are idempotent and range mistakes are 400; proofs for several
// sequences verify offline (messages/ves) and through the verify route, and a tampered proof
// does not; a legacy commitment's proof for an index whose path skips a promoted node
// verifies with the fixed legacy verification; the anchor-service pair lists and marks a
// commitment anchored.
#include "tests/integration/projection_harness.hpp"

#include <catch2/catch.hpp>

namespace seq::it {
namespace {

using namespace proj;

json::value range_body(const agent_identity& a, uint64_t start, uint64_t end) {
  return obj({{"tenant_id", a.tenant.str()},
              {"store_id", a.store.str()},
              {"sequence_start", num(start)},
              {"sequence_end", num(end)}});
}

std::string stream_q(const agent_identity& a) {
  return "tenant_id=" + a.tenant.str() + "&store_id=" + a.store.str();
}

ves::hash32 hash_of(const json::value& v, std::string_view key) {
  auto h = ves::from_hex_fixed<32>(str_of(v, key), false);
  REQUIRE(h);
  return *h;
}

std::vector<ves::hash32> path_of(const json::value& v) {
  std::vector<ves::hash32> out;
  for (auto& x : arr_of(v, "proof_path")) {
    auto h = ves::from_hex_fixed<32>(x.as_string(), false);
    REQUIRE(h);
    out.push_back(*h);
  }
  return out;
}

bool valid_of(const response& r) {
  INFO(r.describe());
  REQUIRE(r.status == 200);
  return member(r.doc(), "valid").as_bool();
}

} // namespace

TEST_CASE("VES and legacy commitments, proofs and the anchor-service pair",
          "[integration][commitments]") {
  temp_dir dir{"ves-it-commit"};
  own_database db{dir};
  server_process srv{server_config{
    dir.path(), db.url(), {{"VES_COMMIT_MAX_EVENTS", "4"}, {"VES_COMMIT_MAX_AGE_SECS", "3600"}}}};
  api_client admin{srv.port()};
  auto a = agent_identity::random();
  register_key(admin, a);

  std::vector<signed_event> evs;
  for (int i = 0; i < 6; ++i)
    evs.push_back(make_event(a, spec("order-" + std::to_string(i))));
  auto ing = ingest(admin, a, evs);
  INFO(ing.describe());
  REQUIRE(ing.status == 200);

  // -- automatic commitment of [1, 4] ---------------------------------------------------------
  json::value first;
  REQUIRE(eventually([&] {
    auto r = admin.get("/api/v1/ves/commitments?" + stream_q(a));
    if (r.status != 200 || u64_of(r.doc(), "count") == 0)
      return false;
    first = arr_of(r.doc(), "commitments").front();
    return true;
  }));
  INFO("first " << first.dump());
  CHECK(u64_of(first, "sequence_start") == 1);
  CHECK(u64_of(first, "sequence_end") == 4);
  CHECK(u64_of(first, "leaf_count") == 4);
  CHECK(u64_of(first, "tree_depth") == 2);
  CHECK(str_of(first, "prev_state_root") == std::string(64, '0'));
  CHECK_FALSE(member(first, "is_anchored").as_bool());
  auto sid = ves::stream_id(a.tenant, a.store);
  std::vector<ves::hash32> leaves;
  for (uint64_t i = 0; i < 6; ++i)
    leaves.push_back(ves::leaf_hash(a.tenant, a.store, i + 1, evs[i].signing_hash,
                                    evs[i].signature));
  auto root1 = ves::build_merkle_tree({leaves.begin(), leaves.begin() + 4}).root();
  CHECK(hash_of(first, "merkle_root") == root1);
  CHECK(hash_of(first, "new_state_root") == ves::state_root(sid, {}, root1, 1, 4, 4));

  // -- manual commitment [5, 6], idempotent, mistakes -------------------------------------------
  auto m = admin.post("/api/v1/ves/commitments", range_body(a, 5, 6));
  INFO(m.describe());
  REQUIRE(m.status == 200);
  auto second = m.doc();
  CHECK(str_of(second, "prev_state_root") == str_of(first, "new_state_root"));
  auto root2 = ves::build_merkle_tree({leaves.begin() + 4, leaves.end()}).root();
  CHECK(hash_of(second, "new_state_root")
        == ves::state_root(sid, hash_of(first, "new_state_root"), root2, 5, 6, 2));
  auto again = admin.post("/api/v1/ves/commitments", range_body(a, 5, 6));
  REQUIRE(again.status == 200);
  CHECK(str_of(again.doc(), "batch_id") == str_of(second, "batch_id"));
  CHECK(admin.post("/api/v1/ves/commitments", range_body(a, 5, 7)).status == 400);
  CHECK(admin.post("/api/v1/ves/commitments", range_body(a, 8, 9)).status == 400);
  CHECK(admin.post("/api/v1/ves/commitments", range_body(a, 7, 9)).status == 400);
  auto all = admin.get("/api/v1/ves/commitments?anchored=all&" + stream_q(a));
  REQUIRE(all.status == 200);
  CHECK(u64_of(all.doc(), "count") == 2);
  auto one = admin.get("/api/v1/ves/commitments/" + str_of(second, "batch_id"));
  REQUIRE(one.status == 200);
  REQUIRE(one.doc().find("chain_tx_hash") != nullptr);
  CHECK(one.doc().find("chain_tx_hash")->is_null());
  CHECK(admin.get("/api/v1/ves/commitments/" + ves::uuid::random_v4().str()).status == 404);

  // -- proofs: offline and through the verify route ---------------------------------------------
  for (uint64_t seq : {1, 3, 4, 5, 6}) {
    auto r = admin.get("/api/v1/ves/proofs/" + std::to_string(seq) + "?" + stream_q(a));
    INFO("seq " << seq << " " << r.describe());
    REQUIRE(r.status == 200);
    auto& pr = r.doc();
    auto leaf = hash_of(pr, "leaf_hash");
    CHECK(leaf == leaves[seq - 1]);
    auto root = hash_of(pr, "merkle_root");
    auto index = u64_of(pr, "leaf_index");
    auto path = path_of(pr);
    CHECK(ves::verify_proof(leaf, root, path, index));
    auto body = obj({{"leaf_hash", str_of(pr, "leaf_hash")},
                     {"merkle_root", str_of(pr, "merkle_root")},
                     {"proof_path", member(pr, "proof_path")},
                     {"leaf_index", num(index)}});
    CHECK(valid_of(admin.post("/api/v1/ves/proofs/verify", body)));
    // Tampered: another leaf index, or a flipped byte in the leaf.
    auto wrong_index = obj({{"leaf_hash", str_of(pr, "leaf_hash")},
                            {"merkle_root", str_of(pr, "merkle_root")},
                            {"proof_path", member(pr, "proof_path")},
                            {"leaf_index", num(index ^ 1)}});
    CHECK_FALSE(valid_of(admin.post("/api/v1/ves/proofs/verify", wrong_index)));
    auto bad_leaf = leaf;
    bad_leaf[0] ^= 1;
    auto tampered = obj({{"leaf_hash", ves::to_hex(bad_leaf)},
                         {"merkle_root", str_of(pr, "merkle_root")},
                         {"proof_path", member(pr, "proof_path")},
                         {"leaf_index", num(index)}});
    CHECK_FALSE(valid_of(admin.post("/api/v1/ves/proofs/verify", tampered)));
  }
  auto by_batch = admin.get("/api/v1/ves/proofs/2?" + stream_q(a)
                            + "&batch_id=" + str_of(first, "batch_id"));
  REQUIRE(by_batch.status == 200);
  CHECK(str_of(by_batch.doc(), "batch_id") == str_of(first, "batch_id"));
  CHECK(admin.get("/api/v1/ves/proofs/5?" + stream_q(a) + "&batch_id=" + str_of(first, "batch_id"))
          .status
        == 400);
  auto with_0x = obj({{"leaf_hash", "0x" + ves::to_hex(leaves[0])},
                      {"merkle_root", ves::to_hex(root1)},
                      {"proof_path", json::value{json::array{}}},
                      {"leaf_index", num(0)}});
  CHECK(admin.post("/api/v1/ves/proofs/verify", with_0x).status >= 400);

  // -- legacy: 3 events, commitment, proof of index 2 (a promoted node) -------------------------
  json::array legacy;
  for (uint64_t i = 0; i < 3; ++i)
    legacy.push_back(legacy_inventory_event(a, "sku-" + std::to_string(i), i));
  auto li = admin.post("/api/v1/events/ingest",
                       obj({{"agent_id", a.agent.str()}, {"events", std::move(legacy)}}));
  INFO(li.describe());
  REQUIRE(li.status == 200);
  CHECK(admin.post("/api/v1/commitments", range_body(a, 2, 5)).status == 400);
  auto lc = admin.post("/api/v1/commitments", range_body(a, 1, 3));
  INFO(lc.describe());
  REQUIRE(lc.status == 200);
  CHECK(u64_of(lc.doc(), "event_count") == 3);
  auto lbatch = str_of(lc.doc(), "batch_id");
  CHECK(admin.post("/api/v1/commitments", range_body(a, 1, 3)).status == 200);
  auto raw = admin.get("/api/v1/commitments/" + lbatch);
  REQUIRE(raw.status == 200);
  CHECK(arr_of(raw.doc(), "sequence_range").size() == 2);
  CHECK(arr_of(raw.doc(), "events_root").size() == 32);
  auto lp = admin.get("/api/v1/proofs/3?" + stream_q(a) + "&batch_id=" + lbatch);
  INFO(lp.describe());
  REQUIRE(lp.status == 200);
  auto lleaf = hash_of(lp.doc(), "leaf_hash");
  auto lroot = hash_of(lp.doc(), "events_root");
  auto lpath = path_of(lp.doc());
  CHECK(lpath.size() == 1); // index 2 of 3 is promoted at the first level
  CHECK(ves::legacy_verify_proof(lleaf, lroot, lpath, 2, 3));
  auto lbody = obj({{"leaf_hash", ves::to_hex(lleaf)},
                    {"events_root", ves::to_hex(lroot)},
                    {"proof_path", member(lp.doc(), "proof_path")},
                    {"leaf_index", num(2)},
                    {"leaf_count", num(3)}});
  CHECK(valid_of(admin.post("/api/v1/proofs/verify", lbody)));
  auto lbody_batch = obj({{"leaf_hash", ves::to_hex(lleaf)},
                          {"events_root", ves::to_hex(lroot)},
                          {"proof_path", member(lp.doc(), "proof_path")},
                          {"leaf_index", num(2)},
                          {"batch_id", lbatch}});
  CHECK(valid_of(admin.post("/api/v1/proofs/verify", lbody_batch)));
  auto bad = lleaf;
  bad[31] ^= 0x80;
  auto lbad = obj({{"leaf_hash", ves::to_hex(bad)},
                   {"events_root", ves::to_hex(lroot)},
                   {"proof_path", member(lp.doc(), "proof_path")},
                   {"leaf_index", num(2)},
                   {"leaf_count", num(3)}});
  CHECK_FALSE(valid_of(admin.post("/api/v1/proofs/verify", lbad)));

  // -- anchor-service pair ------------------------------------------------------------------------
  auto pend = admin.get("/v1/commitments/pending?limit=5000");
  INFO(pend.describe());
  REQUIRE(pend.status == 200);
  bool listed = false;
  for (auto& c : arr_of(pend.doc(), "commitments"))
    if (str_of(c, "batch_id") == str_of(first, "batch_id")) {
      listed = true;
      CHECK(str_of(c, "events_root") == "0x" + ves::to_hex(root1));
      CHECK(u64_of(c, "event_count") == 4);
    }
  CHECK(listed);
  auto tx = std::string(64, 'a');
  // Numbers the tables cannot hold are 400, and leave the commitment unanchored.
  auto too_big = admin.post("/v1/commitments/" + str_of(first, "batch_id") + "/anchored",
                            obj({{"chain_tx_hash", tx}, {"chain_id", num(84532)},
                                 {"block_number", num(1ull << 63)}}));
  check_error(too_big, 400, "INVALID_FIELD_VALUE");
  CHECK(error_message(too_big) == "block_number must fit in i64");
  check_error(admin.post("/v1/commitments/" + str_of(first, "batch_id") + "/anchored",
                         obj({{"chain_tx_hash", tx}, {"chain_id", num(1ull << 32)}})),
              400, "INVALID_FIELD_VALUE");
  auto mark = admin.post("/v1/commitments/" + str_of(first, "batch_id") + "/anchored",
                         obj({{"chain_tx_hash", "0x" + tx}, {"chain_id", num(84532)},
                              {"block_number", num(77)}}));
  INFO(mark.describe());
  REQUIRE(mark.status == 200);
  CHECK(str_of(mark.doc(), "status") == "anchored");
  auto mark2 = admin.post("/v1/commitments/" + str_of(first, "batch_id") + "/anchored",
                          obj({{"chain_tx_hash", tx}, {"chain_id", num(84532)}}));
  REQUIRE(mark2.status == 200);
  CHECK(str_of(mark2.doc(), "status") == "already_anchored");
  CHECK(admin.post("/v1/commitments/" + str_of(first, "batch_id") + "/anchored",
                   obj({{"chain_tx_hash", std::string(64, 'b')}, {"chain_id", num(1)}}))
          .status
        == 409);
  auto anchored = admin.get("/api/v1/ves/commitments/" + str_of(first, "batch_id"));
  REQUIRE(anchored.status == 200);
  CHECK(member(anchored.doc(), "is_anchored").as_bool());
  CHECK(u64_of(anchored.doc(), "chain_block_number") == 77);
  CHECK(str_of(anchored.doc(), "chain_tx_hash") == tx);
  auto unanchored = admin.get("/api/v1/ves/commitments?" + stream_q(a));
  REQUIRE(unanchored.status == 200);
  CHECK(u64_of(unanchored.doc(), "count") == 1);

  // -- scoping: a tenant key reads its own commitments, not the anchor-service pair -------------
  json::array store_ids;
  store_ids.push_back(json::value{a.store.str()});
  auto minted = admin.post("/api/v1/agents/" + a.agent.str() + "/api-keys",
                           obj({{"tenantId", a.tenant.str()},
                                {"storeIds", json::value{std::move(store_ids)}}}));
  INFO(minted.describe());
  REQUIRE(minted.status == 200);
  api_client tenant{srv.port(), str_of(minted.doc(), "apiKey")};
  CHECK(tenant.get("/api/v1/ves/commitments?" + stream_q(a)).status == 200);
  CHECK(tenant.get("/api/v1/ves/proofs/5?" + stream_q(a)).status == 200);
  CHECK(tenant.get("/v1/commitments/pending").status == 403);
  CHECK(tenant.post("/v1/commitments/" + str_of(second, "batch_id") + "/anchored",
                    obj({{"chain_tx_hash", tx}, {"chain_id", num(1)}}))
          .status
        == 403);
  auto other = agent_identity::random();
  CHECK(tenant.get("/api/v1/ves/commitments?" + stream_q(other)).status == 403);

  // -- anchoring is not configured here: the status says so, the anchoring routes answer 503 ----
  auto st = admin.get("/api/v1/anchor/status");
  REQUIRE(st.status == 200);
  CHECK_FALSE(member(st.doc(), "anchor_enabled").as_bool());
  CHECK(str_of(st.doc(), "message").find("not configured") != std::string::npos);
  auto batch = obj({{"batch_id", str_of(second, "batch_id")}});
  for (auto* path : {"/api/v1/ves/anchor", "/api/v1/anchor"}) {
    auto r = admin.post(path, batch);
    INFO(path << " " << r.describe());
    CHECK(r.status == 503);
    CHECK(r.error_header == "SERVICE_UNAVAILABLE");
  }
  CHECK(admin.get("/api/v1/ves/anchor/" + str_of(second, "batch_id") + "/verify").status == 503);
  CHECK(admin.post("/api/v1/ves/commitments/anchor",
                   obj({{"tenant_id", a.tenant.str()}, {"store_id", a.store.str()}}))
          .status
        == 503);
  // Client errors come first: no key, a bad body or path is never answered with the 503.
  api_client anonymous{srv.port(), "", auth_style::none};
  check_error(anonymous.post("/api/v1/ves/anchor", batch), 401);
  check_error(admin.post("/api/v1/anchor", std::string{"{bad"}), 400);
  check_error(admin.post("/api/v1/ves/anchor", obj({{"batch_id", "nope"}})), 422);
  check_error(admin.get("/api/v1/ves/anchor/nope/verify"), 400);
  auto health = admin.get("/health/detailed");
  INFO(health.describe());
  REQUIRE(health.status == 200);
  CHECK(str_of(health.doc(), "status") == "healthy");
  CHECK_FALSE(has_member(member(health.doc(), "components"), "circuit_breakers"));
  CHECK(tenant.get("/health/detailed").status == 403);
}

} // namespace seq::it
