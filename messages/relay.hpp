// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Work handed to an event-based actor by a thread that is not an actor (the HTTP loop
/// threads, adapters/http/relay.hpp): the actor runs `run(self)`, which sends a request and
/// handles its answer in the actor's context, so the sending thread never waits. Local only.

#include <functional>

#include "caf/event_based_actor.hpp"
#include "caf/meta/type_name.hpp"

namespace seq::msg {

struct relay_call {
  std::function<void(caf::event_based_actor*)> run;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, relay_call&) {
  return f(caf::meta::type_name("seq::relay_call"));
}

} // namespace seq::msg
