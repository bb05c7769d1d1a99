// SPDX-License-Identifier: Apache-2.0
#include "adapters/chain/primitives.hpp"

#include "adapters/chain/rlp.hpp"

#include <algorithm>
#include <cctype>

#include <crypto++/keccak.h>

namespace seq::chain {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool strip_0x(std::string_view& s) {
  if (s.size() < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
    return false;
  s.remove_prefix(2);
  return true;
}

} // namespace

// -- keccak -----------------------------------------------------------------------------------

hash32 keccak256(const uint8_t* data, size_t n) {
  CryptoPP::Keccak_256 h;
  h.Update(data, n);
  hash32 out{};
  h.Final(out.data());
  return out;
}

selector function_selector(std::string_view signature) {
  auto h = keccak256(signature);
  return {h[0], h[1], h[2], h[3]};
}

// -- address ----------------------------------------------------------------------------------

bool address::is_zero() const {
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

std::string address::hex() const {
  return "0x" + ves::to_hex(b);
}

std::string address::checksummed() const {
  auto lower = ves::to_hex(b);
  auto h = keccak256(lower);
  std::string out = "0x";
  for (size_t i = 0; i < lower.size(); ++i) {
    char c = lower[i];
    int nibble = (i % 2 == 0) ? (h[i / 2] >> 4) : (h[i / 2] & 0x0f);
    if (c >= 'a' && c <= 'f' && nibble >= 8)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.push_back(c);
  }
  return out;
}

std::optional<address> address::parse(std::string_view s) {
  if (!strip_0x(s) || s.size() != 40)
    return std::nullopt;
  bool has_lower = false, has_upper = false;
  address a;
  for (size_t i = 0; i < 40; ++i) {
    int d = hex_digit(s[i]);
    if (d < 0)
      return std::nullopt;
    has_lower |= (s[i] >= 'a' && s[i] <= 'f');
    has_upper |= (s[i] >= 'A' && s[i] <= 'F');
    if (i % 2 == 0)
      a.b[i / 2] = static_cast<uint8_t>(d << 4);
    else
      a.b[i / 2] |= static_cast<uint8_t>(d);
  }
  if (has_lower && has_upper && a.checksummed().substr(2) != s)
    return std::nullopt;
  return a;
}

address address::from_public_key(const std::array<uint8_t, 64>& xy) {
  auto h = keccak256(xy);
  address a;
  std::copy(h.begin() + 12, h.end(), a.b.begin());
  return a;
}

address contract_address(const address& sender, uint64_t nonce) {
  auto enc = rlp::encode_list(
    {rlp::encode_string(sender.b.data(), sender.b.size()), rlp::encode_uint(nonce)});
  auto h = keccak256(enc);
  address a;
  std::copy(h.begin() + 12, h.end(), a.b.begin());
  return a;
}

// -- u256 -------------------------------------------------------------------------------------

u256 u256::from_u64(uint64_t v) {
  u256 x;
  for (int i = 0; i < 8; ++i)
    x.be[31 - i] = static_cast<uint8_t>(v >> (8 * i));
  return x;
}

std::optional<u256> u256::from_be(const uint8_t* data, size_t n) {
  if (n > 32)
    return std::nullopt;
  u256 x;
  std::copy(data, data + n, x.be.begin() + static_cast<std::ptrdiff_t>(32 - n));
  return x;
}

std::optional<u256> u256::from_dec(std::string_view s) {
  if (s.empty() || s.size() > 78)
    return std::nullopt;
  u256 x;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    // x = x * 10 + digit, with overflow detection.
    unsigned carry = static_cast<unsigned>(c - '0');
    for (int i = 31; i >= 0; --i) {
      unsigned v = x.be[static_cast<size_t>(i)] * 10u + carry;
      x.be[static_cast<size_t>(i)] = static_cast<uint8_t>(v & 0xff);
      carry = v >> 8;
    }
    if (carry != 0)
      return std::nullopt;
  }
  return x;
}

bool u256::is_zero() const {
  return std::all_of(be.begin(), be.end(), [](uint8_t b) { return b == 0; });
}

bool u256::fits_u64() const {
  return std::all_of(be.begin(), be.begin() + 24, [](uint8_t b) { return b == 0; });
}

uint64_t u256::low_u64() const {
  uint64_t v = 0;
  for (size_t i = 24; i < 32; ++i)
    v = (v << 8) | be[i];
  return v;
}

bytes u256::minimal() const {
  auto it = std::find_if(be.begin(), be.end(), [](uint8_t b) { return b != 0; });
  return bytes(it, be.end());
}

std::string u256::dec() const {
  auto digits = be;
  std::string out;
  for (;;) {
    bool zero = std::all_of(digits.begin(), digits.end(), [](uint8_t b) { return b == 0; });
    if (zero)
      break;
    unsigned rem = 0;
    for (auto& d : digits) {
      unsigned cur = (rem << 8) | d;
      d = static_cast<uint8_t>(cur / 10);
      rem = cur % 10;
    }
    out.push_back(static_cast<char>('0' + rem));
  }
  if (out.empty())
    return "0";
  std::reverse(out.begin(), out.end());
  return out;
}

// -- quantities -------------------------------------------------------------------------------

std::string to_quantity(uint64_t v) {
  return to_quantity(u256::from_u64(v));
}

std::string to_quantity(const u256& v) {
  auto hex = ves::to_hex(v.be);
  auto pos = hex.find_first_not_of('0');
  if (pos == std::string::npos)
    return "0x0";
  return "0x" + hex.substr(pos);
}

std::optional<u256> parse_quantity256(std::string_view s) {
  if (!strip_0x(s) || s.empty() || s.size() > 64)
    return std::nullopt;
  u256 x;
  size_t pos = 64 - s.size();
  for (char c : s) {
    int d = hex_digit(c);
    if (d < 0)
      return std::nullopt;
    if (pos % 2 == 0)
      x.be[pos / 2] |= static_cast<uint8_t>(d << 4);
    else
      x.be[pos / 2] |= static_cast<uint8_t>(d);
    ++pos;
  }
  return x;
}

std::optional<uint64_t> parse_quantity(std::string_view s) {
  auto v = parse_quantity256(s);
  if (!v || !v->fits_u64())
    return std::nullopt;
  return v->low_u64();
}

std::string to_data(const uint8_t* data, size_t n) {
  return "0x" + ves::to_hex(data, n);
}

std::optional<bytes> parse_data(std::string_view s) {
  if (!strip_0x(s))
    return std::nullopt;
  return ves::from_hex(s, false);
}

} // namespace seq::chain
