// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The event payload every benchmark program writes (load generator, COPY bound; the pgbench
/// baseline scripts carry the same text for n = 0): a ~175-byte order. Its JCS (VES) and
/// serde_json (legacy) forms are this same text: ASCII keys in sorted order, integers only.

#include <cstdint>
#include <string>

namespace seq::bench {

inline std::string event_payload(uint64_t n) {
  auto amount = std::to_string(1000 + n % 90000);
  auto customer = std::to_string(100000 + n % 900000);
  return R"({"amount":)" + amount + R"(,"currency":"USD","customer_id":"cust-)" + customer
         + R"(","lines":[{"qty":2,"sku":"SKU-1001","unit_price":625},{"qty":1,"sku":"SKU-2040",)"
           R"("unit_price":)"
         + amount + R"(}],"note":"bench","seq":)" + std::to_string(n) + "}";
}

} // namespace seq::bench
