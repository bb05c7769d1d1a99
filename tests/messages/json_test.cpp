// SPDX-License-Identifier: Apache-2.0
// Hand-written cases for messages/ves/json: parse errors and offsets, document order, equality,
// serde_json number classification, the two canonical forms and their number layouts.

#include "messages/ves/json.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace json = seq::ves::json;

namespace {

json::value parse_ok(std::string_view text) {
  std::string err;
  auto v = json::try_parse(text, &err);
  INFO(text);
  if (!v)
    FAIL("parse failed: " << err);
  return *v;
}

json::parse_error parse_err(std::string_view text) {
  auto res = json::parse(text);
  INFO(text);
  if (std::holds_alternative<json::value>(res))
    FAIL("parse unexpectedly succeeded");
  return std::get<json::parse_error>(res);
}

const json::number& num(const json::value& v) {
  REQUIRE(v.is_number());
  return v.as_number();
}

std::string nested_arrays(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

} // namespace

TEST_CASE("json parse errors report the byte offset", "[json]") {
  struct row {
    std::string_view text;
    size_t offset;
  };
  const row rows[] = {
    {"", 0},                      // EOF while parsing a value
    {"   ", 3},                   //
    {"{\"a\": 1,}", 8},           // trailing comma in an object
    {"[1, 2,]", 6},               // trailing comma in an array
    {"[1, 2", 5},                 // EOF in a list
    {"{\"a\" 1}", 5},             // missing ':'
    {"{a: 1}", 1},                // unquoted key
    {"\"\\ud800\"", 1},           // lone leading surrogate escape
    {"\"x\\udc00\"", 2},          // lone trailing surrogate escape
    {"\"\\ud800\\u0041\"", 1},    // high surrogate followed by a non-low escape
    {"\"\\ud800x\"", 1},          // high surrogate followed by a plain char
    {"01", 1},                    // leading zero
    {"-01", 2},                   //
    {"1 2", 2},                   // trailing characters
    {"tru", 3},                   // EOF inside a literal
    {"nul!", 3},                  //
    {"NaN", 0},                   // not JSON
    {"Infinity", 0},              //
    {"-Infinity", 1},             //
    {"+1", 0},                    //
    {".5", 0},                    //
    {"1.", 2},                    // fraction without digits
    {"1.e5", 2},                  //
    {"1e", 2},                    // exponent without digits
    {"1e+", 3},                   //
    {"-", 1},                     //
    {"[1e400]", 1},               // overflows a double
    {"{\"n\": -1e400}", 6},       //
    {"\"a\x01" "b\"", 2},         // raw control character
    {"\"tab\there\"", 4},         //
    {"\"\\x\"", 2},               // unknown escape
    {"\"\\u12g4\"", 5},           // bad hex digit
    {"\"abc", 4},                 // unterminated string
    {"\"\xff\"", 1},              // invalid UTF-8 byte
    {"\"\xc0\xaf\"", 1},          // overlong encoding
    {"\"\xed\xa0\x80\"", 1},      // UTF-8 encoded surrogate
    {"\"\xf4\x90\x80\x80\"", 1},  // above U+10FFFF
    {"\"\xe2\x82\"", 1},          // truncated sequence
    {"[1]\x0c", 3},               // form feed is not JSON whitespace
    {"\xc2\xa0[]", 0},            // neither is NBSP
    {"[1,,2]", 3},                //
    {"{\"a\":1 \"b\":2}", 7},     //
  };
  for (const auto& r : rows) {
    DYNAMIC_SECTION("input " << r.text) {
      auto e = parse_err(r.text);
      CHECK(e.offset == r.offset);
      CHECK_FALSE(e.message.empty());
    }
  }
  SECTION("try_parse reports message and offset") {
    std::string err;
    CHECK_FALSE(json::try_parse("{\"a\": 1,}", &err).has_value());
    CHECK(err == "trailing comma at offset 8");
    CHECK_FALSE(json::try_parse("[", nullptr).has_value());
  }
}

TEST_CASE("json nesting limit follows serde_json (127 levels)", "[json]") {
  CHECK(json::try_parse(nested_arrays(127)).has_value());
  auto e = parse_err(nested_arrays(128));
  CHECK(e.offset == 127);
  CHECK(e.message == "recursion limit exceeded");
  std::string objects;
  for (int i = 0; i < 127; ++i)
    objects += "{\"k\":";
  objects += "0" + std::string(127, '}');
  CHECK(json::try_parse(objects).has_value());
  CHECK_FALSE(json::try_parse("[" + objects + "]").has_value());
}

TEST_CASE("json strings: escapes, surrogate pairs and raw UTF-8", "[json]") {
  CHECK(parse_ok(R"("\"\\\/\b\f\n\r\t")").as_string() == "\"\\/\b\f\n\r\t");
  CHECK(parse_ok(R"("\u0041\u00e9\u65E5")").as_string() == "A\xc3\xa9\xe6\x97\xa5");
  CHECK(parse_ok(R"("\ud83d\ude00")").as_string() == "\xf0\x9f\x98\x80");
  CHECK(parse_ok(R"("\uD800\uDC00")").as_string() == "\xf0\x90\x80\x80");
  CHECK(parse_ok("\"\xf4\x8f\xbf\xbf \x7f\"").as_string() == "\xf4\x8f\xbf\xbf \x7f");
  CHECK(parse_ok(R"("\u0000")").as_string() == std::string(1, '\0'));
  SECTION("quote escapes only quote, backslash and C0 controls") {
    CHECK(json::quote("a\"b\\c/d") == R"("a\"b\\c/d")");
    CHECK(json::quote(std::string("\b\f\n\r\t\x01\x1f\x7f", 8))
          == "\"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\"");
    CHECK(json::quote(std::string(1, '\0')) == R"("\u0000")");
    CHECK(json::quote("\xe2\x80\xa8 \xf0\x9f\x98\x80") == "\"\xe2\x80\xa8 \xf0\x9f\x98\x80\"");
  }
}

TEST_CASE("valid_utf8 follows Unicode table 3-7", "[json]") {
  CHECK(json::valid_utf8(""));
  CHECK(json::valid_utf8("plain \x7f"));
  CHECK(json::valid_utf8("\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"));
  CHECK_FALSE(json::valid_utf8("\xff"));
  CHECK_FALSE(json::valid_utf8("\xc0\x80"));         // overlong
  CHECK_FALSE(json::valid_utf8("\xed\xa0\x80"));     // a surrogate
  CHECK_FALSE(json::valid_utf8("\xf4\x90\x80\x80")); // above U+10FFFF
  CHECK_FALSE(json::valid_utf8("ab\xe2\x82"));        // cut short at the end
  CHECK_FALSE(json::valid_utf8("\x80"));              // a continuation byte alone
  CHECK(json::to_valid_utf8("ok \xc3\xa9") == "ok \xc3\xa9");
  CHECK(json::to_valid_utf8("a\xff" "b\xe2\x82") == "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
}

TEST_CASE("json dump keeps document order and number lexemes", "[json]") {
  auto v = parse_ok(" {\"b\" : 1.50 ,\n \"a\" : [ 1e2 , -0 , 1E-7 ], \"c\": {\"z\": null, \"y\": "
                    "\"\\u00e9\\/\"}} ");
  CHECK(v.dump() == "{\"b\":1.50,\"a\":[1e2,-0,1E-7],\"c\":{\"z\":null,\"y\":\"\xc3\xa9/\"}}");
  CHECK(v.jcs() == "{\"a\":[100,0,1e-7],\"b\":1.5,\"c\":{\"y\":\"\xc3\xa9/\",\"z\":null}}");
  CHECK(v.legacy_canonical()
        == "{\"a\":[100.0,-0.0,1e-7],\"b\":1.5,\"c\":{\"y\":\"\xc3\xa9/\",\"z\":null}}");
  SECTION("duplicate keys: last value wins at the first position") {
    auto d = parse_ok(R"({"a":1,"b":2,"a":3})");
    CHECK(d.dump() == R"({"a":3,"b":2})");
    CHECK(d.as_object().size() == 2);
    CHECK(d.find("a")->as_number().u == 3);
  }
  SECTION("duplicate keys in a large object (indexed lookup)") {
    std::string text = "{";
    for (int i = 0; i < 40; ++i)
      text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    text += "\"k3\":\"again\",\"k39\":true}";
    auto d = parse_ok(text);
    CHECK(d.as_object().size() == 40);
    CHECK(d.as_object()[3].first == "k3");
    CHECK(d.as_object()[3].second.as_string() == "again");
    CHECK(d.find("k39")->as_bool());
  }
  SECTION("containers nested between the members of a large object") {
    // The parser keeps the members and items of every open container on shared stacks: a
    // nested container's entries sit above its parent's until it closes.
    std::string text = "{";
    std::string expected = "{";
    for (int i = 0; i < 20; ++i) {
      auto k = "\"k" + std::to_string(i) + "\":";
      text += k + "{\"x\":[" + std::to_string(i) + ",[{\"y\":1,\"y\":2}],[]],\"z\":{}},";
      expected += k + (i == 5 ? "[true,{\"a\":[null]}]" : "{\"x\":[" + std::to_string(i)
                                                             + ",[{\"y\":2}],[]],\"z\":{}}")
                  + ",";
    }
    text += "\"k5\":[true,{\"a\":[null],\"a\":[null]}]}";
    expected.back() = '}';
    auto d = parse_ok(text);
    CHECK(d.dump() == expected);
    CHECK(d.as_object().size() == 20);
    CHECK(d.find("k19")->find("x")->as_array()[1].as_array()[0].find("y")->as_number().u == 2);
    CHECK(parse_ok("[[1,[2,[3]]],{\"a\":[4]},[]]").dump() == "[[1,[2,[3]]],{\"a\":[4]},[]]");
  }
}

TEST_CASE("json number classification follows serde_json", "[json]") {
  SECTION("non-negative integers that fit u64") {
    auto zero = parse_ok("0");
    CHECK(num(zero).is_u64);
    CHECK_FALSE(num(zero).is_i64);
    CHECK(num(zero).u == 0);
    auto max = parse_ok("18446744073709551615");
    CHECK(num(max).is_u64);
    CHECK(num(max).u == std::numeric_limits<uint64_t>::max());
    CHECK(max.legacy_canonical() == "18446744073709551615");
    CHECK(max.jcs() == "18446744073709552000");
  }
  SECTION("integers beyond u64 become doubles") {
    auto big = parse_ok("18446744073709551616");
    CHECK_FALSE(num(big).is_u64);
    CHECK_FALSE(num(big).is_i64);
    CHECK(num(big).d == 18446744073709551616.0);
    CHECK(big.legacy_canonical() == "1.8446744073709552e19");
  }
  SECTION("negative integers with magnitude in [1, 2^63]") {
    auto m1 = parse_ok("-1");
    CHECK(num(m1).is_i64);
    CHECK(num(m1).i == -1);
    auto min = parse_ok("-9223372036854775808");
    CHECK(num(min).is_i64);
    CHECK(num(min).i == std::numeric_limits<int64_t>::min());
    CHECK(min.legacy_canonical() == "-9223372036854775808");
    auto below = parse_ok("-9223372036854775809");
    CHECK_FALSE(num(below).is_i64);
    CHECK(below.legacy_canonical() == "-9.223372036854776e18");
  }
  SECTION("-0 is a float") {
    auto z = parse_ok("-0");
    CHECK_FALSE(num(z).is_u64);
    CHECK_FALSE(num(z).is_i64);
    CHECK(std::signbit(num(z).d));
    CHECK(z.legacy_canonical() == "-0.0");
    CHECK(z.jcs() == "0");
    CHECK(z.dump() == "-0");
  }
  SECTION("fractions and exponents are floats even when integral") {
    for (auto text : {"1.0", "1e2", "100E0", "-5.0"}) {
      auto v = parse_ok(text);
      CHECK_FALSE(num(v).is_u64);
      CHECK_FALSE(num(v).is_i64);
    }
    CHECK(parse_ok("1.0").legacy_canonical() == "1.0");
    CHECK(parse_ok("1e2").legacy_canonical() == "100.0");
    CHECK(parse_ok("-5.0").jcs() == "-5");
  }
  SECTION("correct rounding and underflow") {
    CHECK(num(parse_ok("9007199254740993")).d == 9007199254740992.0);
    CHECK(num(parse_ok("0.1")).d == 0.1);
    CHECK(num(parse_ok("2.2250738585072011e-308")).d == 2.2250738585072011e-308);
    auto tiny = parse_ok("1e-400");
    CHECK(num(tiny).d == 0.0);
    CHECK(tiny.legacy_canonical() == "0.0");
    CHECK(parse_ok("-1e-400").legacy_canonical() == "-0.0");
    CHECK(parse_ok("0e999999999999999999").jcs() == "0");
    CHECK(parse_ok("0.0000000000000000000000000000001e-400").jcs() == "0");
    CHECK_FALSE(json::try_parse("1000000000000000000000e290").has_value());
    CHECK(parse_ok("17976931348623157e292").jcs() == "1.7976931348623157e+308");
  }
}

TEST_CASE("ECMAScript number formatting (JCS)", "[json]") {
  struct row {
    double d;
    std::string_view text;
  };
  const row rows[] = {
    {0.0, "0"},
    {-0.0, "0"},
    {1.0, "1"},
    {-1.0, "-1"},
    {0.1, "0.1"},
    {100.0, "100"},
    {4.5, "4.5"},
    {0.002, "0.002"},
    {0.000001, "0.000001"},
    {0.000001234, "0.000001234"},
    {1e-7, "1e-7"},
    {1.23e-18, "1.23e-18"},
    {1e20, "100000000000000000000"},
    {123456789012345680000.0, "123456789012345680000"},
    {1e21, "1e+21"},
    {1.5e300, "1.5e+300"},
    {9007199254740992.0, "9007199254740992"},
    {333333333.33333329, "333333333.3333333"},
    {1.7976931348623157e308, "1.7976931348623157e+308"},
    {5e-324, "5e-324"},
    {-1e-7, "-1e-7"},
    {-123.456, "-123.456"},
  };
  for (const auto& r : rows) {
    DYNAMIC_SECTION("ecmascript " << r.text) {
      CHECK(json::ecmascript_number(r.d) == r.text);
    }
  }
  CHECK(json::ecmascript_number(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(json::ecmascript_number(-std::numeric_limits<double>::infinity()) == "-Infinity");
}

TEST_CASE("Rust ryu number formatting (legacy)", "[json]") {
  struct row {
    double d;
    std::string_view text;
  };
  const row rows[] = {
    {0.0, "0.0"},
    {-0.0, "-0.0"},
    {1.0, "1.0"},
    {1.5, "1.5"},
    {-2.25, "-2.25"},
    {100.0, "100.0"},
    {0.0001, "0.0001"},
    {0.00001, "0.00001"},
    {0.000001, "1e-6"},
    {1.2345e-7, "1.2345e-7"},
    {123456.789, "123456.789"},
    {1e15, "1000000000000000.0"},
    {1e16, "1e16"},
    {1.2345678901234567e16, "1.2345678901234568e16"},
    {1234567890123456.7, "1234567890123456.8"},
    {1e20, "1e20"},
    {1e21, "1e21"},
    {1.7976931348623157e308, "1.7976931348623157e308"},
    {5e-324, "5e-324"},
    {333333333.33333329, "333333333.3333333"},
  };
  for (const auto& r : rows) {
    DYNAMIC_SECTION("ryu " << r.text) {
      CHECK(json::rust_ryu_number(r.d) == r.text);
    }
  }
}

TEST_CASE("object key order: JCS by UTF-16 units, legacy by UTF-8 bytes", "[json]") {
  // U+FF61 (one UTF-16 unit, FF61) vs U+1F600 (surrogates D83D DE00): UTF-16 puts the emoji
  // first, UTF-8 bytes (EF.. < F0..) put U+FF61 first.
  auto v = parse_ok("{\"\\uff61\": 1, \"\\ud83d\\ude00\": 2, \"a\": 0, \"\xc3\xa4\": 3}");
  CHECK(v.jcs() == "{\"a\":0,\"\xc3\xa4\":3,\"\xf0\x9f\x98\x80\":2,\"\xef\xbd\xa1\":1}");
  CHECK(v.legacy_canonical()
        == "{\"a\":0,\"\xc3\xa4\":3,\"\xef\xbd\xa1\":1,\"\xf0\x9f\x98\x80\":2}");
  SECTION("prefixes sort first") {
    auto p = parse_ok(R"({"ab":1,"a":2,"":3,"abc":4})");
    CHECK(p.jcs() == R"({"":3,"a":2,"ab":1,"abc":4})");
    CHECK(p.legacy_canonical() == p.jcs());
  }
  SECTION("arrays keep their order") {
    CHECK(parse_ok("[3,1,{\"b\":1,\"a\":2},2]").jcs() == "[3,1,{\"a\":2,\"b\":1},2]");
  }
}

TEST_CASE("json value equality is structural", "[json]") {
  CHECK(parse_ok(R"({"a":1,"b":[1,2]})") == parse_ok(R"({"b":[1,2],"a":1})"));
  CHECK(parse_ok("1") == parse_ok("1.0"));
  CHECK(parse_ok("1") == parse_ok("1e0"));
  CHECK(parse_ok("-0") == parse_ok("0"));
  CHECK(parse_ok("9007199254740993") == parse_ok("9007199254740992"));
  CHECK_FALSE(parse_ok("1") == parse_ok("\"1\""));
  CHECK_FALSE(parse_ok("[1,2]") == parse_ok("[2,1]"));
  CHECK_FALSE(parse_ok(R"({"a":1})") == parse_ok(R"({"a":1,"b":null})"));
  CHECK_FALSE(parse_ok(R"({"a":null})") == parse_ok(R"({"b":null})"));
  CHECK_FALSE(parse_ok("null") == parse_ok("false"));
  CHECK(parse_ok(R"({"x":{"y":[true,null,"s"]}})") == parse_ok(R"({"x":{"y":[true,null,"s"]}})"));
  CHECK_FALSE(parse_ok(R"({"x":{"y":[true]}})") == parse_ok(R"({"x":{"y":[false]}})"));
}

TEST_CASE("json builder", "[json]") {
  json::value o{json::object{}};
  o.set("b", json::value::from_u64(2));
  o.set("a", json::value::from_i64(-3));
  o.set("c", json::value::from_double(1.0));
  o.set("d", json::value::from_i64(7));
  o.set("e", json::value::from_double(std::nan("")));
  o.set("f", json::array{true, nullptr, "s"});
  CHECK(o.dump() == R"({"b":2,"a":-3,"c":1.0,"d":7,"e":null,"f":[true,null,"s"]})");
  CHECK(o.jcs() == R"({"a":-3,"b":2,"c":1,"d":7,"e":null,"f":[true,null,"s"]})");
  CHECK(o.legacy_canonical() == R"({"a":-3,"b":2,"c":1.0,"d":7,"e":null,"f":[true,null,"s"]})");
  CHECK(o.find("d")->as_number().is_u64);
  CHECK(o.find("a")->as_number().is_i64);
  CHECK(o.find("missing") == nullptr);
  CHECK(json::value{"x"}.find("x") == nullptr);
  SECTION("set replaces in place") {
    o.set("b", "two");
    CHECK(o.as_object().front().first == "b");
    CHECK(o.find("b")->as_string() == "two");
    CHECK(o.as_object().size() == 6);
  }
  SECTION("copies do not share later changes") {
    auto copy = o;
    copy.set("z", true);
    CHECK(o.find("z") == nullptr);
    CHECK(copy.find("z") != nullptr);
  }
  SECTION("set on null makes an object") {
    json::value n;
    n.set("k", true);
    CHECK(n.dump() == R"({"k":true})");
  }
  SECTION("dumped documents re-parse to equal values") {
    CHECK(parse_ok(o.dump()) == o);
    CHECK(parse_ok(o.dump()).legacy_canonical() == o.legacy_canonical());
  }
}
