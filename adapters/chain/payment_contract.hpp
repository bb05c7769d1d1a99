// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Calldata and return-data decoding of the x402 settlement contract
/// (deploy/contracts/VesPaymentBatch.sol) and of the ERC-20 calls settlement and its tests
/// need (deploy/contracts/VesTestToken.sol is a TEST token with this interface plus `mint`).
/// Pure functions, no I/O; the gateway (gateway.hpp) sends them.
///
/// UUIDs go on chain as bytes32 (16 UUID bytes, then 16 zero bytes: anchor_contract.hpp's
/// uuid_to_bytes32); amounts are uint256 in token base units.

#include "adapters/chain/abi.hpp"
#include "adapters/chain/primitives.hpp"
#include "messages/settlement.hpp"

#include <cstdint>

#include "caf/expected.hpp"

namespace seq::chain {

/// What VesPaymentBatch stores for one batch id (`getSettlement`). found = false (all zero)
/// for a batch never settled.
struct onchain_settlement {
  bool found = false;
  hash32 tenant_id{}, store_id{}; ///< raw bytes32 as stored
  hash32 merkle_root{}, state_root{};
  uint64_t sequence_start = 0, sequence_end = 0;
  uint32_t payment_count = 0;
  address token;
  uint64_t transfer_count = 0;
  u256 total_amount;
  uint64_t settled_at = 0;   ///< block timestamp, seconds
  uint64_t block_number = 0; ///< block of the settling transaction
  address submitter;
  bool operator==(const onchain_settlement&) const = default;
};

namespace payment_batch {

inline constexpr const char* settle_batch_sig =
  "settleBatch(bytes32,bytes32,bytes32,bytes32,bytes32,uint64,uint64,uint32,address,address[],"
  "address[],uint256[])";
inline constexpr const char* is_settled_sig = "isSettled(bytes32)";
inline constexpr const char* get_settlement_sig = "getSettlement(bytes32)";
inline constexpr const char* get_latest_sequence_sig = "getLatestSequence(bytes32,bytes32)";
inline constexpr const char* set_settler_authorization_sig =
  "setSettlerAuthorization(address,bool)";
inline constexpr const char* set_payer_stream_sig = "setPayerStream(bytes32,bytes32,bool)";
inline constexpr const char* is_payer_stream_sig = "isPayerStream(address,bytes32,bytes32)";
/// The event settleBatch emits; batchId is topic1, tenantId topic2.
inline constexpr const char* batch_settled_event =
  "BatchSettled(bytes32,bytes32,bytes32,bytes32,bytes32,uint64,uint64,uint32,address,uint256,"
  "uint256)";

/// settleBatch(batchId, tenantId, storeId, merkleRoot, stateRoot, sequenceStart, sequenceEnd,
/// paymentCount, token, from[], to[], amounts[]): the arrays come from `b.transfers` in order.
bytes settle_batch(const msg::settle_payment_batch& b);
bytes is_settled(const ves::uuid& batch_id);
bytes get_settlement(const ves::uuid& batch_id);
bytes get_latest_sequence(const ves::uuid& tenant, const ves::uuid& store);
/// Owner only: allow or disallow `settler` to call settleBatch.
bytes set_settler_authorization(const address& settler, bool authorized);
/// Sent by a payer: let settlements of stream (tenant, store) move its tokens, or stop them.
/// settleBatch refuses a transfer whose payer has not authorised the batch's stream.
bytes set_payer_stream(const ves::uuid& tenant, const ves::uuid& store, bool authorized);
bytes is_payer_stream(const address& payer, const ves::uuid& tenant, const ves::uuid& store);
/// keccak256 of batch_settled_event: topic0 of the BatchSettled log.
hash32 batch_settled_topic();

caf::expected<bool> decode_is_settled(const bytes& ret);
/// getSettlement → (tenantId, storeId, merkleRoot, stateRoot, start, end, paymentCount, token,
/// transferCount, totalAmount, settledAt, blockNumber, submitter); settledAt = 0 → not found.
caf::expected<onchain_settlement> decode_get_settlement(const bytes& ret);

} // namespace payment_batch

namespace erc20 {

inline constexpr const char* balance_of_sig = "balanceOf(address)";
inline constexpr const char* allowance_sig = "allowance(address,address)";
inline constexpr const char* approve_sig = "approve(address,uint256)";
inline constexpr const char* transfer_sig = "transfer(address,uint256)";
inline constexpr const char* transfer_from_sig = "transferFrom(address,address,uint256)";
/// Not ERC-20: the owner-only mint of the TEST token (VesTestToken).
inline constexpr const char* mint_sig = "mint(address,uint256)";

bytes balance_of(const address& holder);
bytes allowance(const address& owner, const address& spender);
bytes approve(const address& spender, const u256& amount);
bytes transfer(const address& to, const u256& amount);
bytes transfer_from(const address& from, const address& to, const u256& amount);
bytes mint(const address& to, const u256& amount);

/// The uint256 answer of balanceOf / allowance / totalSupply.
caf::expected<u256> decode_uint256(const bytes& ret);

} // namespace erc20

} // namespace seq::chain
