// SPDX-License-Identifier: Apache-2.0
#pragma once

/// TEST DOUBLE: an in-memory storage::projection_store for the projector and DLQ tests.
/// The projector, not storage, is under test here (the real SQLite/PostgreSQL store has its
/// own suite in tests/adapters/storage). It implements the contract of
/// messages/projection.hpp as the projector relies on it:
///   - apply_step is all-or-nothing: upsert by (stream, entity) ; park = upsert by event_id
///     (keeps the row's id and created_at, overwrites the rest) ; resolve = status resolved,
///     no next_retry_at ; advance_checkpoint sets the space's checkpoint to sequence_number;
///   - due_for_retry: pending rows with next_retry_at ≤ now, oldest next_retry_at first;
///   - blocked_entities: entities with a pending, retrying or dead row;
///   - list_dlq honours stream, status, reason, entity and limit (oldest created first).
/// Every connection the factory hands out shares one `projection_db`, which a test can
/// inspect, change behind the actors' back, or tell to fail the next steps.

#include "messages/errc.hpp"
#include "messages/projection.hpp"

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <vector>

namespace seq::test {

struct projection_db {
  using row_key = std::tuple<msg::stream_key, std::string, std::string>;

  std::mutex mtx;
  std::map<row_key, msg::projection_row> rows;
  std::map<msg::stream_key, msg::projection_checkpoints> checkpoints;
  std::map<msg::uuid, msg::dlq_entry> dlq;
  std::vector<msg::audit_entry> audits;
  /// Every committed step, in order.
  std::vector<msg::projection_step> steps;
  /// Rebuild shadow state per stream.
  std::map<msg::stream_key, std::map<row_key, msg::projection_row>> shadow_rows;
  std::map<msg::stream_key, msg::projection_checkpoints> shadow_checkpoints;
  std::map<msg::stream_key, std::map<msg::uuid, msg::dlq_entry>> shadow_dlq;
  /// Successful apply_step / apply_steps calls (each one transaction).
  size_t step_transactions = 0;
  /// Fault injection: the next `fail_steps` apply_step / apply_steps calls fail with
  /// `step_error` (nothing of that call is applied).
  size_t fail_steps = 0;
  errc step_error = errc::storage_unavailable;
  size_t failed_steps = 0;

  // -- helpers for tests (lock themselves) -----------------------------------------------------

  std::optional<msg::projection_row> projection(const msg::stream_key& s, const std::string& type,
                                                const std::string& id) {
    std::lock_guard<std::mutex> guard{mtx};
    auto i = rows.find(row_key{s, type, id});
    if (i == rows.end())
      return std::nullopt;
    return i->second;
  }
  void put_projection(const msg::projection_row& r) {
    std::lock_guard<std::mutex> guard{mtx};
    rows[row_key{r.stream, r.entity_type, r.entity_id}] = r;
  }
  msg::projection_checkpoints checkpoint(const msg::stream_key& s) {
    std::lock_guard<std::mutex> guard{mtx};
    return checkpoints[s];
  }
  std::optional<msg::dlq_entry> entry(const msg::uuid& id) {
    std::lock_guard<std::mutex> guard{mtx};
    auto i = dlq.find(id);
    if (i == dlq.end())
      return std::nullopt;
    return i->second;
  }
  void put_entry(const msg::dlq_entry& e) {
    std::lock_guard<std::mutex> guard{mtx};
    dlq[e.id] = e;
  }
  void erase_entry(const msg::uuid& id) {
    std::lock_guard<std::mutex> guard{mtx};
    dlq.erase(id);
  }
  std::vector<msg::dlq_entry> entries() {
    std::lock_guard<std::mutex> guard{mtx};
    std::vector<msg::dlq_entry> out;
    for (const auto& [id, e] : dlq)
      out.push_back(e);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.space, a.sequence_number) < std::tie(b.space, b.sequence_number);
    });
    return out;
  }
  size_t step_count() {
    std::lock_guard<std::mutex> guard{mtx};
    return steps.size();
  }
  size_t audit_count(const std::string& action) {
    std::lock_guard<std::mutex> guard{mtx};
    return static_cast<size_t>(std::count_if(audits.begin(), audits.end(),
                                             [&](const auto& a) { return a.action == action; }));
  }
  void fail_next_steps(size_t n, errc code) {
    std::lock_guard<std::mutex> guard{mtx};
    fail_steps = n;
    step_error = code;
  }
};

class projection_store_double : public storage::projection_store {
public:
  explicit projection_store_double(std::shared_ptr<projection_db> db) : db_(std::move(db)) {
  }

  caf::expected<msg::projection_checkpoints>
  load_checkpoints(const msg::stream_key& s) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    return db_->checkpoints[s];
  }

  caf::expected<msg::projection_row> get_projection(const msg::stream_key& s,
                                                    const std::string& entity_type,
                                                    const std::string& entity_id) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    auto i = db_->rows.find(projection_db::row_key{s, entity_type, entity_id});
    if (i == db_->rows.end())
      return make_error(errc::not_found, "no projection");
    return i->second;
  }

  caf::expected<std::vector<msg::projection_row>>
  list_projections(const msg::stream_key& s, const std::string& entity_type,
                   const std::string& after, uint32_t limit) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    std::vector<msg::projection_row> out;
    for (const auto& [k, r] : db_->rows)
      if (std::get<0>(k) == s && std::get<1>(k) == entity_type && std::get<2>(k) > after
          && out.size() < limit)
        out.push_back(r);
    return out;
  }

  caf::expected<void> apply_step(const msg::projection_step& step) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    if (db_->fail_steps > 0) {
      --db_->fail_steps;
      ++db_->failed_steps;
      return make_error(db_->step_error, "injected step failure");
    }
    apply(step, db_->rows, db_->checkpoints, db_->dlq);
    db_->steps.push_back(step);
    ++db_->step_transactions;
    return caf::unit;
  }

  caf::expected<void> apply_steps(const std::vector<msg::projection_step>& steps) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    if (db_->fail_steps > 0) {
      --db_->fail_steps;
      ++db_->failed_steps;
      return make_error(db_->step_error, "injected step failure");
    }
    for (const auto& step : steps) {
      apply(step, db_->rows, db_->checkpoints, db_->dlq);
      db_->steps.push_back(step);
    }
    ++db_->step_transactions;
    return caf::unit;
  }

  caf::expected<std::vector<msg::entity_key>>
  blocked_entities(const msg::stream_key& s) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    std::vector<msg::entity_key> out;
    for (const auto& [id, e] : db_->dlq) {
      msg::entity_key k{e.entity_type, e.entity_id};
      if (e.stream == s && e.status != msg::dlq_status::resolved
          && std::find(out.begin(), out.end(), k) == out.end())
        out.push_back(k);
    }
    return out;
  }

  caf::expected<std::vector<msg::dlq_entry>> list_dlq(const msg::dlq_filter& f) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    std::vector<msg::dlq_entry> out;
    for (const auto& [id, e] : db_->dlq)
      if (matches(f, e))
        out.push_back(e);
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.created_at < b.created_at; });
    if (out.size() > f.limit)
      out.resize(f.limit);
    return out;
  }

  caf::expected<msg::dlq_entry> get_dlq(const msg::uuid& id) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    auto i = db_->dlq.find(id);
    if (i == db_->dlq.end())
      return make_error(errc::not_found, "no DLQ entry " + id.str());
    return i->second;
  }

  caf::expected<std::vector<msg::dlq_entry>> due_for_retry(msg::timestamp_us now,
                                                           uint32_t limit) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    std::vector<msg::dlq_entry> out;
    for (const auto& [id, e] : db_->dlq)
      if (e.status == msg::dlq_status::pending && e.next_retry_at && *e.next_retry_at <= now)
        out.push_back(e);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(*a.next_retry_at, a.created_at) < std::tie(*b.next_retry_at, b.created_at);
    });
    if (out.size() > limit)
      out.resize(limit);
    return out;
  }

  caf::expected<void> update_dlq(const msg::dlq_entry& e) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    auto i = db_->dlq.find(e.id);
    if (i == db_->dlq.end())
      return make_error(errc::not_found, "no DLQ entry " + e.id.str());
    i->second.status = e.status;
    i->second.retry_count = e.retry_count;
    i->second.next_retry_at = e.next_retry_at;
    i->second.message = e.message;
    i->second.updated_at = e.updated_at;
    return caf::unit;
  }

  caf::expected<uint64_t> purge_dlq(const msg::dlq_filter& f, bool force) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    uint64_t n = 0;
    for (auto i = db_->dlq.begin(); i != db_->dlq.end();) {
      const auto& e = i->second;
      if (matches(f, e)
          && (force || e.status == msg::dlq_status::dead
              || e.status == msg::dlq_status::resolved)) {
        i = db_->dlq.erase(i);
        ++n;
      } else {
        ++i;
      }
    }
    return n;
  }

  caf::expected<msg::dlq_counts> dlq_counts(const std::optional<msg::stream_key>& s) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    std::map<std::string, uint64_t> by_status, by_reason;
    for (const auto& [id, e] : db_->dlq)
      if (!s || e.stream == *s) {
        ++by_status[to_string(e.status)];
        ++by_reason[to_string(e.reason)];
      }
    msg::dlq_counts out;
    out.by_status.assign(by_status.begin(), by_status.end());
    out.by_reason.assign(by_reason.begin(), by_reason.end());
    return out;
  }

  caf::expected<void> audit(const msg::audit_entry& a) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    db_->audits.push_back(a);
    return caf::unit;
  }

  caf::expected<void> rebuild_begin(const msg::stream_key& s) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    db_->shadow_rows[s].clear();
    db_->shadow_checkpoints[s] = {};
    db_->shadow_dlq[s].clear();
    return caf::unit;
  }

  caf::expected<void> rebuild_apply(const msg::projection_step& step) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    apply(step, db_->shadow_rows[step.stream], db_->shadow_checkpoints,
          db_->shadow_dlq[step.stream]);
    return caf::unit;
  }

  caf::expected<void> rebuild_commit(const msg::stream_key& s) override {
    std::lock_guard<std::mutex> guard{db_->mtx};
    std::erase_if(db_->rows, [&](const auto& kv) { return std::get<0>(kv.first) == s; });
    for (auto& [k, r] : db_->shadow_rows[s])
      db_->rows[k] = r;
    db_->checkpoints[s] = db_->shadow_checkpoints[s];
    std::erase_if(db_->dlq, [&](const auto& kv) { return kv.second.stream == s; });
    for (auto& [id, e] : db_->shadow_dlq[s])
      db_->dlq[id] = e;
    return caf::unit;
  }

private:
  static bool matches(const msg::dlq_filter& f, const msg::dlq_entry& e) {
    return (!f.stream || e.stream == *f.stream) && (!f.status || e.status == *f.status)
           && (!f.reason || e.reason == *f.reason)
           && (!f.entity
               || (e.entity_type == f.entity->entity_type && e.entity_id == f.entity->entity_id));
  }

  static void apply(const msg::projection_step& step,
                    std::map<projection_db::row_key, msg::projection_row>& rows,
                    std::map<msg::stream_key, msg::projection_checkpoints>& checkpoints,
                    std::map<msg::uuid, msg::dlq_entry>& dlq) {
    if (step.upsert)
      rows[projection_db::row_key{step.upsert->stream, step.upsert->entity_type,
                                  step.upsert->entity_id}] = *step.upsert;
    if (step.park) {
      auto e = *step.park;
      auto same_event = std::find_if(dlq.begin(), dlq.end(), [&](const auto& kv) {
        return kv.second.event_id == e.event_id;
      });
      if (same_event != dlq.end()) {
        e.id = same_event->second.id;
        e.created_at = same_event->second.created_at;
        same_event->second = e;
      } else {
        dlq[e.id] = e;
      }
    }
    if (step.resolve) {
      if (auto i = dlq.find(*step.resolve); i != dlq.end()) {
        i->second.status = msg::dlq_status::resolved;
        i->second.next_retry_at.reset();
      }
    }
    if (step.advance_checkpoint) {
      auto& cp = checkpoints[step.stream];
      if (step.space == static_cast<uint8_t>(msg::space::legacy))
        cp.legacy = step.sequence_number;
      else if (step.space == static_cast<uint8_t>(msg::space::ves))
        cp.ves = step.sequence_number;
    }
  }

  std::shared_ptr<projection_db> db_;
};

} // namespace seq::test
