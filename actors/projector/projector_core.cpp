// SPDX-License-Identifier: Apache-2.0
#include "actors/projector/projector_core.hpp"

#include <algorithm>

namespace seq::actors::projection {

projector_core::projector_core(msg::stream_key stream, projector_options opts)
  : stream_(std::move(stream)), opts_(opts) {
  if (opts_.batch_size == 0)
    opts_.batch_size = 1;
  counters_.stream = stream_;
  counters_.mode = opts_.mode;
}

size_t projector_core::index(uint8_t space) {
  return space == static_cast<uint8_t>(msg::space::legacy) ? 0 : 1;
}

uint64_t projector_core::checkpoint(uint8_t space) const {
  return checkpoint_[index(space)];
}

bool projector_core::behind(uint8_t space) const {
  auto i = index(space);
  return unknown_end_[i] || checkpoint_[i] < known_head_[i];
}

// -- inputs -----------------------------------------------------------------------------------

void projector_core::on_loaded(const msg::projection_loaded& x) {
  loaded_ = true;
  reload_ = false;
  checkpoint_ = {x.checkpoints.legacy, x.checkpoints.ves};
  for (size_t i = 0; i < 2; ++i) {
    known_head_[i] = std::max(known_head_[i], checkpoint_[i]);
    unknown_end_[i] = true;
  }
  if (x.halt)
    halt_ = *x.halt;
  for (auto& b : blocked_)
    b.clear();
  if (x.blocked)
    for (const auto& b : *x.blocked)
      blocked_[index(b.space)].insert(b.entity);
}

void projector_core::on_committed(uint8_t space, uint64_t last) {
  if (space != static_cast<uint8_t>(msg::space::legacy)
      && space != static_cast<uint8_t>(msg::space::ves))
    return; // x402 has no projections
  auto i = index(space);
  known_head_[i] = std::max(known_head_[i], last);
}

void projector_core::on_batch(uint8_t space, const msg::projection_batch_outcome& out) {
  auto i = index(space);
  checkpoint_[i] = std::max(checkpoint_[i], out.checkpoint);
  counters_.applied += out.applied;
  counters_.skipped += out.skipped;
  counters_.encrypted_skipped += out.encrypted;
  counters_.parked += out.parked;
  counters_.blocked_behind += out.blocked_behind;
  blocked_[i].insert(out.newly_blocked.begin(), out.newly_blocked.end());
  if (out.halted)
    halt_ = out.halted;
  if (out.error) {
    backing_off_ = true;
    return;
  }
  if (out.end_reached) {
    unknown_end_[i] = false;
    // Nothing readable although a higher sequence was announced (a lagging read replica):
    // look again after a pause instead of spinning.
    if (out.events_read == 0 && checkpoint_[i] < known_head_[i] && !halt_)
      backing_off_ = true;
  }
}

void projector_core::on_retry(const msg::dlq_retry_outcome& out) {
  const auto& e = out.entry;
  msg::entity_key key{e.entity_type, e.entity_id};
  const bool halted_here = halt_ && halt_->dlq_id == e.id;
  auto& blocked = blocked_[index(e.space)];
  if (e.status == msg::dlq_status::resolved) {
    if (out.checkpoint_advanced) {
      auto i = index(e.space);
      checkpoint_[i] = std::max(checkpoint_[i], e.sequence_number);
    }
    if (halted_here)
      halt_.reset();
    counters_.applied += 1 + out.chain_resolved;
    if (out.entity_clear)
      blocked.erase(key);
    else
      blocked.insert(key);
  } else if (halted_here) {
    halt_->reason = e.reason;
    halt_->message = e.message;
  } else {
    blocked.insert(key);
  }
  if (out.chain_error)
    reload_ = true;
}

void projector_core::on_resumed(const msg::halt_resumed& x) {
  if (!halt_)
    return;
  auto i = index(halt_->space);
  checkpoint_[i] = std::max(checkpoint_[i], x.checkpoint);
  if (x.entity_blocked)
    blocked_[i].insert(halt_->entity);
  halt_.reset();
}

void projector_core::reload() {
  reload_ = true;
}

void projector_core::backoff() {
  backing_off_ = true;
}

void projector_core::backoff_elapsed() {
  backing_off_ = false;
}

// -- decisions --------------------------------------------------------------------------------

projector_core::job_kind projector_core::next(bool retry_waiting, bool resume_waiting) const {
  if (backing_off_)
    return job_kind::none;
  if (!loaded_ || reload_)
    return job_kind::load;
  if (retry_waiting)
    return job_kind::retry;
  if (resume_waiting && halt_)
    return job_kind::resume;
  if (halt_)
    return job_kind::none;
  if (behind(static_cast<uint8_t>(msg::space::legacy))
      || behind(static_cast<uint8_t>(msg::space::ves)))
    return job_kind::batch;
  return job_kind::none;
}

bool projector_core::lingers(std::chrono::nanoseconds since_last_batch) const {
  if (opts_.linger.count() <= 0 || since_last_batch >= opts_.linger)
    return false;
  for (size_t i = 0; i < 2; ++i) {
    // A batch may read past the announced head (events committed, not yet announced).
    auto waiting = known_head_[i] > checkpoint_[i] ? known_head_[i] - checkpoint_[i] : 0;
    if (unknown_end_[i] || waiting >= opts_.batch_size)
      return false;
  }
  return true;
}

msg::projection_batch_request projector_core::make_batch() {
  // Take turns when both spaces are behind.
  size_t i = last_batch_space_ == 0 ? 1 : 0;
  auto space_of = [](size_t j) {
    return static_cast<uint8_t>(j == 0 ? msg::space::legacy : msg::space::ves);
  };
  if (!behind(space_of(i)))
    i = 1 - i;
  last_batch_space_ = i;
  msg::projection_batch_request req;
  req.stream = stream_;
  req.space = space_of(i);
  req.from = checkpoint_[i] + 1;
  req.limit = opts_.batch_size;
  req.mode = opts_.mode;
  req.blocked = blocked_[i];
  return req;
}

msg::dlq_retry_request projector_core::make_retry(const msg::dlq_entry& e) const {
  msg::dlq_retry_request req;
  req.stream = stream_;
  req.entry = e;
  req.checkpoint = checkpoint(e.space);
  return req;
}

msg::projection_status projector_core::status() const {
  auto st = counters_;
  st.loaded = loaded_;
  st.checkpoints.legacy = checkpoint_[0];
  st.checkpoints.ves = checkpoint_[1];
  st.known_head_legacy = known_head_[0];
  st.known_head_ves = known_head_[1];
  st.blocked_entities = blocked_[0].size() + blocked_[1].size();
  st.halted = halt_.has_value();
  if (halt_) {
    st.halted_space = halt_->space;
    st.halted_sequence = halt_->sequence_number;
    st.halted_dlq_id = halt_->dlq_id;
  }
  return st;
}

} // namespace seq::actors::projection
