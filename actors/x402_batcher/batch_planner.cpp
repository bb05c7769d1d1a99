// SPDX-License-Identifier: Apache-2.0
#include "actors/x402_batcher/batch_planner.hpp"

#include <algorithm>

namespace seq::actors::x402 {

batch_planner::batch_planner(batcher_options o) : opts_(o) {
  opts_.max_size = std::clamp<uint32_t>(opts_.max_size, 1, 1000);
}

void batch_planner::on_summary(const msg::x402_pending_summary& s) {
  pending_ = s;
}

void batch_planner::on_sequenced(const msg::x402_notice& n) {
  if (n.sequence_number <= pending_.last_sequence)
    return;
  pending_.last_sequence = n.sequence_number;
  if (pending_.count == 0 || n.sequenced_at < pending_.oldest_sequenced_at)
    pending_.oldest_sequenced_at = n.sequenced_at;
  if (pending_.count == 0 || n.valid_until < pending_.earliest_valid_until)
    pending_.earliest_valid_until = n.valid_until;
  ++pending_.count;
}

batch_planner::action batch_planner::due(time_us now) const {
  if (pending_.count == 0)
    return action::none;
  if (opts_.auto_seal) {
    if (pending_.count >= opts_.max_size)
      return action::seal_by_size;
    if (now >= pending_.oldest_sequenced_at + opts_.max_wait.count())
      return action::seal_by_time;
  }
  // valid_until is in whole seconds: expired once now has passed it.
  if (static_cast<uint64_t>(now / 1'000'000) > pending_.earliest_valid_until)
    return action::expire;
  return action::none;
}

void batch_planner::add_committed(const msg::uuid& batch_id) {
  if (!opts_.auto_settle)
    return;
  if (std::find(queue_.begin(), queue_.end(), batch_id) == queue_.end())
    queue_.push_back(batch_id);
}

std::optional<msg::uuid> batch_planner::settle_next(time_us now) const {
  if (queue_.empty() || now < retry_at_)
    return std::nullopt;
  return queue_.front();
}

void batch_planner::settled(const msg::uuid& batch_id) {
  auto i = std::find(queue_.begin(), queue_.end(), batch_id);
  if (i != queue_.end())
    queue_.erase(i);
  refusals_.erase(batch_id);
  delay_ = std::chrono::microseconds{0};
  retry_at_ = 0;
}

void batch_planner::retry_later(time_us now) {
  delay_ = delay_.count() == 0 ? opts_.retry_initial : std::min(delay_ * 2, opts_.retry_max);
  retry_at_ = now + delay_.count();
}

bool batch_planner::refused(const msg::uuid& batch_id, time_us now) {
  if (++refusals_[batch_id] >= opts_.max_refusals)
    return true;
  auto i = std::find(queue_.begin(), queue_.end(), batch_id);
  if (i != queue_.end()) {
    queue_.erase(i);
    queue_.push_back(batch_id);
  }
  retry_later(now);
  return false;
}

std::optional<batch_planner::time_us> batch_planner::next_deadline() const {
  std::optional<time_us> out;
  auto earliest = [&](time_us t) { out = out ? std::min(*out, t) : t; };
  if (pending_.count > 0) {
    if (opts_.auto_seal)
      earliest(pending_.oldest_sequenced_at + opts_.max_wait.count());
    // The first microsecond of the second after valid_until.
    earliest(static_cast<time_us>(pending_.earliest_valid_until + 1) * 1'000'000);
  }
  if (!queue_.empty() && retry_at_ > 0)
    earliest(retry_at_);
  return out;
}

} // namespace seq::actors::x402
