// SPDX-License-Identifier: Apache-2.0
// adapters/chain/rlp: the examples of the Ethereum RLP specification (ethereum.org / the old
// wiki / yellow paper appendix B), round trips, and rejection of non-canonical encodings.

#include "adapters/chain/rlp.hpp"
#include "tests/adapters/chain/chain_test_util.hpp"

using namespace seq::chain;
using rlp::item;
using seq::chain::test::hex;
using seq::ves::bytes;

namespace {

bytes str_bytes(std::string_view s) {
  return bytes(s.begin(), s.end());
}

} // namespace

TEST_CASE("RLP examples of the specification", "[chain][rlp]") {
  // the string "dog" = [0x83, 'd', 'o', 'g']
  CHECK(rlp::encode(item::string("dog")) == hex("83646f67"));
  // the list ["cat", "dog"] = [0xc8, 0x83, 'c', 'a', 't', 0x83, 'd', 'o', 'g']
  CHECK(rlp::encode(item::list_of({item::string("cat"), item::string("dog")}))
        == hex("c88363617483646f67"));
  // the empty string = [0x80]; the empty list = [0xc0]
  CHECK(rlp::encode(item::string("")) == hex("80"));
  CHECK(rlp::encode(item::list_of({})) == hex("c0"));
  // the integer 0 = [0x80]; the byte '\x00' = [0x00]; the byte '\x0f' = [0x0f]
  CHECK(rlp::encode(item::uint(0)) == hex("80"));
  CHECK(rlp::encode(item::string(bytes{0x00})) == hex("00"));
  CHECK(rlp::encode(item::string(bytes{0x0f})) == hex("0f"));
  // the bytes '\x04\x00' = [0x82, 0x04, 0x00]; the integer 1024 likewise
  CHECK(rlp::encode(item::string(bytes{0x04, 0x00})) == hex("820400"));
  CHECK(rlp::encode(item::uint(1024)) == hex("820400"));
  CHECK(rlp::encode_uint(1024) == hex("820400"));
  // the set-theoretical representation of three: [ [], [[]], [ [], [[]] ] ]
  auto three =
    item::list_of({item::list_of({}), item::list_of({item::list_of({})}),
                   item::list_of({item::list_of({}), item::list_of({item::list_of({})})})});
  CHECK(rlp::encode(three) == hex("c7c0c1c0c3c0c1c0"));
  // a 56-byte string takes the long form: [0xb8, 0x38, …]
  auto lorem = std::string{"Lorem ipsum dolor sit amet, consectetur adipisicing elit"};
  REQUIRE(lorem.size() == 56);
  auto enc = rlp::encode(item::string(lorem));
  bytes expected{0xb8, 0x38};
  auto lb = str_bytes(lorem);
  expected.insert(expected.end(), lb.begin(), lb.end());
  CHECK(enc == expected);
  // a single byte ≥ 0x80 needs a header; integers up to 2^64 − 1
  CHECK(rlp::encode(item::string(bytes{0x80})) == hex("8180"));
  CHECK(rlp::encode_uint(127) == hex("7f"));
  CHECK(rlp::encode_uint(128) == hex("8180"));
  CHECK(rlp::encode_uint(UINT64_MAX) == hex("88ffffffffffffffff"));
}

TEST_CASE("RLP long lists and round trips", "[chain][rlp]") {
  std::vector<item> many;
  for (int i = 0; i < 40; ++i)
    many.push_back(item::string("ab")); // 40 × 3 bytes = 120-byte payload
  auto list = item::list_of(many);
  auto enc = rlp::encode(list);
  REQUIRE(enc.size() == 122);
  CHECK(enc[0] == 0xf8);
  CHECK(enc[1] == 120);
  auto back = rlp::decode(enc);
  REQUIRE(back);
  CHECK(*back == list);

  bytes big(1024, 0x61);
  auto enc_big = rlp::encode(item::string(big));
  CHECK(enc_big[0] == 0xb9);
  CHECK(enc_big[1] == 0x04);
  CHECK(enc_big[2] == 0x00);
  auto back_big = rlp::decode(enc_big);
  REQUIRE(back_big);
  CHECK(back_big->str == big);

  auto three = rlp::decode(hex("c7c0c1c0c3c0c1c0"));
  REQUIRE(three);
  REQUIRE(three->is_list);
  CHECK(three->list.size() == 3);
  CHECK(three->list[2].list[1].list[0].is_list);

  auto n = rlp::decode(hex("820400"));
  REQUIRE(n);
  auto v = rlp::as_uint(*n);
  REQUIRE(v);
  CHECK(v->low_u64() == 1024);
}

TEST_CASE("RLP decoding rejects non-canonical and truncated input", "[chain][rlp]") {
  CHECK_FALSE(rlp::decode(bytes{}));
  CHECK_FALSE(rlp::decode(hex("8100")));   // single byte < 0x80 wrapped in a header
  CHECK_FALSE(rlp::decode(hex("b80100"))); // long form for a 1-byte string
  CHECK_FALSE(rlp::decode(hex("b90001" + std::string(2, '0')))); // length with a leading zero
  CHECK_FALSE(rlp::decode(hex("83646f")));                       // payload past the end
  CHECK_FALSE(rlp::decode(hex("83646f6700")));                   // trailing bytes
  CHECK_FALSE(rlp::decode(hex("c88363617483646f")));             // list payload past the end
  auto lz = rlp::decode(hex("820004"));                          // integer with a leading zero
  REQUIRE(lz);
  CHECK_FALSE(rlp::as_uint(*lz));
}
