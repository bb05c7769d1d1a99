// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Solidity contract ABI encoding for the types the project's contracts use: the static
/// types bytes32, uint64/uint32/uint256, address and bool (one 32-byte word each), and the
/// dynamic bytes32[] and bytes (an offset in the head, length + data in the tail); decoding of
/// return data word by word; and the revert payloads (`Error(string)`, `Panic(uint256)`,
/// custom errors). Pure functions, no I/O.

#include "adapters/chain/primitives.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "caf/expected.hpp"

namespace seq::chain::abi {

using word = std::array<uint8_t, 32>;

/// Builds calldata: selector || head || tail. Arguments are appended in order.
class encoder {
public:
  encoder() = default;
  explicit encoder(const selector& sel);

  encoder& add_bytes32(const hash32& v);
  encoder& add_uint(uint64_t v); ///< uint8..uint64 (and uint256 with small values)
  encoder& add_uint256(const u256& v);
  encoder& add_address(const address& v);
  encoder& add_bool(bool v);
  /// A dynamic `bytes32[]` argument (also the layout of any array of 32-byte words, such as
  /// `uint256[]`).
  encoder& add_bytes32_array(const std::vector<hash32>& v);
  /// A dynamic `bytes` argument (length word, then the data right-padded to 32 bytes).
  encoder& add_bytes(const bytes& v);

  /// The encoded calldata (selector, if any, then the arguments).
  bytes finish() const;

private:
  struct slot {
    word head{};
    bool dynamic = false;
    bytes tail; ///< when dynamic: the encoded tail part
  };
  bool has_selector_ = false;
  selector sel_{};
  std::vector<slot> slots_;
};

/// Reads the words of ABI-encoded return data (static types and bytes32[]).
class decoder {
public:
  explicit decoder(bytes data) : data_(std::move(data)) {}

  size_t words() const {
    return data_.size() / 32;
  }
  caf::expected<hash32> bytes32(size_t index) const;
  /// A uint of any width whose value must fit in 64 bits.
  caf::expected<uint64_t> uint64(size_t index) const;
  caf::expected<u256> uint256(size_t index) const;
  /// Rejects non-zero upper 12 bytes.
  caf::expected<address> addr(size_t index) const;
  /// Rejects values other than 0 and 1.
  caf::expected<bool> boolean(size_t index) const;
  /// A `bytes32[]` whose head word is at `index`.
  caf::expected<std::vector<hash32>> bytes32_array(size_t index) const;

private:
  caf::expected<word> at(size_t index) const;
  bytes data_;
};

/// A readable description of revert data: the string of `Error(string)`, the code of
/// `Panic(uint256)`, or `custom error 0x<selector>` plus its argument words in hex.
/// Empty data → "reverted without a reason".
std::string describe_revert(const bytes& data);

} // namespace seq::chain::abi
