// SPDX-License-Identifier: Apache-2.0
#include "actors/dlq/retry_schedule.hpp"

#include "messages/errc.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace seq::actors::dlq {

random_source default_random_source() {
  return [] {
    thread_local std::mt19937_64 gen{std::random_device{}()};
    return std::uniform_real_distribution<double>{0.0, 1.0}(gen);
  };
}

retry_schedule::retry_schedule(retry_options opts, random_source rnd)
  : opts_(opts), rnd_(rnd ? std::move(rnd) : default_random_source()) {
}

std::chrono::microseconds retry_schedule::base_delay(uint32_t attempt) const {
  const double max_us = static_cast<double>(opts_.max_delay.count());
  double d = static_cast<double>(opts_.initial_delay.count());
  for (uint32_t i = 1; i < attempt && d < max_us; ++i)
    d *= opts_.factor;
  return std::chrono::microseconds{static_cast<int64_t>(std::llround(std::min(d, max_us)))};
}

std::chrono::microseconds retry_schedule::delay(uint32_t attempt) const {
  const double base = static_cast<double>(base_delay(attempt).count());
  const double u = std::clamp(rnd_(), 0.0, 1.0);
  const double d = base * (1.0 + opts_.jitter * (2.0 * u - 1.0));
  const double lo = static_cast<double>(opts_.min_delay.count());
  const double hi = static_cast<double>(opts_.max_delay.count());
  return std::chrono::microseconds{static_cast<int64_t>(std::llround(std::clamp(d, lo, hi)))};
}

// -- dlq_policy -------------------------------------------------------------------------------

void dlq_policy::first_failure(msg::dlq_entry& e, msg::dlq_reason reason, std::string message,
                               msg::timestamp_us now) const {
  e.reason = reason;
  e.message = std::move(message);
  e.retry_count = 0;
  e.max_retries = schedule_.options().max_retries;
  e.blocked_behind = false;
  if (msg::retryable(reason) && e.max_retries > 0) {
    e.status = msg::dlq_status::pending;
    e.next_retry_at = now + schedule_.delay(1).count();
  } else {
    e.status = msg::dlq_status::dead;
    e.next_retry_at.reset();
  }
  if (e.created_at == 0)
    e.created_at = now;
  e.updated_at = now;
}

void dlq_policy::blocked_behind(msg::dlq_entry& e, msg::timestamp_us now) const {
  e.reason = msg::dlq_reason::handler_error;
  e.message = "waits behind an earlier unresolved DLQ entry of " + e.entity_type + " "
              + e.entity_id;
  e.status = msg::dlq_status::pending;
  e.retry_count = 0;
  e.max_retries = schedule_.options().max_retries;
  e.next_retry_at.reset();
  e.blocked_behind = true;
  if (e.created_at == 0)
    e.created_at = now;
  e.updated_at = now;
}

caf::expected<void> dlq_policy::start_retry(msg::dlq_entry& e, bool manual,
                                            msg::timestamp_us now) const {
  switch (e.status) {
    case msg::dlq_status::pending:
      break;
    case msg::dlq_status::dead:
      if (!manual)
        return make_error(errc::invalid_request, "DLQ entry " + e.id.str() + " is dead");
      break;
    case msg::dlq_status::retrying:
      return make_error(errc::invalid_request,
                        "DLQ entry " + e.id.str() + " is being retried already");
    case msg::dlq_status::resolved:
      return make_error(errc::invalid_request, "DLQ entry " + e.id.str() + " is resolved");
  }
  e.status = msg::dlq_status::retrying;
  e.updated_at = now;
  return caf::unit;
}

void dlq_policy::retry_succeeded(msg::dlq_entry& e, msg::timestamp_us now) const {
  e.status = msg::dlq_status::resolved;
  e.next_retry_at.reset();
  e.blocked_behind = false;
  e.updated_at = now;
}

void dlq_policy::retry_failed(msg::dlq_entry& e, msg::dlq_reason reason, std::string message,
                              msg::timestamp_us now) const {
  ++e.retry_count;
  e.reason = reason;
  e.message = std::move(message);
  e.blocked_behind = false;
  if (!msg::retryable(reason) || e.retry_count >= e.max_retries) {
    e.status = msg::dlq_status::dead;
    e.next_retry_at.reset();
  } else {
    e.status = msg::dlq_status::pending;
    e.next_retry_at = now + schedule_.delay(e.retry_count + 1).count();
  }
  e.updated_at = now;
}

void dlq_policy::retry_not_run(msg::dlq_entry& e, msg::dlq_status previous,
                               msg::timestamp_us now) const {
  if (previous == msg::dlq_status::dead) {
    e.status = msg::dlq_status::dead;
    e.next_retry_at.reset();
  } else if (e.blocked_behind) {
    e.status = msg::dlq_status::pending;
    e.next_retry_at.reset();
  } else {
    e.status = msg::dlq_status::pending;
    e.next_retry_at = now + schedule_.delay(e.retry_count + 1).count();
  }
  e.updated_at = now;
}

void dlq_policy::reset_stale(msg::dlq_entry& e, msg::timestamp_us now) const {
  e.status = msg::dlq_status::pending;
  e.next_retry_at = now;
  e.updated_at = now;
}

} // namespace seq::actors::dlq
