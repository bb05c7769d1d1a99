// SPDX-License-Identifier: Apache-2.0
#pragma once

/// EVM primitives shared by the chain adapter: Keccak-256 (Crypto++ Keccak_256, the
/// Ethereum variant, not FIPS SHA3-256), function selectors, 20-byte addresses (EIP-55
/// checksummed text), a 256-bit unsigned integer as 32 big-endian bytes, and the JSON-RPC
/// "quantity" hex form. Pure functions, no I/O.

#include "messages/ves/bytes.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace seq::chain {

using ves::bytes;
using ves::hash32;

// -- keccak -----------------------------------------------------------------------------------

hash32 keccak256(const uint8_t* data, size_t n);
template <class C>
hash32 keccak256(const C& c) {
  return keccak256(reinterpret_cast<const uint8_t*>(c.data()), c.size());
}

/// A 4-byte function selector: the first 4 bytes of keccak256(signature), where the
/// signature is the canonical form without spaces, e.g. "transfer(address,uint256)".
using selector = std::array<uint8_t, 4>;
selector function_selector(std::string_view signature);

// -- address ----------------------------------------------------------------------------------

struct address {
  std::array<uint8_t, 20> b{};
  auto operator<=>(const address&) const = default;
  bool is_zero() const;
  /// `0x` + lowercase hex.
  std::string hex() const;
  /// `0x` + EIP-55 mixed-case checksum hex.
  std::string checksummed() const;
  /// Accepts `0x` + 40 hex digits. All-lowercase or all-uppercase digits are accepted as is;
  /// mixed case must carry a valid EIP-55 checksum.
  static std::optional<address> parse(std::string_view s);
  /// The last 20 bytes of keccak256 of the 64-byte uncompressed public key (X || Y).
  static address from_public_key(const std::array<uint8_t, 64>& xy);
};

/// The address of a contract created by `sender` with transaction nonce `nonce`:
/// keccak256(rlp([sender, nonce]))[12..32].
address contract_address(const address& sender, uint64_t nonce);

// -- 256-bit unsigned integers --------------------------------------------------------------

/// A uint256 as 32 big-endian bytes (only what encoding needs: no arithmetic).
struct u256 {
  std::array<uint8_t, 32> be{};
  auto operator<=>(const u256&) const = default;
  static u256 from_u64(uint64_t v);
  /// Big-endian bytes of any length ≤ 32 (leading zeros allowed).
  static std::optional<u256> from_be(const uint8_t* data, size_t n);
  /// A non-negative decimal integer that fits in 256 bits.
  static std::optional<u256> from_dec(std::string_view s);
  bool is_zero() const;
  /// True when the value fits in 64 bits.
  bool fits_u64() const;
  /// The low 64 bits.
  uint64_t low_u64() const;
  /// Big-endian bytes without leading zeros (empty for 0): the RLP integer form.
  bytes minimal() const;
  /// Decimal text.
  std::string dec() const;
};

// -- JSON-RPC quantities ----------------------------------------------------------------------

/// `0x` + lowercase hex without leading zeros ("0x0" for zero).
std::string to_quantity(uint64_t v);
std::string to_quantity(const u256& v);
/// Parses a JSON-RPC quantity (`0x` + 1..64 hex digits). Leading zeros are tolerated.
std::optional<u256> parse_quantity256(std::string_view s);
/// Same, but the value must fit in 64 bits.
std::optional<uint64_t> parse_quantity(std::string_view s);

/// `0x` + lowercase hex of arbitrary bytes ("0x" for none): JSON-RPC DATA.
std::string to_data(const uint8_t* data, size_t n);
template <class C>
std::string to_data(const C& c) {
  return to_data(reinterpret_cast<const uint8_t*>(c.data()), c.size());
}
/// Parses `0x` + an even number of hex digits.
std::optional<bytes> parse_data(std::string_view s);

} // namespace seq::chain
