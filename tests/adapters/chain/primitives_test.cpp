// SPDX-License-Identifier: Apache-2.0
// adapters/chain/primitives: Keccak-256, selectors, EIP-55 addresses, contract addresses,
// uint256 text forms and JSON-RPC quantities, against published values.

#include "adapters/chain/primitives.hpp"
#include "adapters/chain/signer.hpp"
#include "tests/adapters/chain/chain_test_util.hpp"

using namespace seq::chain;
using seq::chain::test::h32;
using seq::chain::test::vec;

TEST_CASE("keccak256 is Ethereum's Keccak, not FIPS SHA3", "[chain][keccak]") {
  CHECK(keccak256(std::string_view{""})
        == h32("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"));
  CHECK(keccak256(std::string_view{"abc"})
        == h32("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"));
  CHECK(keccak256(std::string_view{"The quick brown fox jumps over the lazy dog"})
        == h32("4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15"));
}

TEST_CASE("function selectors match the well-known ones", "[chain][abi]") {
  auto sel = [](const char* sig) { return seq::ves::to_hex(function_selector(sig)); };
  CHECK(sel("transfer(address,uint256)") == "a9059cbb");
  CHECK(sel("balanceOf(address)") == "70a08231");
  CHECK(sel("approve(address,uint256)") == "095ea7b3");
  CHECK(sel("transferFrom(address,address,uint256)") == "23b872dd");
  CHECK(sel("totalSupply()") == "18160ddd");
  CHECK(sel("Error(string)") == "08c379a0");
  CHECK(sel("Panic(uint256)") == "4e487b71");
}

TEST_CASE("every anchor selector of the golden vectors", "[chain][abi][vectors]") {
  const auto& sels = vec({"anchor", "selectors"}).as_object();
  REQUIRE(sels.size() >= 13);
  for (const auto& [sig, hex] : sels) {
    INFO(sig);
    CHECK(seq::ves::to_hex(function_selector(sig)) == hex.as_string());
  }
}

TEST_CASE("EIP-55 checksummed addresses", "[chain][address]") {
  // The examples of EIP-55 (all caps, all lower, mixed).
  for (const char* s :
       {"0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    INFO(s);
    auto a = address::parse(s);
    REQUIRE(a);
    CHECK(a->checksummed() == s);
  }
  SECTION("a mixed-case address with a wrong checksum is rejected") {
    CHECK_FALSE(address::parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"));
    CHECK(address::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));
  }
  SECTION("malformed input") {
    CHECK_FALSE(address::parse("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));
    CHECK_FALSE(address::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea"));
    CHECK_FALSE(address::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg"));
  }
}

TEST_CASE("addresses derived from private keys", "[chain][address][secp256k1]") {
  // EIP-155's example key and ganache's first deterministic test account.
  auto k1 =
    private_key::from_hex("0x4646464646464646464646464646464646464646464646464646464646464646");
  REQUIRE(k1);
  CHECK(k1->addr().checksummed() == "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
  auto k2 =
    private_key::from_hex("4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d");
  REQUIRE(k2);
  CHECK(k2->addr().checksummed() == "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1");
  SECTION("zero, the curve order and bad text are refused") {
    CHECK_FALSE(private_key::from_hex(std::string(64, '0')));
    CHECK_FALSE(
      private_key::from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"));
    CHECK_FALSE(private_key::from_hex("0x1234"));
    auto e =
      private_key::from_hex("zz46464646464646464646464646464646464646464646464646464646464646");
    REQUIRE_FALSE(e);
    CHECK(seq::error_message(e.error()).find("zz46") == std::string::npos); // never echo keys
  }
}

TEST_CASE("contract addresses from sender and nonce", "[chain][address]") {
  auto sender = address::parse("0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0");
  REQUIRE(sender);
  CHECK(contract_address(*sender, 0).hex() == "0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d");
  CHECK(contract_address(*sender, 1).hex() == "0x343c43a37d37dff08ae8c4a11544c718abb4fcf8");
}

TEST_CASE("uint256 text forms and JSON-RPC quantities", "[chain][u256]") {
  CHECK(to_quantity(uint64_t{0}) == "0x0");
  CHECK(to_quantity(uint64_t{1024}) == "0x400");
  CHECK(to_quantity(uint64_t{84532001}) == "0x509db21");
  CHECK(parse_quantity("0x509db21") == 84532001u);
  CHECK(parse_quantity("0x0") == 0u);
  CHECK(parse_quantity("0x00ff") == 255u); // leading zeros tolerated
  CHECK_FALSE(parse_quantity("0x"));
  CHECK_FALSE(parse_quantity("255"));
  CHECK_FALSE(parse_quantity("0x1ffffffffffffffff"));  // > 64 bits
  auto wei = u256::from_dec("1000000000000000000000"); // 1000 ether
  REQUIRE(wei);
  CHECK(to_quantity(*wei) == "0x3635c9adc5dea00000");
  CHECK(wei->dec() == "1000000000000000000000");
  CHECK_FALSE(wei->fits_u64());
  auto max = u256::from_dec(
    "115792089237316195423570985008687907853269984665640564039457584007913129639935");
  REQUIRE(max);
  CHECK(to_quantity(*max) == "0x" + std::string(64, 'f'));
  CHECK_FALSE(u256::from_dec(
    "115792089237316195423570985008687907853269984665640564039457584007913129639936"));
  CHECK(u256::from_u64(0).minimal().empty());
  CHECK(u256::from_u64(1024).minimal() == seq::ves::bytes{0x04, 0x00});
  CHECK(parse_data("0x") == seq::ves::bytes{});
  CHECK(to_data(seq::ves::bytes{0xde, 0xad}) == "0xdead");
}
