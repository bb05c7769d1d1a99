// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Requests from HTTP handlers to actors: blocking, from a worker thread, through a scoped
/// actor that is reused across requests (asker_pool); or without waiting, from a loop thread,
/// through a relay actor that runs the callback with the answer (ask_async).

#include "adapters/http/request.hpp"
#include "adapters/http/server.hpp"
#include "messages/relay.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/expected.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"

namespace seq::http {

/// Scoped actors for ask_within, kept between requests. In CAF 0.17 an ending actor cancels
/// its timeouts through the actor clock (`local_actor::cleanup`), which wakes the clock's
/// thread: a scoped actor per request cost a wake-up of that thread per request. Only an
/// actor whose reply has arrived comes back here, so no late reply can wait in a pooled
/// actor's mailbox. Thread-safe; destroy it before the actor system.
class asker_pool {
public:
  using actor_ptr = std::unique_ptr<caf::scoped_actor>;

  /// Keeps at most `max_idle` actors; more come and go per request.
  explicit asker_pool(caf::actor_system& sys, size_t max_idle = 256);

  /// An idle actor, or a new one.
  actor_ptr take();
  /// Back for the next request (its mailbox must be empty); dropped beyond max_idle.
  void give(actor_ptr a);
  size_t idle() const;

private:
  caf::actor_system& sys_;
  size_t max_idle_;
  mutable std::mutex mx_;
  std::vector<actor_ptr> idle_;
};

/// Event-based actors that send requests on behalf of threads that are not actors and run the
/// callbacks with the answers (ask_async). Thread-safe; the actors end with it.
class relay_set {
public:
  relay_set(caf::actor_system& sys, size_t n);
  ~relay_set();
  relay_set(const relay_set&) = delete;
  relay_set& operator=(const relay_set&) = delete;
  /// The next relay, round robin.
  const caf::actor& next();

private:
  std::vector<caf::actor> actors_;
  std::atomic<size_t> next_{0};
};

/// Sends `msg` to `dest` through a relay and returns at once; the relay calls `done` with the
/// reply of type R or the error, on a CAF worker thread. No timeout: the caller bounds the wait
/// (the event server answers an async route that takes too long).
template <class R, class M, class F>
void ask_async(context& ctx, const caf::actor& dest, M&& msg, F done) {
  caf::anon_send(ctx.relays->next(),
                 msg::relay_call{[dest, m = std::forward<M>(msg),
                                  done = std::move(done)](caf::event_based_actor* self) mutable {
                   self->request(dest, caf::infinite, std::move(m))
                     .then([done](R& r) mutable { done(caf::expected<R>{std::move(r)}); },
                           [done](caf::error& e) mutable { done(caf::expected<R>{std::move(e)}); });
                 }});
}

/// Sends `msg` to `dest` and waits for a reply of type R, or for an error reply, for at most
/// `timeout` (then the error is sec::request_timeout).
///
/// The wait is bounded by the blocking receive itself (a deadline on the scoped actor's
/// mailbox), not by a request timeout: in CAF 0.17 every request timeout is set and then
/// cancelled through the actor clock's thread, two wake-ups of that thread per HTTP request.
/// After a timeout the scoped actor is not reused: a late reply dies with it.
template <class R, class M>
caf::expected<R> try_ask_within(context& ctx, const caf::actor& dest, caf::timespan timeout,
                                M&& msg) {
  auto self = ctx.askers ? ctx.askers->take() : std::make_unique<caf::scoped_actor>(*ctx.sys);
  std::optional<R> out;
  caf::error err = caf::make_error(caf::sec::request_timeout);
  bool answered = false;
  auto reply = (*self)->request(dest, caf::infinite, std::forward<M>(msg));
  caf::blocking_actor::accept_one_cond until_one;
  (*self)->varargs_receive(
    until_one, reply.id(),
    [&](R& r) {
      out = std::move(r);
      answered = true;
    },
    [&](caf::error& e) {
      err = std::move(e);
      answered = true;
    },
    caf::after(timeout) >> [] {});
  if (answered && ctx.askers)
    ctx.askers->give(std::move(self));
  if (!out)
    return err;
  return std::move(*out);
}

/// try_ask_within, with an error reply (or a timeout) thrown as request_error with the mapped
/// status.
template <class R, class M>
R ask_within(context& ctx, const caf::actor& dest, caf::timespan timeout, M&& msg) {
  auto r = try_ask_within<R>(ctx, dest, timeout, std::forward<M>(msg));
  if (!r)
    reject(from_error(r.error()));
  return std::move(*r);
}

/// ask_within the configured request timeout.
template <class R, class M>
R ask(context& ctx, const caf::actor& dest, M&& msg) {
  return ask_within<R>(ctx, dest, ctx.opts.request_timeout, std::forward<M>(msg));
}

} // namespace seq::http
