// SPDX-License-Identifier: Apache-2.0
#include "adapters/chain/payment_contract.hpp"

#include "adapters/chain/anchor_contract.hpp"
#include "messages/errc.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace seq::chain {

namespace {

abi::encoder call(const char* signature) {
  return abi::encoder{function_selector(signature)};
}

address to_address(const msg::evm_address& a) {
  address out;
  out.b = a;
  return out;
}

/// An address as an ABI word (left-padded): the element layout of `address[]`.
hash32 address_word(const msg::evm_address& a) {
  hash32 w{};
  std::copy(a.begin(), a.end(), w.begin() + 12);
  return w;
}

caf::error too_short(const bytes& ret, size_t words) {
  return make_error(errc::chain_rejected,
                    "settlement contract returned " + std::to_string(ret.size())
                      + " bytes, expected " + std::to_string(32 * words)
                      + " (is the address a VesPaymentBatch contract?)");
}

#define SEQ_READ(dst, expr)                                                                        \
  do {                                                                                             \
    auto v_ = (expr);                                                                              \
    if (!v_)                                                                                       \
      return std::move(v_.error());                                                                \
    dst = *v_;                                                                                     \
  } while (false)

} // namespace

// -- VesPaymentBatch ----------------------------------------------------------------------------

namespace payment_batch {

bytes settle_batch(const msg::settle_payment_batch& b) {
  std::vector<hash32> from, to, amounts;
  from.reserve(b.transfers.size());
  to.reserve(b.transfers.size());
  amounts.reserve(b.transfers.size());
  for (const auto& t : b.transfers) {
    from.push_back(address_word(t.from));
    to.push_back(address_word(t.to));
    amounts.push_back(u256::from_u64(t.amount).be);
  }
  return call(settle_batch_sig)
    .add_bytes32(uuid_to_bytes32(b.batch_id))
    .add_bytes32(uuid_to_bytes32(b.tenant_id))
    .add_bytes32(uuid_to_bytes32(b.store_id))
    .add_bytes32(b.merkle_root)
    .add_bytes32(b.state_root)
    .add_uint(b.sequence_start)
    .add_uint(b.sequence_end)
    .add_uint(b.payment_count)
    .add_address(to_address(b.token))
    .add_bytes32_array(from) // address[]: one left-padded word per element
    .add_bytes32_array(to)
    .add_bytes32_array(amounts) // uint256[]
    .finish();
}

bytes is_settled(const ves::uuid& batch_id) {
  return call(is_settled_sig).add_bytes32(uuid_to_bytes32(batch_id)).finish();
}

bytes get_settlement(const ves::uuid& batch_id) {
  return call(get_settlement_sig).add_bytes32(uuid_to_bytes32(batch_id)).finish();
}

bytes get_latest_sequence(const ves::uuid& tenant, const ves::uuid& store) {
  return call(get_latest_sequence_sig)
    .add_bytes32(uuid_to_bytes32(tenant))
    .add_bytes32(uuid_to_bytes32(store))
    .finish();
}

bytes set_settler_authorization(const address& settler, bool authorized) {
  return call(set_settler_authorization_sig).add_address(settler).add_bool(authorized).finish();
}

bytes set_payer_stream(const ves::uuid& tenant, const ves::uuid& store, bool authorized) {
  return call(set_payer_stream_sig)
    .add_bytes32(uuid_to_bytes32(tenant))
    .add_bytes32(uuid_to_bytes32(store))
    .add_bool(authorized)
    .finish();
}

bytes is_payer_stream(const address& payer, const ves::uuid& tenant, const ves::uuid& store) {
  return call(is_payer_stream_sig)
    .add_address(payer)
    .add_bytes32(uuid_to_bytes32(tenant))
    .add_bytes32(uuid_to_bytes32(store))
    .finish();
}

hash32 batch_settled_topic() {
  return keccak256(std::string_view{batch_settled_event});
}

caf::expected<bool> decode_is_settled(const bytes& ret) {
  abi::decoder d(ret);
  if (d.words() < 1)
    return too_short(ret, 1);
  return d.boolean(0);
}

caf::expected<onchain_settlement> decode_get_settlement(const bytes& ret) {
  abi::decoder d(ret);
  if (d.words() < 13)
    return too_short(ret, 13);
  onchain_settlement s;
  SEQ_READ(s.tenant_id, d.bytes32(0));
  SEQ_READ(s.store_id, d.bytes32(1));
  SEQ_READ(s.merkle_root, d.bytes32(2));
  SEQ_READ(s.state_root, d.bytes32(3));
  SEQ_READ(s.sequence_start, d.uint64(4));
  SEQ_READ(s.sequence_end, d.uint64(5));
  uint64_t count = 0;
  SEQ_READ(count, d.uint64(6));
  if (count > UINT32_MAX)
    return make_error(errc::chain_rejected, "getSettlement: paymentCount is not a uint32");
  s.payment_count = static_cast<uint32_t>(count);
  SEQ_READ(s.token, d.addr(7));
  SEQ_READ(s.transfer_count, d.uint64(8));
  SEQ_READ(s.total_amount, d.uint256(9));
  SEQ_READ(s.settled_at, d.uint64(10));
  SEQ_READ(s.block_number, d.uint64(11));
  SEQ_READ(s.submitter, d.addr(12));
  s.found = s.settled_at != 0;
  return s;
}

} // namespace payment_batch

// -- ERC-20 -------------------------------------------------------------------------------------

namespace erc20 {

bytes balance_of(const address& holder) {
  return call(balance_of_sig).add_address(holder).finish();
}

bytes allowance(const address& owner, const address& spender) {
  return call(allowance_sig).add_address(owner).add_address(spender).finish();
}

bytes approve(const address& spender, const u256& amount) {
  return call(approve_sig).add_address(spender).add_uint256(amount).finish();
}

bytes transfer(const address& to, const u256& amount) {
  return call(transfer_sig).add_address(to).add_uint256(amount).finish();
}

bytes transfer_from(const address& from, const address& to, const u256& amount) {
  return call(transfer_from_sig).add_address(from).add_address(to).add_uint256(amount).finish();
}

bytes mint(const address& to, const u256& amount) {
  return call(mint_sig).add_address(to).add_uint256(amount).finish();
}

caf::expected<u256> decode_uint256(const bytes& ret) {
  abi::decoder d(ret);
  if (d.words() < 1)
    return make_error(errc::chain_rejected, "token returned " + std::to_string(ret.size())
                                              + " bytes, expected 32 (is the address an ERC-20?)");
  return d.uint256(0);
}

} // namespace erc20

#undef SEQ_READ

} // namespace seq::chain
