// SPDX-License-Identifier: Apache-2.0
// adapters/chain/abi and anchor_contract: the Solidity ABI specification's examples, the
// anchor calldata of the golden vectors byte for byte, the contracts' stream key, the
// SetRegistry calls, return-data decoding and revert descriptions.

#include "adapters/chain/abi.hpp"
#include "adapters/chain/anchor_contract.hpp"
#include "tests/adapters/chain/chain_test_util.hpp"

using namespace seq::chain;
using seq::chain::test::h32;
using seq::chain::test::hex;
using seq::chain::test::vec;
using seq::ves::bytes;

namespace {

seq::ves::uuid uuid_of(const std::string& s) {
  auto u = seq::ves::uuid::parse(s);
  if (!u)
    FAIL("bad uuid " << s);
  return *u;
}

hash32 word_of(uint64_t v) {
  return u256::from_u64(v).be;
}

} // namespace

TEST_CASE("ABI examples of the Solidity specification", "[chain][abi]") {
  SECTION("baz(uint32,bool) with 69 and true") {
    auto cd =
      abi::encoder{function_selector("baz(uint32,bool)")}.add_uint(69).add_bool(true).finish();
    CHECK(seq::ves::to_hex(cd)
          == "cdcd77c0"
             "0000000000000000000000000000000000000000000000000000000000000045"
             "0000000000000000000000000000000000000000000000000000000000000001");
  }
  SECTION("sam(bytes,bool,uint256[]) with \"dave\", true and [1,2,3]") {
    auto cd = abi::encoder{function_selector("sam(bytes,bool,uint256[])")}
                .add_bytes(bytes{'d', 'a', 'v', 'e'})
                .add_bool(true)
                .add_bytes32_array({word_of(1), word_of(2), word_of(3)}) // same layout as uint256[]
                .finish();
    CHECK(cd.size() == 292);
    CHECK(seq::ves::to_hex(cd)
          == "a5643bf2"
             "0000000000000000000000000000000000000000000000000000000000000060"
             "0000000000000000000000000000000000000000000000000000000000000001"
             "00000000000000000000000000000000000000000000000000000000000000a0"
             "0000000000000000000000000000000000000000000000000000000000000004"
             "6461766500000000000000000000000000000000000000000000000000000000"
             "0000000000000000000000000000000000000000000000000000000000000003"
             "0000000000000000000000000000000000000000000000000000000000000001"
             "0000000000000000000000000000000000000000000000000000000000000002"
             "0000000000000000000000000000000000000000000000000000000000000003");
  }
  SECTION("address words are left-padded") {
    auto a = address::parse("0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1");
    REQUIRE(a);
    auto cd = abi::encoder{}.add_address(*a).finish();
    CHECK(seq::ves::to_hex(cd)
          == "00000000000000000000000090f8bf6a479f320ead074411a4b0e7944ea8c9c1");
    auto back = abi::decoder(cd).addr(0);
    REQUIRE(back);
    CHECK(*back == *a);
  }
}

TEST_CASE("anchor calldata matches the golden vector byte for byte", "[chain][anchor][vectors]") {
  const auto& ex = vec({"anchor", "example"});
  seq::msg::chain_commitment c;
  c.batch_id = uuid_of(ex.find("batch_id")->as_string());
  c.tenant_id = uuid_of(ex.find("tenant_id")->as_string());
  c.store_id = uuid_of(ex.find("store_id")->as_string());
  c.events_root = h32(ex.find("events_root")->as_string());
  c.new_state_root = h32(ex.find("state_root")->as_string());
  c.prev_state_root = h32(std::string(64, 'e')); // not sent by this ABI
  c.sequence_start = ex.find("sequence_start")->as_number().u;
  c.sequence_end = ex.find("sequence_end")->as_number().u;
  c.event_count = static_cast<uint32_t>(ex.find("event_count")->as_number().u);
  auto cd = stateset_anchor::anchor(c);
  CHECK(cd.size() == ex.find("calldata_length")->as_number().u);
  CHECK(seq::ves::to_hex(cd) == ex.find("calldata_hex")->as_string());
  CHECK(seq::ves::to_hex(cd).substr(0, 8) == "012f9824");
}

TEST_CASE("UUIDs go on chain left-aligned; the stream key is keccak(tenant32 || store32)",
          "[chain][anchor][vectors]") {
  auto id = uuid_of("64527dd3-a654-4410-9327-e58a1492ce77");
  auto b = uuid_to_bytes32(id);
  CHECK(seq::ves::to_hex(b) == "64527dd3a65444109327e58a1492ce77" + std::string(32, '0'));
  CHECK(bytes32_to_uuid(b) == id);
  b[31] = 1;
  CHECK_FALSE(bytes32_to_uuid(b));

  const auto& k = vec({"anchor", "contract_tenant_store_key"});
  CHECK(seq::ves::to_hex(tenant_store_key(uuid_of(k.find("tenant_id")->as_string()),
                                          uuid_of(k.find("store_id")->as_string())))
        == k.find("key")->as_string());
}

TEST_CASE("SetRegistry calls", "[chain][anchor]") {
  auto batch = uuid_of("66666666-6666-4666-8666-666666666666");
  SECTION("commitBatch sends both state roots: selector + 9 words") {
    seq::msg::chain_commitment c;
    c.batch_id = batch;
    c.tenant_id = uuid_of("00000000-0000-0000-0000-000000000001");
    c.store_id = uuid_of("00000000-0000-0000-0000-000000000002");
    c.events_root = h32(std::string(64, 'a'));
    c.prev_state_root = h32(std::string(64, 'b'));
    c.new_state_root = h32(std::string(64, 'c'));
    c.sequence_start = 4;
    c.sequence_end = 6;
    c.event_count = 3;
    auto cd = set_registry::commit_batch(c);
    REQUIRE(cd.size() == 4 + 9 * 32);
    auto hexs = seq::ves::to_hex(cd);
    CHECK(hexs.substr(0, 8) == seq::ves::to_hex(function_selector(set_registry::commit_batch_sig)));
    CHECK(hexs.substr(8 + 4 * 64, 64) == std::string(64, 'b'));
    CHECK(hexs.substr(8 + 5 * 64, 64) == std::string(64, 'c'));
    CHECK(hexs.substr(8 + 8 * 64, 64) == std::string(63, '0') + "3");
  }
  SECTION("verifyInclusion: the proof array goes to the tail") {
    std::vector<hash32> path{h32(std::string(64, '1')), h32(std::string(64, '2'))};
    auto leaf = h32(std::string(64, 'f'));
    auto cd = set_registry::verify_inclusion(batch, leaf, path, 5);
    REQUIRE(cd.size() == 4 + 7 * 32);
    CHECK(seq::ves::to_hex(cd).substr(0, 8) == "76d3ad48");
    abi::decoder d(bytes(cd.begin() + 4, cd.end()));
    CHECK(d.bytes32(0) == uuid_to_bytes32(batch));
    CHECK(d.bytes32(1) == leaf);
    CHECK(d.uint64(2) == 128u); // offset of the array: 4 head words
    CHECK(d.uint64(3) == 5u);
    CHECK(d.bytes32_array(2) == path);
  }
}

TEST_CASE("decoding the contracts' commitment getters", "[chain][anchor]") {
  auto w = [](uint64_t v) { return word_of(v); };
  auto cat = [](std::initializer_list<hash32> ws) {
    bytes out;
    for (const auto& x : ws)
      out.insert(out.end(), x.begin(), x.end());
    return out;
  };
  hash32 by{};
  by[31] = 0xc1;
  by[12] = 0x90;
  auto t = h32(std::string(64, '1')), s = h32(std::string(64, '2'));
  auto er = h32(std::string(64, '3')), sr = h32(std::string(64, '4'));
  SECTION("StateSetAnchor commitments(bytes32): 10 words") {
    auto c = stateset_anchor::decode_commitments(
      cat({h32(std::string(64, '9')), t, s, er, sr, w(1), w(3), w(3), w(1700000000), by}));
    REQUIRE(c);
    CHECK(c->found);
    CHECK(c->tenant_id == t);
    CHECK(c->store_id == s);
    CHECK(c->events_root == er);
    CHECK(c->state_root == sr);
    CHECK(c->sequence_start == 1);
    CHECK(c->sequence_end == 3);
    CHECK(c->event_count == 3);
    CHECK(c->anchored_at == 1700000000);
    CHECK(c->anchored_by[0] == 0x90);
    CHECK(c->anchored_by[19] == 0xc1);
    auto missing = stateset_anchor::decode_commitments(bytes(320, 0));
    REQUIRE(missing);
    CHECK_FALSE(missing->found);
  }
  SECTION("StateSetAnchor getCommitment(bytes32): 9 words") {
    auto c = stateset_anchor::decode_get_commitment(
      cat({t, s, er, sr, w(4), w(9), w(6), w(1700000001), by}));
    REQUIRE(c);
    CHECK(c->found);
    CHECK(c->sequence_start == 4);
    CHECK(c->sequence_end == 9);
    CHECK(c->event_count == 6);
  }
  SECTION("SetRegistry commitments(bytes32): 8 words") {
    auto prev = h32(std::string(64, '5'));
    auto c = set_registry::decode_commitments(cat({er, prev, sr, w(1), w(2), w(2), w(17), by}));
    REQUIRE(c);
    CHECK(c->found);
    CHECK(c->prev_state_root == prev);
    CHECK(c->state_root == sr);
    CHECK(c->anchored_at == 17);
  }
  SECTION("short or malformed return data is a clear error") {
    auto e = stateset_anchor::decode_commitments(bytes{});
    REQUIRE_FALSE(e);
    CHECK(e.error() == seq::errc::chain_rejected);
    CHECK(seq::error_message(e.error()).find("anchor contract") != std::string::npos);
    auto bad_addr = cat({er, er, sr, w(1), w(2), w(2), w(17), h32(std::string(64, 'f'))});
    CHECK_FALSE(set_registry::decode_commitments(bad_addr));
    CHECK_FALSE(abi::decoder(cat({w(2)})).boolean(0));
    CHECK(abi::decoder(cat({w(1)})).boolean(0) == true);
  }
}

TEST_CASE("revert data is described readably", "[chain][abi]") {
  // Error("Already anchored")
  auto err = abi::encoder{function_selector("Error(string)")}
               .add_bytes(bytes{'A', 'l', 'r', 'e', 'a', 'd', 'y', ' ', 'a', 'n', 'c', 'h', 'o',
                                'r', 'e', 'd'})
               .finish();
  CHECK(abi::describe_revert(err) == "Already anchored");
  auto panic = abi::encoder{function_selector("Panic(uint256)")}.add_uint(0x11).finish();
  CHECK(abi::describe_revert(panic) == "panic 0x11");
  auto gap =
    abi::encoder{function_selector("SequenceGap(uint64,uint64)")}.add_uint(4).add_uint(6).finish();
  CHECK(abi::describe_revert(gap) == "SequenceGap(expected 4, provided 6)");
  auto mismatch = abi::encoder{function_selector("StateRootMismatch(bytes32,bytes32)")}
                    .add_bytes32(h32(std::string(64, 'a')))
                    .add_bytes32(h32(std::string(64, 'b')))
                    .finish();
  CHECK(abi::describe_revert(mismatch)
        == "StateRootMismatch(expected 0x" + std::string(64, 'a') + ", provided 0x"
             + std::string(64, 'b') + ")");
  CHECK(abi::describe_revert(abi::encoder{function_selector("NotAuthorizedSequencer()")}.finish())
        == "NotAuthorizedSequencer()");
  CHECK(abi::describe_revert(bytes{}) == "reverted without a reason");
  CHECK(abi::describe_revert(hex("deadbeef")) == "custom error 0xdeadbeef");
}
