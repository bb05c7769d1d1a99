// SPDX-License-Identifier: Apache-2.0
#include "actors/storage_writer/storage_writer.hpp"

#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include <chrono>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/result.hpp"

namespace seq::actors {

namespace {

/// The connection, opened on first use.
caf::expected<storage::event_store*> connection(storage_writer_state& st) {
  if (!st.store) {
    if (!st.factory)
      return make_error(errc::storage_unavailable, "storage writer has no store factory");
    auto s = st.factory();
    if (!s)
      return std::move(s.error());
    st.store = std::move(*s);
  }
  return st.store.get();
}

} // namespace

caf::behavior storage_writer(caf::stateful_actor<storage_writer_state>* self,
                             store_factory factory, ingest_metrics* metrics) {
  self->state.factory = std::move(factory);
  self->state.metrics = metrics;
  return {
    [self](msg::load_stream& x) -> caf::result<msg::stream_loaded> {
      auto db = connection(self->state);
      if (!db)
        return std::move(db.error());
      auto heads = (*db)->load_heads(x.stream);
      if (!heads)
        return std::move(heads.error());
      auto versions = (*db)->load_entity_versions(x.stream);
      if (!versions)
        return std::move(versions.error());
      auto snap = std::make_shared<msg::stream_snapshot>();
      snap->heads = *heads;
      snap->versions = std::move(*versions);
      return msg::stream_loaded{std::move(snap)};
    },
    [self](msg::commit_group& x) -> caf::result<msg::group_committed> {
      if (!x.group)
        return make_error(errc::internal, "commit_group without a group");
      auto db = connection(self->state);
      if (!db)
        return std::move(db.error());
      auto t0 = std::chrono::steady_clock::now();
      auto res = (*db)->commit_group(*x.group);
      if (auto* m = self->state.metrics) {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - t0);
        m->write_latency_us.observe(static_cast<uint64_t>(us.count()));
      }
      if (!res)
        return std::move(res.error());
      return msg::group_committed{x.group->ves.size() + x.group->legacy.size()};
    },
    [self](msg::inspect_conflict& x) -> caf::result<msg::conflict_inspected> {
      if (!x.group)
        return make_error(errc::internal, "inspect_conflict without a group");
      auto db = connection(self->state);
      if (!db)
        return std::move(db.error());
      auto report = (*db)->inspect_conflict(*x.group);
      if (!report)
        return std::move(report.error());
      return msg::conflict_inspected{
        std::make_shared<const storage::conflict_report>(std::move(*report))};
    },
  };
}

caf::actor spawn_storage_writer(caf::actor_system& sys, store_factory factory,
                                ingest_metrics* metrics, bool detached) {
  if (detached)
    return sys.spawn<caf::detached>(storage_writer, std::move(factory), metrics);
  return sys.spawn(storage_writer, std::move(factory), metrics);
}

} // namespace seq::actors
