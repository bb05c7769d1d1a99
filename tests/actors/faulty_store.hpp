// SPDX-License-Identifier: Apache-2.0
#pragma once

/// A decorator around a real event_store (SQLite in the actor tests) that records every
/// group commit and can be told to fail the next commits or loads with a given error.
/// The actors, not storage, are under test: everything else is the real thing.

#include "messages/errc.hpp"
#include "messages/store.hpp"

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace seq::test {

/// Shared by all connections the factory hands out.
struct fault_plan {
  std::mutex mtx;
  size_t fail_commits = 0;
  errc commit_error = errc::storage_unavailable;
  size_t fail_loads = 0;
  std::vector<size_t> committed_sizes; ///< events per successful commit, in order
  std::vector<size_t> commit_connections; ///< the store that made each of them
  size_t connections = 0;                ///< stores handed out so far (numbered from 1)
  /// Every load_heads call: the number of the store (connection) that ran it, and its stream.
  std::vector<std::pair<size_t, msg::stream_key>> loads;
  size_t failed_commits = 0;
  size_t conflicts = 0;
  /// Commits of a group holding a VES event of this entity fail with errc::storage_failure,
  /// as PostgreSQL refuses a group with a value one of its columns cannot hold.
  std::string refused_entity;

  void fail_next_commits(size_t n, errc code) {
    std::lock_guard<std::mutex> guard{mtx};
    fail_commits = n;
    commit_error = code;
  }

  std::vector<size_t> commits() {
    std::lock_guard<std::mutex> guard{mtx};
    return committed_sizes;
  }
};

class faulty_store : public storage::event_store {
public:
  faulty_store(std::unique_ptr<storage::event_store> inner, std::shared_ptr<fault_plan> plan)
    : inner_(std::move(inner)), plan_(std::move(plan)) {
    std::lock_guard<std::mutex> guard{plan_->mtx};
    connection_ = ++plan_->connections;
  }

  std::string backend() const override {
    return inner_->backend();
  }
  caf::expected<void> migrate() override {
    return inner_->migrate();
  }
  caf::expected<void> ping() override {
    return inner_->ping();
  }
  caf::expected<msg::stream_heads> load_heads(const msg::stream_key& s) override {
    {
      std::lock_guard<std::mutex> guard{plan_->mtx};
      if (plan_->fail_loads > 0) {
        --plan_->fail_loads;
        return make_error(errc::storage_unavailable, "injected load failure");
      }
      plan_->loads.emplace_back(connection_, s);
    }
    return inner_->load_heads(s);
  }
  caf::expected<std::vector<std::pair<msg::entity_key, int64_t>>>
  load_entity_versions(const msg::stream_key& s) override {
    return inner_->load_entity_versions(s);
  }
  caf::expected<void> commit_group(const storage::write_group& g) override {
    {
      std::lock_guard<std::mutex> guard{plan_->mtx};
      if (plan_->fail_commits > 0) {
        --plan_->fail_commits;
        ++plan_->failed_commits;
        return make_error(plan_->commit_error, "injected commit failure");
      }
      if (!plan_->refused_entity.empty())
        for (auto& e : g.ves)
          if (e.ev.entity_id == plan_->refused_entity) {
            ++plan_->failed_commits;
            return make_error(errc::storage_failure, "injected: value out of range");
          }
    }
    auto res = inner_->commit_group(g);
    std::lock_guard<std::mutex> guard{plan_->mtx};
    if (res) {
      plan_->committed_sizes.push_back(g.ves.size() + g.legacy.size());
      plan_->commit_connections.push_back(connection_);
    }
    else if (res.error() == errc::storage_conflict)
      ++plan_->conflicts;
    return res;
  }
  caf::expected<storage::conflict_report> inspect_conflict(const storage::write_group& g) override {
    return inner_->inspect_conflict(g);
  }
  caf::expected<std::vector<msg::sequenced_ves_event>>
  find_ves_events(const std::vector<msg::uuid>& ids) override {
    return inner_->find_ves_events(ids);
  }
  caf::expected<std::vector<msg::sequenced_ves_event>>
  read_ves_events(const msg::stream_key& s, uint64_t from, uint32_t limit) override {
    return inner_->read_ves_events(s, from, limit);
  }
  caf::expected<std::vector<msg::sequenced_legacy_event>>
  read_legacy_events(const msg::stream_key& s, uint64_t from, uint32_t limit) override {
    return inner_->read_legacy_events(s, from, limit);
  }
  caf::expected<std::vector<msg::projectable_event>>
  read_ves_projectable(const msg::stream_key& s, uint64_t from, uint32_t limit) override {
    return inner_->read_ves_projectable(s, from, limit);
  }
  caf::expected<std::vector<storage::ves_leaf_row>>
  read_ves_leaf_rows(const msg::stream_key& s, uint64_t from, uint32_t limit) override {
    return inner_->read_ves_leaf_rows(s, from, limit);
  }
  caf::expected<std::vector<msg::sequenced_legacy_event>>
  read_entity_events(const msg::stream_key& s, const msg::entity_key& e) override {
    return inner_->read_entity_events(s, e);
  }
  caf::expected<void> insert_agent_key(const msg::agent_key& k) override {
    return inner_->insert_agent_key(k);
  }
  caf::expected<msg::agent_key> get_agent_key(const msg::uuid& tenant, const msg::uuid& agent,
                                              uint32_t key_id) override {
    return inner_->get_agent_key(tenant, agent, key_id);
  }
  caf::expected<void> upsert_api_key(const msg::api_key_record& k) override {
    return inner_->upsert_api_key(k);
  }
  caf::expected<msg::api_key_record> get_api_key(const std::string& key_hash) override {
    return inner_->get_api_key(key_hash);
  }
  caf::expected<std::vector<msg::api_key_record>>
  list_api_keys(const std::optional<msg::uuid>& agent,
                const std::optional<msg::uuid>& tenant) override {
    return inner_->list_api_keys(agent, tenant);
  }
  caf::expected<msg::api_key_record>
  revoke_api_key(const std::string& hash_prefix, const std::optional<msg::uuid>& agent,
                 const std::optional<msg::uuid>& tenant) override {
    return inner_->revoke_api_key(hash_prefix, agent, tenant);
  }

private:
  std::unique_ptr<storage::event_store> inner_;
  std::shared_ptr<fault_plan> plan_;
  size_t connection_ = 0;
};

} // namespace seq::test
