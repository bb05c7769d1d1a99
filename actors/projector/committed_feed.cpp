// SPDX-License-Identifier: Apache-2.0
#include "actors/projector/committed_feed.hpp"

namespace seq::actors::projection {

bool committed_feed::known(uint8_t space) {
  return space < 2; // msg::space::legacy, msg::space::ves; x402 has no projections
}

void committed_feed::add(uint8_t space, uint64_t first, uint64_t last, group_ptr g) {
  if (!known(space) || !g || last < first || capacity_ == 0)
    return;
  auto& run = runs_[space];
  if (!run.empty() && first != run.back().last + 1) {
    run.clear();
    held_[space] = 0;
  }
  run.push_back(entry{first, last, std::move(g)});
  held_[space] += last - first + 1;
  while (held_[space] > capacity_)
    pop(space);
}

void committed_feed::pop(uint8_t space) {
  auto& run = runs_[space];
  held_[space] -= run.front().last - run.front().first + 1;
  run.erase(run.begin());
}

std::vector<group_ptr> committed_feed::covering(uint8_t space, uint64_t from,
                                                uint32_t limit) const {
  std::vector<group_ptr> out;
  if (!known(space) || limit == 0)
    return out;
  const auto& run = runs_[space];
  if (run.empty() || from < run.front().first || from > run.back().last)
    return out;
  const uint64_t to = from + limit - 1;
  for (const auto& e : run)
    if (e.last >= from && e.first <= to)
      out.push_back(e.group);
  return out;
}

void committed_feed::drop_through(uint8_t space, uint64_t checkpoint) {
  if (!known(space))
    return;
  auto& run = runs_[space];
  while (!run.empty() && run.front().last <= checkpoint)
    pop(space);
}

size_t committed_feed::held(uint8_t space) const {
  return known(space) ? held_[space] : 0;
}

} // namespace seq::actors::projection
