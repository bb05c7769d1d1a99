// SPDX-License-Identifier: Apache-2.0
#include "actors/dlq/dlq_retry.hpp"

#include "actors/projector/projector.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"
#include "messages/ves/json.hpp"

#include <utility>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/result.hpp"

namespace seq::actors::dlq {

namespace {

using self_ptr = caf::stateful_actor<dlq_retry_state>*;
using done_fn = std::function<void(caf::expected<msg::dlq_entry>)>;

void add(projection::projection_metrics* m, std::atomic<uint64_t> projection::projection_metrics::*c) {
  if (m)
    (m->*c).fetch_add(1, std::memory_order_relaxed);
}

msg::timestamp_us now(self_ptr self) {
  return self->state.deps.clock();
}

std::string describe(const caf::error& e) {
  auto m = error_message(e);
  return m.empty() ? caf::to_string(e) : m;
}

/// Writes the `dlq_retry` audit row of one retry (best effort).
void audit(self_ptr self, const msg::dlq_entry& e, const std::string& by,
           const std::string& outcome, const std::string& error) {
  using ves::json::quote;
  auto a = std::make_shared<msg::audit_entry>();
  a->action = "dlq_retry";
  a->actor = by.empty() ? "dlq_retry" : by;
  a->tenant_id = e.stream.tenant_id;
  a->resource_type = "dlq";
  a->resource_id = e.id.str();
  a->details = "{\"event_id\":" + quote(e.event_id.str()) + ",\"stream\":" + quote(e.stream.str())
               + ",\"outcome\":" + quote(outcome) + ",\"status\":" + quote(to_string(e.status))
               + ",\"retry_count\":" + std::to_string(e.retry_count)
               + (error.empty() ? std::string{} : ",\"error\":" + quote(error)) + "}";
  self->request(self->state.deps.io.for_stream(e.stream), self->state.deps.request_timeout,
                msg::dlq_audit{std::move(a)})
    .then([](caf::ok_atom) {}, [](caf::error&) {});
}

/// The retry could not run: the row goes back to its previous status.
void not_run(self_ptr self, msg::dlq_entry e, msg::dlq_status previous, const caf::error& err,
             const std::string& by, const done_fn& done) {
  auto& st = self->state;
  st.deps.policy->retry_not_run(e, previous, now(self));
  self->request(st.deps.io.for_stream(e.stream), st.deps.request_timeout, msg::dlq_update{e})
    .then([](caf::ok_atom) {}, [](caf::error&) {});
  add(st.deps.metrics, &projection::projection_metrics::retries_not_run);
  audit(self, e, by, "not_run", describe(err));
  st.in_flight.erase(e.id);
  done(err);
}

void finished(self_ptr self, const msg::dlq_entry& out, const std::string& by,
              const done_fn& done) {
  auto& st = self->state;
  using m = projection::projection_metrics;
  switch (out.status) {
    case msg::dlq_status::resolved:
      add(st.deps.metrics, &m::retries_succeeded);
      break;
    case msg::dlq_status::dead:
      add(st.deps.metrics, &m::retries_dead);
      break;
    default:
      add(st.deps.metrics, &m::retries_failed);
      break;
  }
  audit(self, out, by, to_string(out.status), out.status == msg::dlq_status::resolved
                                                 ? std::string{}
                                                 : out.message);
  st.in_flight.erase(out.id);
  done(out);
}

/// Marks `e` retrying, has its projector re-apply it and reports the row as written.
void run_retry(self_ptr self, msg::dlq_entry e, bool manual, std::string by, done_fn done) {
  auto& st = self->state;
  const auto previous = e.status;
  if (auto r = st.deps.policy->start_retry(e, manual, now(self)); !r)
    return done(std::move(r.error()));
  st.in_flight.insert(e.id);
  add(st.deps.metrics, &projection::projection_metrics::retries_attempted);
  auto timeout = st.deps.request_timeout;
  self->request(st.deps.io.for_stream(e.stream), timeout, msg::dlq_update{e})
    .then(
      [self, e, previous, by, done, timeout](caf::ok_atom) {
        self
          ->request(self->state.deps.registry, timeout,
                    msg::get_companion{e.stream, projection::projector_role})
          .then(
            [self, e, previous, by, done, timeout](caf::actor& p) {
              if (!p)
                return not_run(self, e, previous,
                               make_error(errc::not_found, "stream has no projector"), by,
                               done);
              self->request(p, timeout, msg::reapply_dlq{e})
                .then([self, by, done](msg::dlq_entry& out) { finished(self, out, by, done); },
                      [self, e, previous, by, done](caf::error& err) {
                        not_run(self, e, previous, err, by, done);
                      });
            },
            [self, e, previous, by, done](caf::error& err) {
              not_run(self, e, previous, err, by, done);
            });
      },
      [self, id = e.id, done](caf::error& err) {
        // The row was not marked: nothing to put back.
        self->state.in_flight.erase(id);
        done(err);
      });
}

void end_round(self_ptr self) {
  self->state.round_active = false;
  self->state.round_left = 0;
}

void fetch_due(self_ptr self) {
  auto& st = self->state;
  self
    ->request(st.deps.io.workers.front(), st.deps.request_timeout,
              msg::dlq_fetch_due{now(self), st.deps.batch_size})
    .then(
      [self](msg::dlq_rows& x) {
        auto& st = self->state;
        std::vector<msg::dlq_entry> todo;
        if (x.rows)
          for (const auto& r : *x.rows)
            if (r.status == msg::dlq_status::pending && !r.blocked_behind
                && st.in_flight.count(r.id) == 0)
              todo.push_back(r);
        if (todo.empty())
          return end_round(self);
        st.round_left = todo.size();
        for (auto& r : todo)
          run_retry(self, std::move(r), false, "", [self](caf::expected<msg::dlq_entry>) {
            auto& st = self->state;
            if (st.round_left > 0 && --st.round_left == 0)
              st.round_active = false;
          });
      },
      [self](caf::error&) { end_round(self); });
}

void start_round(self_ptr self) {
  auto& st = self->state;
  st.round_active = true;
  ++st.rounds;
  auto t = now(self);
  auto stale_us = std::chrono::duration_cast<std::chrono::microseconds>(st.deps.stale_after);
  self
    ->request(st.deps.io.workers.front(), st.deps.request_timeout,
              msg::dlq_fetch_stale{t - stale_us.count(), st.deps.batch_size})
    .then(
      [self, t](msg::dlq_rows& x) {
        auto& st = self->state;
        if (x.rows)
          for (auto r : *x.rows) {
            if (st.in_flight.count(r.id) > 0)
              continue;
            st.deps.policy->reset_stale(r, t);
            self->request(st.deps.io.for_stream(r.stream), st.deps.request_timeout,
                          msg::dlq_update{r})
              .then([](caf::ok_atom) {}, [](caf::error&) {});
          }
        fetch_due(self);
      },
      [self](caf::error&) { fetch_due(self); });
}

} // namespace

caf::behavior dlq_retry(caf::stateful_actor<dlq_retry_state>* self, dlq_retry_deps deps) {
  auto& st = self->state;
  st.deps = std::move(deps);
  if (!st.deps.policy)
    st.deps.policy = std::make_shared<const dlq_policy>(retry_schedule{retry_options{}});
  if (!st.deps.clock)
    st.deps.clock = msg::now_us;
  self->delayed_send(self, st.deps.poll_interval, caf::tick_atom_v);
  return {
    [self](caf::tick_atom) {
      auto& st = self->state;
      self->delayed_send(self, st.deps.poll_interval, caf::tick_atom_v);
      if (!st.round_active && st.deps.io.valid())
        start_round(self);
    },
    [self](msg::retry_dlq& x) -> caf::result<msg::dlq_entry> {
      auto& st = self->state;
      if (!st.deps.io.valid())
        return make_error(errc::internal, "DLQ retry actor without projection I/O");
      auto rp = self->make_response_promise<msg::dlq_entry>();
      self->request(st.deps.io.workers.front(), st.deps.request_timeout, msg::dlq_get{x.id})
        .then(
          [self, rp, by = x.requested_by](msg::dlq_entry& e) mutable {
            if (self->state.in_flight.count(e.id) > 0) {
              rp.deliver(make_error(errc::invalid_request,
                                    "DLQ entry " + e.id.str() + " is being retried already"));
              return;
            }
            run_retry(self, std::move(e), true, by.empty() ? "operator" : by,
                      [rp](caf::expected<msg::dlq_entry> r) mutable {
                        if (r)
                          rp.deliver(std::move(*r));
                        else
                          rp.deliver(std::move(r.error()));
                      });
          },
          [rp](caf::error& e) mutable { rp.deliver(e); });
      return rp;
    },
  };
}

caf::actor spawn_dlq_retry(caf::actor_system& sys, dlq_retry_deps deps) {
  return sys.spawn(dlq_retry, std::move(deps));
}

} // namespace seq::actors::dlq
