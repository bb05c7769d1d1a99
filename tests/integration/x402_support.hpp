// SPDX-License-Identifier: Apache-2.0
#pragma once
// x402 helpers of the integration tests (x402_test.cpp, x402_chain_test.cpp): payers (TEST ONLY
// Ed25519 keys), signed intent bodies built with messages/ves (the Node client in
// tests/x402_client/ builds them independently), intent lists and the offline receipt check.

#include "messages/ves/ves.hpp"
#include "tests/integration/api_client.hpp"
#include "tests/integration/server_process.hpp"
#include "tests/integration/ves_agent.hpp"

#include <catch2/catch.hpp>

#include <ctime>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace seq::it {

inline constexpr const char* payee_evm = "0x2222222222222222222222222222222222222222";

inline uint64_t now_unix() {
  return static_cast<uint64_t>(std::time(nullptr));
}

/// A payer as the C++ side of the test signs for it (TEST ONLY keys).
struct payer {
  agent_identity id = agent_identity::random();
  std::string address = "0x" + ves::to_hex(ves::sha256(id.public_key)).substr(0, 40);
};

struct intent_spec {
  uint64_t amount = 100;
  uint64_t nonce = 1;
  std::string network = "set_chain";
  std::string asset = "usdc";
  std::string payee = payee_evm;
  std::optional<uint64_t> valid_until = std::nullopt;
  std::optional<std::string> idempotency_key = std::nullopt;
  bool with_public_key = true;
};

inline json::value intent_body(const payer& p, const intent_spec& s) {
  ves::x402_fields f;
  f.payer_address = p.address;
  f.payee_address = s.payee;
  f.amount = s.amount;
  f.asset = ves::x402_asset_string(s.asset);
  f.network = s.network;
  f.chain_id = ves::x402_chain_id(s.network);
  f.valid_until = s.valid_until.value_or(now_unix() + 600);
  f.nonce = s.nonce;
  auto h = ves::x402_signing_hash(f);
  json::object o{{"tenant_id", p.id.tenant.str()},
                 {"store_id", p.id.store.str()},
                 {"agent_id", p.id.agent.str()},
                 {"payer_address", f.payer_address},
                 {"payee_address", f.payee_address},
                 {"amount", num(f.amount)},
                 {"asset", s.asset},
                 {"network", s.network},
                 {"valid_until", num(f.valid_until)},
                 {"nonce", num(f.nonce)},
                 {"signing_hash", ves::to_0x_hex(h)},
                 {"payer_signature", ves::to_0x_hex(ves::ed25519_sign(p.id.seed, h))}};
  if (s.with_public_key)
    o.emplace_back("payer_public_key", ves::to_0x_hex(p.id.public_key));
  if (s.idempotency_key)
    o.emplace_back("idempotency_key", *s.idempotency_key);
  return obj(std::move(o));
}

inline response pay(api_client& c, const payer& p, const intent_spec& s) {
  return c.post("/api/v1/x402/payments", intent_body(p, s));
}

inline std::string pay_ok(api_client& c, const payer& p, const intent_spec& s) {
  auto r = pay(c, p, s);
  INFO(r.describe());
  REQUIRE(r.status == 200);
  CHECK(str_of(r.doc(), "status") == "sequenced");
  return str_of(r.doc(), "intent_id");
}

/// Every intent of the stream (GET /api/v1/x402/payments).
inline std::vector<json::value> list_intents(api_client& c, const agent_identity& a,
                                      const std::string& extra = {}) {
  auto r = c.get("/api/v1/x402/payments?tenant_id=" + a.tenant.str() + "&store_id=" + a.store.str()
                 + "&limit=1000" + extra);
  INFO(r.describe());
  REQUIRE(r.status == 200);
  REQUIRE(r.doc().is_array());
  return r.doc().as_array();
}

/// `ves verify payment-receipt` on `receipt` (written to a file in `dir`): its exit code.
inline int verify_offline(const temp_dir& dir, const std::string& receipt,
                          const std::string& name) {
  auto file = dir.path() + "/" + name + ".json";
  std::ofstream{file} << receipt;
  auto bin = env_or("SEQ_CLI_BIN");
  if (bin.empty())
    FAIL("SEQ_CLI_BIN is not set (ctest sets it to the built `ves`)");
  auto r = run_command({bin, "verify", "payment-receipt", file});
  INFO("ves verify payment-receipt " << name << ":\n" << r.out);
  return r.exit_code;
}

} // namespace seq::it
