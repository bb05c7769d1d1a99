// SPDX-License-Identifier: Apache-2.0
#include "adapters/chain/anchor_contract.hpp"

#include "messages/errc.hpp"

#include <algorithm>

namespace seq::chain {

namespace {

abi::encoder call(const char* signature) {
  return abi::encoder{function_selector(signature)};
}

/// Reads (count, anchoredAt, anchoredBy, …) style fields shared by the decoders.
template <class F>
caf::expected<msg::onchain_commitment> decode_with(const bytes& ret, size_t words, F fill) {
  abi::decoder d(ret);
  if (d.words() < words)
    return make_error(errc::chain_rejected,
                      "anchor contract returned " + std::to_string(ret.size()) + " bytes, expected "
                        + std::to_string(32 * words)
                        + " (is the address an anchor contract of this ABI?)");
  msg::onchain_commitment c;
  if (auto err = fill(d, c))
    return err;
  return c;
}

#define SEQ_READ(dst, expr)                                                                        \
  do {                                                                                             \
    auto v_ = (expr);                                                                              \
    if (!v_)                                                                                       \
      return std::move(v_.error());                                                                \
    dst = *v_;                                                                                     \
  } while (false)

} // namespace

hash32 uuid_to_bytes32(const ves::uuid& id) {
  hash32 out{};
  std::copy(id.b.begin(), id.b.end(), out.begin());
  return out;
}

std::optional<ves::uuid> bytes32_to_uuid(const hash32& b) {
  if (!std::all_of(b.begin() + 16, b.end(), [](uint8_t x) { return x == 0; }))
    return std::nullopt;
  ves::uuid id;
  std::copy(b.begin(), b.begin() + 16, id.b.begin());
  return id;
}

hash32 tenant_store_key(const ves::uuid& tenant, const ves::uuid& store) {
  bytes packed;
  auto t = uuid_to_bytes32(tenant);
  auto s = uuid_to_bytes32(store);
  packed.insert(packed.end(), t.begin(), t.end());
  packed.insert(packed.end(), s.begin(), s.end());
  return keccak256(packed);
}

// -- StateSetAnchor -----------------------------------------------------------------------------

namespace stateset_anchor {

bytes anchor(const msg::chain_commitment& c) {
  return call(anchor_sig)
    .add_bytes32(uuid_to_bytes32(c.batch_id))
    .add_bytes32(uuid_to_bytes32(c.tenant_id))
    .add_bytes32(uuid_to_bytes32(c.store_id))
    .add_bytes32(c.events_root)
    .add_bytes32(c.new_state_root)
    .add_uint(c.sequence_start)
    .add_uint(c.sequence_end)
    .add_uint(c.event_count)
    .finish();
}

bytes is_anchored(const ves::uuid& batch_id) {
  return call(is_anchored_sig).add_bytes32(uuid_to_bytes32(batch_id)).finish();
}

bytes get_commitment(const ves::uuid& batch_id) {
  return call(get_commitment_sig).add_bytes32(uuid_to_bytes32(batch_id)).finish();
}

bytes commitments(const ves::uuid& batch_id) {
  return call(commitments_sig).add_bytes32(uuid_to_bytes32(batch_id)).finish();
}

bytes get_latest_sequence(const ves::uuid& tenant, const ves::uuid& store) {
  return call(get_latest_sequence_sig)
    .add_bytes32(uuid_to_bytes32(tenant))
    .add_bytes32(uuid_to_bytes32(store))
    .finish();
}

bytes verify_events_root(const ves::uuid& batch_id, const hash32& events_root) {
  return call(verify_events_root_sig)
    .add_bytes32(uuid_to_bytes32(batch_id))
    .add_bytes32(events_root)
    .finish();
}

caf::expected<msg::onchain_commitment> decode_get_commitment(const bytes& ret) {
  return decode_with(ret, 9, [](const abi::decoder& d, msg::onchain_commitment& c) -> caf::error {
    SEQ_READ(c.tenant_id, d.bytes32(0));
    SEQ_READ(c.store_id, d.bytes32(1));
    SEQ_READ(c.events_root, d.bytes32(2));
    SEQ_READ(c.state_root, d.bytes32(3));
    SEQ_READ(c.sequence_start, d.uint64(4));
    SEQ_READ(c.sequence_end, d.uint64(5));
    uint64_t count = 0;
    SEQ_READ(count, d.uint64(6));
    c.event_count = static_cast<uint32_t>(count);
    SEQ_READ(c.anchored_at, d.uint64(7));
    address by;
    SEQ_READ(by, d.addr(8));
    c.anchored_by = by.b;
    c.found = c.anchored_at != 0;
    return {};
  });
}

caf::expected<msg::onchain_commitment> decode_commitments(const bytes& ret) {
  return decode_with(ret, 10, [](const abi::decoder& d, msg::onchain_commitment& c) -> caf::error {
    SEQ_READ(c.tenant_id, d.bytes32(1));
    SEQ_READ(c.store_id, d.bytes32(2));
    SEQ_READ(c.events_root, d.bytes32(3));
    SEQ_READ(c.state_root, d.bytes32(4));
    SEQ_READ(c.sequence_start, d.uint64(5));
    SEQ_READ(c.sequence_end, d.uint64(6));
    uint64_t count = 0;
    SEQ_READ(count, d.uint64(7));
    c.event_count = static_cast<uint32_t>(count);
    SEQ_READ(c.anchored_at, d.uint64(8));
    address by;
    SEQ_READ(by, d.addr(9));
    c.anchored_by = by.b;
    c.found = c.anchored_at != 0;
    return {};
  });
}

} // namespace stateset_anchor

// -- SetRegistry --------------------------------------------------------------------------------

namespace set_registry {

bytes commit_batch(const msg::chain_commitment& c) {
  return call(commit_batch_sig)
    .add_bytes32(uuid_to_bytes32(c.batch_id))
    .add_bytes32(uuid_to_bytes32(c.tenant_id))
    .add_bytes32(uuid_to_bytes32(c.store_id))
    .add_bytes32(c.events_root)
    .add_bytes32(c.prev_state_root)
    .add_bytes32(c.new_state_root)
    .add_uint(c.sequence_start)
    .add_uint(c.sequence_end)
    .add_uint(c.event_count)
    .finish();
}

bytes get_latest_state_root(const ves::uuid& tenant, const ves::uuid& store) {
  return call(get_latest_state_root_sig)
    .add_bytes32(uuid_to_bytes32(tenant))
    .add_bytes32(uuid_to_bytes32(store))
    .finish();
}

bytes get_head_sequence(const ves::uuid& tenant, const ves::uuid& store) {
  return call(get_head_sequence_sig)
    .add_bytes32(uuid_to_bytes32(tenant))
    .add_bytes32(uuid_to_bytes32(store))
    .finish();
}

bytes commitments(const ves::uuid& batch_id) {
  return call(commitments_sig).add_bytes32(uuid_to_bytes32(batch_id)).finish();
}

bytes verify_inclusion(const ves::uuid& batch_id, const hash32& leaf,
                       const std::vector<hash32>& path, uint64_t leaf_index) {
  return call(verify_inclusion_sig)
    .add_bytes32(uuid_to_bytes32(batch_id))
    .add_bytes32(leaf)
    .add_bytes32_array(path)
    .add_uint(leaf_index)
    .finish();
}

caf::expected<msg::onchain_commitment> decode_commitments(const bytes& ret) {
  return decode_with(ret, 8, [](const abi::decoder& d, msg::onchain_commitment& c) -> caf::error {
    SEQ_READ(c.events_root, d.bytes32(0));
    SEQ_READ(c.prev_state_root, d.bytes32(1));
    SEQ_READ(c.state_root, d.bytes32(2));
    SEQ_READ(c.sequence_start, d.uint64(3));
    SEQ_READ(c.sequence_end, d.uint64(4));
    uint64_t count = 0;
    SEQ_READ(count, d.uint64(5));
    c.event_count = static_cast<uint32_t>(count);
    SEQ_READ(c.anchored_at, d.uint64(6));
    address by;
    SEQ_READ(by, d.addr(7));
    c.anchored_by = by.b;
    c.found = c.anchored_at != 0;
    return {};
  });
}

} // namespace set_registry

#undef SEQ_READ

} // namespace seq::chain
