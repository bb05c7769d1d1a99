// SPDX-License-Identifier: Apache-2.0
// The anchoring settings: defaults (off), the reference's environment names, all-or-nothing
// enabling, rejections that name the key and never echo the private key.
#include "config/settings.hpp"

#include <catch2/catch.hpp>

using namespace seq::config;

namespace {

// ganache's first deterministic account key: a public TEST ONLY key.
constexpr const char* test_key =
  "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
constexpr const char* test_contract = "0x5b1869D9A4C187F2EAa108f3062412ecf0526b24";

env_map enabled_env() {
  return {{"L2_RPC_URL", "http://127.0.0.1:1"},
          {"SET_REGISTRY_ADDRESS", test_contract},
          {"SEQUENCER_PRIVATE_KEY", test_key}};
}

} // namespace

TEST_CASE("anchoring is off by default and the example file agrees", "[config][anchor]") {
  auto s = load("", {});
  CHECK_FALSE(s.anchor.enabled());
  CHECK(s.anchor.chain_id == 84532001);
  CHECK(s.anchor.abi == "stateset_anchor");
  CHECK(s.anchor.confirmations == 1);
  CHECK(s.anchor.automatic);
  CHECK(s.anchor.interval == std::chrono::seconds{60});
  CHECK(s.anchor.batch_threshold == 10);
  CHECK(s.anchor.breaker_failure_threshold == 5);
  CHECK(s.anchor.breaker_open_timeout == std::chrono::seconds{60});
  auto example = load(SEQ_SOURCE_DIR "/config/examples/sequencer.yaml", {});
  CHECK_FALSE(example.anchor.enabled());
  CHECK(example.anchor.interval == s.anchor.interval);
  CHECK(example.anchor.abi == s.anchor.abi);
  CHECK(example.anchor.breaker_max_backoff == s.anchor.breaker_max_backoff);
}

TEST_CASE("the reference's variables enable anchoring", "[config][anchor]") {
  auto env = enabled_env();
  env["L2_CHAIN_ID"] = "1337";
  env["ANCHOR_INTERVAL_SECS"] = "7";
  env["ANCHOR_BATCH_THRESHOLD"] = "3";
  env["ANCHOR_FINALITY_CONFIRMATIONS"] = "2";
  env["VES_ANCHOR_ABI"] = "set_registry";
  env["VES_ANCHOR_BREAKER_OPEN_TIMEOUT_MS"] = "1500";
  auto s = load("", env);
  CHECK(s.anchor.enabled());
  CHECK(s.anchor.rpc_url == "http://127.0.0.1:1");
  CHECK(s.anchor.contract_address == test_contract);
  CHECK(s.anchor.private_key == test_key);
  CHECK(s.anchor.chain_id == 1337);
  CHECK(s.anchor.interval == std::chrono::seconds{7});
  CHECK(s.anchor.batch_threshold == 3);
  CHECK(s.anchor.confirmations == 2);
  CHECK(s.anchor.abi == "set_registry");
  CHECK(s.anchor.breaker_open_timeout == std::chrono::milliseconds{1500});
  env["VES_ANCHOR_INTERVAL_MS"] = "250"; // this project's finer knob wins (applied later)
  CHECK(load("", env).anchor.interval == std::chrono::milliseconds{250});
}

TEST_CASE("anchoring settings are all or nothing, checked, and the key is never echoed",
          "[config][anchor]") {
  auto partial = enabled_env();
  partial.erase("SEQUENCER_PRIVATE_KEY");
  CHECK_THROWS_WITH(load("", partial), Catch::Contains("set all of anchor.rpc_url"));
  auto bad_key = enabled_env();
  bad_key["SEQUENCER_PRIVATE_KEY"] = "abcd1234";
  try {
    load("", bad_key);
    FAIL("a short key was accepted");
  } catch (const config_error& e) {
    std::string what = e.what();
    CHECK(what.find("anchor.private_key") != std::string::npos);
    CHECK(what.find("abcd1234") == std::string::npos);
  }
  auto bad_addr = enabled_env();
  bad_addr["SET_REGISTRY_ADDRESS"] = "5b1869D9A4C187F2EAa108f3062412ecf0526b24";
  CHECK_THROWS_WITH(load("", bad_addr), Catch::Contains("anchor.contract_address"));
  CHECK_THROWS_WITH(load("", {{"VES_ANCHOR_ABI", "other"}}), Catch::Contains("anchor.abi"));
  // The RPC URL is an http(s) URL with a host, and its secret part is never echoed.
  for (const char* url : {"notaurl", "ftp://node/KEY123", "https:///KEY123"}) {
    auto bad_url = enabled_env();
    bad_url["L2_RPC_URL"] = url;
    try {
      load("", bad_url);
      FAIL("accepted " << url);
    } catch (const config_error& e) {
      std::string what = e.what();
      CHECK(what.find("anchor.rpc_url: expected an http:// or https:// URL") != std::string::npos);
      CHECK(what.find("KEY123") == std::string::npos);
    }
  }
  CHECK_THROWS_AS(load("", {{"VES_ANCHOR_INTERVAL_MS", "5"}}), config_error);
  CHECK_THROWS_AS(load("", {{"VES_ANCHOR_BREAKER_OPEN_TIMEOUT_MS", "400000"}}), config_error);
}
