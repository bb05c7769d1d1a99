// SPDX-License-Identifier: Apache-2.0
// The x402 settings: defaults, YAML (nested token map, network list), the reference's and this
// project's environment variables, rejections.
#include "config/settings.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace seq::config;

namespace {

struct yaml_file {
  std::filesystem::path path;
  explicit yaml_file(const std::string& text) {
    path = std::filesystem::temp_directory_path()
           / ("ves-x402-config-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand())
              + ".yaml");
    std::ofstream{path} << text;
  }
  ~yaml_file() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

std::string error_of(const std::string& path, const env_map& env) {
  try {
    load(path, env);
  } catch (const config_error& e) {
    return e.what();
  }
  return {};
}

constexpr const char* token = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

} // namespace

TEST_CASE("x402 settings defaults", "[config][x402]") {
  auto s = load("", {});
  CHECK(s.x402.batch_max_size == 100);
  CHECK(s.x402.batch_max_wait == std::chrono::seconds{30});
  CHECK(s.x402.networks == std::vector<std::string>{"set_chain"});
  CHECK(s.x402.auto_settle);
  CHECK(s.x402.settlement_contract.empty());
  CHECK(s.x402.token_addresses.empty());
  CHECK(s.x402.nonce_cleanup_interval == std::chrono::seconds{3600});
}

TEST_CASE("x402 settings from YAML", "[config][x402]") {
  yaml_file f{std::string{"x402:\n  batch_max_size: 5\n  batch_max_wait_ms: 250\n"
                          "  networks: [set_chain, base]\n  auto_settle: false\n"
                          "  token_addresses:\n    usdc: \""}
              + token + "\"\n"};
  auto s = load(f.path.string(), {});
  CHECK(s.x402.batch_max_size == 5);
  CHECK(s.x402.batch_max_wait == std::chrono::milliseconds{250});
  CHECK(s.x402.networks == std::vector<std::string>{"set_chain", "base"});
  CHECK_FALSE(s.x402.auto_settle);
  CHECK(s.x402.token_addresses.at("usdc") == token);
}

TEST_CASE("x402 settings from the environment", "[config][x402]") {
  auto s = load("", {{"X402_BATCH_MAX_SIZE", "1000"},
                     {"X402_BATCH_MAX_WAIT_SECS", "300"},
                     {"X402_BATCH_NETWORKS", "base, optimism"},
                     {"X402_NONCE_CLEANUP_INTERVAL_SECS", "60"},
                     {"VES_X402_TOKEN_ADDRESSES", std::string{"ss_usd="} + token}});
  CHECK(s.x402.batch_max_size == 1000);
  CHECK(s.x402.batch_max_wait == std::chrono::seconds{300});
  CHECK(s.x402.networks == std::vector<std::string>{"base", "optimism"});
  CHECK(s.x402.nonce_cleanup_interval == std::chrono::seconds{60});
  CHECK(s.x402.token_addresses.at("ssusd") == token);
  auto none = load("", {{"X402_BATCH_NETWORKS", ","}});
  CHECK(none.x402.networks.empty());
}

TEST_CASE("VES_X402_TOKEN_ADDRESSES replaces the file's token table", "[config][x402]") {
  constexpr const char* other = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
  yaml_file f{std::string{"x402:\n  token_addresses:\n    usdt: \""} + token + "\"\n"};
  CHECK(load(f.path.string(), {}).x402.token_addresses.size() == 1);
  // Items may carry spaces around them and around `=`; only the variable's assets remain.
  auto s = load(f.path.string(),
                {{"VES_X402_TOKEN_ADDRESSES", std::string{" usdc = "} + other + " , dai=" + token
                                                + ","}});
  CHECK(s.x402.token_addresses
        == std::map<std::string, std::string>{{"usdc", other}, {"dai", token}});
}

TEST_CASE("bad x402 settings are rejected naming the key", "[config][x402]") {
  CHECK(error_of("", {{"X402_BATCH_MAX_SIZE", "1001"}}).find("x402.batch_max_size")
        != std::string::npos);
  CHECK(error_of("", {{"X402_BATCH_NETWORKS", "set_chain,solana"}}).find("solana")
        != std::string::npos);
  CHECK(error_of("", {{"VES_X402_TOKEN_ADDRESSES", "btc=0x00"}}).find("unknown x402 asset")
        != std::string::npos);
  CHECK(error_of("", {{"VES_X402_SETTLEMENT_CONTRACT", "0x1234"}}).find("0x + 40 hex")
        != std::string::npos);
  // A settlement contract needs the chain connection of anchor.*.
  CHECK(error_of("", {{"VES_X402_SETTLEMENT_CONTRACT", token}}).find("anchor.rpc_url")
        != std::string::npos);
}
