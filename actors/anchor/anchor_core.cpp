// SPDX-License-Identifier: Apache-2.0
#include "actors/anchor/anchor_core.hpp"

#include <algorithm>

#include "caf/sec.hpp"

namespace seq::actors::anchor {

failure_kind classify(const caf::error& e) {
  if (e == errc::chain_unavailable || e == errc::timeout || e == errc::circuit_open
      || e == errc::storage_unavailable || e == caf::sec::request_timeout
      || e == caf::sec::request_receiver_down)
    return failure_kind::transient;
  if (e == errc::chain_rejected)
    return failure_kind::rejected;
  return failure_kind::other;
}

job* anchor_core::find(const msg::uuid& batch_id) {
  auto i = std::find_if(queue_.begin(), queue_.end(),
                        [&](const job& j) { return j.batch_id == batch_id; });
  return i == queue_.end() ? nullptr : &*i;
}

bool anchor_core::request(const msg::uuid& batch_id, msg::anchor_kind kind, uint64_t waiter) {
  if (auto* j = find(batch_id); j && j->kind == kind) {
    j->waiters.push_back(waiter);
    return false;
  }
  queue_.push_back(job{batch_id, kind, {waiter}, std::nullopt});
  return true;
}

size_t anchor_core::add_round(const msg::anchor_pending& pending) {
  size_t added = 0;
  for (size_t i = 0; i < pending.batch_ids.size(); ++i) {
    if (find(pending.batch_ids[i]))
      continue;
    std::optional<msg::stream_key> s;
    if (i < pending.streams.size())
      s = pending.streams[i];
    queue_.push_back(job{pending.batch_ids[i], msg::anchor_kind::ves, {}, s});
    ++added;
  }
  return added;
}

job* anchor_core::start_next() {
  if (running_ || queue_.empty())
    return nullptr;
  running_ = true;
  return &queue_.front();
}

std::vector<uint64_t> anchor_core::pop() {
  auto waiters = std::move(queue_.front().waiters);
  queue_.pop_front();
  running_ = false;
  return waiters;
}

std::vector<uint64_t> anchor_core::finish(const msg::anchor_outcome& o, msg::timestamp_us now) {
  if (!running_)
    return {};
  if (!o.already) {
    ++status_.anchored;
    status_.last_anchored_at = now;
  } else if (o.recovered) {
    ++status_.recovered;
  }
  status_.last_error.clear();
  return pop();
}

std::vector<uint64_t> anchor_core::fail(const caf::error& e, const std::string& message) {
  if (!running_)
    return {};
  ++status_.failures;
  status_.last_error = message;
  auto stream = queue_.front().stream;
  auto waiters = pop();
  switch (classify(e)) {
    case failure_kind::transient:
      std::erase_if(queue_, [](const job& j) { return j.automatic(); });
      break;
    case failure_kind::rejected:
      if (stream)
        std::erase_if(queue_,
                      [&](const job& j) { return j.automatic() && j.stream == stream; });
      break;
    case failure_kind::other:
      break;
  }
  return waiters;
}

msg::anchor_status anchor_core::status() const {
  auto s = status_;
  s.queued = queue_.size();
  return s;
}

} // namespace seq::actors::anchor
