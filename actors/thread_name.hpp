// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Names the thread of a detached actor, for `top -H`, perf and the load generator's CPU by
/// thread (bench/README.md). An actor on the scheduler's threads (tests on the deterministic
/// coordinator) leaves them as they are. Call it from the actor's init function, which runs on
/// the actor's own thread.

#include <pthread.h>

#include <cstddef>

#include "caf/local_actor.hpp"

namespace seq::actors {

template <size_t N>
void name_detached_thread(const caf::local_actor* self, const char (&name)[N]) {
  static_assert(N <= 16, "Linux keeps 15 bytes of a thread name");
  if (self->getf(caf::abstract_actor::is_detached_flag))
    pthread_setname_np(pthread_self(), name);
}

} // namespace seq::actors
