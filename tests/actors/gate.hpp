// SPDX-License-Identifier: Apache-2.0
#pragma once

/// A test actor in front of another actor: it forwards (delegates) the requests it gets
/// while open and holds them while closed. A fixture's gate lists the requests it knows,
/// each as `gate_pass<Reply>(self, x)`, and adds `gate_toggle(self)` for `(put_atom, bool)`:
/// true opens the gate and releases what it holds, in order; false closes it.

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "caf/actor.hpp"
#include "caf/atom.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/result.hpp"
#include "caf/stateful_actor.hpp"

namespace seq::test {

struct gate_state {
  static inline const char* name = "gate";
  caf::actor target;
  bool open = true;
  std::vector<std::function<void()>> held;
  size_t passed = 0;
};

template <class Reply, class T>
caf::result<Reply> gate_pass(caf::stateful_actor<gate_state>* self, T& x) {
  auto& st = self->state;
  if (st.open) {
    ++st.passed;
    self->delegate(st.target, std::move(x));
    return caf::delegated<Reply>{};
  }
  auto rp = self->make_response_promise();
  st.held.push_back([rp, x = std::move(x), target = st.target]() mutable {
    rp.delegate(target, std::move(x));
  });
  return caf::delegated<Reply>{};
}

/// The `(put_atom, bool)` handler of a gate.
inline auto gate_toggle(caf::stateful_actor<gate_state>* self) {
  return [self](caf::put_atom, bool open) {
    auto& st = self->state;
    st.open = open;
    if (!open)
      return;
    auto held = std::move(st.held);
    st.held.clear();
    for (auto& f : held) {
      ++st.passed;
      f();
    }
  };
}

} // namespace seq::test
