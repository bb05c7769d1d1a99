// SPDX-License-Identifier: Apache-2.0
// The small text parsers every request goes through (messages/): RFC 3339 timestamps, hex
// and UUIDs; and the UTF-8 repair of log lines. Properties: what parses prints to a form that
// parses back to the same value; repaired text is UTF-8, and UTF-8 text stays as it is.
#include "messages/domain.hpp"
#include "messages/ves/bytes.hpp"
#include "messages/ves/json.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <cstdint>
#include <string_view>

using namespace seq;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto t = msg::parse_rfc3339(text)) {
    // Years 0000–9999 print in RFC 3339's own form, which parses back; others (reachable
    // through an offset) print with a sign, as chrono does, which RFC 3339 has no form for.
    auto printed = msg::rfc3339_z(*t);
    auto back = msg::parse_rfc3339(printed);
    if (printed[0] == '+' || printed[0] == '-')
      FUZZ_CHECK(!back);
    else
      FUZZ_CHECK(back && *back == *t);
  }
  if (auto b = ves::from_hex(text)) {
    auto back = ves::from_hex(ves::to_hex(*b));
    FUZZ_CHECK(back && *back == *b);
  }
  if (auto u = ves::uuid::parse(text)) {
    auto back = ves::uuid::parse(u->str());
    FUZZ_CHECK(back && back->str() == u->str());
  }
  auto repaired = ves::json::to_valid_utf8(text);
  FUZZ_CHECK(ves::json::valid_utf8(repaired));
  FUZZ_CHECK(!ves::json::valid_utf8(text) || repaired == text);
  return 0;
}
