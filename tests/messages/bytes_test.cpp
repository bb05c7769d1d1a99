// SPDX-License-Identifier: Apache-2.0
// messages/ves/bytes: hex, base64url/base64, UUID forms and the big-endian writers.

#include "messages/ves/bytes.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <thread>
#include <vector>

namespace ves = seq::ves;

namespace {

ves::bytes b(std::initializer_list<uint8_t> xs) {
  return ves::bytes(xs);
}

} // namespace

TEST_CASE("hex encoding and decoding", "[bytes]") {
  CHECK(ves::to_hex(b({0x00, 0x0f, 0xa5, 0xff})) == "000fa5ff");
  CHECK(ves::to_hex(ves::bytes{}).empty());
  CHECK(ves::to_0x_hex(b({0xab})) == "0xab");
  SECTION("either case, optional lowercase 0x") {
    CHECK(ves::from_hex("ABcd01") == b({0xab, 0xcd, 0x01}));
    CHECK(ves::from_hex("0xABcd") == b({0xab, 0xcd}));
    CHECK(ves::from_hex("") == ves::bytes{});
    CHECK(ves::from_hex("0x") == ves::bytes{});
  }
  SECTION("0X, odd length, non-hex digits are rejected") {
    CHECK_FALSE(ves::from_hex("0Xab").has_value());
    CHECK_FALSE(ves::from_hex("abc").has_value());
    CHECK_FALSE(ves::from_hex("0xabc").has_value());
    CHECK_FALSE(ves::from_hex("zz").has_value());
    CHECK_FALSE(ves::from_hex(" ab").has_value());
    CHECK_FALSE(ves::from_hex("0x0x").has_value());
  }
  SECTION("without allow_0x the prefix is not stripped") {
    CHECK_FALSE(ves::from_hex("0xab", false).has_value());
    CHECK(ves::from_hex("00ab", false) == b({0x00, 0xab}));
  }
  SECTION("fixed-size decoding") {
    auto h = ves::from_hex_fixed<4>("0xdeadBEEF");
    REQUIRE(h.has_value());
    CHECK((*h == std::array<uint8_t, 4>{0xde, 0xad, 0xbe, 0xef}));
    CHECK_FALSE(ves::from_hex_fixed<4>("deadbe").has_value());
    CHECK_FALSE(ves::from_hex_fixed<4>("deadbeef00").has_value());
    CHECK_FALSE(ves::from_hex_fixed<4>("0xdeadbeef", false).has_value());
  }
}

TEST_CASE("base64url", "[bytes]") {
  SECTION("encoders emit unpadded url-safe text") {
    CHECK(ves::base64url_encode(ves::bytes{}).empty());
    CHECK(ves::base64url_encode(b({0xff})) == "_w");
    CHECK(ves::base64url_encode(b({0xfe, 0xff})) == "_v8");
    CHECK(ves::base64url_encode(b({0xfb, 0xff, 0xbf})) == "-_-_");
    CHECK(ves::base64url_encode(std::string_view{"hello"}) == "aGVsbG8");
  }
  SECTION("unpadded and correctly padded input are accepted") {
    CHECK(ves::base64url_decode("AA") == b({0x00}));
    CHECK(ves::base64url_decode("AA==") == b({0x00}));
    CHECK(ves::base64url_decode("AAE") == b({0x00, 0x01}));
    CHECK(ves::base64url_decode("AAE=") == b({0x00, 0x01}));
    CHECK(ves::base64url_decode("AAEC") == b({0x00, 0x01, 0x02}));
    CHECK(ves::base64url_decode("") == ves::bytes{});
    CHECK(ves::base64url_decode("-_-_") == b({0xfb, 0xff, 0xbf}));
  }
  SECTION("wrong padding, wrong alphabet and impossible lengths are rejected") {
    CHECK_FALSE(ves::base64url_decode("AA=").has_value());
    CHECK_FALSE(ves::base64url_decode("AA===").has_value());
    CHECK_FALSE(ves::base64url_decode("AAE==").has_value());
    CHECK_FALSE(ves::base64url_decode("AAEC====").has_value());
    CHECK_FALSE(ves::base64url_decode("AA=A").has_value());
    CHECK_FALSE(ves::base64url_decode("A").has_value());
    CHECK_FALSE(ves::base64url_decode("AAAAA").has_value());
    CHECK_FALSE(ves::base64url_decode("+/8=").has_value());
    CHECK_FALSE(ves::base64url_decode("AA AA").has_value());
    CHECK_FALSE(ves::base64url_decode("====").has_value());
  }
  SECTION("non-zero trailing bits are rejected") {
    CHECK_FALSE(ves::base64url_decode("AB").has_value());
    CHECK_FALSE(ves::base64url_decode("_x").has_value());
    CHECK_FALSE(ves::base64url_decode("AAF").has_value());
    CHECK_FALSE(ves::base64url_decode("AAF=").has_value());
  }
  SECTION("strict mode accepts only the canonical unpadded form") {
    CHECK(ves::base64url_decode("AAE", true) == b({0x00, 0x01}));
    CHECK_FALSE(ves::base64url_decode("AAE=", true).has_value());
    CHECK_FALSE(ves::base64url_decode("AA==", true).has_value());
    CHECK_FALSE(ves::base64url_decode("AB", true).has_value());
  }
  SECTION("round trip of every length up to 64") {
    ves::bytes data;
    for (int n = 0; n <= 64; ++n) {
      auto enc = ves::base64url_encode(data);
      CHECK(enc.size() == (data.size() * 4 + 2) / 3);
      CHECK(ves::base64url_decode(enc, true) == data);
      data.push_back(static_cast<uint8_t>(n * 37 + 11));
    }
  }
}

TEST_CASE("standard base64 for config keys", "[bytes]") {
  CHECK(ves::base64_decode_any("+/8=") == b({0xfb, 0xff}));
  CHECK(ves::base64_decode_any("+/8") == b({0xfb, 0xff}));
  CHECK(ves::base64_decode_any("aGVsbG8=") == ves::bytes{'h', 'e', 'l', 'l', 'o'});
  CHECK_FALSE(ves::base64_decode_any("-_8").has_value());
  CHECK_FALSE(ves::base64_decode_any("+/9").has_value());
  CHECK_FALSE(ves::base64_decode_any("aGVsbG8==").has_value());
}

TEST_CASE("uuid parsing and printing", "[bytes][uuid]") {
  const std::string canonical = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";
  auto expected = ves::uuid::parse(canonical);
  REQUIRE(expected.has_value());
  CHECK(ves::to_hex(expected->b) == "a1b2c3d4e5f67890abcdef1234567890");
  CHECK(expected->str() == canonical);
  SECTION("accepted forms, any case") {
    for (auto s : {"A1B2C3D4-E5F6-7890-ABCD-EF1234567890", "a1b2c3d4e5f67890abcdef1234567890",
                   "A1B2C3D4E5F67890ABCDEF1234567890", "{a1b2c3d4-e5f6-7890-abcd-ef1234567890}",
                   "urn:uuid:a1b2c3d4-e5f6-7890-abcd-ef1234567890"}) {
      INFO(s);
      auto u = ves::uuid::parse(s);
      REQUIRE(u.has_value());
      CHECK(*u == *expected);
    }
  }
  SECTION("rejected forms") {
    for (auto s : {"", "a1b2c3d4-e5f6-7890-abcd-ef123456789",
                   "a1b2c3d4-e5f6-7890-abcd-ef12345678901",
                   "a1b2c3d4e5f6-7890-abcd-ef1234567890-", "a1b2c3d4-e5f67890-abcd-ef12-34567890",
                   "g1b2c3d4-e5f6-7890-abcd-ef1234567890", "{a1b2c3d4-e5f6-7890-abcd-ef1234567890",
                   "(a1b2c3d4-e5f6-7890-abcd-ef1234567890)", "a1b2c3d4e5f67890abcdef123456789",
                   " a1b2c3d4-e5f6-7890-abcd-ef123456789"}) {
      INFO(s);
      CHECK_FALSE(ves::uuid::parse(s).has_value());
    }
  }
  SECTION("nil") {
    CHECK(ves::uuid{}.is_nil());
    CHECK(ves::uuid{}.str() == "00000000-0000-0000-0000-000000000000");
    CHECK_FALSE(expected->is_nil());
  }
  SECTION("random v4 sets version and variant bits") {
    // 1,000 ids span several refills of the thread's pool (256 ids each), and another
    // thread's pool is drawn separately.
    std::set<ves::uuid> seen;
    for (int i = 0; i < 1000; ++i) {
      auto u = ves::uuid::random_v4();
      CHECK((u.b[6] & 0xf0) == 0x40);
      CHECK((u.b[8] & 0xc0) == 0x80);
      CHECK(u.str()[14] == '4');
      seen.insert(u);
    }
    std::vector<ves::uuid> other;
    std::thread([&] {
      for (int i = 0; i < 300; ++i)
        other.push_back(ves::uuid::random_v4());
    }).join();
    seen.insert(other.begin(), other.end());
    CHECK(seen.size() == 1300);
  }
  SECTION("ordering follows the bytes") {
    auto a = ves::uuid::parse("00000000-0000-0000-0000-000000000001");
    auto c = ves::uuid::parse("00000000-0000-0000-0000-000000000002");
    CHECK(*a < *c);
  }
}

TEST_CASE("big-endian writers and ENC_STR", "[bytes]") {
  ves::bytes out;
  ves::put_u32_be(out, 0x01020304);
  ves::put_u64_be(out, 0x1122334455667788ull);
  ves::put_enc_str(out, "caf\xc3\xa9");
  ves::put_enc_str(out, "");
  ves::put_raw(out, std::string_view{"ab"});
  const uint8_t raw[] = {0xfe};
  ves::put_raw(out, raw, 1);
  CHECK(ves::to_hex(out)
        == "01020304" "1122334455667788" "00000005636166c3a9" "00000000" "6162" "fe");
}
