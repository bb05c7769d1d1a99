// SPDX-License-Identifier: Apache-2.0
// adapters/chain/transaction + signer: EIP-155's worked example (signing data, signing hash,
// v/r/s, signed transaction), an EIP-1559 vector, and sign → decode → recover round trips.

#include "adapters/chain/transaction.hpp"
#include "tests/adapters/chain/chain_test_util.hpp"

using namespace seq::chain;
using seq::chain::test::h32;
using seq::chain::test::hex;

TEST_CASE("EIP-155: the specification's example transaction", "[chain][tx][eip155]") {
  legacy_tx t;
  t.chain_id = 1;
  t.nonce = 9;
  t.gas_price = u256::from_u64(20'000'000'000);
  t.gas_limit = 21000;
  t.to = address::parse("0x3535353535353535353535353535353535353535");
  t.value = *u256::from_dec("1000000000000000000");
  auto key =
    private_key::from_hex("0x4646464646464646464646464646464646464646464646464646464646464646");
  REQUIRE(key);

  CHECK(
    signing_payload(t)
    == hex("0xec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000"
           "80018080"));
  CHECK(signing_hash(t)
        == h32("0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53"));

  auto sig = key->sign(signing_hash(t));
  u256 r, s;
  r.be = sig.r;
  s.be = sig.s;
  CHECK(1 * 2 + 35 + sig.recid == 37);
  CHECK(r.dec() == "18515461264373351373200002665853028612451056578545711640558177340181847433846");
  CHECK(s.dec() == "46948507304638947509940763649030358759909902576025900602547168820602576006531");

  auto stx = sign(t, *key);
  CHECK(
    stx.raw
    == hex("0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000"
           "8025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d899"
           "7f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"));
  CHECK(stx.hash == keccak256(stx.raw));

  auto back = decode_signed(stx.raw);
  REQUIRE(back);
  CHECK(back->sender.checksummed() == "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F");
  CHECK(back->hash == stx.hash);
  auto* lt = std::get_if<legacy_tx>(&back->tx);
  REQUIRE(lt);
  CHECK(lt->chain_id == 1);
  CHECK(lt->nonce == 9);
  CHECK(lt->gas_limit == 21000);
  CHECK(lt->value.dec() == "1000000000000000000");
  CHECK(lt->to == t.to);
}

TEST_CASE("EIP-1559: a published type-2 vector (contract creation, chain 1559)",
          "[chain][tx][eip1559]") {
  // Nethereum's EIP-1559 signing scenario: chainId 1559, nonce 0, maxPriorityFee 3, maxFee 4,
  // gas 3500, no recipient, value 10, no data.
  eip1559_tx t;
  t.chain_id = 1559;
  t.nonce = 0;
  t.max_priority_fee_per_gas = u256::from_u64(3);
  t.max_fee_per_gas = u256::from_u64(4);
  t.gas_limit = 3500;
  t.value = u256::from_u64(10);
  CHECK(signing_payload(t) == hex("02cd820617800304820dac800a80c0"));
  auto key =
    private_key::from_hex("0xb5b1870957d373ef0eeffecc6e4812c0fd08f554b37b233526acc331bf1544f7");
  REQUIRE(key);
  auto stx = sign(t, *key);
  CHECK(
    stx.raw
    == hex("02f850820617800304820dac800a80c080a0de12484b58bd47130bf9964740b4d68e42bcbbbc39b2eed5"
           "b917f0ae66f5e630a01b0d7aa6a810d63c25c115ef217e37023bbe3146b9bb1fe580d004d6432f7f32"));
  auto back = decode_signed(stx.raw);
  REQUIRE(back);
  CHECK(back->sender == key->addr());
  CHECK_FALSE(std::get<eip1559_tx>(back->tx).to);
}

TEST_CASE("EIP-1559 sign, decode and recover the sender", "[chain][tx][eip1559]") {
  auto key =
    private_key::from_hex("4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d");
  REQUIRE(key);
  eip1559_tx t;
  t.chain_id = 84532001;
  t.nonce = 42;
  t.max_priority_fee_per_gas = u256::from_u64(1'000'000'000);
  t.max_fee_per_gas = u256::from_u64(3'000'000'000);
  t.gas_limit = 120000;
  t.to = address::parse("0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab");
  t.data = hex("012f9824" + std::string(64 * 8, '7'));
  auto stx = sign(t, *key);
  REQUIRE(stx.raw.size() > 2);
  CHECK(stx.raw[0] == 0x02);
  CHECK(stx.hash == keccak256(stx.raw));

  auto back = decode_signed(stx.raw);
  REQUIRE(back);
  CHECK(back->sender.checksummed() == "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1");
  CHECK(back->hash == stx.hash);
  const auto& d = std::get<eip1559_tx>(back->tx);
  CHECK(d.chain_id == 84532001);
  CHECK(d.nonce == 42);
  CHECK(d.gas_limit == 120000);
  CHECK(d.to == t.to);
  CHECK(d.data == t.data);
  CHECK(d.max_fee_per_gas.low_u64() == 3'000'000'000);
  CHECK(recover_address(signing_hash(t), back->sig) == key->addr());

  SECTION("a different chain id recovers a different sender") {
    auto other = t;
    other.chain_id = 1;
    auto wrong = recover_address(signing_hash(other), back->sig);
    REQUIRE(wrong);
    CHECK(*wrong != key->addr());
  }
  SECTION("a flipped byte in the payload breaks the signature") {
    auto raw = stx.raw;
    raw[raw.size() - 70] ^= 0x01; // inside the calldata
    auto tampered = decode_signed(raw);
    if (tampered)
      CHECK(tampered->sender != key->addr());
  }
  SECTION("signatures are low-s and deterministic (RFC 6979)") {
    auto s1 = key->sign(signing_hash(t));
    auto s2 = key->sign(signing_hash(t));
    CHECK(s1 == s2);
    CHECK(s1.s[0] < 0x80);
  }
}

TEST_CASE("decoding rejects what it cannot trust", "[chain][tx]") {
  CHECK_FALSE(decode_signed(hex("")));
  CHECK_FALSE(decode_signed(hex("01c0"))); // EIP-2930 is not supported
  // a pre-EIP-155 signature (v = 28): replayable on every chain
  auto pre155 =
    hex("f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400"
        "00801ca028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8"
        "997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83");
  auto e = decode_signed(pre155);
  REQUIRE_FALSE(e);
  CHECK(seq::error_message(e.error()).find("EIP-155") != std::string::npos);
}
