// SPDX-License-Identifier: Apache-2.0
// The independent verifier end to end, on both backends: a server (automatic commitments off)
// takes signed events and two manual commitments; the built `ves` then verifies them over
// HTTP (agent keys from a --keys file or from the store, the sequencer key published or
// pinned), exports a batch to a file that verifies offline, and finds one byte changed in the
// export (payload, agent signature, merkle root, prev_state_root, receipt hash and signature)
// with exit 1 and a line naming it. Proofs from GET /api/v1/ves/proofs and receipts from the
// ingest response verify, and fail when a leaf, path entry, root, receipt hash or the
// sequencer key is changed. Unreachable servers, unknown batches and missing arguments exit 2.
#include "tests/integration/api_client.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/ves_agent.hpp"

#include "messages/ves/ves.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace seq;
using namespace seq::it;

namespace {

std::string cli_bin() {
  auto bin = env_or("SEQ_CLI_BIN");
  if (bin.empty())
    FAIL("SEQ_CLI_BIN is not set (ctest sets it to the built `ves`)");
  return bin;
}

/// Runs `ves args…` with stderr merged into the captured output.
command_result run_ves(const std::vector<std::string>& args) {
  std::string line = "'" + cli_bin() + "'";
  for (auto& a : args) {
    REQUIRE(a.find('\'') == std::string::npos);
    line += " '" + a + "'";
  }
  return run_command({"/bin/sh", "-c", line + " 2>&1"});
}

/// Runs `ves args…` capturing stdout only (stderr goes to the test's stderr).
command_result run_ves_stdout(const std::vector<std::string>& args) {
  std::vector<std::string> argv{cli_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out{path, std::ios::binary};
  out << text;
  REQUIRE(out.good());
}

/// `hex` with its last digit changed.
std::string flipped(std::string hex) {
  hex.back() = hex.back() == '0' ? '1' : '0';
  return hex;
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  INFO("looking for " << from);
  REQUIRE(pos != std::string::npos);
  return text.replace(pos, from.size(), to);
}

void expect_exit(const command_result& r, int code, const std::string& needle) {
  INFO("exit " << r.exit_code << ", output:\n" << r.out);
  CHECK(r.exit_code == code);
  CHECK(r.out.find(needle) != std::string::npos);
}

json::value commit(api_client& admin, const agent_identity& a, uint64_t start, uint64_t end) {
  auto r = admin.post("/api/v1/ves/commitments", obj({{"tenant_id", a.tenant.str()},
                                                      {"store_id", a.store.str()},
                                                      {"sequence_start", num(start)},
                                                      {"sequence_end", num(end)}}));
  INFO(r.describe());
  REQUIRE(r.status == 200);
  return r.doc();
}

} // namespace

TEST_CASE("ves verify batch|proof|receipt and ves export batch against a live server",
          "[integration][verify]") {
  temp_dir dir{"ves-it-verify"};
  server_process srv{server_config{dir.path(), {}, {{"VES_AUTO_COMMIT", "false"}}}};
  api_client admin{srv.port()};
  auto url = "http://127.0.0.1:" + std::to_string(srv.port());
  std::string api_key = test_admin_key; // TEST ONLY
  auto a = agent_identity::random();
  register_key(admin, a);
  auto seqr = fetch_sequencer(admin);
  auto seq_key = ves::to_hex(seqr.public_key);

  std::vector<signed_event> evs;
  for (uint64_t i = 1; i <= 5; ++i)
    evs.push_back(make_event(
      a, spec("order-" + std::to_string(i)).with_payload(numbered_payload(i, "verify"))));
  auto ing = ingest(admin, a, evs);
  auto acks = check_receipts(ing, evs, seqr);
  auto first = commit(admin, a, 1, 3);
  auto second = commit(admin, a, 4, 5);
  auto b1 = str_of(first, "batch_id");
  auto b2 = str_of(second, "batch_id");

  auto keys_path = dir.path() + "/keys.json";
  write_file(keys_path,
             obj({{"agent_keys", json::array{obj({{"tenant_id", a.tenant.str()},
                                                  {"agent_id", a.agent.str()},
                                                  {"key_id", num(a.key_id)},
                                                  {"public_key", ves::to_hex(a.public_key)}})}}})
               .dump());
  auto batch = [&](const std::string& id, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"verify",    "batch", "--url",      url,
                                  "--api-key", api_key, "--batch-id", id};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_ves(args);
  };

  SECTION("verify batch over HTTP") {
    expect_exit(batch(b1, {"--keys", keys_path}), 0,
                "OK: batch " + b1 + " (tenant " + a.tenant.str() + ", store " + a.store.str()
                  + ", sequence 1..3): 3 events, 3 agent signatures, 3 signed receipts");
    auto r = batch(b2, {"--keys", keys_path, "--sequencer-key", seq_key});
    expect_exit(r, 0, "chained to " + b1);
    CHECK(r.out.find("new state root " + str_of(second, "new_state_root")) != std::string::npos);
    // Keys read from the store the server uses (the global --database-url).
    expect_exit(run_ves({"--database-url", srv.config().database_url, "verify", "batch", "--url",
                         url, "--api-key", api_key, "--batch-id", b2, "--keys-from-store"}),
                0, "OK: batch " + b2);
  }

  SECTION("verify batch over HTTP finds a wrong sequencer key and missing agent keys") {
    auto r = batch(b2, {"--keys", keys_path, "--sequencer-key", flipped(seq_key)});
    expect_exit(r, 1, "event seq 4: sequencer signature does not verify");
    CHECK(r.out.find("FAILED: batch " + b2 + ": 2 problems found") != std::string::npos);
    expect_exit(batch(b2), 1,
                "event seq 4: no registered agent key (tenant " + a.tenant.str() + ", agent "
                  + a.agent.str() + ", key 1)");
  }

  SECTION("export, verify offline, and one byte changed in each kind of input") {
    auto exported = run_ves_stdout({"export", "batch", "--url", url, "--api-key", api_key,
                                    "--batch-id", b2, "--keys", keys_path});
    INFO(exported.out);
    REQUIRE(exported.exit_code == 0);
    auto doc = json::try_parse(exported.out);
    REQUIRE(doc);
    CHECK(str_of(member(*doc, "commitment"), "batch_id") == b2);
    CHECK(str_of(member(*doc, "previous_commitment"), "batch_id") == b1);
    CHECK(arr_of(*doc, "events").size() == 2);
    CHECK(arr_of(*doc, "agent_keys").size() == 1);
    auto text = doc->dump();
    auto file = dir.path() + "/batch.json";
    auto check_file = [&](const std::string& content, std::vector<std::string> extra = {}) {
      write_file(file, content);
      std::vector<std::string> args{"verify", "batch", "--file", file};
      args.insert(args.end(), extra.begin(), extra.end());
      return run_ves(args);
    };
    expect_exit(check_file(text), 0, "OK: batch " + b2);
    expect_exit(check_file(text, {"--sequencer-key", seq_key, "--batch-id", b2}), 0, "OK: ");

    auto& ev4 = arr_of(*doc, "events")[0];
    expect_exit(check_file(replace_once(text, "\"tag\":\"verify\"", "\"tag\":\"verifx\"")), 1,
                "event seq 4: payload hash mismatch: computed ");
    auto sig = str_of(ev4, "agent_signature").substr(2);
    expect_exit(check_file(replace_once(text, sig, flipped(sig))), 1,
                "event seq 4: signature does not verify with agent key (tenant " + a.tenant.str()
                  + ", agent " + a.agent.str() + ", key 1)");
    auto root = str_of(second, "merkle_root");
    expect_exit(check_file(replace_once(text, root, flipped(root))), 1,
                "merkle root mismatch: computed " + root + ", stored " + flipped(root));
    auto prev = str_of(second, "prev_state_root");
    expect_exit(check_file(replace_once(text, "\"prev_state_root\":\"" + prev,
                                        "\"prev_state_root\":\"" + flipped(prev))),
                1, "prev_state_root mismatch: stored " + flipped(prev));
    auto rh = str_of(ev4, "receipt_hash");
    expect_exit(check_file(replace_once(text, rh, flipped(rh))), 1,
                "event seq 4: receipt hash mismatch: computed " + rh);
    auto rsig = str_of(ev4, "sequencer_signature");
    expect_exit(check_file(replace_once(text, rsig, flipped(rsig))), 1,
                "event seq 4: sequencer signature does not verify");
    expect_exit(check_file(text, {"--sequencer-key", flipped(seq_key)}), 1,
                "sequencer signature does not verify");
    expect_exit(check_file(text, {"--batch-id", b1}), 2, "holds batch " + b2);
    expect_exit(check_file(text.substr(0, text.size() / 2)), 2, "not valid JSON");
  }

  SECTION("verify proof with the proof route's answer and with flags") {
    auto p =
      admin.get("/api/v1/ves/proofs/5?tenant_id=" + a.tenant.str() + "&store_id=" + a.store.str());
    INFO(p.describe());
    REQUIRE(p.status == 200);
    auto file = dir.path() + "/proof.json";
    write_file(file, p.body);
    expect_exit(run_ves({"verify", "proof", "--file", file}), 0,
                "OK: proof of leaf " + str_of(p.doc(), "leaf_hash"));
    auto leaf = str_of(p.doc(), "leaf_hash");
    auto root = str_of(p.doc(), "merkle_root");
    auto path = arr_of(p.doc(), "proof_path");
    REQUIRE(path.size() == 1);
    auto sib = path[0].as_string();
    auto flags = [&](const std::string& l, const std::string& s, const std::string& r) {
      return run_ves({"verify", "proof", "--leaf", l, "--index", "1", "--path", s, "--root", r});
    };
    expect_exit(flags(leaf, sib, root), 0, "leads to root " + root);
    expect_exit(flags(flipped(leaf), sib, root), 1, "proof does not verify");
    expect_exit(flags(leaf, flipped(sib), root), 1, "proof does not verify");
    expect_exit(flags(leaf, sib, flipped(root)), 1, "expected " + flipped(root));
    expect_exit(run_ves({"verify", "proof", "--leaf", leaf, "--index", "1", "--root", root}), 1,
                "leaf index 1 is out of range for a path of 0 entries");
  }

  SECTION("verify receipt with the ingest receipt and the signed envelope") {
    auto& receipts = arr_of(ing.doc(), "receipts");
    auto rfile = dir.path() + "/receipt.json";
    auto efile = dir.path() + "/event.json";
    auto rtext = receipts[2].dump();
    write_file(efile, evs[2].envelope.dump());
    auto run = [&](const std::string& receipt, std::vector<std::string> extra) {
      write_file(rfile, receipt);
      std::vector<std::string> args{"verify", "receipt", "--receipt", rfile};
      args.insert(args.end(), extra.begin(), extra.end());
      return run_ves(args);
    };
    expect_exit(run(rtext, {"--sequencer-key", seq_key, "--event", efile}), 0,
                "recomputed from the event");
    expect_exit(run(rtext, {"--url", url, "--api-key", api_key}), 0,
                "OK: receipt hash " + acks[2].receipt_hash + ": sequencer signature verifies");
    auto rh = acks[2].receipt_hash;
    expect_exit(
      run(replace_once(rtext, rh, flipped(rh)), {"--sequencer-key", seq_key, "--event", efile}), 1,
      "receipt hash mismatch: computed " + rh);
    auto sig = str_of(receipts[2], "sequencerSignature");
    expect_exit(run(replace_once(rtext, sig, flipped(sig)), {"--sequencer-key", seq_key}), 1,
                "sequencer signature does not verify");
    expect_exit(run(rtext, {"--sequencer-key", flipped(seq_key)}), 1,
                "sequencer signature does not verify");
  }

  SECTION("usage and I/O errors exit 2") {
    expect_exit(run_ves({"verify", "batch", "--url", "http://127.0.0.1:1", "--batch-id", b1}), 2,
                "cannot reach http://127.0.0.1:1");
    auto unknown = ves::uuid::random_v4().str();
    expect_exit(batch(unknown), 2, "batch " + unknown + " not found");
    expect_exit(run_ves({"verify", "batch", "--url", url}), 2, "--url needs --batch-id");
    expect_exit(run_ves({"verify", "receipt"}), 2, "--receipt");
    expect_exit(run_ves({"verify", "batch", "--file", dir.path() + "/none.json"}), 2,
                "cannot read");
  }
}
