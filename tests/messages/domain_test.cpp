// SPDX-License-Identifier: Apache-2.0
// messages/domain.cpp (time formats, RFC 3339 parsing, stream keys) and messages/errc.cpp.

#include "messages/domain.hpp"
#include "messages/errc.hpp"

#include <catch2/catch.hpp>

namespace msg = seq::msg;

namespace {

constexpr int64_t us = 1'000'000;
constexpr int64_t jan_1_2025 = 1'735'689'600; // 2025-01-01T00:00:00Z

} // namespace

TEST_CASE("RFC 3339 output in chrono's forms", "[domain][time]") {
  CHECK(msg::rfc3339_z(0) == "1970-01-01T00:00:00Z");
  CHECK(msg::rfc3339_offset(0) == "1970-01-01T00:00:00+00:00");
  CHECK(msg::rfc3339_z(jan_1_2025 * us + 123456) == "2025-01-01T00:00:00.123456Z");
  CHECK(msg::rfc3339_offset(jan_1_2025 * us + 123456) == "2025-01-01T00:00:00.123456+00:00");
  CHECK(msg::rfc3339_z(jan_1_2025 * us + 120000) == "2025-01-01T00:00:00.120Z");
  CHECK(msg::rfc3339_z(jan_1_2025 * us + 1) == "2025-01-01T00:00:00.000001Z");
  CHECK(msg::rfc3339_z(-1) == "1969-12-31T23:59:59.999999Z");
  CHECK(msg::rfc3339_z(951'782'400 * us) == "2000-02-29T00:00:00Z");
  CHECK(msg::rfc3339_z(253'402'300'799 * us) == "9999-12-31T23:59:59Z");
  // Outside 0000–9999 (reachable through an offset) a sign and at least four digits, as chrono.
  CHECK(msg::rfc3339_z(253'402'300'800 * us) == "+10000-01-01T00:00:00Z");
  CHECK(msg::parse_rfc3339("9999-12-31T23:59:60Z") == 253'402'300'800 * us);
  CHECK(msg::rfc3339_z(*msg::parse_rfc3339("0000-01-01T00:00:00+05:00"))
        == "-0001-12-31T19:00:00Z");
  CHECK(msg::rfc3339_z(*msg::parse_rfc3339("0000-01-01T00:00:00Z")) == "0000-01-01T00:00:00Z");
}

TEST_CASE("RFC 3339 parsing follows chrono parse_from_rfc3339", "[domain][time]") {
  auto base = jan_1_2025 * us;
  SECTION("accepted") {
    CHECK(msg::parse_rfc3339("2025-01-01T00:00:00Z") == base);
    CHECK(msg::parse_rfc3339("2025-01-01t00:00:00z") == base);
    CHECK(msg::parse_rfc3339("2025-01-01 00:00:00Z") == base);
    CHECK(msg::parse_rfc3339("2025-01-01T00:00:00+00:00") == base);
    CHECK(msg::parse_rfc3339("2025-01-01T00:00:00-00:00") == base);
    CHECK(msg::parse_rfc3339("2025-01-01T05:30:00+05:30") == base);
    CHECK(msg::parse_rfc3339("2024-12-31T23:00:00-01:00") == base);
    CHECK(msg::parse_rfc3339("2025-01-01T00:00:00.5Z") == base + 500000);
    CHECK(msg::parse_rfc3339("2025-01-01T00:00:00.123456Z") == base + 123456);
    CHECK(msg::parse_rfc3339("2025-01-01T00:00:00.000000001Z") == base);
    CHECK(msg::parse_rfc3339("2025-01-01T00:00:00.1234567891234Z") == base + 123456);
    CHECK(msg::parse_rfc3339("2025-12-20T17:51:10.243Z") == 1'766'253'070 * us + 243000);
    CHECK(msg::parse_rfc3339("2024-02-29T12:00:00Z").has_value());
    CHECK(msg::parse_rfc3339("2000-02-29T12:00:00Z").has_value());
    CHECK(msg::parse_rfc3339("2024-12-31T23:59:60Z") == base);
    CHECK(msg::parse_rfc3339("2025-01-01T00:00:00+23:59").has_value());
  }
  SECTION("rejected") {
    for (auto s : {"", "2025-01-01", "2025-01-01T00:00:00", "2025-01-01T00:00Z",
                   "25-01-01T00:00:00Z", "2025-1-01T00:00:00Z", "2025-01-01X00:00:00Z",
                   "2025-01-01T00:00:00.Z", "2025-01-01T00:00:00+0000", "2025-01-01T00:00:00+00",
                   "2025-01-01T00:00:00+24:00", "2025-01-01T00:00:00+00:60",
                   "2025-01-01T00:00:00ZZ", "2025-01-01T00:00:00Z ", " 2025-01-01T00:00:00Z",
                   "2025-13-01T00:00:00Z", "2025-00-01T00:00:00Z", "2025-04-31T00:00:00Z",
                   "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2025-01-00T00:00:00Z",
                   "2025-01-01T24:00:00Z", "2025-01-01T00:60:00Z", "2025-01-01T00:00:61Z",
                   "2025-01-01T00:00:00 +00:00", "+2025-01-01T00:00:00Z"}) {
      INFO(s);
      CHECK_FALSE(msg::parse_rfc3339(s).has_value());
    }
  }
  SECTION("round trip of our own output") {
    for (int64_t t : {int64_t{0}, base + 1, base + 999999, base - 1, int64_t{-86'400} * us * 365}) {
      CHECK(msg::parse_rfc3339(msg::rfc3339_z(t)) == t);
      CHECK(msg::parse_rfc3339(msg::rfc3339_offset(t)) == t);
    }
  }
}

TEST_CASE("now_us and stream keys", "[domain]") {
  auto now = msg::now_us();
  CHECK(now > jan_1_2025 * us);
  CHECK(msg::now_us() >= now);
  msg::stream_key k{*msg::uuid::parse("00000000-0000-0000-0000-000000000001"),
                    *msg::uuid::parse("00000000-0000-0000-0000-000000000002")};
  CHECK(k.str() == "00000000-0000-0000-0000-000000000001/00000000-0000-0000-0000-000000000002");
}

TEST_CASE("errc names and error messages", "[errc]") {
  CHECK(seq::to_string(seq::errc::none) == "none");
  CHECK(seq::to_string(seq::errc::invalid_request) == "invalid_request");
  CHECK(seq::to_string(seq::errc::sequence_exhausted) == "sequence_exhausted");
  CHECK(seq::to_string(seq::errc::storage_unavailable) == "storage_unavailable");
  CHECK(seq::to_string(seq::errc::migration_failed) == "migration_failed");
  CHECK(seq::to_string(seq::errc::internal) == "internal");
  CHECK(seq::to_string(static_cast<seq::errc>(99)) == "errc(99)");
  auto e = seq::make_error(seq::errc::version_conflict, "expected 3, actual 4");
  CHECK(e.code() == static_cast<uint8_t>(seq::errc::version_conflict));
  CHECK(e.category() == caf::atom("seq"));
  CHECK(seq::error_message(e) == "expected 3, actual 4");
  CHECK(seq::error_message(caf::error{}).empty());
  CHECK(seq::error_message(caf::make_error(seq::errc::timeout)).empty());
  CHECK(seq::error_message(caf::make_error(seq::errc::timeout, 42)).empty());
}

TEST_CASE("redact_url hides passwords and keeps the rest of a storage URL", "[domain]") {
  CHECK(msg::redact_url("postgres://ves:s3cret@db.example:5432/ves")
        == "postgres://ves:***@db.example:5432/ves");
  CHECK(msg::redact_url("postgresql://u:p%40ss@h/db?sslmode=require")
        == "postgresql://u:***@h/db?sslmode=require");
  CHECK(msg::redact_url("postgres://u:pa/ss?x@h/db") == "postgres://u:***@h/db"); // unescaped
  CHECK(msg::redact_url("postgres://h/db?sslmode=require&password=x1&user=u")
        == "postgres://h/db?sslmode=require&password=***&user=u");
  CHECK(msg::redact_url("postgres://h/db?password=x1") == "postgres://h/db?password=***");
  CHECK(msg::redact_url("host=h password=x1 dbname=d") == "host=h password=*** dbname=d");
  CHECK(msg::redact_url("password=x1") == "password=***");
  for (std::string kept : {"postgresql://ves@db/ves", "postgres://127.0.0.1:5433/db",
                           "postgres://h/db?xpassword=1", "sqlite://data/ves.db",
                           "data/ves.db", "sqlite::memory:", ""})
    CHECK(msg::redact_url(kept) == kept);
}

TEST_CASE("url_origin keeps the scheme, host and port of a chain node's URL", "[domain]") {
  CHECK(msg::url_origin("https://base-sepolia.g.example.com/v2/SECRETKEY")
        == "https://base-sepolia.g.example.com");
  CHECK(msg::url_origin("http://127.0.0.1:8545") == "http://127.0.0.1:8545");
  CHECK(msg::url_origin("https://u:pw@node.example:8443/rpc?key=k") == "https://node.example:8443");
  CHECK(msg::url_origin("https://u:p/w@node.example/rpc") == "https://node.example");
  CHECK(msg::url_origin("node.example/rpc?password=k") == "node.example/rpc?password=***");
}

TEST_CASE("an unspecified key algorithm is stored as Ed25519", "[domain]") {
  CHECK(msg::stored_key_algorithm(msg::key_algorithm_unspecified) == msg::key_algorithm_ed25519);
  CHECK(msg::stored_key_algorithm(msg::key_algorithm_ed25519) == msg::key_algorithm_ed25519);
  CHECK(msg::agent_key{}.key_algorithm == msg::key_algorithm_ed25519);
}
