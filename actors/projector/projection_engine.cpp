// SPDX-License-Identifier: Apache-2.0
#include "actors/projector/projection_engine.hpp"

#include "messages/errc.hpp"
#include "messages/ves/ves.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace seq::actors::projection {

namespace {

/// Rows of one entity read at once when looking for its chain or its first row.
constexpr uint32_t entity_rows_limit = 10000;
/// Chain rows re-applied per listing.
constexpr uint32_t chain_page = 500;
/// Applied events written per apply_steps transaction, at most.
constexpr size_t max_pending_steps = 128;
/// Unresolved rows of one status read at once when a stream loads (beyond: per entity).
constexpr uint32_t stream_rows_limit = 100000;

bool by_sequence(const msg::dlq_entry& a, const msg::dlq_entry& b) {
  return a.sequence_number < b.sequence_number;
}

bool unresolved(msg::dlq_status s) {
  return s != msg::dlq_status::resolved;
}

msg::entity_key key_of(const msg::projectable_event& ev) {
  return {ev.entity_type, ev.entity_id};
}

msg::entity_key key_of(const msg::dlq_entry& e) {
  return {e.entity_type, e.entity_id};
}

std::string audit_details(const msg::dlq_entry& e) {
  using ves::json::quote;
  return "{\"event_id\":" + quote(e.event_id.str()) + ",\"stream\":" + quote(e.stream.str())
         + ",\"space\":" + std::to_string(e.space)
         + ",\"sequence_number\":" + std::to_string(e.sequence_number)
         + ",\"entity_type\":" + quote(e.entity_type) + ",\"entity_id\":" + quote(e.entity_id)
         + ",\"reason\":" + quote(to_string(e.reason))
         + ",\"status\":" + quote(to_string(e.status))
         + ",\"retry_count\":" + std::to_string(e.retry_count)
         + ",\"blocked_behind\":" + (e.blocked_behind ? "true" : "false") + "}";
}

} // namespace

// -- event sources ----------------------------------------------------------------------------

caf::expected<std::vector<msg::projectable_event>>
store_event_source::read(const msg::stream_key& s, uint8_t space, uint64_t from,
                         uint32_t limit) {
  if (space == static_cast<uint8_t>(msg::space::ves))
    return db_.read_ves_projectable(s, from, limit);
  std::vector<msg::projectable_event> out;
  if (space == static_cast<uint8_t>(msg::space::legacy)) {
    auto xs = db_.read_legacy_events(s, from, limit);
    if (!xs)
      return std::move(xs.error());
    out.reserve(xs->size());
    for (const auto& x : *xs)
      out.push_back(msg::to_projectable(x));
  }
  return out;
}

std::optional<std::vector<const msg::projectable_event*>>
events_from_groups(const std::vector<msg::fed_events>& fed, uint8_t space, uint64_t from,
                   uint32_t limit) {
  std::vector<const msg::projectable_event*> out;
  // Appends the group's events numbered from `from` + out.size() on; false once the run
  // ends (full, a gap, another space).
  auto take = [&](const std::vector<msg::projectable_event>& g) {
    for (const auto& e : g) {
      const uint64_t next = from + out.size();
      if (out.size() == limit || e.space != space || e.sequence_number > next)
        return false;
      if (e.sequence_number == next)
        out.push_back(&e);
    }
    return true;
  };
  for (const auto& g : fed)
    if (!g || !take(*g))
      break;
  if (out.empty())
    return std::nullopt;
  return out;
}

// -- projection_engine ------------------------------------------------------------------------

projection_engine::projection_engine(event_source& events, storage::projection_store& store,
                                     const dlq::dlq_policy& policy, clock_fn now)
  : events_(events), store_(store), policy_(policy), now_(std::move(now)) {
  if (!now_)
    now_ = msg::now_us;
}

caf::expected<projection_engine::state_t>
projection_engine::current(const msg::stream_key& s, const msg::entity_key& k) {
  if (auto i = cache_.find(k); i != cache_.end())
    return i->second;
  auto row = store_.get_projection(s, k.entity_type, k.entity_id);
  if (!row) {
    if (row.error() == errc::not_found) {
      cache_.emplace(k, std::nullopt);
      return state_t{};
    }
    return std::move(row.error());
  }
  auto st = parse_state(*row);
  if (st)
    cache_.emplace(k, *st);
  return st;
}

caf::expected<projection_engine::state_t>
projection_engine::parse_state(const msg::projection_row& row) {
  std::string err;
  auto state = ves::json::try_parse(row.state, &err);
  if (!state)
    return make_error(errc::internal, "stored projection of " + row.entity_type + " "
                                        + row.entity_id + " is not valid JSON: " + err);
  return state_t{std::make_pair(std::move(*state), row.version)};
}

caf::expected<void>
projection_engine::prefetch(const msg::stream_key& s,
                            const std::vector<const msg::projectable_event*>& evs,
                            uint64_t after, const std::set<msg::entity_key>& blocked) {
  std::set<msg::entity_key> wanted;
  for (const auto* e : evs) {
    const auto& ev = *e;
    if (ev.sequence_number <= after || ev.encrypted || !has_handler(ev.entity_type))
      continue;
    auto k = key_of(ev);
    if (blocked.count(k) == 0 && cache_.count(k) == 0)
      wanted.insert(std::move(k));
  }
  if (wanted.empty())
    return {};
  std::vector<msg::entity_key> keys(wanted.begin(), wanted.end());
  auto rows = store_.get_projections(s, keys);
  if (!rows)
    return std::move(rows.error());
  for (const auto& row : *rows) {
    msg::entity_key k{row.entity_type, row.entity_id};
    wanted.erase(k);
    // A state that does not parse stays out of the cache: `current` reports it per event.
    if (auto st = parse_state(row))
      cache_.emplace(std::move(k), std::move(*st));
  }
  for (auto& k : wanted)
    cache_.emplace(k, std::nullopt);
  return {};
}

apply_result projection_engine::evaluate(const state_t& cur, const msg::projectable_event& ev) {
  std::string err;
  auto payload = ves::json::try_parse(ev.payload.empty() ? std::string_view{"{}"} : ev.payload,
                                      &err);
  if (!payload) {
    if (!has_handler(ev.entity_type))
      return apply_event(cur, apply_input{ev.entity_type, ev.entity_id, ev.event_type,
                                          ves::json::value{}, ev.base_version});
    apply_result r;
    r.failure = msg::dlq_reason::schema_validation;
    r.message = "payload is not valid JSON: " + err;
    return r;
  }
  return apply_event(cur, apply_input{ev.entity_type, ev.entity_id, ev.event_type, *payload,
                                      ev.base_version});
}

msg::projection_row projection_engine::row_for(const msg::stream_key& s,
                                               const msg::projectable_event& ev,
                                               const state_t& cur,
                                               const ves::json::value& state) const {
  msg::projection_row row;
  row.stream = s;
  row.entity_type = ev.entity_type;
  row.entity_id = ev.entity_id;
  row.state = state.dump();
  row.version = (cur ? cur->second : 0) + 1;
  row.space = ev.space;
  row.last_sequence = ev.sequence_number;
  row.updated_at = now_();
  return row;
}

ves::uuid dlq_id(const ves::uuid& event_id, uint8_t space) {
  if (space == static_cast<uint8_t>(msg::space::ves))
    return event_id;
  std::string input = "ves-sequencer/dlq/legacy/";
  input.append(event_id.b.begin(), event_id.b.end());
  auto h = ves::sha256(input);
  ves::uuid id;
  std::copy_n(h.begin(), id.b.size(), id.b.begin());
  id.b[6] = static_cast<uint8_t>((id.b[6] & 0x0f) | 0x80); // version 8 (custom)
  id.b[8] = static_cast<uint8_t>((id.b[8] & 0x3f) | 0x80); // RFC 4122 variant
  return id;
}

msg::dlq_entry projection_engine::entry_for(const msg::stream_key& s,
                                            const msg::projectable_event& ev) const {
  msg::dlq_entry e;
  e.id = dlq_id(ev.event_id, ev.space);
  e.event_id = ev.event_id;
  e.stream = s;
  e.space = ev.space;
  e.sequence_number = ev.sequence_number;
  e.entity_type = ev.entity_type;
  e.entity_id = ev.entity_id;
  e.event_type = ev.event_type;
  return e;
}

caf::expected<msg::dlq_entry> projection_engine::dlq_row_of(const msg::projectable_event& ev) {
  auto row = store_.get_dlq(dlq_id(ev.event_id, ev.space));
  if (row || row.error() != errc::not_found || ev.space == static_cast<uint8_t>(msg::space::ves))
    return row;
  // A legacy row parked before ids were derived for legacy events carries the event id.
  auto old = store_.get_dlq(ev.event_id);
  if (old && old->space != ev.space)
    return make_error(errc::not_found, "no DLQ row for the legacy event " + ev.event_id.str());
  return old;
}

caf::expected<msg::projectable_event> projection_engine::event_of(const msg::stream_key& s,
                                                                  const msg::dlq_entry& e) {
  auto xs = events_.read(s, e.space, e.sequence_number, 1);
  if (!xs)
    return std::move(xs.error());
  if (xs->empty() || xs->front().sequence_number != e.sequence_number
      || xs->front().event_id != e.event_id)
    return make_error(errc::not_found, "the event of DLQ entry " + e.id.str()
                                         + " is not stored at sequence "
                                         + std::to_string(e.sequence_number));
  return std::move(xs->front());
}

caf::expected<std::vector<msg::dlq_entry>>
projection_engine::unresolved_rows(const msg::stream_key& s, uint8_t space,
                                   const msg::entity_key& k) {
  msg::dlq_filter f;
  f.stream = s;
  f.entity = k;
  f.limit = entity_rows_limit;
  auto rows = store_.list_dlq(f);
  if (!rows)
    return std::move(rows.error());
  std::vector<msg::dlq_entry> out;
  for (auto& r : *rows)
    if (r.stream == s && r.space == space && key_of(r) == k && unresolved(r.status))
      out.push_back(std::move(r));
  std::sort(out.begin(), out.end(), by_sequence);
  return out;
}

void projection_engine::audit(const std::string& action, const msg::dlq_entry& e) {
  msg::audit_entry a;
  a.action = action;
  a.actor = "projector";
  a.tenant_id = e.stream.tenant_id;
  a.resource_type = "dlq";
  a.resource_id = e.id.str();
  a.details = audit_details(e);
  // Best effort: the DLQ row itself is already committed; a lost audit row must not undo
  // or repeat the projection step.
  (void) store_.audit(a);
}

caf::expected<msg::projection_loaded> projection_engine::load(const msg::stream_key& s,
                                                             msg::blocking_mode mode) {
  auto cps = store_.load_checkpoints(s);
  if (!cps)
    return std::move(cps.error());
  auto blocked = store_.blocked_entities(s);
  if (!blocked)
    return std::move(blocked.error());
  // The unresolved rows of the whole stream in three queries (not two per entity): the
  // periodic reload stays cheap however many entities are blocked.
  std::map<std::pair<uint8_t, msg::entity_key>, std::vector<msg::dlq_entry>> groups;
  bool complete = true;
  if (!blocked->empty()) {
    for (auto status : {msg::dlq_status::pending, msg::dlq_status::retrying,
                        msg::dlq_status::dead}) {
      msg::dlq_filter f;
      f.stream = s;
      f.status = status;
      f.limit = stream_rows_limit;
      auto rows = store_.list_dlq(f);
      if (!rows)
        return std::move(rows.error());
      complete = complete && rows->size() < stream_rows_limit;
      for (auto& r : *rows)
        if (r.stream == s && r.status == status)
          groups[{r.space, key_of(r)}].push_back(std::move(r));
    }
  }
  auto still = std::make_shared<std::vector<msg::blocked_entity>>();
  for (const auto& k : *blocked) {
    for (auto space : {static_cast<uint8_t>(msg::space::legacy),
                       static_cast<uint8_t>(msg::space::ves)}) {
      std::vector<msg::dlq_entry> rows;
      if (complete) {
        if (auto i = groups.find({space, k}); i != groups.end())
          rows = std::move(i->second);
        std::sort(rows.begin(), rows.end(), by_sequence);
      } else {
        auto xs = unresolved_rows(s, space, k);
        if (!xs)
          return std::move(xs.error());
        rows = std::move(*xs);
      }
      if (rows.empty())
        continue;
      if (rows.front().blocked_behind) {
        // Orphaned chain: the row it waited behind was purged or resolved elsewhere.
        msg::dlq_retry_outcome tmp;
        if (auto r = run_chain(s, space, k, tmp); !r)
          return std::move(r.error());
        auto left = unresolved_rows(s, space, k);
        if (!left)
          return std::move(left.error());
        if (left->empty())
          continue;
      }
      still->push_back(msg::blocked_entity{space, k});
    }
  }
  msg::projection_loaded out{*cps, std::move(still), nullptr};
  if (mode != msg::blocking_mode::halt)
    return out;
  for (auto space : {static_cast<uint8_t>(msg::space::legacy),
                     static_cast<uint8_t>(msg::space::ves)}) {
    auto cp = space == static_cast<uint8_t>(msg::space::ves) ? cps->ves : cps->legacy;
    auto next = events_.read(s, space, cp + 1, 1);
    if (!next)
      return std::move(next.error());
    if (next->empty())
      continue;
    const auto& ev = next->front();
    auto row = dlq_row_of(ev);
    if (!row) {
      if (row.error() == errc::not_found)
        continue;
      return std::move(row.error());
    }
    if (!unresolved(row->status) || row->sequence_number != ev.sequence_number)
      continue;
    out.halt = std::make_shared<const msg::projection_halt>(
      msg::projection_halt{space, ev.sequence_number, ev.event_id, row->id, key_of(ev),
                           row->reason, row->message});
    break;
  }
  return out;
}

msg::projection_batch_outcome
projection_engine::run_batch(const msg::projection_batch_request& req) {
  msg::projection_batch_outcome out;
  const auto& s = req.stream;
  out.checkpoint = req.from > 0 ? req.from - 1 : 0;
  // The batch's events: in the request's committed groups (kept alive by `req`), or read.
  std::vector<msg::projectable_event> read;
  std::vector<const msg::projectable_event*> evs;
  if (auto fed = events_from_groups(req.fed, req.space, req.from, req.limit)) {
    evs = std::move(*fed);
    out.events_fed = evs.size();
  } else {
    auto r = events_.read(s, req.space, req.from, req.limit);
    if (!r) {
      out.error = std::move(r.error());
      return out;
    }
    read = std::move(*r);
    evs.reserve(read.size());
    for (const auto& e : read)
      evs.push_back(&e);
  }
  out.events_read = evs.size();
  out.end_reached = evs.size() < req.limit;
  auto blocked = req.blocked;
  // The current states of all entities the batch will apply to, in one read.
  if (auto ok = prefetch(s, evs, out.checkpoint, blocked); !ok) {
    out.error = std::move(ok.error());
    return out;
  }
  uint64_t skipped_to = 0; // highest sequence passed without a write of its own
  // Applied events are written together: their steps wait in `pending` (and their results
  // in the cache) and go to storage as ONE transaction (apply_steps) at the end of the
  // batch, every `max_pending_steps`, and before anything else is written or read.
  std::vector<msg::projection_step> pending;
  uint64_t planned = out.checkpoint; // the checkpoint once `pending` is written
  size_t applied_pending = 0;
  auto commit = [&] {
    if (pending.empty())
      return true;
    auto r = store_.apply_steps(pending);
    pending.clear();
    if (!r) {
      out.error = std::move(r.error());
      return false;
    }
    out.checkpoint = planned;
    out.applied += applied_pending;
    applied_pending = 0;
    return true;
  };
  auto defer = [&](msg::projection_step st) {
    if (st.advance_checkpoint)
      planned = std::max(planned, st.sequence_number);
    pending.push_back(std::move(st));
    return pending.size() < max_pending_steps || commit();
  };
  auto write = [&](msg::projection_step st) { return defer(std::move(st)) && commit(); };
  auto flush = [&] {
    if (skipped_to <= planned)
      return commit();
    msg::projection_step st;
    st.stream = s;
    st.space = req.space;
    st.sequence_number = skipped_to;
    return write(std::move(st));
  };
  auto step_for = [&](const msg::projectable_event& ev) {
    msg::projection_step st;
    st.stream = s;
    st.space = ev.space;
    st.sequence_number = ev.sequence_number;
    return st;
  };
  for (const auto* next : evs) {
    const auto& ev = *next;
    if (ev.sequence_number <= out.checkpoint)
      continue;
    if (ev.encrypted) {
      ++out.encrypted;
      skipped_to = ev.sequence_number;
      continue;
    }
    if (!has_handler(ev.entity_type)) {
      ++out.skipped;
      skipped_to = ev.sequence_number;
      continue;
    }
    auto key = key_of(ev);
    if (blocked.count(key) > 0) {
      auto st = step_for(ev);
      st.park = entry_for(s, ev);
      policy_.blocked_behind(*st.park, now_());
      auto parked = *st.park;
      if (!write(std::move(st)))
        return out;
      ++out.blocked_behind;
      audit("dlq_park", parked);
      continue;
    }
    auto cur = current(s, key);
    apply_result res;
    if (cur) {
      res = evaluate(*cur, ev);
    } else if (cur.error() == errc::internal) {
      res.failure = msg::dlq_reason::handler_error;
      res.message = error_message(cur.error());
    } else {
      out.error = std::move(cur.error());
      flush();
      return out;
    }
    if (res.applied()) {
      auto st = step_for(ev);
      st.upsert = row_for(s, ev, *cur, res.state);
      auto version = st.upsert->version;
      if (!defer(std::move(st)))
        return out;
      // The cache dies with this engine, so a batch that fails to write leaves no trace.
      cache_[key] = std::make_pair(std::move(res.state), version);
      ++applied_pending;
      continue;
    }
    if (res.skipped()) {
      ++out.skipped;
      skipped_to = ev.sequence_number;
      continue;
    }
    // Failed.
    auto e = entry_for(s, ev);
    if (req.mode == msg::blocking_mode::halt) {
      if (!flush())
        return out;
      auto existing = dlq_row_of(ev);
      if (existing && unresolved(existing->status)) {
        e = std::move(*existing); // halted here before (a restart): keep its retry data
      } else if (!existing && existing.error() != errc::not_found) {
        out.error = std::move(existing.error());
        return out;
      } else {
        policy_.first_failure(e, *res.failure, res.message, now_());
        auto st = step_for(ev);
        st.park = e;
        st.advance_checkpoint = false;
        if (!write(st))
          return out;
        ++out.parked;
        if (e.status == msg::dlq_status::dead)
          ++out.dead;
        audit("dlq_park", e);
      }
      out.halted = msg::projection_halt{ev.space,  ev.sequence_number, ev.event_id, e.id, key,
                                        e.reason, e.message};
      return out;
    }
    policy_.first_failure(e, *res.failure, res.message, now_());
    auto st = step_for(ev);
    st.park = e;
    if (!write(st))
      return out;
    ++out.parked;
    if (e.status == msg::dlq_status::dead)
      ++out.dead;
    blocked.insert(key);
    out.newly_blocked.push_back(key);
    audit("dlq_park", e);
  }
  flush();
  return out;
}

caf::expected<projection_engine::reapplied>
projection_engine::reapply(const msg::stream_key& s, const msg::dlq_entry& r) {
  reapplied out;
  auto ev = event_of(s, r);
  if (!ev) {
    if (ev.error() != errc::not_found)
      return std::move(ev.error());
    out.res.failure = msg::dlq_reason::handler_error;
    out.res.message = error_message(ev.error());
    return out;
  }
  out.ev = std::move(*ev);
  auto cur = current(s, key_of(r));
  if (cur) {
    out.cur = std::move(*cur);
    out.res = evaluate(out.cur, *out.ev);
  } else if (cur.error() == errc::internal) {
    out.res.failure = msg::dlq_reason::handler_error;
    out.res.message = error_message(cur.error());
  } else {
    return std::move(cur.error());
  }
  return out;
}

caf::expected<void> projection_engine::run_chain(const msg::stream_key& s, uint8_t space,
                                                 const msg::entity_key& k,
                                                 msg::dlq_retry_outcome& out) {
  for (;;) {
    msg::dlq_filter f;
    f.stream = s;
    f.status = msg::dlq_status::pending;
    f.entity = k;
    f.limit = chain_page;
    auto rows = store_.list_dlq(f);
    if (!rows)
      return std::move(rows.error());
    std::vector<msg::dlq_entry> chain;
    for (auto& r : *rows)
      if (r.stream == s && r.space == space && key_of(r) == k && r.blocked_behind
          && r.status == msg::dlq_status::pending)
        chain.push_back(r);
    if (chain.empty())
      return caf::unit;
    std::sort(chain.begin(), chain.end(), by_sequence);
    for (auto& r : chain) {
      auto x = reapply(s, r);
      if (!x)
        return std::move(x.error());
      auto& res = x->res;
      msg::projection_step st;
      st.stream = s;
      st.space = r.space;
      st.sequence_number = r.sequence_number;
      st.advance_checkpoint = false;
      auto now = now_();
      if (res.failed()) {
        policy_.first_failure(r, *res.failure, res.message, now);
        st.park = r;
        if (auto w = store_.apply_step(st); !w)
          return std::move(w.error());
        out.new_head = r;
        audit("dlq_park", r);
        return caf::unit;
      }
      if (res.applied())
        st.upsert = row_for(s, *x->ev, x->cur, res.state);
      st.resolve = r.id;
      if (auto w = store_.apply_step(st); !w)
        return std::move(w.error());
      if (st.upsert)
        cache_[k] = std::make_pair(std::move(res.state), st.upsert->version);
      policy_.retry_succeeded(r, now);
      ++out.chain_resolved;
      audit("dlq_resolve", r);
    }
    if (rows->size() < chain_page)
      return caf::unit;
  }
}

caf::expected<msg::dlq_retry_outcome>
projection_engine::retry(const msg::dlq_retry_request& req) {
  const auto& s = req.stream;
  auto key = key_of(req.entry);
  const auto space = req.entry.space;
  auto rows = unresolved_rows(s, space, key);
  if (!rows)
    return std::move(rows.error());
  for (const auto& r : *rows)
    if (r.id != req.entry.id && r.sequence_number < req.entry.sequence_number)
      return make_error(errc::invalid_request,
                        "DLQ entry " + req.entry.id.str() + " waits behind DLQ entry "
                          + r.id.str() + " (" + to_string(r.status) + ") of the same entity");
  msg::dlq_retry_outcome out;
  out.entry = req.entry;
  auto x = reapply(s, req.entry);
  if (!x)
    return std::move(x.error());
  auto& res = x->res;
  msg::projection_step st;
  st.stream = s;
  st.space = req.entry.space;
  st.sequence_number = req.entry.sequence_number;
  st.advance_checkpoint = false;
  auto now = now_();
  if (res.failed()) {
    policy_.retry_failed(out.entry, *res.failure, res.message, now);
    st.park = out.entry;
    if (auto w = store_.apply_step(st); !w)
      return std::move(w.error());
    return out;
  }
  // Only the next event of its space may move the checkpoint (a halted stream); an older
  // event never moves it backwards.
  st.advance_checkpoint = req.entry.sequence_number == req.checkpoint + 1;
  if (res.applied())
    st.upsert = row_for(s, *x->ev, x->cur, res.state);
  st.resolve = req.entry.id;
  if (auto w = store_.apply_step(st); !w)
    return std::move(w.error());
  if (st.upsert)
    cache_[key] = std::make_pair(std::move(res.state), st.upsert->version);
  policy_.retry_succeeded(out.entry, now);
  out.checkpoint_advanced = st.advance_checkpoint;
  audit("dlq_resolve", out.entry);
  if (auto r = run_chain(s, space, key, out); !r) {
    out.chain_error = std::move(r.error());
    return out;
  }
  if (out.new_head)
    return out;
  auto left = unresolved_rows(s, space, key);
  if (!left) {
    out.chain_error = std::move(left.error());
    return out;
  }
  out.entity_clear = left->empty();
  return out;
}

caf::expected<msg::halt_resumed> projection_engine::resume(const msg::stream_key& s,
                                                           const msg::projection_halt& halt) {
  msg::halt_resumed out;
  auto row = store_.get_dlq(halt.dlq_id);
  if (row)
    out.entity_blocked = unresolved(row->status);
  else if (row.error() != errc::not_found)
    return std::move(row.error());
  msg::projection_step st;
  st.stream = s;
  st.space = halt.space;
  st.sequence_number = halt.sequence_number;
  if (auto w = store_.apply_step(st); !w)
    return std::move(w.error());
  out.checkpoint = halt.sequence_number;
  return out;
}

} // namespace seq::actors::projection
