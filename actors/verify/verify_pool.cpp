// SPDX-License-Identifier: Apache-2.0
#include "actors/verify/verify_pool.hpp"

#include "actors/thread_name.hpp"
#include "actors/verify/verifier.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include <algorithm>
#include <thread>

#include "caf/actor_pool.hpp"
#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/result.hpp"

namespace seq::actors {

namespace {

caf::expected<storage::event_store*> connection(verify_worker_state& st) {
  if (!st.store) {
    if (!st.factory)
      return make_error(errc::storage_unavailable, "verify worker has no store factory");
    auto s = st.factory();
    if (!s)
      return std::move(s.error());
    st.store = std::move(*s);
  }
  return st.store.get();
}

void count_key(ingest_metrics* m, bool miss) {
  if (!m)
    return;
  if (miss)
    m->key_cache_misses.fetch_add(1, std::memory_order_relaxed);
  else
    m->key_cache_hits.fetch_add(1, std::memory_order_relaxed);
}

/// Fills the verdicts and fingerprints of every candidate in `out`; returns the ids of the
/// rejected ones, or the key look-up's infrastructure error.
caf::expected<std::vector<msg::uuid>> run_verifier(const verifier::key_lookup& lookup,
                                                   msg::verified_ves& out) {
  verifier v{lookup};
  auto now = msg::now_us();
  std::vector<msg::uuid> rejected_ids;
  out.verdicts.reserve(out.candidates.size());
  out.fingerprints.reserve(out.candidates.size());
  for (auto& c : out.candidates) {
    auto r = v.verify(c, now);
    if (!r)
      return std::move(r.error());
    if (!r->verdict.ok)
      rejected_ids.push_back(c.ev.event_id);
    out.verdicts.push_back(std::move(r->verdict));
    out.fingerprints.push_back(r->fingerprint);
  }
  return rejected_ids;
}

caf::result<msg::ves_batch_verified> verify_ves(verify_worker_state& st,
                                                msg::verify_ves_batch& x) {
  auto out = std::make_shared<msg::verified_ves>();
  if (x.events)
    out->candidates = std::move(*x.events);
  auto lookup = [&st](const msg::uuid& tenant, const msg::uuid& agent,
                      uint32_t key_id) -> caf::expected<msg::agent_key> {
    bool miss = false;
    auto res = st.keys->get(tenant, agent, key_id, key_cache::clock::now(),
                            [&]() -> caf::expected<msg::agent_key> {
                              miss = true;
                              auto db = connection(st);
                              if (!db)
                                return std::move(db.error());
                              return (*db)->get_agent_key(tenant, agent, key_id);
                            });
    count_key(st.metrics, miss);
    return res;
  };
  auto rejected_ids = run_verifier(lookup, *out);
  if (!rejected_ids)
    return std::move(rejected_ids.error());
  // A rejected event may still be an exact replay of a stored one (e.g. its key was
  // revoked since): the sequencer needs the stored event to answer with its receipt.
  if (!rejected_ids->empty()) {
    auto db = connection(st);
    if (!db)
      return std::move(db.error());
    auto stored = (*db)->find_ves_events(*rejected_ids);
    if (!stored)
      return std::move(stored.error());
    out->stored = std::move(*stored);
  }
  return msg::ves_batch_verified{std::move(out)};
}

} // namespace

caf::behavior verify_worker(caf::stateful_actor<verify_worker_state>* self,
                            store_factory factory, std::shared_ptr<key_cache> keys,
                            ingest_metrics* metrics) {
  name_detached_thread(self, "ves-verify");
  self->state.factory = std::move(factory);
  self->state.keys = std::move(keys);
  self->state.metrics = metrics;
  return {
    [self](msg::verify_ves_batch& x) -> caf::result<msg::ves_batch_verified> {
      return verify_ves(self->state, x);
    },
    [](msg::verify_legacy_batch& x) -> msg::legacy_batch_verified {
      std::vector<msg::legacy_candidate> events;
      if (x.events)
        events = std::move(*x.events);
      return msg::legacy_batch_verified{verify_legacy_here(std::move(events))};
    },
  };
}

std::shared_ptr<const msg::verified_ves>
verify_ves_here(std::vector<msg::ves_candidate>& events, key_cache& keys,
                ingest_metrics* metrics) {
  auto out = std::make_shared<msg::verified_ves>();
  out->candidates = std::move(events);
  bool miss = false;
  auto lookup = [&](const msg::uuid& tenant, const msg::uuid& agent,
                    uint32_t key_id) -> caf::expected<msg::agent_key> {
    auto res = keys.get(tenant, agent, key_id, key_cache::clock::now(),
                        [&]() -> caf::expected<msg::agent_key> {
                          miss = true;
                          return make_error(errc::storage_unavailable, "agent key not cached");
                        });
    if (!miss)
      count_key(metrics, false);
    return res;
  };
  auto rejected_ids = run_verifier(lookup, *out);
  if (rejected_ids && rejected_ids->empty() && !miss)
    return out;
  events = std::move(out->candidates); // the pool verifies them again, with storage
  return nullptr;
}

std::shared_ptr<const msg::verified_legacy>
verify_legacy_here(std::vector<msg::legacy_candidate> events) {
  auto out = std::make_shared<msg::verified_legacy>();
  out->candidates = std::move(events);
  out->rejections.reserve(out->candidates.size());
  for (auto& c : out->candidates)
    out->rejections.push_back(verifier::verify_legacy(c));
  return out;
}

std::shared_ptr<key_cache> make_key_cache(const ingest_config& cfg) {
  return std::make_shared<key_cache>(
    std::chrono::duration_cast<key_cache::clock::duration>(cfg.key_cache_ttl));
}

caf::actor spawn_verify_pool(caf::actor_system& sys, const ingest_config& cfg,
                             store_factory factory, std::shared_ptr<key_cache> keys,
                             ingest_metrics* metrics) {
  auto n = cfg.verify_workers;
  if (n == 0)
    n = std::max(1u, std::thread::hardware_concurrency());
  bool detached = cfg.detached_io;
  auto make_worker = [&sys, factory, keys, metrics, detached]() -> caf::actor {
    if (detached)
      return sys.spawn<caf::detached>(verify_worker, factory, keys, metrics);
    return sys.spawn(verify_worker, factory, keys, metrics);
  };
  return caf::actor_pool::make(sys.dummy_execution_unit(), n, make_worker,
                               caf::actor_pool::round_robin());
}

} // namespace seq::actors
