// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Shared helpers of the real-chain tests (chain_test.cpp, chain_settle_test.cpp, both in the
/// chain_tests executable): ganache's deterministic TEST ONLY accounts, one local chain per
/// process (tests/support/chain_harness.sh on a free port) with the contracts of
/// deploy/contracts/ compiled once (compile.mjs), sending accounts, contract deployment and
/// calls through the project's own chain adapter. Header-only (inline): chain_env() is one
/// chain for every translation unit.
///
/// Environment (set by tests/CMakeLists.txt): SEQ_CHAIN_HARNESS, SEQ_CONTRACTS_COMPILE.

#include "adapters/chain/abi.hpp"
#include "adapters/chain/primitives.hpp"
#include "adapters/chain/rpc_client.hpp"
#include "adapters/chain/signer.hpp"
#include "adapters/chain/tx_sender.hpp"
#include "messages/errc.hpp"
#include "messages/ves/bytes.hpp"
#include "messages/ves/json.hpp"
#include "tests/integration/server_process.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <unistd.h>

namespace seq::chain::support {

using namespace std::chrono_literals;
namespace json = seq::ves::json;

// -- ganache's deterministic test accounts (public test keys, never use elsewhere) ----------

inline constexpr const char* owner_key =
  "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
inline constexpr const char* sequencer_key =
  "6cbed15c793ce57650b9877cf6fa156fbef513c4e6134f022a85b1ffdd59b2a1";
inline constexpr const char* other_key =
  "6370fd033278c143179d81c5526140625662b8daa446c22ee2d73db3707e620c";
inline constexpr uint64_t chain_id = 84532001;

// -- small helpers --------------------------------------------------------------------------

inline std::string need_env(const char* name) {
  auto v = it::env_or(name);
  if (v.empty())
    FAIL(name << " is not set (run through ctest)");
  return v;
}

/// The absolute path of a program on $PATH (run_command does not search PATH).
inline std::string which(const std::string& prog) {
  std::stringstream path{it::env_or("PATH", "/usr/local/bin:/usr/bin:/bin")};
  std::string d;
  while (std::getline(path, d, ':')) {
    auto p = std::filesystem::path{d} / prog;
    if (::access(p.c_str(), X_OK) == 0)
      return p.string();
  }
  FAIL(prog << " is not on PATH");
  return {};
}

inline json::value read_json(const std::string& file) {
  std::ifstream in{file, std::ios::binary};
  if (!in)
    FAIL("cannot open " << file);
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = json::try_parse(ss.str());
  if (!doc)
    FAIL("cannot parse " << file);
  return *doc;
}

inline const json::value& at(const json::value& v, std::string_view key) {
  auto* p = v.find(key);
  if (!p)
    FAIL("missing field " << key);
  return *p;
}

inline ves::uuid uuid_of(const std::string& s) {
  auto u = ves::uuid::parse(s);
  if (!u)
    FAIL("bad uuid " << s);
  return *u;
}

inline hash32 h32(const std::string& s) {
  auto h = ves::from_hex_fixed<32>(s);
  if (!h)
    FAIL("bad hash " << s);
  return *h;
}

inline private_key key(const char* hex) {
  auto k = private_key::from_hex(hex);
  REQUIRE(k);
  return *k;
}

inline std::string text(const caf::error& e) {
  return to_string(static_cast<errc>(e.code())) + ": " + error_message(e);
}

#define REQUIRE_OK(expr)                                                                           \
  [&]() -> decltype(auto) {                                                                        \
    auto r_ = (expr);                                                                              \
    if (!r_)                                                                                       \
      FAIL(#expr << " failed: " << text(r_.error()));                                              \
    return r_;                                                                                     \
  }()

// -- the local chain and the compiled contracts, shared by all test cases -------------------

class local_chain {
public:
  local_chain() {
    harness_ = need_env("SEQ_CHAIN_HARNESS");
    auto compile = need_env("SEQ_CONTRACTS_COMPILE");
    auto r = it::run_command({harness_, "start", dir_.path() + "/chain"}, 120s);
    if (r.exit_code != 0)
      FAIL("chain_harness.sh start failed (exit " << r.exit_code << ")");
    url_ = it::last_line(r.out);
    artifacts_ = dir_.path() + "/contracts";
    auto c = it::run_command({which("node"), compile, artifacts_}, 300s);
    if (c.exit_code != 0)
      FAIL("compile.mjs failed (exit " << c.exit_code << "): " << c.out);
  }
  ~local_chain() {
    it::run_command({harness_, "stop", dir_.path() + "/chain"}, 60s);
  }
  const std::string& url() const {
    return url_;
  }
  json::value artifact(const std::string& name) const {
    return read_json(artifacts_ + "/" + name + ".json");
  }
  void stop() {
    REQUIRE(it::run_command({harness_, "stop", dir_.path() + "/chain"}, 60s).exit_code == 0);
  }
  void restart() {
    auto r = it::run_command({harness_, "restart", dir_.path() + "/chain"}, 120s);
    REQUIRE(r.exit_code == 0);
    REQUIRE(it::last_line(r.out) == url_); // same port: clients reconnect to the same URL
  }

private:
  it::temp_dir dir_{"ves-chain"};
  std::string harness_, url_, artifacts_;
};

inline local_chain& chain_env() {
  static local_chain env;
  return env;
}

inline rpc_client rpc() {
  auto c = rpc_client::make({chain_env().url(), 2000ms, 10000ms});
  REQUIRE(c);
  return std::move(*c);
}

/// One account that sends transactions on the local chain.
struct account {
  rpc_client client = rpc();
  tx_sender sender;
  explicit account(const char* hex, sender_options o = {})
    : sender(client, key(hex), [&] {
        o.chain_id = chain_id;
        if (!o.sleep)
          o.sleep = [](std::chrono::milliseconds) { std::this_thread::sleep_for(20ms); };
        return o;
      }()) {}
};

/// Deploys a compiled contract with ABI-encoded constructor arguments; returns its address.
inline address deploy(account& from, const std::string& contract, const bytes& ctor_args) {
  auto art = chain_env().artifact(contract);
  auto code = parse_data(at(art, "bytecode").as_string());
  REQUIRE(code);
  REQUIRE(code->size() > 100);
  tx_request req;
  req.data = *code;
  req.data.insert(req.data.end(), ctor_args.begin(), ctor_args.end());
  auto nonce = REQUIRE_OK(from.client.transaction_count(from.sender.from()));
  auto rc = REQUIRE_OK(from.sender.send_and_wait(req));
  REQUIRE(rc->contract_address);
  CHECK(*rc->contract_address == contract_address(from.sender.from(), *nonce));
  // the code at the address is the compiled runtime code
  auto got = REQUIRE_OK(from.client.call("eth_getCode", {rc->contract_address->hex(), "latest"}));
  CHECK(got->as_string() == at(art, "deployedBytecode").as_string());
  return *rc->contract_address;
}

/// Sends one owner call (setSequencerAuthorization etc.) and waits for it.
inline void transact(account& from, const address& to, bytes data) {
  tx_request req;
  req.to = to;
  req.data = std::move(data);
  REQUIRE_OK(from.sender.send_and_wait(req));
}

inline bytes view(rpc_client& c, const address& to, const bytes& data) {
  call_request req;
  req.to = to;
  req.data = data;
  return *REQUIRE_OK(c.eth_call(req));
}

} // namespace seq::chain::support
