// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Blocking request from an HTTP handler thread to an actor (a scoped_actor per call).

#include "adapters/http/request.hpp"
#include "adapters/http/server.hpp"

#include "caf/actor_system.hpp"
#include "caf/scoped_actor.hpp"

namespace seq::http {

/// Sends `msg` to `dest` and waits for a reply of type R; an error reply (or a timeout) is
/// thrown as request_error with the mapped status.
template <class R, class M>
R ask_within(context& ctx, const caf::actor& dest, caf::timespan timeout, M&& msg) {
  caf::scoped_actor self{*ctx.sys};
  std::optional<R> out;
  caf::error err;
  self->request(dest, timeout, std::forward<M>(msg))
    .receive([&](R& r) { out = std::move(r); }, [&](caf::error& e) { err = std::move(e); });
  if (!out)
    reject(from_error(err));
  return std::move(*out);
}

/// ask_within the configured request timeout.
template <class R, class M>
R ask(context& ctx, const caf::actor& dest, M&& msg) {
  return ask_within<R>(ctx, dest, ctx.opts.request_timeout, std::forward<M>(msg));
}

} // namespace seq::http
