// SPDX-License-Identifier: Apache-2.0
#include "adapters/chain/rlp.hpp"

#include "messages/errc.hpp"

namespace seq::chain::rlp {

namespace {

/// Big-endian bytes of `n` without leading zeros.
bytes length_bytes(size_t n) {
  bytes out;
  for (int shift = 56; shift >= 0; shift -= 8) {
    auto b = static_cast<uint8_t>(n >> shift);
    if (b != 0 || !out.empty())
      out.push_back(b);
  }
  return out;
}

/// The header of a payload of `n` bytes: `short_base` is 0x80 (strings) or 0xc0 (lists).
void put_header(bytes& out, size_t n, uint8_t short_base) {
  if (n < 56) {
    out.push_back(static_cast<uint8_t>(short_base + n));
    return;
  }
  auto len = length_bytes(n);
  out.push_back(static_cast<uint8_t>(short_base + 55 + len.size()));
  out.insert(out.end(), len.begin(), len.end());
}

caf::error bad(size_t offset, const std::string& what) {
  return make_error(errc::invalid_request, "rlp: " + what + " at offset " + std::to_string(offset));
}

/// Decodes one item starting at `pos` (< end); advances `pos` past it.
caf::expected<item> decode_at(const uint8_t* data, size_t& pos, size_t end, int depth) {
  if (depth > 64)
    return bad(pos, "nesting too deep");
  const size_t start = pos;
  uint8_t b0 = data[pos++];
  if (b0 < 0x80)
    return item::string(bytes{b0});
  bool list = b0 >= 0xc0;
  uint8_t base = list ? 0xc0 : 0x80;
  size_t len = 0;
  if (b0 - base < 56) {
    len = static_cast<size_t>(b0 - base);
  } else {
    size_t len_of_len = static_cast<size_t>(b0 - base - 55);
    if (len_of_len > 8 || end - pos < len_of_len)
      return bad(start, "truncated length");
    if (data[pos] == 0)
      return bad(start, "length with a leading zero");
    for (size_t i = 0; i < len_of_len; ++i)
      len = (len << 8) | data[pos++];
    if (len < 56)
      return bad(start, "long form for a short length");
  }
  if (end - pos < len)
    return bad(start, "payload runs past the end");
  if (!list) {
    if (len == 1 && data[pos] < 0x80)
      return bad(start, "single byte below 0x80 wrapped in a header");
    item x = item::string(bytes(data + pos, data + pos + len));
    pos += len;
    return x;
  }
  item x;
  x.is_list = true;
  size_t list_end = pos + len;
  while (pos < list_end) {
    auto child = decode_at(data, pos, list_end, depth + 1);
    if (!child)
      return std::move(child.error());
    x.list.push_back(std::move(*child));
  }
  return x;
}

} // namespace

item item::string(bytes b) {
  item x;
  x.str = std::move(b);
  return x;
}

item item::string(std::string_view s) {
  return string(bytes(s.begin(), s.end()));
}

item item::uint(uint64_t v) {
  return string(u256::from_u64(v).minimal());
}

item item::uint(const u256& v) {
  return string(v.minimal());
}

item item::list_of(std::vector<item> items) {
  item x;
  x.is_list = true;
  x.list = std::move(items);
  return x;
}

bytes encode_string(const uint8_t* data, size_t n) {
  bytes out;
  if (n == 1 && data[0] < 0x80) {
    out.push_back(data[0]);
    return out;
  }
  put_header(out, n, 0x80);
  out.insert(out.end(), data, data + n);
  return out;
}

bytes encode_uint(uint64_t v) {
  return encode_string(u256::from_u64(v).minimal());
}

bytes encode_list(const std::vector<bytes>& encoded_items) {
  size_t total = 0;
  for (const auto& e : encoded_items)
    total += e.size();
  bytes out;
  out.reserve(total + 9);
  put_header(out, total, 0xc0);
  for (const auto& e : encoded_items)
    out.insert(out.end(), e.begin(), e.end());
  return out;
}

bytes encode(const item& x) {
  if (!x.is_list)
    return encode_string(x.str);
  std::vector<bytes> parts;
  parts.reserve(x.list.size());
  for (const auto& child : x.list)
    parts.push_back(encode(child));
  return encode_list(parts);
}

caf::expected<item> decode(const uint8_t* data, size_t n) {
  if (n == 0)
    return bad(0, "empty input");
  size_t pos = 0;
  auto x = decode_at(data, pos, n, 0);
  if (!x)
    return x;
  if (pos != n)
    return bad(pos, "trailing bytes");
  return x;
}

caf::expected<u256> as_uint(const item& x) {
  if (x.is_list)
    return make_error(errc::invalid_request, "rlp: expected an integer, got a list");
  if (!x.str.empty() && x.str[0] == 0)
    return make_error(errc::invalid_request, "rlp: integer with a leading zero");
  auto v = u256::from_be(x.str.data(), x.str.size());
  if (!v)
    return make_error(errc::invalid_request, "rlp: integer longer than 32 bytes");
  return *v;
}

} // namespace seq::chain::rlp
