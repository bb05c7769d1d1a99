// SPDX-License-Identifier: Apache-2.0
// The independent verifier (runtime/verifier.hpp) and the file-based commands of
// runtime/cli_verify.hpp, on the golden stream of tests/messages/ves_vectors.json (10 signed
// events with receipts, three chained commitments, Merkle proofs, an encrypted event): the
// untampered data verifies (exit 0), and one byte changed in each kind of input — payload,
// agent signature, agent key, receipt hash, receipt signature, sequencer key, merkle root,
// prev/new state root, proof leaf/path/root/index — is found and named (exit 1). The --rpc
// comparison runs on contract return data built with adapters/chain/abi.hpp.
#include "runtime/cli_verify.hpp"
#include "runtime/verifier.hpp"

#include "adapters/chain/abi.hpp"
#include "adapters/chain/anchor_contract.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <optional>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#ifndef SEQ_VECTORS_FILE
#error "SEQ_VECTORS_FILE must name tests/messages/ves_vectors.json"
#endif

namespace {

namespace ves = seq::ves;
namespace json = seq::ves::json;
namespace verify = seq::runtime::verify;
namespace cli = seq::runtime::cli;
namespace chain = seq::chain;
namespace msg = seq::msg;

// -- the golden vectors ---------------------------------------------------------------------------

const json::value& vectors() {
  static const json::value root = [] {
    std::ifstream in{SEQ_VECTORS_FILE, std::ios::binary};
    std::stringstream ss;
    ss << in.rdbuf();
    auto v = json::try_parse(ss.str());
    if (!v)
      FAIL("cannot parse " << SEQ_VECTORS_FILE);
    return *v;
  }();
  return root;
}

const json::value& at(const json::value& v, std::string_view key) {
  auto* p = v.find(key);
  if (p == nullptr)
    FAIL("vector field missing: " << key);
  return *p;
}

std::string str(const json::value& v, std::string_view key) {
  return at(v, key).as_string();
}

uint64_t u64(const json::value& v, std::string_view key) {
  return at(v, key).as_number().u;
}

json::value num(uint64_t n) {
  return json::value::from_u64(n);
}

const json::value& stream() {
  return at(vectors(), "stream");
}

const json::value& chain_commitment(size_t k) {
  return at(at(vectors(), "commitment_chain"), "commitments").as_array().at(k);
}

ves::hash32 hash(const std::string& hex) {
  auto h = ves::from_hex_fixed<32>(hex);
  REQUIRE(h);
  return *h;
}

// TEST ONLY ids of the three golden commitments.
const std::vector<std::string> batch_ids = {"b0000000-0000-4000-8000-000000000001",
                                            "b0000000-0000-4000-8000-000000000002",
                                            "b0000000-0000-4000-8000-000000000003"};

/// Golden event `seq` (1-based) as GET /api/v1/ves/events returns it.
json::value event_json(uint64_t seq) {
  auto& s = stream();
  auto& e = at(s, "events").as_array().at(seq - 1);
  auto& rc = at(e, "receipt");
  return json::value{json::object{{"ves_version", num(1)},
                                  {"event_id", str(e, "event_id")},
                                  {"tenant_id", str(s, "tenant_id")},
                                  {"store_id", str(s, "store_id")},
                                  {"source_agent_id", str(s, "source_agent_id")},
                                  {"agent_key_id", num(u64(s, "agent_key_id"))},
                                  {"entity_type", "order"},
                                  {"entity_id", str(e, "entity_id")},
                                  {"event_type", "order.created"},
                                  {"created_at", str(e, "created_at")},
                                  {"payload_kind", num(0)},
                                  {"payload", *json::try_parse(str(e, "payload_json_text"))},
                                  {"payload_plain_hash", "0x" + str(e, "payload_plain_hash")},
                                  {"payload_cipher_hash", "0x" + std::string(64, '0')},
                                  {"agent_signature", "0x" + str(e, "agent_signature")},
                                  {"sequence_number", num(seq)},
                                  {"sequenced_at", "2025-01-01T00:00:00.123456+00:00"},
                                  {"receipt_hash", str(rc, "receipt_hash")},
                                  {"sequencer_id", str(s, "sequencer_id")},
                                  {"sequencer_signature", str(rc, "sequencer_signature")}}};
}

/// Golden commitment `k` (0-based) as GET /api/v1/ves/commitments/{id} returns it.
json::value commitment_json(size_t k) {
  auto& c = chain_commitment(k);
  return json::value{json::object{{"batch_id", batch_ids.at(k)},
                                  {"tenant_id", str(stream(), "tenant_id")},
                                  {"store_id", str(stream(), "store_id")},
                                  {"ves_version", num(1)},
                                  {"tree_depth", num(u64(c, "tree_depth"))},
                                  {"leaf_count", num(u64(c, "leaf_count"))},
                                  {"padded_leaf_count", num(u64(c, "padded_leaf_count"))},
                                  {"merkle_root", str(c, "merkle_root")},
                                  {"prev_state_root", str(c, "prev_state_root")},
                                  {"new_state_root", str(c, "new_state_root")},
                                  {"sequence_start", num(u64(c, "sequence_start"))},
                                  {"sequence_end", num(u64(c, "sequence_end"))},
                                  {"committed_at", "2025-01-01T00:01:00.000000Z"},
                                  {"is_anchored", false}}};
}

json::value agent_key_json() {
  auto& s = stream();
  return json::value{json::object{{"tenant_id", str(s, "tenant_id")},
                                  {"agent_id", str(s, "source_agent_id")},
                                  {"key_id", num(u64(s, "agent_key_id"))},
                                  {"public_key", str(s, "signer_public_key")}}};
}

/// The export document of golden commitment `k`.
cli::batch_material material(size_t k) {
  cli::batch_material m;
  m.commitment = commitment_json(k);
  if (k > 0)
    m.previous = commitment_json(k - 1);
  auto& c = chain_commitment(k);
  for (auto s = u64(c, "sequence_start"); s <= u64(c, "sequence_end"); ++s)
    m.events.push_back(event_json(s));
  m.agent_keys.push_back(agent_key_json());
  m.sequencer = json::value{json::object{{"sequencerId", str(stream(), "sequencer_id")},
                                         {"publicKey", str(stream(), "sequencer_public_key")},
                                         {"signatureAlg", "ed25519"},
                                         {"sequencerKeyVersion", num(0)}}};
  return m;
}

/// Decodes a material into the verifier's input (REQUIREs clean decoding).
verify::batch_input input_of(const cli::batch_material& m) {
  verify::report r;
  verify::batch_input in;
  in.commitment = *verify::decode_commitment(m.commitment, "commitment", r);
  if (!m.previous.is_null())
    in.previous = verify::decode_commitment(m.previous, "previous", r);
  for (auto& e : m.events)
    in.events.push_back(*verify::decode_event(e, "event", r));
  verify::decode_key_document(json::value{m.agent_keys}, "keys", in.keys, r);
  in.sequencer_key = hash(str(stream(), "sequencer_public_key"));
  INFO(r.findings.size() << " decode findings");
  REQUIRE(r.ok());
  return in;
}

/// Replaces the first occurrence of `from` (which must occur) with `to`.
std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  return text.replace(pos, from.size(), to);
}

/// `hex` with its last digit changed: one byte of the value differs.
std::string flipped(std::string hex) {
  hex.back() = hex.back() == '0' ? '1' : '0';
  return hex;
}

// -- running the commands on files
// -----------------------------------------------------------------

class temp_file {
public:
  explicit temp_file(const std::string& content) {
    static int n = 0;
    path_ =
      (std::filesystem::temp_directory_path()
       / ("ves-verify-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".json"))
        .string();
    std::ofstream{path_, std::ios::binary} << content;
  }
  ~temp_file() {
    std::filesystem::remove(path_);
  }
  const std::string& path() const {
    return path_;
  }

private:
  std::string path_;
};

struct run_result {
  int code = -1;
  std::string out, err;
};

template <class F>
run_result run(F f) {
  std::ostringstream out, err;
  run_result r;
  r.code = f(cli::output{out, err, false});
  r.out = out.str();
  r.err = err.str();
  return r;
}

run_result verify_file(const std::string& doc_text, std::string sequencer_key = {},
                       std::vector<std::string> key_files = {}) {
  temp_file f{doc_text};
  cli::verify_batch_options o;
  o.file = f.path();
  o.sequencer_key = std::move(sequencer_key);
  o.key_files = std::move(key_files);
  return run([&](cli::output io) { return cli::verify_batch(o, io); });
}

std::string export_text(size_t k) {
  return cli::to_export_document(material(k)).dump();
}

/// Exit 1, and some stdout line contains `needle`; the summary says FAILED.
void expect_invalid(const run_result& r, const std::string& needle) {
  INFO("stdout:\n" << r.out << "stderr:\n" << r.err);
  CHECK(r.code == 1);
  CHECK(r.out.find(needle) != std::string::npos);
  CHECK(r.out.find("FAILED: ") != std::string::npos);
}

} // namespace

// -- batch ----------------------------------------------------------------------------------------

TEST_CASE("verify batch recomputes the golden stream's three chained commitments", "[verify]") {
  for (size_t k = 0; k < 3; ++k) {
    INFO("commitment " << k);
    auto in = input_of(material(k));
    auto res = verify::verify_batch(in);
    INFO(res.rep.findings.size() << " findings, first: "
                                 << (res.rep.ok() ? "" : res.rep.findings.front()));
    CHECK(res.rep.ok());
    auto& c = chain_commitment(k);
    CHECK(res.root_computed);
    CHECK(res.merkle_root == hash(str(c, "merkle_root")));
    CHECK(res.new_state_root == hash(str(c, "new_state_root")));
    CHECK(res.leaf_count == u64(c, "leaf_count"));
    CHECK(res.signatures_checked == u64(c, "leaf_count"));
    CHECK(res.receipts_checked == u64(c, "leaf_count"));
  }
}

TEST_CASE("verify batch on an export file exits 0 and prints one OK line", "[verify]") {
  auto r = verify_file(export_text(1));
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(r.out.rfind("OK: batch " + batch_ids[1], 0) == 0);
  CHECK(r.out.find("5 events, 5 agent signatures, 5 signed receipts") != std::string::npos);
  CHECK(r.out.find(str(chain_commitment(1), "new_state_root")) != std::string::npos);
  CHECK(r.out.find("chained to " + batch_ids[0]) != std::string::npos);
  // The key came from the file: say so.
  CHECK(r.err.find("sequencer key " + str(stream(), "sequencer_public_key")) != std::string::npos);
}

TEST_CASE("verify batch finds one byte changed in each kind of input", "[verify]") {
  auto text = export_text(1); // sequence 4..8, chained to commitment 0
  auto& ev5 = at(stream(), "events").as_array().at(4);
  auto& c1 = chain_commitment(1);

  SECTION("a payload byte") {
    expect_invalid(verify_file(replace_once(text, "\"SKU-5\"", "\"SKU-X\"")),
                   "event seq 5: payload hash mismatch: computed ");
  }
  SECTION("a signature byte") {
    auto sig = str(ev5, "agent_signature");
    auto r = verify_file(replace_once(text, sig, flipped(sig)));
    expect_invalid(r, "event seq 5: signature does not verify with agent key (tenant "
                        + str(stream(), "tenant_id") + ", agent " + str(stream(), "source_agent_id")
                        + ", key 1)");
    CHECK(r.out.find("merkle root mismatch: computed ") != std::string::npos);
  }
  SECTION("a byte of the registered agent key") {
    auto pk = str(stream(), "signer_public_key");
    auto r = verify_file(replace_once(text, pk, flipped(pk)));
    expect_invalid(r, "event seq 4: signature does not verify with agent key");
    CHECK(r.out.find("event seq 8: signature does not verify") != std::string::npos);
  }
  SECTION("a receipt hash byte") {
    auto rh = str(at(ev5, "receipt"), "receipt_hash");
    expect_invalid(verify_file(replace_once(text, rh, flipped(rh))),
                   "event seq 5: receipt hash mismatch: computed " + rh + ", stated "
                     + flipped(rh));
  }
  SECTION("a receipt signature byte") {
    auto sig = str(at(ev5, "receipt"), "sequencer_signature");
    expect_invalid(verify_file(replace_once(text, sig, flipped(sig))),
                   "event seq 5: sequencer signature does not verify over receipt hash");
  }
  SECTION("a byte of the sequencer key") {
    auto r = verify_file(text, flipped(str(stream(), "sequencer_public_key")));
    expect_invalid(r, "event seq 4: sequencer signature does not verify");
    CHECK(r.out.find("FAILED: batch " + batch_ids[1] + ": 5 problems found") != std::string::npos);
  }
  SECTION("a byte of the stored merkle root") {
    auto root = str(c1, "merkle_root");
    expect_invalid(verify_file(replace_once(text, root, flipped(root))),
                   "merkle root mismatch: computed " + root + ", stored " + flipped(root));
  }
  SECTION("a byte of the stored prev_state_root") {
    // The first occurrence of the root is in the commitment (the previous one comes later).
    auto prev = str(c1, "prev_state_root");
    auto tampered =
      replace_once(text, "\"prev_state_root\":\"" + prev, "\"prev_state_root\":\"" + flipped(prev));
    auto r = verify_file(tampered);
    expect_invalid(r, "prev_state_root mismatch: stored " + flipped(prev) + ", previous commitment "
                        + batch_ids[0] + " has new_state_root " + prev);
    CHECK(r.out.find("new_state_root mismatch") != std::string::npos);
  }
  SECTION("a byte of the stored new_state_root") {
    auto root = str(c1, "new_state_root");
    expect_invalid(verify_file(replace_once(text, root, flipped(root))),
                   "new_state_root mismatch: computed " + root + ", stored " + flipped(root));
  }
  SECTION("a byte of the previous commitment's new_state_root") {
    auto m = material(1);
    m.previous.set("new_state_root", flipped(str(chain_commitment(0), "new_state_root")));
    expect_invalid(verify_file(cli::to_export_document(m).dump()),
                   "prev_state_root mismatch: stored ");
  }
  SECTION("the leaf count") {
    expect_invalid(verify_file(replace_once(text, "\"leaf_count\":5", "\"leaf_count\":6")),
                   "leaf_count mismatch: range 4..8 has 5 events, stored 6");
  }
  SECTION("a non-hex byte in a hash is a finding, not an I/O error") {
    auto root = str(c1, "merkle_root");
    auto bad = root;
    bad.back() = 'g';
    expect_invalid(verify_file(replace_once(text, root, bad)),
                   "commitment: merkle_root: expected 32 bytes of hex");
  }
}

TEST_CASE("verify batch checks the state-root chain and the event set", "[verify]") {
  SECTION("an event missing from the range") {
    auto m = material(1);
    m.events.erase(m.events.begin() + 2);
    auto r = verify_file(cli::to_export_document(m).dump());
    expect_invalid(r, "event seq 6: missing from the batch");
    CHECK(r.out.find("merkle root not recomputed") != std::string::npos);
  }
  SECTION("an event of another stream") {
    auto m = material(0);
    m.events[0].set("store_id", "00000000-0000-0000-0000-000000000009");
    expect_invalid(verify_file(cli::to_export_document(m).dump()),
                   "event seq 1: belongs to tenant ");
  }
  SECTION("a previous commitment that does not end right before") {
    auto m = material(2);
    m.previous = commitment_json(0); // ends at 3; commitment 2 starts at 9
    auto r = verify_file(cli::to_export_document(m).dump());
    expect_invalid(r, "state-root chain broken: previous commitment " + batch_ids[0]
                        + " ends at 3, this one starts at 9 (expected 4)");
  }
  SECTION("a later commitment presented as the stream's first") {
    auto m = material(1);
    m.previous = json::value{};
    expect_invalid(verify_file(cli::to_export_document(m).dump()),
                   "expected 32 zero bytes for the stream's first commitment");
  }
  SECTION("no key for the agent") {
    auto m = material(0);
    m.agent_keys.clear();
    expect_invalid(verify_file(cli::to_export_document(m).dump()),
                   "event seq 1: no registered agent key");
  }
  SECTION("the key from a --keys file is used") {
    auto m = material(0);
    m.agent_keys.clear();
    temp_file keys{json::value{json::array{agent_key_json()}}.dump()};
    auto r = verify_file(cli::to_export_document(m).dump(), {}, {keys.path()});
    INFO(r.out << r.err);
    CHECK(r.code == 0);
  }
  SECTION("camelCase keys (the registration body) in a --keys file") {
    auto m = material(0);
    m.agent_keys.clear();
    auto& s = stream();
    temp_file keys{json::value{
      json::object{{"agent_keys", json::array{json::value{json::object{
                                    {"tenantId", str(s, "tenant_id")},
                                    {"agentId", str(s, "source_agent_id")},
                                    {"keyId", num(1)},
                                    {"publicKey", "0x" + str(s, "signer_public_key")}}}}}}}
                     .dump()};
    CHECK(verify_file(cli::to_export_document(m).dump(), {}, {keys.path()}).code == 0);
  }
}

TEST_CASE("verify batch exits 2 on unusable input", "[verify]") {
  SECTION("a file that is not JSON") {
    auto r = verify_file("{\"commitment\": ");
    CHECK(r.code == 2);
    CHECK(r.err.find("not valid JSON") != std::string::npos);
  }
  SECTION("a missing file") {
    cli::verify_batch_options o;
    o.file = "/nonexistent/ves-export.json";
    auto r = run([&](cli::output io) { return cli::verify_batch(o, io); });
    CHECK(r.code == 2);
    CHECK(r.err.find("cannot read /nonexistent/ves-export.json") != std::string::npos);
  }
  SECTION("the file holds another batch") {
    temp_file f{export_text(0)};
    cli::verify_batch_options o;
    o.file = f.path();
    o.batch_id = batch_ids[2];
    auto r = run([&](cli::output io) { return cli::verify_batch(o, io); });
    CHECK(r.code == 2);
    CHECK(r.err.find("holds batch " + batch_ids[0]) != std::string::npos);
  }
  SECTION("neither --url nor --file") {
    auto r = run([](cli::output io) { return cli::verify_batch({}, io); });
    CHECK(r.code == 2);
  }
  SECTION("an unreachable server") {
    cli::verify_batch_options o;
    o.server.url = "http://127.0.0.1:1"; // nothing listens on port 1
    o.batch_id = batch_ids[0];
    auto r = run([&](cli::output io) { return cli::verify_batch(o, io); });
    CHECK(r.code == 2);
    CHECK(r.err.find("cannot reach http://127.0.0.1:1") != std::string::npos);
  }
  SECTION("a malformed --sequencer-key") {
    auto r = verify_file(export_text(0), "abc");
    CHECK(r.code == 2);
    CHECK(r.err.find("--sequencer-key") != std::string::npos);
  }
}

TEST_CASE("the export document round-trips", "[verify]") {
  auto m = material(2);
  auto back = cli::from_export_document(*json::try_parse(cli::to_export_document(m).dump()));
  REQUIRE(back);
  CHECK(back->commitment == m.commitment);
  CHECK(back->previous == m.previous);
  CHECK(back->events == m.events);
  CHECK(back->agent_keys == m.agent_keys);
  CHECK(back->sequencer == m.sequencer);
  auto wrong = json::value{json::object{{"format", "something-else"}}};
  CHECK_FALSE(cli::from_export_document(wrong));
}

TEST_CASE("previous_of picks the stream's commitment ending highest below the start", "[verify]") {
  std::vector<verify::commitment_record> cs;
  verify::report r;
  for (size_t k = 0; k < 3; ++k)
    cs.push_back(*verify::decode_commitment(commitment_json(k), "c", r));
  auto other = cs[1];
  other.batch_id = *ves::uuid::parse("b0000000-0000-4000-8000-0000000000ff");
  other.store_id = *ves::uuid::parse("00000000-0000-0000-0000-000000000009");
  other.sequence_end = 8;
  cs.push_back(other);
  CHECK_FALSE(verify::previous_of(cs, cs[0]));
  CHECK(verify::previous_of(cs, cs[1])->batch_id == cs[0].batch_id);
  CHECK(verify::previous_of(cs, cs[2])->batch_id == cs[1].batch_id);
}

// -- events ---------------------------------------------------------------------------------------

TEST_CASE("an encrypted event's cipher hash is recomputed from payload_encrypted", "[verify]") {
  auto& v = at(vectors(), "event_encrypted");
  auto body = at(v, "ingest_request_body");
  auto ev = at(body, "events").as_array().at(0);
  verify::report r;
  auto e = verify::decode_event(ev, "encrypted", r);
  REQUIRE(e);
  verify::key_book keys;
  keys.add({*ves::uuid::parse(str(v, "tenant_id")), *ves::uuid::parse(str(v, "source_agent_id")), 1,
            hash(str(v, "signer_public_key"))});
  auto out = verify::check_event(*e, {&keys, std::nullopt, false}, r);
  INFO((r.ok() ? std::string{} : r.findings.front()));
  CHECK(r.ok());
  CHECK(out.signature_checked);
  CHECK(out.signing_hash == hash(str(v, "event_signing_hash")));

  auto tampered = *e;
  auto& enc = *tampered.payload_encrypted;
  auto ct = enc.find("ciphertext_b64u")->as_string();
  ct[5] = ct[5] == 'A' ? 'B' : 'A';
  enc.set("ciphertext_b64u", ct);
  verify::report r2;
  verify::check_event(tampered, {&keys, std::nullopt, false}, r2);
  REQUIRE(r2.findings.size() == 1);
  CHECK(r2.findings[0].find("event " + str(v, "event_id") + ": payload cipher hash mismatch") == 0);
}

// -- proofs ---------------------------------------------------------------------------------------

TEST_CASE("verify proof accepts every golden proof and refuses one changed byte", "[verify]") {
  for (auto& b : at(at(vectors(), "merkle"), "batches").as_array()) {
    for (auto& pr : at(b, "proofs").as_array()) {
      verify::proof_input p;
      p.leaf = hash(str(pr, "leaf_hash"));
      p.root = hash(str(b, "merkle_root"));
      p.leaf_index = u64(pr, "leaf_index");
      for (auto& x : at(pr, "proof_path").as_array())
        p.path.push_back(hash(x.as_string()));
      std::vector<bool> ds;
      for (auto& x : at(pr, "directions").as_array())
        ds.push_back(x.as_bool());
      p.directions = ds;
      INFO("leaves " << u64(b, "leaf_count") << " index " << p.leaf_index);
      CHECK(verify::verify_proof(p).ok());
      CHECK(verify::fold_proof(p.leaf, p.path, p.leaf_index) == p.root);
      auto leaf = p;
      leaf.leaf[31] ^= 1;
      CHECK_FALSE(verify::verify_proof(leaf).ok());
      auto root = p;
      root.root[0] ^= 1;
      CHECK_FALSE(verify::verify_proof(root).ok());
      if (!p.path.empty()) {
        auto path = p;
        path.path.back()[7] ^= 1;
        CHECK_FALSE(verify::verify_proof(path).ok());
        auto index = p;
        index.leaf_index ^= 1;
        index.directions.reset();
        CHECK_FALSE(verify::verify_proof(index).ok());
      }
    }
  }
}

TEST_CASE("verify proof command: flags and the proof route's JSON", "[verify]") {
  // The 5-leaf golden batch, proof of index 4 (sequence 5).
  auto& b = at(at(vectors(), "merkle"), "batches").as_array().at(3);
  REQUIRE(u64(b, "leaf_count") == 5);
  auto& pr = at(b, "proofs").as_array().at(2);
  REQUIRE(u64(pr, "leaf_index") == 4);
  std::vector<std::string> path;
  for (auto& x : at(pr, "proof_path").as_array())
    path.push_back(x.as_string());
  auto root = str(b, "merkle_root");
  auto leaf = str(pr, "leaf_hash");
  auto by_flags = [&](std::string l, std::vector<std::string> ps, std::string rt, uint64_t i) {
    cli::verify_proof_options o;
    o.leaf = std::move(l);
    o.path = std::move(ps);
    o.root = std::move(rt);
    o.index = i;
    return run([&](cli::output io) { return cli::verify_proof(o, io); });
  };
  SECTION("untampered") {
    auto r = by_flags(leaf, path, root, 4);
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "OK: proof of leaf " + leaf + " at index 4 leads to root " + root + "\n");
  }
  SECTION("a leaf byte") {
    expect_invalid(by_flags(flipped(leaf), path, root, 4), "proof does not verify: leaf ");
  }
  SECTION("a path entry byte") {
    auto p = path;
    p[1] = flipped(p[1]);
    expect_invalid(by_flags(leaf, p, root, 4), "leads to root ");
  }
  SECTION("a root byte") {
    expect_invalid(by_flags(leaf, path, flipped(root), 4), ", expected " + flipped(root));
  }
  SECTION("the index") {
    expect_invalid(by_flags(leaf, path, root, 3), "proof does not verify");
    expect_invalid(by_flags(leaf, path, root, 8), "leaf index 8 is out of range");
  }
  SECTION("a malformed flag is a usage error") {
    CHECK(by_flags("xyz", path, root, 4).code == 2);
  }
  SECTION("the proof route's JSON, with the event that makes the leaf") {
    json::array p;
    for (auto& x : path)
      p.push_back(x);
    auto doc = json::value{json::object{{"sequence_number", num(5)},
                                        {"batch_id", batch_ids[0]},
                                        {"merkle_root", root},
                                        {"leaf_hash", leaf},
                                        {"leaf_index", num(4)},
                                        {"proof_path", p},
                                        {"directions", at(pr, "directions")}}};
    temp_file proof{doc.dump()};
    temp_file event{event_json(5).dump()};
    cli::verify_proof_options o;
    o.file = proof.path();
    o.event_file = event.path();
    auto r = run([&](cli::output io) { return cli::verify_proof(o, io); });
    INFO(r.out << r.err);
    CHECK(r.code == 0);

    temp_file other{event_json(4).dump()};
    o.event_file = other.path();
    expect_invalid(run([&](cli::output io) { return cli::verify_proof(o, io); }),
                   "leaf mismatch: event seq 4 has leaf ");

    temp_file bad_dirs{replace_once(doc.dump(), "true", "false")};
    o.file = bad_dirs.path();
    o.event_file.clear();
    expect_invalid(run([&](cli::output io) { return cli::verify_proof(o, io); }),
                   "disagrees with leaf index 4");
  }
}

// -- receipts -------------------------------------------------------------------------------------

TEST_CASE("verify receipt: the ingest receipt, the sequencer key and the event", "[verify]") {
  auto& e1 = at(stream(), "events").as_array().at(0);
  auto receipt = at(at(e1, "receipt"), "api_receipt_json");
  auto key = str(stream(), "sequencer_public_key");
  auto rh = str(at(e1, "receipt"), "receipt_hash");
  auto sig = str(at(e1, "receipt"), "sequencer_signature");
  auto check = [&](const std::string& receipt_text, const std::string& k,
                   const std::string& event_text) {
    temp_file rf{receipt_text};
    std::optional<temp_file> ef;
    cli::verify_receipt_options o;
    o.receipt_file = rf.path();
    o.sequencer_key = k;
    if (!event_text.empty()) {
      ef.emplace(event_text);
      o.event_file = ef->path();
    }
    return run([&](cli::output io) { return cli::verify_receipt(o, io); });
  };
  auto text = receipt.dump();
  auto event = event_json(1).dump();

  SECTION("untampered, with and without the event") {
    auto r = check(text, key, event);
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK(r.out.find("recomputed from the event") != std::string::npos);
    auto alone = check(text, key, "");
    CHECK(alone.code == 0);
    CHECK(alone.err.find("no event given") != std::string::npos);
    // Without the event, the OK line claims only what was checked: the signed hash.
    CHECK(alone.out.find("OK: receipt hash " + rh + ": sequencer signature verifies")
          != std::string::npos);
    CHECK(alone.out.find("not checked without the event") != std::string::npos);
    CHECK(alone.out.find("receipt for event") == std::string::npos);
    // A GET /api/v1/ves/events object carries its own event.
    CHECK(check(event, key, "").code == 0);
  }
  SECTION("a receipt hash byte") {
    auto r = check(replace_once(text, rh, flipped(rh)), key, event);
    expect_invalid(r, "receipt hash mismatch: computed " + rh);
    CHECK(r.out.find("sequencer signature does not verify") != std::string::npos);
    expect_invalid(check(replace_once(text, rh, flipped(rh)), key, ""),
                   "sequencer signature does not verify");
  }
  SECTION("a receipt signature byte") {
    expect_invalid(check(replace_once(text, sig, flipped(sig)), key, event),
                   "sequencer signature does not verify over receipt hash " + rh);
  }
  SECTION("a byte of the sequencer key") {
    expect_invalid(check(text, flipped(key), event), "with sequencer key " + flipped(key));
  }
  SECTION("a byte of the event") {
    expect_invalid(check(text, key, replace_once(event, "ORD-0001", "ORD-0002")),
                   "receipt hash mismatch");
    expect_invalid(check(text, key, replace_once(event, "\"SKU-1\"", "\"SKU-2\"")),
                   "payload hash mismatch");
  }
  SECTION("an unsigned receipt") {
    auto unsigned_text = replace_once(replace_once(text, sig, ""), "\"ed25519\"", "\"none\"");
    expect_invalid(check(unsigned_text, key, event), "receipt is not signed");
  }
  SECTION("no sequencer key is a usage error") {
    CHECK(check(text, "", event).code == 2);
  }
}

// -- on chain -------------------------------------------------------------------------------------

namespace {

/// The return data of StateSetAnchor.commitments(bytes32) for golden commitment 1.
chain::bytes stateset_return(const verify::chain_expectation& e, uint64_t anchored_at) {
  chain::address by;
  by.b[19] = 0x42;
  return chain::abi::encoder{}
    .add_bytes32(chain::uuid_to_bytes32(e.batch_id))
    .add_bytes32(chain::uuid_to_bytes32(e.tenant_id))
    .add_bytes32(chain::uuid_to_bytes32(e.store_id))
    .add_bytes32(e.events_root)
    .add_bytes32(e.new_state_root)
    .add_uint(e.sequence_start)
    .add_uint(e.sequence_end)
    .add_uint(e.event_count)
    .add_uint(anchored_at)
    .add_address(by)
    .finish();
}

/// The return data of SetRegistry.commitments(bytes32).
chain::bytes registry_return(const verify::chain_expectation& e) {
  chain::address by;
  by.b[0] = 0x17;
  return chain::abi::encoder{}
    .add_bytes32(e.events_root)
    .add_bytes32(e.prev_state_root)
    .add_bytes32(e.new_state_root)
    .add_uint(e.sequence_start)
    .add_uint(e.sequence_end)
    .add_uint(e.event_count)
    .add_uint(1735689600)
    .add_address(by)
    .finish();
}

} // namespace

TEST_CASE("the on-chain record is compared with the recomputed batch", "[verify]") {
  auto in = input_of(material(1));
  auto res = verify::verify_batch(in);
  REQUIRE(res.rep.ok());
  auto e = verify::expectation_of(in.commitment, res);
  CHECK(e.events_root == hash(str(chain_commitment(1), "merkle_root")));
  CHECK(e.new_state_root == hash(str(chain_commitment(1), "new_state_root")));
  CHECK(e.prev_state_root == hash(str(chain_commitment(0), "new_state_root")));
  CHECK(e.event_count == 5);

  SECTION("stateset_anchor") {
    auto oc = chain::stateset_anchor::decode_commitments(stateset_return(e, 1735689600));
    REQUIRE(oc);
    CHECK(verify::compare_onchain(*oc, e, msg::anchor_abi::stateset_anchor).ok());

    auto wrong = e;
    wrong.events_root[3] ^= 1;
    auto bad = chain::stateset_anchor::decode_commitments(stateset_return(wrong, 1735689600));
    auto r = verify::compare_onchain(*bad, e, msg::anchor_abi::stateset_anchor);
    REQUIRE(r.findings.size() == 1);
    CHECK(r.findings[0]
          == "on-chain record of batch " + batch_ids[1] + ": eventsRoot mismatch: on chain "
               + ves::to_hex(wrong.events_root) + ", expected " + ves::to_hex(e.events_root));

    wrong = e;
    wrong.new_state_root[0] ^= 0x80;
    wrong.sequence_end = 9;
    wrong.event_count = 6;
    wrong.store_id.b[15] ^= 1;
    bad = chain::stateset_anchor::decode_commitments(stateset_return(wrong, 1735689600));
    r = verify::compare_onchain(*bad, e, msg::anchor_abi::stateset_anchor);
    CHECK(r.findings.size() == 4);
    CHECK(r.findings[0].find("storeId mismatch") != std::string::npos);

    auto absent = chain::stateset_anchor::decode_commitments(stateset_return(e, 0));
    r = verify::compare_onchain(*absent, e, msg::anchor_abi::stateset_anchor);
    REQUIRE(r.findings.size() == 1);
    CHECK(r.findings[0].find("not anchored") != std::string::npos);
  }
  SECTION("set_registry also carries the previous state root") {
    auto oc = chain::set_registry::decode_commitments(registry_return(e));
    REQUIRE(oc);
    CHECK(verify::compare_onchain(*oc, e, msg::anchor_abi::set_registry).ok());
    auto wrong = e;
    wrong.prev_state_root[31] ^= 1;
    auto bad = chain::set_registry::decode_commitments(registry_return(wrong));
    auto r = verify::compare_onchain(*bad, e, msg::anchor_abi::set_registry);
    REQUIRE(r.findings.size() == 1);
    CHECK(r.findings[0].find("prevStateRoot mismatch") != std::string::npos);
  }
  SECTION("an unreachable chain is an error, not a finding") {
    cli::chain_source src{"http://127.0.0.1:1", "0x" + std::string(40, '1'),
                          msg::anchor_abi::stateset_anchor};
    CHECK_FALSE(cli::check_onchain(src, e));
    src.contract = "0x1234";
    CHECK_FALSE(cli::read_onchain(src, e.batch_id));
  }
}
