// SPDX-License-Identifier: Apache-2.0
#include "adapters/http/ask.hpp"

#include <utility>

namespace seq::http {

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

size_t asker_pool::idle() const {
  std::lock_guard<std::mutex> guard{mx_};
  return idle_.size();
}

} // namespace seq::http
