// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Recursive Length Prefix encoding (Ethereum yellow paper, appendix B) and a strict decoder
/// (canonical forms only: no single byte below 0x80 wrapped in a string header, no long form
/// for lengths below 56, no leading zeros in lengths). Pure functions, no I/O.

#include "adapters/chain/primitives.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

#include "caf/expected.hpp"

namespace seq::chain::rlp {

/// A decoded (or to-be-encoded) item: a byte string or a list of items.
struct item {
  bool is_list = false;
  bytes str;              ///< when !is_list
  std::vector<item> list; ///< when is_list

  static item string(bytes b);
  static item string(std::string_view s);
  /// An unsigned integer: big-endian without leading zeros (0 → empty string).
  static item uint(uint64_t v);
  static item uint(const u256& v);
  static item list_of(std::vector<item> items);
  bool operator==(const item&) const = default;
};

/// Encodes a byte string.
bytes encode_string(const uint8_t* data, size_t n);
inline bytes encode_string(const bytes& b) {
  return encode_string(b.data(), b.size());
}
/// Encodes an unsigned integer (its minimal big-endian bytes as a string).
bytes encode_uint(uint64_t v);
/// Wraps already-encoded items into a list.
bytes encode_list(const std::vector<bytes>& encoded_items);
/// Encodes an item tree.
bytes encode(const item& x);

/// Decodes exactly one item spanning the whole input. Errors: errc::invalid_request with
/// a message naming the offset.
caf::expected<item> decode(const uint8_t* data, size_t n);
inline caf::expected<item> decode(const bytes& b) {
  return decode(b.data(), b.size());
}

/// Reads an RLP string item as an unsigned integer (no leading zeros, ≤ 32 bytes).
caf::expected<u256> as_uint(const item& x);

} // namespace seq::chain::rlp
