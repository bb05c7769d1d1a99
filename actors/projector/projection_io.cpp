// SPDX-License-Identifier: Apache-2.0
#include "actors/projector/projection_io.hpp"

#include "actors/thread_name.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include <algorithm>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/result.hpp"
#include "caf/send.hpp"

namespace seq::actors::projection {

namespace {

using self_ptr = caf::stateful_actor<projection_io_state>*;

/// Both connections, opened on first use (and again after a failed open).
caf::error connect(projection_io_state& st) {
  if (!st.events) {
    if (!st.events_factory)
      return make_error(errc::storage_unavailable, "projection I/O has no event store factory");
    auto s = st.events_factory();
    if (!s)
      return std::move(s.error());
    st.events = std::move(*s);
  }
  if (!st.projections) {
    if (!st.projections_factory)
      return make_error(errc::storage_unavailable,
                        "projection I/O has no projection store factory");
    auto s = st.projections_factory();
    if (!s)
      return std::move(s.error());
    st.projections = std::move(*s);
  }
  return caf::none;
}

/// Runs `f(engine)` on connected stores, or answers the connection error.
template <class F>
auto with_engine(self_ptr self, F f) -> decltype(f(std::declval<projection_engine&>())) {
  auto& st = self->state;
  if (auto err = connect(st))
    return err;
  store_event_source source{*st.events};
  projection_engine engine{source, *st.projections, *st.policy, st.clock};
  return f(engine);
}

caf::expected<storage::projection_store*> projections(self_ptr self) {
  if (auto err = connect(self->state))
    return err;
  return self->state.projections.get();
}

} // namespace

const caf::actor& projection_io::for_stream(const msg::stream_key& s) const {
  return workers[s.hash() % workers.size()];
}

caf::behavior projection_io_worker(caf::stateful_actor<projection_io_state>* self,
                                   store_factory events, projection_store_factory projections_f,
                                   std::shared_ptr<const dlq::dlq_policy> policy, clock_fn clock) {
  name_detached_thread(self, "ves-projection");
  auto& st = self->state;
  st.events_factory = std::move(events);
  st.projections_factory = std::move(projections_f);
  st.policy = policy ? std::move(policy)
                     : std::make_shared<const dlq::dlq_policy>(
                       dlq::retry_schedule{dlq::retry_options{}});
  st.clock = clock ? std::move(clock) : clock_fn{msg::now_us};
  return {
    [self](msg::load_projection& x) -> caf::result<msg::projection_loaded> {
      auto r = with_engine(self, [&](projection_engine& e) { return e.load(x.stream, x.mode); });
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
    [self](msg::project_batch& x) -> caf::result<msg::batch_projected> {
      if (!x.req)
        return make_error(errc::internal, "project_batch without a request");
      auto out = std::make_shared<msg::projection_batch_outcome>();
      auto& st = self->state;
      if (auto err = connect(st)) {
        out->checkpoint = x.req->from > 0 ? x.req->from - 1 : 0;
        out->error = std::move(err);
      } else {
        store_event_source source{*st.events};
        projection_engine engine{source, *st.projections, *st.policy, st.clock};
        *out = engine.run_batch(*x.req);
      }
      return msg::batch_projected{std::move(out)};
    },
    [self](msg::apply_dlq_retry& x) -> caf::result<msg::dlq_retry_applied> {
      if (!x.req)
        return make_error(errc::internal, "apply_dlq_retry without a request");
      auto r = with_engine(self, [&](projection_engine& e) { return e.retry(*x.req); });
      if (!r)
        return std::move(r.error());
      return msg::dlq_retry_applied{
        std::make_shared<const msg::dlq_retry_outcome>(std::move(*r))};
    },
    [self](msg::resume_halt& x) -> caf::result<msg::halt_resumed> {
      if (!x.halt)
        return make_error(errc::internal, "resume_halt without a halt");
      auto r = with_engine(self, [&](projection_engine& e) { return e.resume(x.stream, *x.halt); });
      if (!r)
        return std::move(r.error());
      return *r;
    },
    [self](msg::dlq_fetch_due& x) -> caf::result<msg::dlq_rows> {
      auto db = projections(self);
      if (!db)
        return std::move(db.error());
      auto rows = (*db)->due_for_retry(x.now, x.limit);
      if (!rows)
        return std::move(rows.error());
      return msg::dlq_rows{std::make_shared<const std::vector<msg::dlq_entry>>(std::move(*rows))};
    },
    [self](msg::dlq_fetch_stale& x) -> caf::result<msg::dlq_rows> {
      auto db = projections(self);
      if (!db)
        return std::move(db.error());
      msg::dlq_filter f;
      f.status = msg::dlq_status::retrying;
      f.limit = x.limit;
      auto rows = (*db)->list_dlq(f);
      if (!rows)
        return std::move(rows.error());
      std::vector<msg::dlq_entry> out;
      for (auto& r : *rows)
        if (r.status == msg::dlq_status::retrying && r.updated_at < x.before)
          out.push_back(std::move(r));
      return msg::dlq_rows{std::make_shared<const std::vector<msg::dlq_entry>>(std::move(out))};
    },
    [self](msg::dlq_get& x) -> caf::result<msg::dlq_entry> {
      auto db = projections(self);
      if (!db)
        return std::move(db.error());
      auto e = (*db)->get_dlq(x.id);
      if (!e)
        return std::move(e.error());
      return std::move(*e);
    },
    [self](msg::dlq_update& x) -> caf::result<caf::ok_atom> {
      auto db = projections(self);
      if (!db)
        return std::move(db.error());
      if (auto r = (*db)->update_dlq(x.entry); !r)
        return std::move(r.error());
      return caf::ok_atom_v;
    },
    [self](msg::dlq_audit& x) -> caf::result<caf::ok_atom> {
      if (!x.entry)
        return make_error(errc::internal, "dlq_audit without an entry");
      auto db = projections(self);
      if (!db)
        return std::move(db.error());
      if (auto r = (*db)->audit(*x.entry); !r)
        return std::move(r.error());
      return caf::ok_atom_v;
    },
  };
}

projection_io spawn_projection_io(caf::actor_system& sys, const projection_io_options& opts,
                                  store_factory events, projection_store_factory projections_f) {
  projection_io io;
  auto n = std::max<size_t>(opts.workers, 1);
  for (size_t i = 0; i < n; ++i) {
    if (opts.detached)
      io.workers.push_back(sys.spawn<caf::detached>(projection_io_worker, events, projections_f,
                                                    opts.policy, opts.clock));
    else
      io.workers.push_back(
        sys.spawn(projection_io_worker, events, projections_f, opts.policy, opts.clock));
  }
  return io;
}

void stop_projection_io(const projection_io& io) {
  for (const auto& w : io.workers)
    caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
}

} // namespace seq::actors::projection
