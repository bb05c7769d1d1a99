// SPDX-License-Identifier: Apache-2.0
#pragma once

/// EVM transactions: EIP-155 legacy transactions and EIP-1559 (type 2) fee-market
/// transactions; their signing hashes, signing with a private key, the raw serialization for
/// eth_sendRawTransaction and the transaction hash; and decoding a raw transaction back,
/// recovering its sender (for tests and for checking what a node echoes).
///
///   legacy:  signing = keccak(rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0]))
///            raw     = rlp([nonce, gasPrice, gas, to, value, data, v, r, s]),
///            v = chainId·2 + 35 + recid
///   type 2:  signing = keccak(0x02 || rlp([chainId, nonce, maxPriorityFee, maxFee, gas, to,
///                                         value, data, accessList]))
///            raw     = 0x02 || rlp([… 9 fields …, yParity, r, s])
///   hash = keccak(raw). `to` empty = contract creation. Access lists are always empty here.

#include "adapters/chain/primitives.hpp"
#include "adapters/chain/signer.hpp"

#include <cstdint>
#include <optional>
#include <variant>

#include "caf/expected.hpp"

namespace seq::chain {

struct legacy_tx {
  uint64_t chain_id = 0;
  uint64_t nonce = 0;
  u256 gas_price;
  uint64_t gas_limit = 0;
  std::optional<address> to; ///< none = contract creation
  u256 value;
  bytes data;
};

struct eip1559_tx {
  uint64_t chain_id = 0;
  uint64_t nonce = 0;
  u256 max_priority_fee_per_gas;
  u256 max_fee_per_gas;
  uint64_t gas_limit = 0;
  std::optional<address> to; ///< none = contract creation
  u256 value;
  bytes data;
};

using unsigned_tx = std::variant<legacy_tx, eip1559_tx>;

/// What eth_sendRawTransaction takes, and the hash the chain will know it by.
struct signed_tx {
  bytes raw;
  hash32 hash{};
};

/// The bytes whose keccak256 is signed (legacy: the 9-field EIP-155 RLP list; type 2: the
/// 0x02-prefixed 9-field list).
bytes signing_payload(const unsigned_tx& tx);
hash32 signing_hash(const unsigned_tx& tx);

/// Signs and serializes.
signed_tx sign(const unsigned_tx& tx, const private_key& key);

/// A raw transaction decoded back: the fields, the signature and the recovered sender.
struct decoded_tx {
  unsigned_tx tx;
  recoverable_signature sig;
  address sender;
  hash32 hash{};
};

/// Decodes a raw EIP-155 legacy or EIP-1559 transaction and recovers its sender. Rejects
/// pre-EIP-155 signatures (v = 27/28), other transaction types, non-empty access lists and
/// high-s signatures. Errors: errc::invalid_request.
caf::expected<decoded_tx> decode_signed(const bytes& raw);

} // namespace seq::chain
