// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Helpers of the chain adapter unit tests: hex literals and the golden vectors file.

#include "messages/errc.hpp"
#include "messages/ves/bytes.hpp"
#include "messages/ves/json.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#ifndef SEQ_VECTORS_FILE
#error "SEQ_VECTORS_FILE must name tests/messages/ves_vectors.json"
#endif

namespace seq::chain::test {

/// Hex (optional 0x) → bytes; a malformed literal fails the test.
inline ves::bytes hex(std::string_view s) {
  auto b = ves::from_hex(s, true);
  if (!b)
    FAIL("bad hex literal in test: " << s);
  return *b;
}

inline ves::hash32 h32(std::string_view s) {
  auto b = ves::from_hex_fixed<32>(s, true);
  if (!b)
    FAIL("bad 32-byte hex literal in test: " << s);
  return *b;
}

/// tests/messages/ves_vectors.json, parsed once.
inline const ves::json::value& vectors() {
  static const ves::json::value root = [] {
    std::ifstream in{SEQ_VECTORS_FILE, std::ios::binary};
    std::stringstream ss;
    ss << in.rdbuf();
    auto doc = ves::json::try_parse(ss.str());
    if (!doc)
      FAIL("cannot parse " << SEQ_VECTORS_FILE);
    return *doc;
  }();
  return root;
}

/// vectors()[k0][k1]…, failing the test when a key is missing.
inline const ves::json::value& vec(std::initializer_list<std::string_view> path) {
  const ves::json::value* v = &vectors();
  for (auto k : path) {
    v = v->find(k);
    if (!v)
      FAIL("vector field missing: " << k);
  }
  return *v;
}

} // namespace seq::chain::test
