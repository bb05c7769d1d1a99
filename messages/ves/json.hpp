// SPDX-License-Identifier: Apache-2.0
#pragma once

/// A small JSON document model with exactly the parsing rules the reference applies
/// (serde_json, strict RFC 8259) and the three ways this project prints JSON:
/// - `jcs()`: RFC 8785 canonical JSON (keys by UTF-16 code units, ECMAScript numbers);
/// - `legacy_canonical()`: serde_json `to_vec` of a `Value` (keys by UTF-8 bytes, integers
///   exact, other numbers in Rust ryu form);
/// - `dump()`: compact JSON in document order, numbers as their original lexeme.
/// Pure functions, no I/O.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace seq::ves::json {

class value;
using array = std::vector<value>;
/// Members in document order; duplicate keys are resolved at parse time (the last wins,
/// keeping the position of the first occurrence).
using object = std::vector<std::pair<std::string, value>>;

/// A number keeps its source lexeme and how serde_json would classify it.
struct number {
  std::string lexeme;    ///< as written in the source (or produced by the builder)
  double d = 0;          ///< correctly rounded double value
  bool is_u64 = false;   ///< integer literal (no fraction/exponent) that fits u64
  bool is_i64 = false;   ///< negative integer literal that fits i64 (and is not -0)
  uint64_t u = 0;        ///< valid when is_u64
  int64_t i = 0;         ///< valid when is_i64
};

enum class kind : uint8_t { null, boolean, num, string, arr, obj };

class value {
public:
  value() = default;
  value(std::nullptr_t) {}
  value(bool b) : v_(b) {}
  value(number n) : v_(std::move(n)) {}
  value(std::string s) : v_(std::move(s)) {}
  value(const char* s) : v_(std::string{s}) {}
  value(array a) : v_(std::make_shared<array>(std::move(a))) {}
  value(object o) : v_(std::make_shared<object>(std::move(o))) {}
  static value from_u64(uint64_t v);
  static value from_i64(int64_t v);
  static value from_double(double v);

  kind type() const { return static_cast<kind>(v_.index()); }
  bool is_null() const { return type() == kind::null; }
  bool is_bool() const { return type() == kind::boolean; }
  bool is_number() const { return type() == kind::num; }
  bool is_string() const { return type() == kind::string; }
  bool is_array() const { return type() == kind::arr; }
  bool is_object() const { return type() == kind::obj; }

  bool as_bool() const { return std::get<bool>(v_); }
  const number& as_number() const { return std::get<number>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const array& as_array() const { return *std::get<std::shared_ptr<array>>(v_); }
  const object& as_object() const { return *std::get<std::shared_ptr<object>>(v_); }
  array& as_array() { return *std::get<std::shared_ptr<array>>(v_); }
  object& as_object() { return *std::get<std::shared_ptr<object>>(v_); }

  /// Object member lookup; nullptr when absent or when this is not an object.
  const value* find(std::string_view key) const;
  /// Adds or replaces a member (this must be an object).
  void set(std::string key, value v);

  /// Compact JSON, document order, original number lexemes.
  std::string dump() const;
  /// RFC 8785 canonical form (see file comment).
  std::string jcs() const;
  /// serde_json::to_vec form (see file comment).
  std::string legacy_canonical() const;

  /// Structural equality: objects compare as maps, numbers by canonical JCS text.
  bool operator==(const value& other) const;

private:
  std::variant<std::monostate, bool, number, std::string, std::shared_ptr<array>,
               std::shared_ptr<object>>
    v_;
};

struct parse_error {
  size_t offset = 0;
  std::string message;
};

/// Strict RFC 8259 parse of a whole document (surrounding whitespace allowed). Rejects:
/// lone surrogate escapes, numbers that overflow a double, unescaped control characters,
/// NaN/Infinity, leading zeros, trailing commas, invalid UTF-8, nesting deeper than 128.
/// Duplicate keys: the last value wins.
std::variant<value, parse_error> parse(std::string_view text);

/// True when `s` is well-formed UTF-8 (Unicode table 3-7: no overlong forms, no surrogates,
/// nothing above U+10FFFF).
bool valid_utf8(std::string_view s);
/// `s` with every byte that does not start a well-formed UTF-8 sequence replaced by U+FFFD
/// (for text that must be UTF-8, such as a JSON log line, but comes from a client).
std::string to_valid_utf8(std::string_view s);

/// Convenience: nullopt on error (the error message is written to `err` if given).
std::optional<value> try_parse(std::string_view text, std::string* err = nullptr);

/// ECMAScript Number.prototype.toString of a double (what JCS prints).
std::string ecmascript_number(double d);
/// Rust ryu formatting of a double (what serde_json prints for non-integers).
std::string rust_ryu_number(double d);
/// A JSON string literal with JCS escaping (only `"`, `\` and C0 controls escaped).
std::string quote(std::string_view s);
/// Appends `quote(s)` to `out`.
void append_quoted(std::string& out, std::string_view s);

} // namespace seq::ves::json
