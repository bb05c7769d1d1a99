// SPDX-License-Identifier: Apache-2.0
#include "actors/supervision/restart_policy.hpp"

#include <algorithm>

namespace seq::actors {

restart_policy::restart_policy(restart_options opts) : opts_(opts) {
}

caf::timespan restart_policy::delay(size_t n) const {
  if (n <= 1)
    return caf::timespan{0};
  auto d = opts_.base_delay;
  for (size_t i = 2; i < n && d < opts_.max_delay; ++i)
    d *= 2;
  return std::min(d, opts_.max_delay);
}

restart_policy::decision restart_policy::on_failure(time_point now) {
  auto first_kept = std::find_if(failures_.begin(), failures_.end(),
                                 [&](time_point t) { return now - t < opts_.window; });
  failures_.erase(failures_.begin(), first_kept);
  failures_.push_back(now);
  if (failures_.size() > opts_.max_restarts)
    return decision{false, caf::timespan{0}};
  return decision{true, delay(failures_.size())};
}

} // namespace seq::actors
