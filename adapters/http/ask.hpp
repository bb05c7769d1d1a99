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
///
/// The wait is bounded by the blocking receive itself (a deadline on the scoped actor's
/// mailbox), not by a request timeout: in CAF 0.17 every request timeout is set and then
/// cancelled through the actor clock's thread, two wake-ups of that thread per HTTP request.
/// A reply that arrives after the deadline dies with the scoped actor.
template <class R, class M>
R ask_within(context& ctx, const caf::actor& dest, caf::timespan timeout, M&& msg) {
  caf::scoped_actor self{*ctx.sys};
  std::optional<R> out;
  caf::error err = caf::make_error(caf::sec::request_timeout);
  auto reply = self->request(dest, caf::infinite, std::forward<M>(msg));
  caf::blocking_actor::accept_one_cond until_one;
  self->varargs_receive(
    until_one, reply.id(), [&](R& r) { out = std::move(r); },
    [&](caf::error& e) { err = std::move(e); }, caf::after(timeout) >> [] {});
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
