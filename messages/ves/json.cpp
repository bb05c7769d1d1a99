// SPDX-License-Identifier: Apache-2.0
#include "messages/ves/json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>
#include <unordered_map>

namespace seq::ves::json {

namespace {

// -- number formatting ------------------------------------------------------------------------

/// A finite, non-zero double as its shortest round-trip decimal digits: value =
/// d[0].d[1]d[2]… × 10^exp (no trailing zeros in `digits`).
struct shortest_decimal {
  bool negative = false;
  std::string digits;
  int exp = 0;
};

shortest_decimal to_shortest(double d) {
  // std::to_chars without a precision gives the shortest representation that round-trips
  // (libstdc++ implements it with Ryu), e.g. "1.2345678901234568e+29", "5e-324".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string_view s{buf, static_cast<size_t>(res.ptr - buf)};
  shortest_decimal out;
  size_t i = 0;
  if (s[i] == '-') {
    out.negative = true;
    ++i;
  }
  for (; i < s.size() && s[i] != 'e'; ++i)
    if (s[i] != '.')
      out.digits.push_back(s[i]);
  ++i; // 'e'
  bool exp_negative = s[i] == '-';
  ++i; // sign
  int e = 0;
  for (; i < s.size(); ++i)
    e = e * 10 + (s[i] - '0');
  out.exp = exp_negative ? -e : e;
  while (out.digits.size() > 1 && out.digits.back() == '0')
    out.digits.pop_back();
  return out;
}

// -- UTF-8 / UTF-16 ---------------------------------------------------------------------------

/// The UTF-16 code units of a UTF-8 string (invalid bytes map to themselves; the parser never
/// produces them).
std::u16string utf16_units(std::string_view s) {
  std::u16string out;
  out.reserve(s.size());
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(s[k])); };
  for (size_t i = 0; i < s.size();) {
    uint32_t c = byte(i);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xf0 && i + 3 < s.size()) {
      cp = (c & 0x07u) << 18 | (byte(i + 1) & 0x3fu) << 12 | (byte(i + 2) & 0x3fu) << 6
           | (byte(i + 3) & 0x3fu);
      len = 4;
    } else if (c >= 0xe0 && i + 2 < s.size()) {
      cp = (c & 0x0fu) << 12 | (byte(i + 1) & 0x3fu) << 6 | (byte(i + 2) & 0x3fu);
      len = 3;
    } else if (c >= 0xc0 && i + 1 < s.size()) {
      cp = (c & 0x1fu) << 6 | (byte(i + 1) & 0x3fu);
      len = 2;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xd800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
    i += len;
  }
  return out;
}

/// Whether sorting `members`' keys by UTF-16 code units (RFC 8785) may differ from sorting them
/// by UTF-8 bytes. Byte order is code point order; the two orders differ only between a
/// character above U+FFFF (a surrogate pair, D800–DFFF) and one in U+E000–U+FFFF, and the UTF-8
/// of both starts with a byte >= 0xEE. Keys without such a byte sort the same either way.
bool utf16_order_differs(const object& members) {
  for (const auto& m : members)
    for (char c : m.first)
      if (static_cast<uint8_t>(c) >= 0xee)
        return true;
  return false;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

/// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode table 3-7), or 0.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto at = [&](size_t k) -> int {
    return i + k < s.size() ? static_cast<uint8_t>(s[i + k]) : -1;
  };
  auto in = [](int v, int lo, int hi) { return v >= lo && v <= hi; };
  int c = at(0);
  if (in(c, 0x00, 0x7f))
    return 1;
  if (in(c, 0xc2, 0xdf))
    return in(at(1), 0x80, 0xbf) ? 2 : 0;
  if (c == 0xe0)
    return in(at(1), 0xa0, 0xbf) && in(at(2), 0x80, 0xbf) ? 3 : 0;
  if (in(c, 0xe1, 0xec) || in(c, 0xee, 0xef))
    return in(at(1), 0x80, 0xbf) && in(at(2), 0x80, 0xbf) ? 3 : 0;
  if (c == 0xed)
    return in(at(1), 0x80, 0x9f) && in(at(2), 0x80, 0xbf) ? 3 : 0;
  if (c == 0xf0)
    return in(at(1), 0x90, 0xbf) && in(at(2), 0x80, 0xbf) && in(at(3), 0x80, 0xbf) ? 4 : 0;
  if (in(c, 0xf1, 0xf3))
    return in(at(1), 0x80, 0xbf) && in(at(2), 0x80, 0xbf) && in(at(3), 0x80, 0xbf) ? 4 : 0;
  if (c == 0xf4)
    return in(at(1), 0x80, 0x8f) && in(at(2), 0x80, 0xbf) && in(at(3), 0x80, 0xbf) ? 4 : 0;
  return 0;
}

// -- parser -----------------------------------------------------------------------------------

/// serde_json's recursion limit: it starts with 128 and fails when entering a container
/// brings the budget to zero, so at most 127 containers can be nested.
constexpr size_t max_nesting = 127;

/// Objects with more members than this get a hash index for duplicate detection.
constexpr size_t linear_lookup_limit = 16;

class parser {
public:
  explicit parser(std::string_view text) : s_(text) {
  }

  std::variant<value, parse_error> run() {
    value v;
    skip_ws();
    if (!parse_value(v, 0))
      return err_;
    skip_ws();
    if (pos_ != s_.size()) {
      fail("trailing characters");
      return err_;
    }
    return v;
  }

private:
  bool fail(const char* msg) {
    err_.offset = pos_;
    err_.message = msg;
    return false;
  }

  bool at_end() const {
    return pos_ >= s_.size();
  }

  char peek() const {
    return s_[pos_];
  }

  void skip_ws() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        return;
      ++pos_;
    }
  }

  bool parse_value(value& out, size_t depth) {
    if (at_end())
      return fail("EOF while parsing a value");
    switch (peek()) {
      case '{':
        return parse_object(out, depth);
      case '[':
        return parse_array(out, depth);
      case '"': {
        std::string str;
        if (!parse_string(str))
          return false;
        out = value{std::move(str)};
        return true;
      }
      case 't':
        return parse_literal("true", value{true}, out);
      case 'f':
        return parse_literal("false", value{false}, out);
      case 'n':
        return parse_literal("null", value{}, out);
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9'))
          return parse_number(out);
        return fail("expected value");
    }
  }

  bool parse_literal(std::string_view word, value v, value& out) {
    for (size_t i = 0; i < word.size(); ++i, ++pos_) {
      if (at_end())
        return fail("EOF while parsing a value");
      if (peek() != word[i])
        return fail("expected value");
    }
    out = std::move(v);
    return true;
  }

  // A container's items are parsed onto a stack shared by all nesting levels and moved into
  // a vector of exactly their number when it closes: one allocation per container instead of
  // one per doubling of its size.

  bool parse_array(value& out, size_t depth) {
    if (depth + 1 > max_nesting)
      return fail("recursion limit exceeded");
    ++pos_; // '['
    const size_t base = items_.size();
    skip_ws();
    if (!at_end() && peek() == ']') {
      ++pos_;
      out = value{array{}};
      return true;
    }
    for (;;) {
      value item;
      skip_ws();
      if (!parse_value(item, depth + 1))
        return false;
      items_.push_back(std::move(item));
      skip_ws();
      if (at_end())
        return fail("EOF while parsing a list");
      if (peek() == ',') {
        ++pos_;
        skip_ws();
        if (!at_end() && peek() == ']')
          return fail("trailing comma");
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        out = value{take(items_, base)};
        return true;
      }
      return fail("expected ',' or ']'");
    }
  }

  bool parse_object(value& out, size_t depth) {
    if (depth + 1 > max_nesting)
      return fail("recursion limit exceeded");
    ++pos_; // '{'
    const size_t base = members_.size();
    std::unordered_map<std::string, size_t> index; // allocates only past linear_lookup_limit
    skip_ws();
    if (!at_end() && peek() == '}') {
      ++pos_;
      out = value{object{}};
      return true;
    }
    for (;;) {
      skip_ws();
      if (at_end())
        return fail("EOF while parsing an object");
      if (peek() != '"')
        return fail(peek() == '}' ? "trailing comma" : "key must be a string");
      std::string key;
      if (!parse_string(key))
        return false;
      skip_ws();
      if (at_end())
        return fail("EOF while parsing an object");
      if (peek() != ':')
        return fail("expected ':'");
      ++pos_;
      skip_ws();
      value v;
      if (!parse_value(v, depth + 1))
        return false;
      insert_member(base, index, std::move(key), std::move(v));
      skip_ws();
      if (at_end())
        return fail("EOF while parsing an object");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        out = value{take(members_, base)};
        return true;
      }
      return fail("expected ',' or '}'");
    }
  }

  /// The stack's entries from `base` on, moved out into a vector of their own.
  template <class T>
  static std::vector<T> take(std::vector<T>& stack, size_t base) {
    auto first = stack.begin() + static_cast<std::ptrdiff_t>(base);
    std::vector<T> out(std::make_move_iterator(first), std::make_move_iterator(stack.end()));
    stack.erase(first, stack.end());
    return out;
  }

  /// Adds a member to the object whose members start at `base` of the member stack.
  /// Duplicate keys: the last value wins, at the position of the first occurrence.
  void insert_member(size_t base, std::unordered_map<std::string, size_t>& index,
                     std::string key, value v) {
    const size_t count = members_.size() - base;
    if (count < linear_lookup_limit) {
      for (size_t i = base; i < members_.size(); ++i) {
        if (members_[i].first == key) {
          members_[i].second = std::move(v);
          return;
        }
      }
      members_.emplace_back(std::move(key), std::move(v));
      if (count + 1 == linear_lookup_limit)
        for (size_t i = base; i < members_.size(); ++i)
          index.emplace(members_[i].first, i);
      return;
    }
    auto [it, inserted] = index.emplace(key, members_.size());
    if (!inserted) {
      members_[it->second].second = std::move(v);
      return;
    }
    members_.emplace_back(std::move(key), std::move(v));
  }

  bool read_hex4(uint32_t& out) {
    out = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      if (at_end())
        return fail("EOF while parsing a string");
      char c = peek();
      uint32_t v;
      if (c >= '0' && c <= '9')
        v = static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v = static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v = static_cast<uint32_t>(c - 'A' + 10);
      else
        return fail("invalid escape");
      out = out << 4 | v;
    }
    return true;
  }

  bool parse_escape(std::string& out) {
    ++pos_; // '\'
    if (at_end())
      return fail("EOF while parsing a string");
    char c = peek();
    ++pos_;
    switch (c) {
      case '"':
        out.push_back('"');
        return true;
      case '\\':
        out.push_back('\\');
        return true;
      case '/':
        out.push_back('/');
        return true;
      case 'b':
        out.push_back('\b');
        return true;
      case 'f':
        out.push_back('\f');
        return true;
      case 'n':
        out.push_back('\n');
        return true;
      case 'r':
        out.push_back('\r');
        return true;
      case 't':
        out.push_back('\t');
        return true;
      case 'u':
        break;
      default:
        --pos_;
        return fail("invalid escape");
    }
    size_t escape_start = pos_ - 2;
    uint32_t cp;
    if (!read_hex4(cp))
      return false;
    if (cp >= 0xdc00 && cp <= 0xdfff) {
      pos_ = escape_start;
      return fail("lone trailing surrogate in hex escape");
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
      if (pos_ + 1 >= s_.size() || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') {
        pos_ = escape_start;
        return fail("lone leading surrogate in hex escape");
      }
      pos_ += 2;
      uint32_t lo;
      if (!read_hex4(lo))
        return false;
      if (lo < 0xdc00 || lo > 0xdfff) {
        pos_ = escape_start;
        return fail("lone leading surrogate in hex escape");
      }
      cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    append_utf8(out, cp);
    return true;
  }

  bool parse_string(std::string& out) {
    ++pos_; // opening quote
    for (;;) {
      size_t run = pos_;
      while (pos_ < s_.size()) {
        auto c = static_cast<uint8_t>(s_[pos_]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
          break;
        ++pos_;
      }
      out.append(s_.data() + run, pos_ - run);
      if (at_end())
        return fail("EOF while parsing a string");
      auto c = static_cast<uint8_t>(peek());
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (!parse_escape(out))
          return false;
        continue;
      }
      if (c < 0x20)
        return fail("control character (\\u0000-\\u001F) found while parsing a string");
      auto len = utf8_sequence_length(s_, pos_);
      if (len == 0)
        return fail("invalid UTF-8");
      out.append(s_.data() + pos_, len);
      pos_ += len;
    }
  }

  bool parse_number(value& out) {
    size_t start = pos_;
    bool negative = false;
    if (peek() == '-') {
      negative = true;
      ++pos_;
    }
    if (at_end())
      return fail("EOF while parsing a value");
    size_t int_start = pos_;
    if (peek() == '0') {
      ++pos_;
      if (!at_end() && peek() >= '0' && peek() <= '9')
        return fail("invalid number");
    } else if (peek() >= '1' && peek() <= '9') {
      while (!at_end() && peek() >= '0' && peek() <= '9')
        ++pos_;
    } else {
      return fail("invalid number");
    }
    size_t int_end = pos_;
    size_t frac_start = pos_, frac_end = pos_;
    bool integral = true;
    if (!at_end() && peek() == '.') {
      integral = false;
      ++pos_;
      frac_start = pos_;
      if (at_end() || peek() < '0' || peek() > '9')
        return fail(at_end() ? "EOF while parsing a value" : "invalid number");
      while (!at_end() && peek() >= '0' && peek() <= '9')
        ++pos_;
      frac_end = pos_;
    }
    int64_t exp = 0;
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      integral = false;
      ++pos_;
      bool exp_negative = false;
      if (!at_end() && (peek() == '+' || peek() == '-')) {
        exp_negative = peek() == '-';
        ++pos_;
      }
      if (at_end() || peek() < '0' || peek() > '9')
        return fail(at_end() ? "EOF while parsing a value" : "invalid number");
      while (!at_end() && peek() >= '0' && peek() <= '9') {
        if (exp < 1'000'000'000)
          exp = exp * 10 + (peek() - '0');
        ++pos_;
      }
      if (exp_negative)
        exp = -exp;
    }
    number n;
    n.lexeme = std::string{s_.substr(start, pos_ - start)};
    if (integral) {
      // serde_json: non-negative literals that fit u64 are PosInt; negative literals whose
      // magnitude is in [1, 2^63] are NegInt; everything else (incl. -0) is an f64.
      uint64_t mag = 0;
      bool fits = true;
      for (size_t i = int_start; i < int_end; ++i) {
        auto digit = static_cast<uint64_t>(s_[i] - '0');
        if (mag > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
          fits = false;
          break;
        }
        mag = mag * 10 + digit;
      }
      if (fits && !negative) {
        n.is_u64 = true;
        n.u = mag;
      } else if (fits && negative && mag >= 1 && mag <= (uint64_t{1} << 63)) {
        n.is_i64 = true;
        n.i = static_cast<int64_t>(~mag + 1); // two's complement negation, exact for 2^63
      }
    }
    auto res = std::from_chars(n.lexeme.data(), n.lexeme.data() + n.lexeme.size(), n.d);
    if (res.ec == std::errc::result_out_of_range) {
      // Decide overflow vs underflow from the decimal magnitude of the literal.
      int64_t point = static_cast<int64_t>(int_end - int_start);
      int64_t first_nonzero = -1, k = 0;
      for (size_t i = int_start; i < int_end && first_nonzero < 0; ++i, ++k)
        if (s_[i] != '0')
          first_nonzero = k;
      for (size_t i = frac_start; i < frac_end && first_nonzero < 0; ++i, ++k)
        if (s_[i] != '0')
          first_nonzero = k;
      if (first_nonzero >= 0 && point - first_nonzero + exp > 0) {
        pos_ = start;
        return fail("number out of range");
      }
      n.d = negative ? -0.0 : 0.0;
    } else if (res.ec != std::errc{} || res.ptr != n.lexeme.data() + n.lexeme.size()) {
      pos_ = start;
      return fail("invalid number");
    }
    if (!std::isfinite(n.d)) {
      pos_ = start;
      return fail("number out of range");
    }
    out = value{std::move(n)};
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
  parse_error err_;
  object members_; ///< the members of the objects being parsed, innermost last
  array items_;    ///< the items of the arrays being parsed, innermost last
};

// -- writers ----------------------------------------------------------------------------------

void write_quoted(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0x0f]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

enum class style { document, jcs, legacy };

void write_value(std::string& out, const value& v, style st);

void write_number(std::string& out, const number& n, style st) {
  switch (st) {
    case style::document:
      out += n.lexeme.empty() ? ecmascript_number(n.d) : n.lexeme;
      return;
    case style::jcs:
      out += ecmascript_number(n.d);
      return;
    case style::legacy:
      if (n.is_u64)
        out += std::to_string(n.u);
      else if (n.is_i64)
        out += std::to_string(n.i);
      else
        out += rust_ryu_number(n.d);
      return;
  }
}

void write_object(std::string& out, const object& members, style st) {
  out.push_back('{');
  if (st == style::document) {
    bool first = true;
    for (const auto& [k, v] : members) {
      if (!first)
        out.push_back(',');
      first = false;
      write_quoted(out, k);
      out.push_back(':');
      write_value(out, v, st);
    }
  } else if (st == style::jcs && utf16_order_differs(members)) {
    std::vector<std::pair<std::u16string, const object::value_type*>> sorted;
    sorted.reserve(members.size());
    for (const auto& m : members)
      sorted.emplace_back(utf16_units(m.first), &m);
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (i > 0)
        out.push_back(',');
      write_quoted(out, sorted[i].second->first);
      out.push_back(':');
      write_value(out, sorted[i].second->second, st);
    }
  } else {
    // Sorted by bytes: Rust's order for String keys (style::sorted), and the order of RFC 8785
    // (UTF-16 code units) too unless utf16_order_differs.
    std::vector<const object::value_type*> sorted;
    sorted.reserve(members.size());
    for (const auto& m : members)
      sorted.push_back(&m);
    // std::string compares like memcmp (unsigned bytes).
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (i > 0)
        out.push_back(',');
      write_quoted(out, sorted[i]->first);
      out.push_back(':');
      write_value(out, sorted[i]->second, st);
    }
  }
  out.push_back('}');
}

void write_value(std::string& out, const value& v, style st) {
  switch (v.type()) {
    case kind::null:
      out += "null";
      return;
    case kind::boolean:
      out += v.as_bool() ? "true" : "false";
      return;
    case kind::num:
      write_number(out, v.as_number(), st);
      return;
    case kind::string:
      write_quoted(out, v.as_string());
      return;
    case kind::arr: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : v.as_array()) {
        if (!first)
          out.push_back(',');
        first = false;
        write_value(out, item, st);
      }
      out.push_back(']');
      return;
    }
    case kind::obj:
      write_object(out, v.as_object(), st);
      return;
  }
}

} // namespace

// -- value ------------------------------------------------------------------------------------

value value::from_u64(uint64_t v) {
  number n;
  n.lexeme = std::to_string(v);
  n.d = static_cast<double>(v);
  n.is_u64 = true;
  n.u = v;
  return value{std::move(n)};
}

value value::from_i64(int64_t v) {
  if (v >= 0)
    return from_u64(static_cast<uint64_t>(v));
  number n;
  n.lexeme = std::to_string(v);
  n.d = static_cast<double>(v);
  n.is_i64 = true;
  n.i = v;
  return value{std::move(n)};
}

value value::from_double(double v) {
  if (!std::isfinite(v))
    return value{}; // serde_json turns non-finite floats into null
  number n;
  n.lexeme = rust_ryu_number(v); // always has '.' or 'e', so it re-parses as a float
  n.d = v;
  return value{std::move(n)};
}

const value* value::find(std::string_view key) const {
  if (!is_object())
    return nullptr;
  for (const auto& [k, v] : as_object())
    if (k == key)
      return &v;
  return nullptr;
}

void value::set(std::string key, value v) {
  if (!is_object()) {
    v_ = std::make_shared<object>();
  } else if (std::get<std::shared_ptr<object>>(v_).use_count() > 1) {
    // Copies share their members; copy on write keeps value semantics.
    v_ = std::make_shared<object>(as_object());
  }
  auto& members = as_object();
  for (auto& m : members) {
    if (m.first == key) {
      m.second = std::move(v);
      return;
    }
  }
  members.emplace_back(std::move(key), std::move(v));
}

std::string value::dump() const {
  std::string out;
  write_value(out, *this, style::document);
  return out;
}

std::string value::jcs() const {
  std::string out;
  write_value(out, *this, style::jcs);
  return out;
}

std::string value::legacy_canonical() const {
  std::string out;
  write_value(out, *this, style::legacy);
  return out;
}

bool value::operator==(const value& other) const {
  if (type() != other.type())
    return false;
  switch (type()) {
    case kind::null:
      return true;
    case kind::boolean:
      return as_bool() == other.as_bool();
    case kind::num:
      // Equal JCS text <=> equal doubles (finite values only; -0 == 0 prints "0" too).
      return as_number().d == other.as_number().d;
    case kind::string:
      return as_string() == other.as_string();
    case kind::arr: {
      const auto& a = as_array();
      const auto& b = other.as_array();
      if (a.size() != b.size())
        return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!(a[i] == b[i]))
          return false;
      return true;
    }
    case kind::obj: {
      const auto& a = as_object();
      const auto& b = other.as_object();
      if (a.size() != b.size())
        return false;
      for (const auto& [k, v] : a) {
        auto* w = other.find(k);
        if (w == nullptr || !(v == *w))
          return false;
      }
      return true;
    }
  }
  return false;
}

// -- free functions ---------------------------------------------------------------------------

std::variant<value, parse_error> parse(std::string_view text) {
  return parser{text}.run();
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto len = utf8_sequence_length(s, i);
    if (len == 0)
      return false;
    i += len;
  }
  return true;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto len = utf8_sequence_length(s, i);
    if (len == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::optional<value> try_parse(std::string_view text, std::string* err) {
  auto res = parse(text);
  if (auto* e = std::get_if<parse_error>(&res)) {
    if (err != nullptr)
      *err = e->message + " at offset " + std::to_string(e->offset);
    return std::nullopt;
  }
  return std::get<value>(std::move(res));
}

std::string ecmascript_number(double d) {
  if (std::isnan(d))
    return "NaN";
  if (std::isinf(d))
    return d < 0 ? "-Infinity" : "Infinity";
  if (d == 0)
    return "0"; // also for -0
  auto sd = to_shortest(d);
  const auto& s = sd.digits;
  auto k = static_cast<int>(s.size());
  int n = sd.exp + 1; // value = 0.s × 10^n
  std::string out;
  if (sd.negative)
    out.push_back('-');
  if (k <= n && n <= 21) {
    out += s;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(s, 0, static_cast<size_t>(n));
    out.push_back('.');
    out.append(s, static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += s;
  } else {
    out.push_back(s[0]);
    if (k > 1) {
      out.push_back('.');
      out.append(s, 1);
    }
    out.push_back('e');
    out.push_back(n - 1 >= 0 ? '+' : '-');
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

std::string rust_ryu_number(double d) {
  if (std::isnan(d))
    return "NaN";
  if (std::isinf(d))
    return d < 0 ? "-inf" : "inf";
  if (d == 0)
    return std::signbit(d) ? "-0.0" : "0.0";
  auto sd = to_shortest(d);
  const auto& s = sd.digits;
  auto length = static_cast<int>(s.size());
  int kk = sd.exp + 1;     // 10^(kk-1) <= |v| < 10^kk
  int k = kk - length;     // v = digits × 10^k
  std::string out;
  if (sd.negative)
    out.push_back('-');
  if (0 <= k && kk <= 16) {
    out += s;
    out.append(static_cast<size_t>(k), '0');
    out += ".0";
  } else if (0 < kk && kk <= 16) {
    out.append(s, 0, static_cast<size_t>(kk));
    out.push_back('.');
    out.append(s, static_cast<size_t>(kk));
  } else if (-5 < kk && kk <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-kk), '0');
    out += s;
  } else {
    out.push_back(s[0]);
    if (length > 1) {
      out.push_back('.');
      out.append(s, 1);
    }
    out.push_back('e');
    out += std::to_string(kk - 1);
  }
  return out;
}

std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  write_quoted(out, s);
  return out;
}

void append_quoted(std::string& out, std::string_view s) {
  write_quoted(out, s);
}

} // namespace seq::ves::json
