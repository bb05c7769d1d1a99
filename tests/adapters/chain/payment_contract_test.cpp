// SPDX-License-Identifier: Apache-2.0
// adapters/chain/payment_contract: selectors (computed, and checked against well-known ERC-20
// values and the compiler's method identifiers of deploy/contracts/VesPaymentBatch.sol),
// settleBatch calldata with its three dynamic arrays byte for byte, the ERC-20 calls, return
// decoding, and the CAF round trip of the settlement messages.

#include "adapters/chain/payment_contract.hpp"
#include "messages/settlement.hpp"
#include "tests/adapters/chain/chain_test_util.hpp"

#include <string>
#include <vector>

#include "caf/binary_deserializer.hpp"
#include "caf/binary_serializer.hpp"

using namespace seq::chain;
using seq::chain::test::h32;
using seq::chain::test::hex;
using seq::ves::bytes;

namespace {

/// A 32-byte word in hex: `digits` left-padded with zeros.
std::string word(const std::string& digits) {
  return std::string(64 - digits.size(), '0') + digits;
}

std::string sel_hex(const char* signature) {
  return seq::ves::to_hex(function_selector(signature));
}

seq::ves::uuid uuid_of(const std::string& s) {
  auto u = seq::ves::uuid::parse(s);
  if (!u)
    FAIL("bad uuid " << s);
  return *u;
}

seq::msg::evm_address evm(const std::string& s) {
  auto a = address::parse(s);
  if (!a)
    FAIL("bad address " << s);
  return a->b;
}

/// The batch of the calldata examples below.
seq::msg::settle_payment_batch example_batch() {
  seq::msg::settle_payment_batch b;
  b.batch_id = uuid_of("11111111-2222-4333-8444-555555555555");
  b.tenant_id = uuid_of("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
  b.store_id = uuid_of("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb");
  b.merkle_root = h32(std::string(64, '1'));
  b.state_root = h32(std::string(64, '2'));
  b.sequence_start = 5;
  b.sequence_end = 9;
  b.payment_count = 4;
  b.token = evm("0x00000000000000000000000000000000000000aa");
  b.transfers = {{evm("0x0000000000000000000000000000000000000001"),
                  evm("0x0000000000000000000000000000000000000003"), 350},
                 {evm("0x0000000000000000000000000000000000000002"),
                  evm("0x0000000000000000000000000000000000000003"), 1000}};
  return b;
}

/// The nine static head words of example_batch().
std::string example_static_words() {
  return word("11111111222243338444555555555555" + std::string(32, '0'))
         + word("aaaaaaaaaaaa4aaa8aaaaaaaaaaaaaaa" + std::string(32, '0'))
         + word("bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbbb" + std::string(32, '0'))
         + std::string(64, '1') + std::string(64, '2') + word("5") + word("9") + word("4")
         + word("aa");
}

} // namespace

TEST_CASE("settlement and ERC-20 selectors", "[payment_contract][chain]") {
  SECTION("well-known ERC-20 selectors") {
    CHECK(sel_hex(erc20::transfer_sig) == "a9059cbb");
    CHECK(sel_hex(erc20::approve_sig) == "095ea7b3");
    CHECK(sel_hex(erc20::balance_of_sig) == "70a08231");
    CHECK(sel_hex(erc20::transfer_from_sig) == "23b872dd");
    CHECK(sel_hex(erc20::allowance_sig) == "dd62ed3e");
    CHECK(sel_hex(erc20::mint_sig) == "40c10f19");
    // the ERC-20 Transfer event's topic0
    CHECK(seq::ves::to_hex(keccak256(std::string_view{"Transfer(address,address,uint256)"}))
          == "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
  }
  SECTION("VesPaymentBatch selectors as solc 0.8.26 lists them in methodIdentifiers") {
    CHECK(sel_hex(payment_batch::settle_batch_sig) == "276c1853");
    CHECK(sel_hex(payment_batch::is_settled_sig) == "bd07f3c9");
    CHECK(sel_hex(payment_batch::get_settlement_sig) == "c3e6ace0");
    CHECK(sel_hex(payment_batch::set_settler_authorization_sig) == "26c33b08");
    // the same name and arguments as StateSetAnchor's getLatestSequence (ves-crypto §14)
    CHECK(sel_hex(payment_batch::get_latest_sequence_sig) == "2acb5530");
  }
  SECTION("a selector is the first four bytes of keccak256(signature)") {
    for (const char* sig : {payment_batch::settle_batch_sig, payment_batch::is_settled_sig,
                            payment_batch::get_settlement_sig, erc20::transfer_sig}) {
      INFO(sig);
      auto k = keccak256(std::string_view{sig});
      CHECK(function_selector(sig) == selector{k[0], k[1], k[2], k[3]});
    }
    CHECK(payment_batch::batch_settled_topic()
          == keccak256(std::string_view{
            "BatchSettled(bytes32,bytes32,bytes32,bytes32,bytes32,uint64,uint64,uint32,address,"
            "uint256,uint256)"}));
  }
}

TEST_CASE("settleBatch calldata encodes the three dynamic arrays exactly",
          "[payment_contract][chain]") {
  SECTION("two aggregated transfers") {
    auto cd = payment_batch::settle_batch(example_batch());
    // selector + 12 head words (9 static, 3 offsets) + 3 tails of (length + 2 words)
    CHECK(cd.size() == 4 + 12 * 32 + 3 * 3 * 32);
    auto expected = "276c1853" + example_static_words()
                    + word("180")  // from[]: after the 12 head words
                    + word("1e0")  // to[]: + 3 words
                    + word("240")  // amounts[]: + 3 more
                    + word("2") + word("1") + word("2")          // from = [0x…01, 0x…02]
                    + word("2") + word("3") + word("3")          // to = [0x…03, 0x…03]
                    + word("2") + word("15e") + word("3e8");     // amounts = [350, 1000]
    CHECK(seq::ves::to_hex(cd) == expected);
  }
  SECTION("no transfers: three empty arrays") {
    auto b = example_batch();
    b.transfers.clear();
    auto cd = payment_batch::settle_batch(b);
    CHECK(seq::ves::to_hex(cd)
          == "276c1853" + example_static_words() + word("180") + word("1a0") + word("1c0")
               + word("0") + word("0") + word("0"));
  }
  SECTION("full 20-byte addresses and a 64-bit amount") {
    auto b = example_batch();
    b.transfers = {{evm("0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1"),
                    evm("0xffcf8fdee72ac11b5c542428b35eef5769c409f0"), UINT64_MAX}};
    auto h = seq::ves::to_hex(payment_batch::settle_batch(b));
    auto tails = h.substr(8 + 12 * 64);
    CHECK(tails == word("1") + word("90f8bf6a479f320ead074411a4b0e7944ea8c9c1") + word("1")
                     + word("ffcf8fdee72ac11b5c542428b35eef5769c409f0") + word("1")
                     + word("ffffffffffffffff"));
  }
}

TEST_CASE("the small calls: isSettled, getSettlement, authorisation and ERC-20",
          "[payment_contract][chain]") {
  auto id = uuid_of("11111111-2222-4333-8444-555555555555");
  auto id_word = word("11111111222243338444555555555555" + std::string(32, '0'));
  CHECK(seq::ves::to_hex(payment_batch::is_settled(id)) == "bd07f3c9" + id_word);
  CHECK(seq::ves::to_hex(payment_batch::get_settlement(id)) == "c3e6ace0" + id_word);
  auto a = address::parse("0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1");
  auto b = address::parse("0xffcf8fdee72ac11b5c542428b35eef5769c409f0");
  REQUIRE(a);
  REQUIRE(b);
  auto aw = word("90f8bf6a479f320ead074411a4b0e7944ea8c9c1");
  auto bw = word("ffcf8fdee72ac11b5c542428b35eef5769c409f0");
  CHECK(seq::ves::to_hex(payment_batch::set_settler_authorization(*a, true))
        == "26c33b08" + aw + word("1"));
  CHECK(seq::ves::to_hex(erc20::balance_of(*a)) == "70a08231" + aw);
  CHECK(seq::ves::to_hex(erc20::allowance(*a, *b)) == "dd62ed3e" + aw + bw);
  CHECK(seq::ves::to_hex(erc20::transfer(*b, u256::from_u64(1000)))
        == "a9059cbb" + bw + word("3e8"));
  CHECK(seq::ves::to_hex(erc20::transfer_from(*a, *b, u256::from_u64(1)))
        == "23b872dd" + aw + bw + word("1"));
  CHECK(seq::ves::to_hex(erc20::mint(*a, u256::from_u64(1'000'000)))
        == "40c10f19" + aw + word("f4240"));
  auto max = u256::from_dec(
    "115792089237316195423570985008687907853269984665640564039457584007913129639935");
  REQUIRE(max);
  CHECK(seq::ves::to_hex(erc20::approve(*b, *max)) == "095ea7b3" + bw + std::string(64, 'f'));
}

TEST_CASE("settlement return data decodes, and malformed data is refused",
          "[payment_contract][chain]") {
  SECTION("isSettled") {
    CHECK(payment_batch::decode_is_settled(hex(word("1"))) == true);
    CHECK(payment_batch::decode_is_settled(hex(word("0"))) == false);
    auto not_bool = payment_batch::decode_is_settled(hex(word("2")));
    REQUIRE_FALSE(not_bool);
    CHECK(not_bool.error() == seq::errc::chain_rejected);
    auto empty = payment_batch::decode_is_settled({});
    REQUIRE_FALSE(empty);
    CHECK(empty.error() == seq::errc::chain_rejected);
  }
  SECTION("getSettlement") {
    auto ret = hex(word("aa") + word("bb") + std::string(64, '1') + std::string(64, '2') + word("5")
                   + word("9") + word("4") + word("90f8bf6a479f320ead074411a4b0e7944ea8c9c1")
                   + word("2") + word("546") + word("65f0c0de") + word("2a")
                   + word("ffcf8fdee72ac11b5c542428b35eef5769c409f0"));
    auto s = payment_batch::decode_get_settlement(ret);
    REQUIRE(s);
    CHECK(s->found);
    CHECK(s->tenant_id == h32(word("aa")));
    CHECK(s->store_id == h32(word("bb")));
    CHECK(s->merkle_root == h32(std::string(64, '1')));
    CHECK(s->state_root == h32(std::string(64, '2')));
    CHECK(s->sequence_start == 5);
    CHECK(s->sequence_end == 9);
    CHECK(s->payment_count == 4);
    CHECK(s->token.hex() == "0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1");
    CHECK(s->transfer_count == 2);
    CHECK(s->total_amount == u256::from_u64(1350));
    CHECK(s->settled_at == 0x65f0c0de);
    CHECK(s->block_number == 42);
    CHECK(s->submitter.hex() == "0xffcf8fdee72ac11b5c542428b35eef5769c409f0");

    // a batch never settled: all zero → not found
    auto none = payment_batch::decode_get_settlement(bytes(13 * 32, 0));
    REQUIRE(none);
    CHECK_FALSE(none->found);

    // 12 words: not this contract
    auto short_ret = payment_batch::decode_get_settlement(bytes(12 * 32, 0));
    REQUIRE_FALSE(short_ret);
    CHECK(short_ret.error() == seq::errc::chain_rejected);
    CHECK(seq::error_message(short_ret.error()).find("VesPaymentBatch") != std::string::npos);

    // a paymentCount beyond uint32
    auto big = ret;
    big[6 * 32 + 27] = 1;
    CHECK_FALSE(payment_batch::decode_get_settlement(big));
  }
  SECTION("ERC-20 uint256 answers") {
    auto v = erc20::decode_uint256(hex(word("3e8")));
    REQUIRE(v);
    CHECK(*v == u256::from_u64(1000));
    CHECK_FALSE(erc20::decode_uint256(hex("0x01")));
  }
}

TEST_CASE("settlement messages survive CAF serialization", "[payment_contract][chain]") {
  auto b = example_batch();
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  auto check = seq::msg::check_batch_settled{b.batch_id};
  auto state = seq::msg::batch_settled_state{true};
  REQUIRE_FALSE(sink(b, check, state));
  seq::msg::settle_payment_batch b2;
  seq::msg::check_batch_settled check2;
  seq::msg::batch_settled_state state2;
  caf::binary_deserializer source{nullptr, buf};
  REQUIRE_FALSE(source(b2, check2, state2));
  CHECK(b2 == b);
  CHECK(b2.transfers.size() == 2);
  CHECK(check2 == check);
  CHECK(state2.settled);
}
