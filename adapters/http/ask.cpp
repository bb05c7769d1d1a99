// SPDX-License-Identifier: Apache-2.0
#include "adapters/http/ask.hpp"

#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"

#include <utility>

namespace seq::http {

namespace {

caf::behavior relay_actor(caf::event_based_actor* self) {
  return {[self](msg::relay_call& c) { c.run(self); }};
}

} // namespace

asker_pool::asker_pool(caf::actor_system& sys, size_t max_idle) : sys_(sys), max_idle_(max_idle) {
}

asker_pool::actor_ptr asker_pool::take() {
  {
    std::lock_guard<std::mutex> guard{mx_};
    if (!idle_.empty()) {
      auto a = std::move(idle_.back());
      idle_.pop_back();
      return a;
    }
  }
  return std::make_unique<caf::scoped_actor>(sys_);
}

void asker_pool::give(actor_ptr a) {
  {
    std::lock_guard<std::mutex> guard{mx_};
    if (idle_.size() < max_idle_) {
      idle_.push_back(std::move(a));
      return;
    }
  }
  // A full pool: `a` ends here, outside the lock.
}

std::shared_ptr<asker_pool> make_asker_pool(caf::actor_system& sys) {
  return std::make_shared<asker_pool>(sys);
}

relay_set::relay_set(caf::actor_system& sys, size_t n) {
  for (size_t i = 0; i < std::max<size_t>(n, 1); ++i)
    actors_.push_back(sys.spawn(relay_actor));
}

relay_set::~relay_set() {
  for (auto& a : actors_)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

const caf::actor& relay_set::next() {
  return actors_[next_.fetch_add(1, std::memory_order_relaxed) % actors_.size()];
}

size_t asker_pool::idle() const {
  std::lock_guard<std::mutex> guard{mx_};
  return idle_.size();
}

} // namespace seq::http
