// SPDX-License-Identifier: Apache-2.0
#include "actors/storage_writer/storage_writer.hpp"

#include "actors/thread_name.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "caf/actor_pool.hpp"
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

/// Counts a stream call out of the writer's load when the handler returns.
struct call_done {
  std::shared_ptr<std::atomic<int>>& calls;
  ~call_done() {
    if (calls)
      calls->fetch_sub(1);
  }
};

/// The stream a writer call is about, if `c` is one.
std::optional<msg::stream_key> stream_of(const caf::type_erased_tuple& c) {
  if (c.size() != 1)
    return std::nullopt;
  if (c.match_element<msg::load_stream>(0))
    return c.get_as<msg::load_stream>(0).stream;
  const std::shared_ptr<const storage::write_group>* g = nullptr;
  if (c.match_element<msg::commit_group>(0))
    g = &c.get_as<msg::commit_group>(0).group;
  else if (c.match_element<msg::inspect_conflict>(0))
    g = &c.get_as<msg::inspect_conflict>(0).group;
  if (g && *g)
    return (*g)->stream;
  return std::nullopt;
}

/// Stream calls handed to each writer of a pool and not answered yet, by writer: the pool's
/// dispatch counts a call in, the writer counts it out when it has answered. Filled while the
/// pool is made, only read afterwards.
using writer_loads = std::vector<std::pair<caf::actor_id, std::shared_ptr<std::atomic<int>>>>;

std::atomic<int>* load_of(const writer_loads& loads, const caf::actor& writer) {
  for (const auto& [id, calls] : loads)
    if (id == writer.id())
      return calls.get();
  return nullptr;
}

/// The pool's dispatch policy (see spawn_writer_pool).
caf::actor_pool::policy writer_dispatch(std::shared_ptr<const writer_loads> loads) {
  return [loads = std::move(loads), next = std::make_shared<std::atomic<size_t>>(0)](
           caf::actor_system&, caf::actor_pool::uplock& guard,
           const caf::actor_pool::actor_vec& writers, caf::mailbox_element_ptr& ptr,
           caf::execution_unit* host) {
    const size_t n = writers.size();
    auto s = stream_of(ptr->content());
    size_t pick = s ? s->hash() % n : next->fetch_add(1) % n;
    std::atomic<int>* calls = s ? load_of(*loads, writers[pick]) : nullptr;
    if (calls && calls->load() > 0) {
      // The home writer is busy: the least busy one, the home writer first on ties.
      int fewest = calls->load();
      for (size_t k = 1; k < n && fewest > 0; ++k) {
        auto i = (pick + k) % n;
        auto* c = load_of(*loads, writers[i]);
        if (!c)
          continue;
        if (auto l = c->load(); l < fewest) {
          fewest = l;
          pick = i;
          calls = c;
        }
      }
    }
    if (calls)
      calls->fetch_add(1);
    caf::actor selected = writers[pick];
    guard.unlock();
    selected->enqueue(std::move(ptr), host);
  };
}

} // namespace

caf::actor spawn_writer_pool(caf::actor_system& sys, size_t n, const store_factory& factory,
                             ingest_metrics* metrics, bool detached) {
  auto loads = std::make_shared<writer_loads>();
  auto make = [&sys, &factory, metrics, detached, loads] {
    auto calls = std::make_shared<std::atomic<int>>(0);
    auto w = spawn_storage_writer(sys, factory, metrics, detached, calls);
    loads->emplace_back(w.id(), std::move(calls));
    return w;
  };
  return caf::actor_pool::make(sys.dummy_execution_unit(), std::max<size_t>(n, 1), make,
                               writer_dispatch(loads));
}

caf::behavior storage_writer(caf::stateful_actor<storage_writer_state>* self,
                             store_factory factory, ingest_metrics* metrics,
                             std::shared_ptr<std::atomic<int>> calls) {
  name_detached_thread(self, "ves-storage");
  self->state.factory = std::move(factory);
  self->state.metrics = metrics;
  self->state.calls = std::move(calls);
  return {
    [self](msg::load_stream& x) -> caf::result<msg::stream_loaded> {
      call_done done{self->state.calls};
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
      call_done done{self->state.calls};
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
      call_done done{self->state.calls};
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
                                ingest_metrics* metrics, bool detached,
                                std::shared_ptr<std::atomic<int>> calls) {
  if (detached)
    return sys.spawn<caf::detached>(storage_writer, std::move(factory), metrics,
                                    std::move(calls));
  return sys.spawn(storage_writer, std::move(factory), metrics, std::move(calls));
}

} // namespace seq::actors
