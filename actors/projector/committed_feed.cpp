// SPDX-License-Identifier: Apache-2.0
#include "actors/projector/committed_feed.hpp"

#include <memory>

namespace seq::actors::projection {

namespace {

template <class Rows>
msg::fed_events projectable(const Rows& rows) {
  auto out = std::make_shared<std::vector<msg::projectable_event>>();
  out->reserve(rows.size());
  for (const auto& r : rows)
    out->push_back(msg::to_projectable(r));
  return out;
}

} // namespace

bool committed_feed::known(uint8_t space) {
  return space < 2; // msg::space::legacy, msg::space::ves; x402 has no projections
}

void committed_feed::add(uint8_t space, const storage::write_group& g) {
  if (!known(space) || capacity_ == 0)
    return;
  auto events = space == static_cast<uint8_t>(msg::space::ves) ? projectable(g.ves)
                                                               : projectable(g.legacy);
  if (events->empty())
    return;
  const uint64_t first = events->front().sequence_number;
  const uint64_t last = events->back().sequence_number;
  const bool consecutive = last - first + 1 == events->size();
  auto& run = runs_[space];
  if (!consecutive || (!run.empty() && first != run.back().last + 1)) {
    run.clear();
    held_[space] = 0;
    if (!consecutive)
      return; // numbers with a gap: nothing to rely on
  }
  run.push_back(entry{first, last, std::move(events)});
  held_[space] += last - first + 1;
  while (held_[space] > capacity_)
    pop(space);
}

void committed_feed::pop(uint8_t space) {
  auto& run = runs_[space];
  held_[space] -= run.front().last - run.front().first + 1;
  run.erase(run.begin());
}

std::vector<msg::fed_events> committed_feed::covering(uint8_t space, uint64_t from,
                                                      uint32_t limit) const {
  std::vector<msg::fed_events> out;
  if (!known(space) || limit == 0)
    return out;
  const auto& run = runs_[space];
  if (run.empty() || from < run.front().first || from > run.back().last)
    return out;
  const uint64_t to = from + limit - 1;
  for (const auto& e : run)
    if (e.last >= from && e.first <= to)
      out.push_back(e.events);
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
