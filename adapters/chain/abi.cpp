// SPDX-License-Identifier: Apache-2.0
#include "adapters/chain/abi.hpp"

#include "messages/errc.hpp"

#include <algorithm>

namespace seq::chain::abi {

namespace {

word uint_word(const u256& v) {
  return v.be;
}

caf::error bad(const std::string& what) {
  return make_error(errc::chain_rejected, "abi: " + what);
}

} // namespace

// -- encoder ----------------------------------------------------------------------------------

encoder::encoder(const selector& sel) : has_selector_(true), sel_(sel) {}

encoder& encoder::add_bytes32(const hash32& v) {
  slot s;
  s.head = v;
  slots_.push_back(std::move(s));
  return *this;
}

encoder& encoder::add_uint(uint64_t v) {
  return add_uint256(u256::from_u64(v));
}

encoder& encoder::add_uint256(const u256& v) {
  slot s;
  s.head = uint_word(v);
  slots_.push_back(std::move(s));
  return *this;
}

encoder& encoder::add_address(const address& v) {
  slot s;
  std::copy(v.b.begin(), v.b.end(), s.head.begin() + 12);
  slots_.push_back(std::move(s));
  return *this;
}

encoder& encoder::add_bool(bool v) {
  slot s;
  s.head[31] = v ? 1 : 0;
  slots_.push_back(std::move(s));
  return *this;
}

encoder& encoder::add_bytes32_array(const std::vector<hash32>& v) {
  slot s;
  s.dynamic = true;
  auto len = uint_word(u256::from_u64(v.size()));
  s.tail.insert(s.tail.end(), len.begin(), len.end());
  for (const auto& h : v)
    s.tail.insert(s.tail.end(), h.begin(), h.end());
  slots_.push_back(std::move(s));
  return *this;
}

encoder& encoder::add_bytes(const bytes& v) {
  slot s;
  s.dynamic = true;
  auto len = uint_word(u256::from_u64(v.size()));
  s.tail.insert(s.tail.end(), len.begin(), len.end());
  s.tail.insert(s.tail.end(), v.begin(), v.end());
  s.tail.resize(32 + (v.size() + 31) / 32 * 32, 0);
  slots_.push_back(std::move(s));
  return *this;
}

bytes encoder::finish() const {
  bytes out;
  if (has_selector_)
    out.insert(out.end(), sel_.begin(), sel_.end());
  // Offsets of dynamic parts count from the start of the argument block (after the selector).
  size_t tail_offset = 32 * slots_.size();
  for (const auto& s : slots_) {
    if (s.dynamic) {
      auto off = uint_word(u256::from_u64(tail_offset));
      out.insert(out.end(), off.begin(), off.end());
      tail_offset += s.tail.size();
    } else {
      out.insert(out.end(), s.head.begin(), s.head.end());
    }
  }
  for (const auto& s : slots_)
    if (s.dynamic)
      out.insert(out.end(), s.tail.begin(), s.tail.end());
  return out;
}

// -- decoder ----------------------------------------------------------------------------------

caf::expected<word> decoder::at(size_t index) const {
  if (data_.size() < 32 * (index + 1))
    return bad("return data has " + std::to_string(data_.size()) + " bytes, word "
               + std::to_string(index) + " is missing");
  word w{};
  std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(32 * index), 32, w.begin());
  return w;
}

caf::expected<hash32> decoder::bytes32(size_t index) const {
  return at(index);
}

caf::expected<uint64_t> decoder::uint64(size_t index) const {
  auto v = uint256(index);
  if (!v)
    return std::move(v.error());
  if (!v->fits_u64())
    return bad("word " + std::to_string(index) + " does not fit in 64 bits");
  return v->low_u64();
}

caf::expected<u256> decoder::uint256(size_t index) const {
  auto w = at(index);
  if (!w)
    return std::move(w.error());
  u256 v;
  v.be = *w;
  return v;
}

caf::expected<address> decoder::addr(size_t index) const {
  auto w = at(index);
  if (!w)
    return std::move(w.error());
  if (!std::all_of(w->begin(), w->begin() + 12, [](uint8_t b) { return b == 0; }))
    return bad("word " + std::to_string(index) + " is not an address");
  address a;
  std::copy(w->begin() + 12, w->end(), a.b.begin());
  return a;
}

caf::expected<bool> decoder::boolean(size_t index) const {
  auto v = uint256(index);
  if (!v)
    return std::move(v.error());
  if (!v->fits_u64() || v->low_u64() > 1)
    return bad("word " + std::to_string(index) + " is not a bool");
  return v->low_u64() == 1;
}

caf::expected<std::vector<hash32>> decoder::bytes32_array(size_t index) const {
  auto off = uint64(index);
  if (!off)
    return std::move(off.error());
  if (*off % 32 != 0)
    return bad("unaligned array offset");
  size_t first = static_cast<size_t>(*off / 32);
  auto len = uint64(first);
  if (!len)
    return std::move(len.error());
  if (*len > words())
    return bad("array length beyond the data");
  std::vector<hash32> out;
  out.reserve(static_cast<size_t>(*len));
  for (size_t i = 0; i < *len; ++i) {
    auto h = bytes32(first + 1 + i);
    if (!h)
      return std::move(h.error());
    out.push_back(*h);
  }
  return out;
}

// -- revert data ------------------------------------------------------------------------------

std::string describe_revert(const bytes& data) {
  if (data.empty())
    return "reverted without a reason";
  if (data.size() < 4)
    return "reverted with malformed data 0x" + ves::to_hex(data);
  selector sel{data[0], data[1], data[2], data[3]};
  decoder args(bytes(data.begin() + 4, data.end()));
  if (sel == function_selector("Error(string)")) {
    auto off = args.uint64(0);
    if (off && *off % 32 == 0) {
      auto len = args.uint64(static_cast<size_t>(*off / 32));
      size_t start = 4 + static_cast<size_t>(*off) + 32;
      if (len && start + *len <= data.size())
        return std::string(data.begin() + static_cast<std::ptrdiff_t>(start),
                           data.begin() + static_cast<std::ptrdiff_t>(start + *len));
    }
    return "reverted with a malformed Error(string)";
  }
  if (sel == function_selector("Panic(uint256)")) {
    auto code = args.uint64(0);
    return "panic " + (code ? to_quantity(*code) : std::string{"(malformed)"});
  }
  // The custom errors of deploy/contracts/ (and of the reference SetRegistry), by name.
  if (sel == function_selector("SequenceGap(uint64,uint64)")) {
    auto e = args.uint64(0), p = args.uint64(1);
    if (e && p)
      return "SequenceGap(expected " + std::to_string(*e) + ", provided " + std::to_string(*p)
             + ")";
  }
  if (sel == function_selector("StateRootMismatch(bytes32,bytes32)")) {
    auto e = args.bytes32(0), p = args.bytes32(1);
    if (e && p)
      return "StateRootMismatch(expected " + to_data(*e) + ", provided " + to_data(*p) + ")";
  }
  for (const char* name :
       {"NotOwner()", "NotAuthorizedSequencer()", "InvalidSequenceRange()", "EmptyEventsRoot()",
        "EmptyBatch()", "BatchAlreadyCommitted()", "InvalidProof()"})
    if (sel == function_selector(name))
      return name;
  std::string out = "custom error 0x" + ves::to_hex(sel);
  for (size_t i = 0; i < args.words(); ++i) {
    auto w = args.bytes32(i);
    out += (i == 0 ? " (" : ", ") + ves::to_hex(*w);
  }
  if (args.words() > 0)
    out += ")";
  return out;
}

} // namespace seq::chain::abi
