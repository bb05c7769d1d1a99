// SPDX-License-Identifier: Apache-2.0
// HTTP/1.1 parsing and serialisation for the event-loop server: framing (Content-Length,
// chunked, pipelining), the limits and error statuses, keep-alive and 100-continue, and the
// response bytes.
#include "adapters/http/wire.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>

#include <string>
#include <string_view>

using namespace seq::http::wire;

namespace {

parse_result parse(std::string_view buf, httplib::Request& req, const limits& lim = {}) {
  return parse_request(buf, lim, req);
}

int error_of(std::string_view buf, const limits& lim = {}) {
  httplib::Request req;
  auto r = parse_request(buf, lim, req);
  if (r.state != parse_state::error)
    return 0;
  return r.error_status;
}

} // namespace

TEST_CASE("percent_decode decodes %XX, '+' only on request, keeps malformed escapes",
          "[http][wire]") {
  CHECK(percent_decode("a%20b%2Fc", false) == "a b/c");
  CHECK(percent_decode("%41%6a%6A%4a", false) == "AjjJ"); // either hex case
  CHECK(percent_decode("a+b", false) == "a+b");
  CHECK(percent_decode("a+b", true) == "a b");
  CHECK(percent_decode("100%", false) == "100%");
  CHECK(percent_decode("%4", false) == "%4");
  CHECK(percent_decode("x%4", false) == "x%4");
  CHECK(percent_decode("%zz%41", false) == "%zzA");
  CHECK(percent_decode("%2B", true) == "+"); // an encoded plus is not a space
  CHECK(percent_decode("", true).empty());
}

TEST_CASE("reason_phrase knows the common statuses", "[http][wire]") {
  CHECK(reason_phrase(200) == "OK");
  CHECK(reason_phrase(404) == "Not Found");
  CHECK(reason_phrase(413) == "Payload Too Large");
  CHECK(reason_phrase(431) == "Request Header Fields Too Large");
  CHECK(reason_phrase(505) == "HTTP Version Not Supported");
  CHECK(reason_phrase(799) == "Unknown");
}

TEST_CASE("a GET with an encoded path and a query", "[http][wire]") {
  std::string buf = "GET /streams/a%20b%2Fc?x=1&name=J%C3%B6rg+M&tag=a&tag=b+c&flag HTTP/1.1\r\n"
                    "Host: example\r\n"
                    "Content-Type: application/json\r\n"
                    "X-Padded:   spaced value \t\r\n"
                    "\r\n";
  httplib::Request req;
  auto r = parse(buf, req);
  REQUIRE(r.state == parse_state::complete);
  CHECK(r.consumed == buf.size());
  CHECK(r.keep_alive);
  CHECK_FALSE(r.expects_continue);
  CHECK(req.method == "GET");
  CHECK(req.version == "HTTP/1.1");
  CHECK(req.target == "/streams/a%20b%2Fc?x=1&name=J%C3%B6rg+M&tag=a&tag=b+c&flag");
  CHECK(req.path == "/streams/a b/c");
  CHECK(req.get_param_value("x") == "1");
  CHECK(req.get_param_value("name") == "J\xC3\xB6rg M");
  REQUIRE(req.get_param_value_count("tag") == 2);
  CHECK(req.get_param_value("tag", 0) == "a");
  CHECK(req.get_param_value("tag", 1) == "b c");
  CHECK(req.has_param("flag"));
  CHECK(req.get_param_value("flag").empty());
  CHECK(req.body.empty());
  // Header names are looked up case-insensitively; values are trimmed.
  CHECK(req.get_header_value("content-type") == "application/json");
  CHECK(req.get_header_value("CONTENT-TYPE") == "application/json");
  CHECK(req.get_header_value("host") == "example");
  CHECK(req.get_header_value("x-padded") == "spaced value");
}

TEST_CASE("a path '+' stays a plus; only the query takes it as a space", "[http][wire]") {
  httplib::Request req;
  auto r = parse("GET /a+b?k=a+b HTTP/1.1\r\n\r\n", req);
  REQUIRE(r.state == parse_state::complete);
  CHECK(req.path == "/a+b");
  CHECK(req.get_param_value("k") == "a b");
}

TEST_CASE("a %00 in the path or the query is 400", "[http][wire]") {
  CHECK(error_of("GET /api/v1/projections/order/a%00b HTTP/1.1\r\n\r\n") == 400);
  CHECK(error_of("GET /x?entity_id=a%00 HTTP/1.1\r\n\r\n") == 400);
  CHECK(error_of("GET /x?a%00=1 HTTP/1.1\r\n\r\n") == 400);
  // Other escapes, a literal "%00" (encoded as %2500) and a NUL-free query still parse.
  httplib::Request req;
  auto r = parse("GET /a%01?k=%2500 HTTP/1.1\r\n\r\n", req);
  REQUIRE(r.state == parse_state::complete);
  CHECK(req.path == std::string{"/a\x01"});
  CHECK(req.get_param_value("k") == "%00");
}

TEST_CASE("a path or query that is not UTF-8 once decoded is 400", "[http][wire]") {
  CHECK(error_of("GET /api/v1/projections/order/%ff%fe HTTP/1.1\r\n\r\n") == 400);
  CHECK(error_of("GET /api/v1/projections/order/a\xff HTTP/1.1\r\n\r\n") == 400);
  CHECK(error_of("GET /x?after=%c0%80 HTTP/1.1\r\n\r\n") == 400);     // overlong NUL
  CHECK(error_of("GET /x?after=%ed%a0%80 HTTP/1.1\r\n\r\n") == 400);  // a surrogate
  CHECK(error_of("GET /x?k%e2%82=1 HTTP/1.1\r\n\r\n") == 400);        // cut short
  // Multi-byte characters, encoded or raw, still parse.
  httplib::Request req;
  auto r = parse("GET /p/%C3%A9t%C3%A9?k=%E2%82%AC&l=\xf0\x9f\x98\x80 HTTP/1.1\r\n\r\n", req);
  REQUIRE(r.state == parse_state::complete);
  CHECK(req.path == "/p/\xc3\xa9t\xc3\xa9");
  CHECK(req.get_param_value("k") == "\xe2\x82\xac");
  CHECK(req.get_param_value("l") == "\xf0\x9f\x98\x80");
}

TEST_CASE("a POST whose body arrives in two parts", "[http][wire]") {
  std::string head = "POST /ingest HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n";
  std::string body = "hello world";
  httplib::Request req;

  SECTION("headers only") {
    auto r = parse(head, req);
    CHECK(r.state == parse_state::incomplete);
    CHECK(r.consumed == 0);
    CHECK_FALSE(r.expects_continue);
  }
  SECTION("part of the body") {
    auto r = parse(head + body.substr(0, 5), req);
    CHECK(r.state == parse_state::incomplete);
    CHECK(r.consumed == 0);
  }
  SECTION("the whole body") {
    auto r = parse(head + body, req);
    REQUIRE(r.state == parse_state::complete);
    CHECK(r.consumed == head.size() + body.size());
    CHECK(req.method == "POST");
    CHECK(req.body == "hello world");
    CHECK(req.get_header_value("content-length") == "11");
  }
  SECTION("a headers section split in the middle") {
    auto r = parse(head.substr(0, 20), req);
    CHECK(r.state == parse_state::incomplete);
    CHECK(r.consumed == 0);
  }
}

TEST_CASE("two pipelined requests in one buffer", "[http][wire]") {
  std::string first = "POST /one HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
  std::string second = "GET /two?q=2 HTTP/1.1\r\nConnection: close\r\n\r\n";
  std::string buf = first + second;

  httplib::Request a;
  auto r1 = parse(buf, a);
  REQUIRE(r1.state == parse_state::complete);
  CHECK(r1.consumed == first.size());
  CHECK(a.path == "/one");
  CHECK(a.body == "abc");
  CHECK(r1.keep_alive);

  httplib::Request b;
  auto rest = std::string_view{buf}.substr(r1.consumed);
  auto r2 = parse(rest, b);
  REQUIRE(r2.state == parse_state::complete);
  CHECK(r2.consumed == second.size());
  CHECK(b.method == "GET");
  CHECK(b.path == "/two");
  CHECK(b.get_param_value("q") == "2");
  CHECK(b.body.empty());
  CHECK_FALSE(r2.keep_alive);
}

TEST_CASE("a request object is reused: headers and params do not carry over", "[http][wire]") {
  httplib::Request req;
  REQUIRE(parse("GET /a?x=1 HTTP/1.1\r\nX-One: 1\r\n\r\n", req).state == parse_state::complete);
  REQUIRE(parse("GET /b HTTP/1.1\r\nX-Two: 2\r\n\r\n", req).state == parse_state::complete);
  CHECK(req.path == "/b");
  CHECK_FALSE(req.has_param("x"));
  CHECK_FALSE(req.has_header("X-One"));
  CHECK(req.get_header_value("x-two") == "2");
}

TEST_CASE("a chunked body with an extension and a trailer", "[http][wire]") {
  std::string head = "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string chunks = "5;name=value\r\nhello\r\n"
                       "7\r\n, world\r\n"
                       "0\r\n"
                       "X-Trailer: yes\r\n"
                       "\r\n";
  std::string next = "GET /next HTTP/1.1\r\n\r\n";
  httplib::Request req;

  // Every proper prefix is incomplete, never an error and never complete.
  auto full = head + chunks;
  for (size_t n = head.size(); n < full.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    auto r = parse(std::string_view{full}.substr(0, n), req);
    REQUIRE(r.state == parse_state::incomplete);
    CHECK(r.consumed == 0);
  }

  auto r = parse(full + next, req);
  REQUIRE(r.state == parse_state::complete);
  CHECK(r.consumed == full.size());
  CHECK(req.body == "hello, world");
  CHECK(req.get_header_value("transfer-encoding") == "chunked");
  CHECK(r.keep_alive);
}

TEST_CASE("chunked framing errors", "[http][wire]") {
  std::string head = "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  CHECK(error_of(head + "zz\r\nhello\r\n0\r\n\r\n") == 400);     // not hex
  CHECK(error_of(head + "\r\nhello\r\n0\r\n\r\n") == 400);       // empty size
  CHECK(error_of(head + "5\r\nhelloXY0\r\n\r\n") == 400);        // no CRLF after data
  CHECK(error_of(head + "ffffffffffffffffff\r\n") == 400);       // overflows
  limits small;
  small.max_body_bytes = 8;
  CHECK(error_of(head + "9\r\n", small) == 413);                  // one chunk over the limit
  CHECK(error_of(head + "5\r\nhello\r\n4\r\n", small) == 413);   // the sum over the limit
  CHECK(error_of(head + "5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n", small) == 0); // exactly 8
}

TEST_CASE("the body and header limits", "[http][wire]") {
  limits lim;
  lim.max_body_bytes = 100;
  lim.max_header_bytes = 256;

  SECTION("Content-Length over the body limit is 413 before any body arrives") {
    CHECK(error_of("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", lim) == 413);
    httplib::Request req;
    auto r = parse("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n", req, lim);
    CHECK(r.state == parse_state::incomplete);
  }
  SECTION("headers over the limit, with the blank line") {
    std::string buf = "GET / HTTP/1.1\r\nX-Big: " + std::string(300, 'a') + "\r\n\r\n";
    CHECK(error_of(buf, lim) == 431);
  }
  SECTION("headers over the limit, still without the blank line") {
    std::string buf = "GET / HTTP/1.1\r\nX-Big: " + std::string(300, 'a');
    CHECK(error_of(buf, lim) == 431);
    // Under the limit, the same unfinished headers only ask for more bytes.
    httplib::Request req;
    CHECK(parse(buf.substr(0, 200), req, lim).state == parse_state::incomplete);
  }
  SECTION("headers just under the limit are fine") {
    std::string buf = "GET / HTTP/1.1\r\nX-Big: " + std::string(200, 'a') + "\r\n\r\n";
    httplib::Request req;
    CHECK(parse(buf, req, lim).state == parse_state::complete);
  }
}

TEST_CASE("malformed requests are 400", "[http][wire]") {
  CHECK(error_of("GARBAGE\r\n\r\n") == 400);
  CHECK(error_of("GET /\r\n\r\n") == 400);                          // no version
  CHECK(error_of("GET  / HTTP/1.1\r\n\r\n") == 400);                // empty target
  CHECK(error_of(" GET / HTTP/1.1\r\n\r\n") == 400);                // empty method
  CHECK(error_of("GET / HTTP/1.1 extra\r\n\r\n") == 400);           // four parts
  CHECK(error_of("G(T / HTTP/1.1\r\n\r\n") == 400);                 // not a token
  CHECK(error_of("GET / FTP/1.1\r\n\r\n") == 400);                  // not HTTP
  CHECK(error_of("GET relative HTTP/1.1\r\n\r\n") == 400);          // not origin-form
  CHECK(error_of("GET / HTTP/1.1\r\nNoColon\r\n\r\n") == 400);
  CHECK(error_of("GET / HTTP/1.1\r\n: no name\r\n\r\n") == 400);
  CHECK(error_of("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n") == 400);
  CHECK(error_of("GET / HTTP/1.1\r\nName : x\r\n\r\n") == 400);    // space before the colon
  CHECK(error_of("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n") == 400); // obs-fold
  CHECK(error_of("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n") == 400);
  CHECK(error_of("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") == 400);
  CHECK(error_of("POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n") == 400);
  CHECK(error_of("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n") == 400);
  // Bare LF line ends are refused at once, not waited on (the head would never end).
  CHECK(error_of("GET /health HTTP/1.1\nHost: x\n\n") == 400);
  CHECK(error_of("GET /health HTTP/1.1\n") == 400);
  CHECK(error_of("GET / HTTP/1.1\r\nA: b\nC: d\r\n\r\n") == 400);
  // The asterisk form is accepted (OPTIONS *).
  CHECK(error_of("OPTIONS * HTTP/1.1\r\n\r\n") == 0);
}

TEST_CASE("versions other than 1.0 and 1.1 are 505", "[http][wire]") {
  CHECK(error_of("GET / HTTP/2.0\r\n\r\n") == 505);
  CHECK(error_of("GET / HTTP/0.9\r\n\r\n") == 505);
  CHECK(error_of("GET / HTTP/1.2\r\n\r\n") == 505);
  CHECK(error_of("GET / HTTP/1.0\r\n\r\n") == 0);
}

TEST_CASE("Transfer-Encoding and Content-Length framing rules", "[http][wire]") {
  CHECK(error_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n") == 501);
  CHECK(error_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 501);
  CHECK(error_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n")
        == 400);
  CHECK(error_of("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")
        == 400);
  CHECK(error_of("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
        == 400);
  // Case-insensitive names and a case-insensitive "chunked".
  httplib::Request req;
  auto r = parse("POST / HTTP/1.1\r\ntransfer-encoding: CHUNKED\r\n\r\n1\r\nx\r\n0\r\n\r\n", req);
  REQUIRE(r.state == parse_state::complete);
  CHECK(req.body == "x");
  // Duplicate Content-Length headers that agree are one length.
  httplib::Request dup;
  auto d = parse("POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello", dup);
  REQUIRE(d.state == parse_state::complete);
  CHECK(dup.body == "hello");
}

TEST_CASE("keep-alive by version and Connection header", "[http][wire]") {
  auto keep = [](std::string_view buf) {
    httplib::Request req;
    auto r = parse_request(buf, limits{}, req);
    REQUIRE(r.state == parse_state::complete);
    return r.keep_alive;
  };
  CHECK(keep("GET / HTTP/1.1\r\n\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.1\r\nconnection: Upgrade, CLOSE\r\n\r\n"));
  CHECK(keep("GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.0\r\n\r\n"));
  CHECK(keep("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  CHECK(keep("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.0\r\nConnection: close\r\n\r\n"));
}

TEST_CASE("Expect: 100-continue is reported only while the body is incomplete",
          "[http][wire]") {
  std::string head = "POST /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n";
  httplib::Request req;

  auto waiting = parse(head, req);
  CHECK(waiting.state == parse_state::incomplete);
  CHECK(waiting.expects_continue);

  auto part = parse(head + "ab", req);
  CHECK(part.state == parse_state::incomplete);
  CHECK(part.expects_continue);

  auto done = parse(head + "abcd", req);
  REQUIRE(done.state == parse_state::complete);
  CHECK_FALSE(done.expects_continue);
  CHECK(req.body == "abcd");

  // Chunked: the same rule.
  std::string chead = "POST /up HTTP/1.1\r\nexpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n";
  auto c1 = parse(chead, req);
  CHECK(c1.state == parse_state::incomplete);
  CHECK(c1.expects_continue);
  auto c2 = parse(chead + "2\r\nab\r\n0\r\n\r\n", req);
  REQUIRE(c2.state == parse_state::complete);
  CHECK_FALSE(c2.expects_continue);

  // Without the header: never.
  auto plain = parse("POST /up HTTP/1.1\r\nContent-Length: 4\r\n\r\n", req);
  CHECK(plain.state == parse_state::incomplete);
  CHECK_FALSE(plain.expects_continue);
}

TEST_CASE("empty lines before a request are skipped and counted as consumed",
          "[http][wire]") {
  std::string buf = "\r\n\r\nPOST /x HTTP/1.1\r\nContent-Length: 2\r\n\r\nok";
  httplib::Request req;
  auto r = parse(buf, req);
  REQUIRE(r.state == parse_state::complete);
  CHECK(r.consumed == buf.size());
  CHECK(req.method == "POST");
  CHECK(req.path == "/x");
  CHECK(req.body == "ok");

  // Only blank lines so far: more bytes are needed.
  httplib::Request idle;
  auto i = parse("\r\n\r\n", idle);
  CHECK(i.state == parse_state::incomplete);
}

// -- serialize_response ----------------------------------------------------------------------

namespace {

/// The header section of a serialised response, split at the blank line.
struct split_response {
  std::string head;
  std::string body;
};

split_response split(const std::string& s) {
  auto end = s.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  return {s.substr(0, end + 2), s.substr(end + 4)};
}

size_t count(const std::string& hay, std::string_view needle) {
  size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1))
    ++n;
  return n;
}

} // namespace

TEST_CASE("serialize_response writes the status line, headers and body", "[http][wire]") {
  httplib::Response res;
  res.status = 201;
  res.set_header("X-Request-Id", "abc");
  res.set_header("Location", "/streams/1");
  res.set_content(R"({"ok":true})", "application/json");

  auto out = serialize_response(res, true, false);
  CHECK(out.rfind("HTTP/1.1 201 Created\r\n", 0) == 0);
  auto [head, body] = split(out);
  CHECK(body == R"({"ok":true})");
  CHECK(count(head, "X-Request-Id: abc\r\n") == 1);
  CHECK(count(head, "Location: /streams/1\r\n") == 1);
  CHECK(count(head, "Content-Type: application/json\r\n") == 1);
  CHECK(count(head, "Content-Type:") == 1);
  CHECK(count(head, "Content-Length: 11\r\n") == 1);
  CHECK(count(head, "Connection: keep-alive\r\n") == 1);
  CHECK(count(head, "Connection:") == 1);
}

TEST_CASE("serialize_response: Connection close and unknown statuses", "[http][wire]") {
  httplib::Response res;
  res.status = 404;
  auto out = serialize_response(res, false, false);
  CHECK(out.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
  auto [head, body] = split(out);
  CHECK(body.empty());
  CHECK(count(head, "Connection: close\r\n") == 1);
  CHECK(count(head, "Content-Length: 0\r\n") == 1);
  CHECK(count(head, "Content-Type") == 0); // no body, no type

  res.status = 799;
  CHECK(serialize_response(res, true, false).rfind("HTTP/1.1 799 Unknown\r\n", 0) == 0);
}

TEST_CASE("serialize_response does not duplicate framing headers the handler set",
          "[http][wire]") {
  httplib::Response res;
  res.status = 200;
  res.set_header("Content-Length", "999");
  res.set_header("connection", "upgrade");
  res.set_header("Transfer-Encoding", "chunked");
  res.body = "four";

  auto [head, body] = split(serialize_response(res, false, false));
  CHECK(body == "four");
  CHECK(count(head, "Content-Length") == 1);
  CHECK(count(head, "Content-Length: 4\r\n") == 1);
  CHECK(count(head, "999") == 0);
  CHECK(count(head, "onnection") == 1);
  CHECK(count(head, "Connection: close\r\n") == 1);
  CHECK(count(head, "Transfer-Encoding") == 0);
}

TEST_CASE("serialize_response adds text/plain only for a body without a type",
          "[http][wire]") {
  httplib::Response untyped;
  untyped.status = 200;
  untyped.body = "plain words";
  auto [h1, b1] = split(serialize_response(untyped, true, false));
  CHECK(count(h1, "Content-Type: text/plain\r\n") == 1);
  CHECK(b1 == "plain words");

  httplib::Response typed;
  typed.status = 200;
  typed.set_header("content-type", "application/octet-stream");
  typed.body = "xyz";
  auto [h2, b2] = split(serialize_response(typed, true, false));
  CHECK(count(h2, "text/plain") == 0);
  CHECK(count(h2, "content-type: application/octet-stream\r\n") == 1);

  httplib::Response empty;
  empty.status = 204;
  auto [h3, b3] = split(serialize_response(empty, true, false));
  CHECK(count(h3, "Content-Type") == 0);
  CHECK(b3.empty());
}

TEST_CASE("serialize_response for HEAD keeps Content-Length and omits the body",
          "[http][wire]") {
  httplib::Response res;
  res.status = 200;
  res.set_content("0123456789", "text/csv");
  auto out = serialize_response(res, true, true);
  auto [head, body] = split(out);
  CHECK(body.empty());
  CHECK(out.size() == head.size() + 2); // ends right after the blank line
  CHECK(count(head, "Content-Length: 10\r\n") == 1);
  CHECK(count(head, "Content-Type: text/csv\r\n") == 1);
}

TEST_CASE("a serialised response reads back as one HTTP response", "[http][wire]") {
  // The response bytes framed by Content-Length: a parser that knows only that framing finds
  // exactly the body and nothing after it.
  httplib::Response res;
  res.status = 200;
  res.set_header("X-A", "1");
  res.set_content("payload\r\n\r\nwith blank lines", "text/plain");
  auto out = serialize_response(res, true, false);
  auto end = out.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  auto head = out.substr(0, end);
  auto cl = head.find("Content-Length: ");
  REQUIRE(cl != std::string::npos);
  auto n = std::stoul(head.substr(cl + 16, head.find("\r\n", cl) - cl - 16));
  CHECK(n == res.body.size());
  CHECK(out.size() == end + 4 + n);
  CHECK(out.substr(end + 4) == res.body);
}
