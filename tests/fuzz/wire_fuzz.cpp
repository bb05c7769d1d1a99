// SPDX-License-Identifier: Apache-2.0
// The event-loop server's HTTP/1.1 parser (adapters/http/wire.cpp) on arbitrary bytes, read
// as the server reads a connection: request after request from one buffer (pipelining).
// Properties: a complete request consumes at least one byte and no more than it was given; its
// decoded path and query are UTF-8 without a NUL; an error carries a 4xx or 5xx status.
#include "adapters/http/wire.hpp"
#include "messages/ves/json.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <httplib.h>

#include <cstdint>
#include <string_view>

using namespace seq;

namespace {

bool fit(const std::string& s) {
  return s.find('\0') == std::string::npos && ves::json::valid_utf8(s);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view buf(reinterpret_cast<const char*>(data), size);
  http::wire::limits lim;
  lim.max_header_bytes = 1024; // small limits, so that the fuzzer reaches them
  lim.max_body_bytes = 2048;
  httplib::Request req;
  for (int k = 0; k < 16 && !buf.empty(); ++k) {
    auto r = http::wire::parse_request(buf, lim, req);
    if (r.state == http::wire::parse_state::error) {
      FUZZ_CHECK(r.error_status >= 400 && r.error_status < 600);
      break;
    }
    if (r.state == http::wire::parse_state::incomplete)
      break;
    FUZZ_CHECK(r.consumed > 0 && r.consumed <= buf.size());
    FUZZ_CHECK(fit(req.path));
    for (const auto& [key, value] : req.params)
      FUZZ_CHECK(fit(key) && fit(value));
    FUZZ_CHECK(req.body.size() <= lim.max_body_bytes);
    buf.remove_prefix(r.consumed);
  }
  return 0;
}
