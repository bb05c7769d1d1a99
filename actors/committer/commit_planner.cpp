// SPDX-License-Identifier: Apache-2.0
#include "actors/committer/commit_planner.hpp"

#include <algorithm>

namespace seq::actors::committer {

void commit_planner::reset(uint64_t last_end, uint64_t head, time_point now) {
  last_end_ = last_end;
  head_ = std::max(head, last_end);
  oldest_.reset();
  if (head_ > last_end_)
    oldest_ = now;
}

void commit_planner::on_events(uint64_t last, time_point now) {
  head_ = std::max(head_, last);
  if (head_ > last_end_ && !oldest_)
    oldest_ = now;
}

void commit_planner::on_commitment(uint64_t end, time_point now) {
  if (end <= last_end_)
    return;
  last_end_ = end;
  head_ = std::max(head_, end);
  // The remaining events arrived before `now`; counting their age from now delays them by
  // at most one max_age.
  oldest_.reset();
  if (head_ > last_end_)
    oldest_ = now;
}

std::optional<commit_planner::range> commit_planner::due(time_point now) const {
  if (!opts_.automatic || head_ <= last_end_)
    return std::nullopt;
  auto n = head_ - last_end_;
  if (n < opts_.max_events && !(oldest_ && now - *oldest_ >= opts_.max_age))
    return std::nullopt;
  auto start = last_end_ + 1;
  return range{start, start + std::min(n, opts_.max_events) - 1};
}

std::optional<commit_planner::time_point> commit_planner::deadline() const {
  if (!opts_.automatic || !oldest_ || head_ <= last_end_)
    return std::nullopt;
  return *oldest_ + opts_.max_age;
}

} // namespace seq::actors::committer
