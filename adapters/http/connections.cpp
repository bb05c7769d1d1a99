// SPDX-License-Identifier: Apache-2.0
#include "adapters/http/connections.hpp"

namespace seq::http {

connection_tracker::connection_tracker() : slots_(new std::atomic<uint32_t>[65536]) {
  for (size_t i = 0; i < 65536; ++i)
    slots_[i].store(0, std::memory_order_relaxed);
}

bool connection_tracker::begin(int port) {
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  if (!tracked(port))
    return true;
  // One read-modify-write on the slot: it is ordered either before try_end's (which then
  // sees the request and leaves the connection open) or after it (and sees the end mark).
  return (slots_[port].fetch_add(1) & ended_bit) == 0;
}

void connection_tracker::end(int port) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  if (tracked(port))
    slots_[port].fetch_sub(1);
}

bool connection_tracker::try_end(int port) {
  if (!tracked(port))
    return true;
  auto before = slots_[port].fetch_or(ended_bit);
  if ((before & ~ended_bit) == 0)
    return true;
  if ((before & ended_bit) == 0)
    slots_[port].fetch_and(~ended_bit); // busy: take back only the mark set here
  return false;
}

std::string connection_tracker::render() const {
  return "# HELP ves_http_requests_in_flight HTTP requests being handled or answered.\n"
         "# TYPE ves_http_requests_in_flight gauge\n"
         "ves_http_requests_in_flight "
         + std::to_string(in_flight()) + '\n';
}

} // namespace seq::http
