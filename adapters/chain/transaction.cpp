// SPDX-License-Identifier: Apache-2.0
#include "adapters/chain/transaction.hpp"

#include "adapters/chain/rlp.hpp"
#include "messages/errc.hpp"

#include <algorithm>

namespace seq::chain {

namespace {

using rlp::item;

/// secp256k1 group order n / 2 (big-endian): signatures with s above it are malleable
/// duplicates that Ethereum rejects (EIP-2).
constexpr std::array<uint8_t, 32> half_order = {
  0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

item to_item(const std::optional<address>& to) {
  if (!to)
    return item::string(bytes{});
  return item::string(bytes(to->b.begin(), to->b.end()));
}

item hash_as_uint(const hash32& h) {
  u256 v;
  v.be = h;
  return item::uint(v);
}

std::vector<item> legacy_fields(const legacy_tx& t) {
  return {item::uint(t.nonce), item::uint(t.gas_price), item::uint(t.gas_limit),
          to_item(t.to),       item::uint(t.value),     item::string(t.data)};
}

std::vector<item> eip1559_fields(const eip1559_tx& t) {
  return {
    item::uint(t.chain_id),        item::uint(t.nonce),     item::uint(t.max_priority_fee_per_gas),
    item::uint(t.max_fee_per_gas), item::uint(t.gas_limit), to_item(t.to),
    item::uint(t.value),           item::string(t.data),    item::list_of({})};
}

caf::error bad(const std::string& what) {
  return make_error(errc::invalid_request, "transaction: " + what);
}

caf::expected<uint64_t> field_u64(const item& x, const char* name) {
  auto v = rlp::as_uint(x);
  if (!v)
    return std::move(v.error());
  if (!v->fits_u64())
    return bad(std::string{name} + " does not fit in 64 bits");
  return v->low_u64();
}

caf::expected<std::optional<address>> field_to(const item& x) {
  if (x.is_list)
    return bad("`to` is a list");
  if (x.str.empty())
    return std::optional<address>{};
  if (x.str.size() != 20)
    return bad("`to` is not 20 bytes");
  address a;
  std::copy(x.str.begin(), x.str.end(), a.b.begin());
  return std::optional<address>{a};
}

caf::expected<hash32> field_h32(const item& x, const char* name) {
  auto v = rlp::as_uint(x);
  if (!v)
    return std::move(v.error());
  if (v->is_zero())
    return bad(std::string{name} + " is zero");
  return v->be;
}

/// Fills everything after the fields: hash, signature checks and sender recovery.
caf::expected<decoded_tx> finish(unsigned_tx tx, recoverable_signature sig, const bytes& raw) {
  // s > n/2 ⇔ half_order < s (both big-endian, same length).
  if (std::lexicographical_compare(half_order.begin(), half_order.end(), sig.s.begin(),
                                   sig.s.end()))
    return bad("high-s signature");
  auto sender = recover_address(signing_hash(tx), sig);
  if (!sender)
    return std::move(sender.error());
  decoded_tx out;
  out.tx = std::move(tx);
  out.sig = sig;
  out.sender = *sender;
  out.hash = keccak256(raw);
  return out;
}

caf::expected<decoded_tx> decode_legacy(const bytes& raw) {
  auto root = rlp::decode(raw);
  if (!root)
    return std::move(root.error());
  if (!root->is_list || root->list.size() != 9)
    return bad("a legacy transaction is a list of 9 items");
  const auto& f = root->list;
  legacy_tx t;
  auto nonce = field_u64(f[0], "nonce");
  auto price = rlp::as_uint(f[1]);
  auto gas = field_u64(f[2], "gas");
  auto to = field_to(f[3]);
  auto value = rlp::as_uint(f[4]);
  auto v = field_u64(f[6], "v");
  if (!nonce || !price || !gas || !to || !value || !v || f[5].is_list)
    return bad("malformed legacy transaction field");
  if (*v < 37)
    return bad("not an EIP-155 signature (v = " + std::to_string(*v) + ")");
  t.nonce = *nonce;
  t.gas_price = *price;
  t.gas_limit = *gas;
  t.to = *to;
  t.value = *value;
  t.data = f[5].str;
  t.chain_id = (*v - 35) / 2;
  recoverable_signature sig;
  sig.recid = static_cast<uint8_t>((*v - 35) % 2);
  auto r = field_h32(f[7], "r");
  auto s = field_h32(f[8], "s");
  if (!r)
    return std::move(r.error());
  if (!s)
    return std::move(s.error());
  sig.r = *r;
  sig.s = *s;
  return finish(std::move(t), sig, raw);
}

caf::expected<decoded_tx> decode_1559(const bytes& raw) {
  auto root = rlp::decode(raw.data() + 1, raw.size() - 1);
  if (!root)
    return std::move(root.error());
  if (!root->is_list || root->list.size() != 12)
    return bad("an EIP-1559 transaction is 0x02 || a list of 12 items");
  const auto& f = root->list;
  eip1559_tx t;
  auto chain = field_u64(f[0], "chainId");
  auto nonce = field_u64(f[1], "nonce");
  auto tip = rlp::as_uint(f[2]);
  auto cap = rlp::as_uint(f[3]);
  auto gas = field_u64(f[4], "gas");
  auto to = field_to(f[5]);
  auto value = rlp::as_uint(f[6]);
  auto parity = field_u64(f[9], "yParity");
  if (!chain || !nonce || !tip || !cap || !gas || !to || !value || !parity || f[7].is_list)
    return bad("malformed EIP-1559 transaction field");
  if (!f[8].is_list || !f[8].list.empty())
    return bad("access lists are not supported");
  if (*parity > 1)
    return bad("yParity must be 0 or 1");
  t.chain_id = *chain;
  t.nonce = *nonce;
  t.max_priority_fee_per_gas = *tip;
  t.max_fee_per_gas = *cap;
  t.gas_limit = *gas;
  t.to = *to;
  t.value = *value;
  t.data = f[7].str;
  recoverable_signature sig;
  sig.recid = static_cast<uint8_t>(*parity);
  auto r = field_h32(f[10], "r");
  auto s = field_h32(f[11], "s");
  if (!r)
    return std::move(r.error());
  if (!s)
    return std::move(s.error());
  sig.r = *r;
  sig.s = *s;
  return finish(std::move(t), sig, raw);
}

} // namespace

bytes signing_payload(const unsigned_tx& tx) {
  if (auto* t = std::get_if<legacy_tx>(&tx)) {
    auto fields = legacy_fields(*t);
    fields.push_back(item::uint(t->chain_id));
    fields.push_back(item::uint(0));
    fields.push_back(item::uint(0));
    return rlp::encode(item::list_of(std::move(fields)));
  }
  const auto& t2 = std::get<eip1559_tx>(tx);
  bytes out{0x02};
  auto body = rlp::encode(item::list_of(eip1559_fields(t2)));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

hash32 signing_hash(const unsigned_tx& tx) {
  return keccak256(signing_payload(tx));
}

signed_tx sign(const unsigned_tx& tx, const private_key& key) {
  auto sig = key.sign(signing_hash(tx));
  signed_tx out;
  if (auto* t = std::get_if<legacy_tx>(&tx)) {
    auto fields = legacy_fields(*t);
    fields.push_back(item::uint(t->chain_id * 2 + 35 + sig.recid));
    fields.push_back(hash_as_uint(sig.r));
    fields.push_back(hash_as_uint(sig.s));
    out.raw = rlp::encode(item::list_of(std::move(fields)));
  } else {
    auto fields = eip1559_fields(std::get<eip1559_tx>(tx));
    fields.push_back(item::uint(sig.recid));
    fields.push_back(hash_as_uint(sig.r));
    fields.push_back(hash_as_uint(sig.s));
    out.raw = bytes{0x02};
    auto body = rlp::encode(item::list_of(std::move(fields)));
    out.raw.insert(out.raw.end(), body.begin(), body.end());
  }
  out.hash = keccak256(out.raw);
  return out;
}

caf::expected<decoded_tx> decode_signed(const bytes& raw) {
  if (raw.empty())
    return bad("empty");
  if (raw[0] == 0x02)
    return decode_1559(raw);
  if (raw[0] >= 0xc0)
    return decode_legacy(raw);
  return bad("unsupported transaction type 0x" + ves::to_hex(raw.data(), 1));
}

} // namespace seq::chain
