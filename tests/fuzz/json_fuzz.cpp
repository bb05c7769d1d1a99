// SPDX-License-Identifier: Apache-2.0
// The project's JSON parser (messages/ves/json.cpp) on arbitrary bytes. Properties: what
// parses dumps to text that parses again and dumps the same (compact form, number lexemes
// kept), its canonical form (RFC 8785, what agents sign) is stable the same way, and
// everything accepted is UTF-8.
#include "messages/ves/json.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <cstdint>
#include <string_view>

using namespace seq::ves;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto v = json::try_parse(text);
  if (!v)
    return 0;
  FUZZ_CHECK(json::valid_utf8(text));
  auto dumped = v->dump();
  auto again = json::try_parse(dumped);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->dump() == dumped);
  auto canonical = v->jcs();
  auto reparsed = json::try_parse(canonical);
  FUZZ_CHECK(reparsed.has_value());
  FUZZ_CHECK(reparsed->jcs() == canonical);
  return 0;
}
