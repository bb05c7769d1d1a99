// SPDX-License-Identifier: Apache-2.0
#include "actors/sequencer/stream_state.hpp"

#include "actors/sequencer/replay.hpp"
#include "messages/errc.hpp"
#include "messages/ves/ves.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>

namespace seq::actors {

namespace {

constexpr uint64_t max_sequence = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

std::string version_text(uint64_t expected, int64_t actual) {
  return "expected " + std::to_string(expected) + ", actual " + std::to_string(actual);
}

/// The cache key of an x402 nonce: payer address as sent, a NUL, the nonce.
std::string nonce_key(const std::string& payer, uint64_t nonce) {
  return payer + '\0' + std::to_string(nonce);
}

} // namespace

size_t uuid_hash::operator()(const msg::uuid& u) const noexcept {
  uint64_t a = 0, b = 0;
  std::memcpy(&a, u.b.data(), 8);
  std::memcpy(&b, u.b.data() + 8, 8);
  return static_cast<size_t>(a ^ (b * 0x9e3779b97f4a7c15ULL));
}

size_t queued_request::events() const {
  if (ves)
    return ves->candidates.size();
  if (legacy)
    return legacy->candidates.size();
  if (x402)
    return 1;
  return 0;
}

/// The group being planned: everything accepted so far in this group, and what the group
/// it is planned on top of accepted (its ids are in `known_ids` too: for this group they are
/// stored events like any other).
struct stream_state::working : known_ids {
  msg::stream_heads heads;
  std::map<msg::entity_key, int64_t> versions; ///< entities touched in this group
  std::map<msg::entity_key, int64_t> prior_versions; ///< as the earlier group leaves them
};

stream_state::stream_state(msg::stream_key key, receipt_signer signer, size_t recent_ids)
  : key_(key),
    sequencer_id_(signer.sequencer_id),
    key_version_(signer.key_version),
    key_signer_(std::move(signer.key)),
    ves_events_(recent_ids),
    legacy_ids_(recent_ids),
    ves_commands_(recent_ids),
    legacy_commands_(recent_ids),
    x402_nonces_(recent_ids),
    x402_keys_(recent_ids) {
  if (!key_signer_)
    key_signer_ = std::make_shared<const ves::ed25519_signer>(signer.seed);
}

const stream_state::sticky_report& stream_state::sticky() const {
  static const sticky_report none;
  return sticky_ ? *sticky_ : none;
}

void stream_state::load(const msg::stream_snapshot& s) {
  heads_ = s.heads;
  versions_.clear();
  for (const auto& [k, v] : s.versions)
    versions_[k] = v;
}

int64_t stream_state::version(const msg::entity_key& e) const {
  auto i = versions_.find(e);
  return i == versions_.end() ? 0 : i->second;
}

bool stream_state::knows_ves_event(const msg::uuid& id) const {
  return sticky().ves.count(id) > 0 || ves_events_.contains(id);
}

bool stream_state::knows_ves_command(const msg::uuid& id) const {
  return sticky().ves_commands.count(id) > 0 || ves_commands_.contains(id);
}

bool stream_state::knows_x402_nonce(const msg::x402_nonce_key& k) const {
  auto key = nonce_key(k.payer_address, k.nonce);
  return sticky().x402_nonces.count(key) > 0 || x402_nonces_.contains(key);
}

// -- look-ups through the group overlay, the sticky conflict report and the caches --------

bool stream_state::unchecked(const msg::uuid& id) const {
  return !sticky_ || sticky_->checked.count(id) == 0;
}

const known_ves_event* stream_state::find_ves(const working& w, const msg::uuid& id) const {
  if (auto i = w.ves.find(id); i != w.ves.end())
    return &i->second;
  if (auto i = sticky().ves.find(id); i != sticky().ves.end())
    return &i->second;
  return ves_events_.peek(id);
}

bool stream_state::legacy_id_known(const working& w, const msg::uuid& id) const {
  return w.legacy_ids.count(id) > 0 || sticky().legacy_ids.count(id) > 0
         || legacy_ids_.contains(id);
}

bool stream_state::ves_command_reserved(const working& w, const msg::uuid& id) const {
  return w.ves_commands.count(id) > 0 || sticky().ves_commands.count(id) > 0
         || ves_commands_.contains(id);
}

bool stream_state::legacy_command_reserved(const working& w, const msg::uuid& id) const {
  return w.legacy_commands.count(id) > 0 || sticky().legacy_commands.count(id) > 0
         || legacy_commands_.contains(id);
}

bool stream_state::x402_nonce_used(const working& w, const std::string& k,
                                   msg::timestamp_us now) const {
  if (w.x402_nonces.count(k) > 0 || sticky().x402_nonces.count(k) > 0)
    return true;
  // A nonce row older than the retention is pruned from storage: the cache forgets it too.
  auto* at = x402_nonces_.peek(k);
  return at != nullptr && *at >= now - x402_nonce_retention_us;
}

std::optional<msg::uuid> stream_state::x402_key_owner(const working& w,
                                                      const std::string& key) const {
  if (auto i = w.x402_keys.find(key); i != w.x402_keys.end())
    return i->second;
  if (auto i = sticky().x402_keys.find(key); i != sticky().x402_keys.end())
    return i->second;
  if (auto* id = x402_keys_.peek(key))
    return *id;
  return std::nullopt;
}

int64_t stream_state::version_in(const working& w, const msg::entity_key& e) const {
  if (auto i = w.versions.find(e); i != w.versions.end())
    return i->second;
  if (auto i = w.prior_versions.find(e); i != w.prior_versions.end())
    return i->second;
  return version(e);
}

// -- planning ---------------------------------------------------------------------------------

group_plan stream_state::plan(const std::vector<const queued_request*>& reqs,
                              msg::timestamp_us now) const {
  auto b = start_group();
  for (const auto* r : reqs)
    b.add(*r, now);
  return b.finish();
}

stream_state::group_builder stream_state::start_group(const group_plan* after) const {
  return group_builder{*this, after};
}

stream_state::group_builder::group_builder(const stream_state& st, const group_plan* after)
  : st_(&st), w_(std::make_unique<working>()) {
  out_.group.stream = st.key_;
  auto& w = *w_;
  if (after == nullptr) {
    w.heads = st.heads_;
    return;
  }
  w.heads = after->heads_after;
  for (const auto& cas : after->group.versions)
    w.prior_versions[cas.key] = cas.next;
  for (const auto& [id, k] : after->new_ves)
    w.ves.emplace(id, k);
  w.legacy_ids.insert(after->new_legacy_ids.begin(), after->new_legacy_ids.end());
  w.ves_commands.insert(after->group.ves_commands.begin(), after->group.ves_commands.end());
  w.legacy_commands.insert(after->group.legacy_commands.begin(),
                           after->group.legacy_commands.end());
  for (const auto& x : after->group.x402) {
    w.x402_nonces.insert(nonce_key(x.payer_address, x.nonce));
    if (x.idempotency_key)
      w.x402_keys.emplace(*x.idempotency_key, x.intent_id);
  }
}

stream_state::group_builder::group_builder(group_builder&&) noexcept = default;
stream_state::group_builder&
stream_state::group_builder::operator=(group_builder&&) noexcept = default;
stream_state::group_builder::~group_builder() = default;

void stream_state::group_builder::add(const queued_request& r, msg::timestamp_us now) {
  auto& w = *w_;
  // Refuse a request that could run past i64::MAX before touching anything, so a failed
  // request leaves no trace in the group.
  uint64_t head = r.ves ? w.heads.ves : r.x402 ? w.heads.x402 : w.heads.legacy;
  if (r.events() > max_sequence - std::min(head, max_sequence)) {
    out_.outcomes.push_back(request_outcome{
      make_error(errc::sequence_exhausted,
                 "invariant violation: sequence_counter would exceed i64::MAX"),
      nullptr, nullptr, nullptr});
    return;
  }
  if (r.ves)
    st_->plan_ves(w, *r.ves, now, out_);
  else if (r.legacy)
    st_->plan_legacy(w, *r.legacy, now, out_);
  else if (r.x402)
    st_->plan_x402(w, *r.x402, now, out_);
  else
    out_.outcomes.push_back(request_outcome{make_error(errc::internal, "empty request"),
                                            nullptr, nullptr, nullptr});
}

group_plan stream_state::group_builder::finish() {
  const auto& w = *w_;
  for (const auto& [k, v] : w.versions) {
    auto prior = w.prior_versions.find(k);
    auto base = prior != w.prior_versions.end() ? prior->second : st_->version(k);
    out_.group.versions.push_back(storage::entity_cas{k, base, v});
  }
  out_.heads_after = w.heads;
  return std::move(out_);
}

void stream_state::plan_ves(working& w, const msg::verified_ves& req, msg::timestamp_us now,
                            group_plan& out) const {
  auto res = std::make_shared<msg::ves_ingest_outcome>();
  // Stored events the verify pool found for rejected candidates.
  std::unordered_map<msg::uuid, known_ves_event, uuid_hash> stored;
  for (const auto& s : req.stored) {
    std::optional<msg::receipt> rcpt;
    if (s.rcpt.event_id == s.ev.event_id)
      rcpt = s.rcpt;
    stored.emplace(s.ev.event_id, known_ves_event{s.ev.tenant_id, s.ev.store_id,
                                                  stored_replay_fingerprint(s.ev), rcpt});
  }
  std::unordered_set<msg::uuid, uuid_hash> seen_ids;
  std::unordered_set<msg::uuid, uuid_hash> seen_commands;
  auto reject = [&](const msg::uuid& id, std::string reason, std::string message) {
    res->rejections.push_back(msg::rejection{id, std::move(reason), std::move(message)});
  };
  // A rejection that holds only for a new event: a stored event with this id would be a
  // replay or a duplicate instead, so the id becomes a suspect unless storage was asked.
  auto reject_new = [&](const msg::ves_event& ev, std::string reason, std::string message) {
    if (unchecked(ev.event_id))
      out.suspect_ves.push_back(msg::sequenced_ves_event{ev, 0, 0, {}});
    reject(ev.event_id, std::move(reason), std::move(message));
  };
  for (size_t i = 0; i < req.candidates.size(); ++i) {
    const auto& ev = req.candidates[i].ev;
    const auto id_text = ev.event_id.str();
    // (1) duplicates within the request, then ids already stored (or accepted earlier in
    // this group): exact replay → stored receipt, otherwise duplicate_event_id.
    if (!seen_ids.insert(ev.event_id).second) {
      reject(ev.event_id, "duplicate_event_id", "Event " + id_text + " duplicated in batch");
      continue;
    }
    const known_ves_event* known = find_ves(w, ev.event_id);
    if (known == nullptr) {
      if (auto s = stored.find(ev.event_id); s != stored.end())
        known = &s->second;
    }
    if (known != nullptr) {
      if (known->tenant_id != ev.tenant_id || known->store_id != ev.store_id) {
        reject(ev.event_id, "duplicate_event_id", "Event ID already exists");
      } else if (known->fingerprint != req.fingerprints[i]) {
        reject(ev.event_id, "duplicate_event_id",
               "Event ID already exists with different contents");
      } else if (!known->rcpt) {
        reject(ev.event_id, "duplicate_event_id", "Event already exists but receipt not found");
      } else {
        res->receipts.push_back(*known->rcpt);
        ++out.replayed;
      }
      continue;
    }
    // (2) verification verdict, then command ids repeated within the request.
    if (!req.verdicts[i].ok) {
      res->rejections.push_back(req.verdicts[i].why);
      res->rejections.back().event_id = ev.event_id;
      continue;
    }
    if (ev.tenant_id != key_.tenant_id || ev.store_id != key_.store_id) {
      reject(ev.event_id, "schema_validation: store_id",
             "Event " + id_text + " does not belong to this stream");
      continue;
    }
    if (ev.command_id && !seen_commands.insert(*ev.command_id).second) {
      reject_new(ev, "duplicate_command_id",
                 "Command " + ev.command_id->str() + " duplicated in batch");
      continue;
    }
    // (3) command ids already reserved.
    if (ev.command_id && ves_command_reserved(w, *ev.command_id)) {
      reject_new(ev, "duplicate_command_id",
                 "Command " + ev.command_id->str() + " already processed");
      continue;
    }
    // (4) optimistic concurrency on base_version.
    msg::entity_key ek{ev.entity_type, ev.entity_id};
    auto current = version_in(w, ek);
    if (ev.base_version && static_cast<int64_t>(*ev.base_version) != current) {
      auto text = version_text(*ev.base_version, current);
      reject_new(ev, "version_conflict: " + text, "Version conflict: " + text);
      continue;
    }
    // Accept: next number, signed receipt, version bump, command reservation.
    auto n = ++w.heads.ves;
    msg::receipt r;
    r.sequencer_id = sequencer_id_;
    r.event_id = ev.event_id;
    r.sequence_number = n;
    r.sequenced_at = now;
    r.receipt_hash = ves::receipt_hash(ev.tenant_id, ev.store_id, ev.event_id, n,
                                       ev.event_signing_hash);
    r.sequencer_signature = key_signer_->sign(r.receipt_hash);
    r.sequencer_key_version = key_version_;
    out.group.ves.push_back(msg::sequenced_ves_event{ev, n, now, r});
    w.versions[ek] = current + 1;
    if (ev.command_id) {
      w.ves_commands.insert(*ev.command_id);
      out.group.ves_commands.push_back(*ev.command_id);
    }
    known_ves_event k{ev.tenant_id, ev.store_id, req.fingerprints[i], r};
    w.ves.emplace(ev.event_id, k);
    out.new_ves.emplace_back(ev.event_id, std::move(k));
    res->receipts.push_back(r);
    if (!res->sequence_start)
      res->sequence_start = n;
    res->sequence_end = n;
    ++res->accepted;
  }
  res->head = w.heads.ves;
  out.accepted += res->accepted;
  out.rejected += res->rejections.size();
  out.outcomes.push_back(request_outcome{caf::error{}, std::move(res), nullptr, nullptr});
}

void stream_state::plan_legacy(working& w, const msg::verified_legacy& req,
                               msg::timestamp_us now, group_plan& out) const {
  auto res = std::make_shared<msg::legacy_ingest_outcome>();
  std::unordered_set<msg::uuid, uuid_hash> seen_ids;
  std::unordered_set<msg::uuid, uuid_hash> seen_commands;
  auto reject = [&](const msg::uuid& id, std::string reason, std::string message) {
    res->rejections.push_back(msg::rejection{id, std::move(reason), std::move(message)});
  };
  // As in plan_ves: a stored event with this id would be rejected as a duplicate instead.
  auto reject_new = [&](const msg::legacy_event& ev, std::string reason, std::string message) {
    if (unchecked(ev.event_id))
      out.suspect_legacy.push_back(msg::sequenced_legacy_event{ev, 0, 0});
    reject(ev.event_id, std::move(reason), std::move(message));
  };
  for (size_t i = 0; i < req.candidates.size(); ++i) {
    const auto& ev = req.candidates[i].ev;
    const auto id_text = ev.event_id.str();
    // (b) duplicate within the request, (c) already stored: never idempotent on this path.
    if (!seen_ids.insert(ev.event_id).second) {
      reject(ev.event_id, "DuplicateEventId", "Event " + id_text + " duplicated in batch");
      continue;
    }
    if (legacy_id_known(w, ev.event_id)) {
      reject(ev.event_id, "DuplicateEventId", "Event " + id_text + " already exists");
      continue;
    }
    // (d) payload hash (checked by the verify pool).
    if (i < req.rejections.size() && req.rejections[i]) {
      const auto& why = *req.rejections[i];
      reject_new(ev, why.reason, why.message);
      continue;
    }
    if (ev.tenant_id != key_.tenant_id || ev.store_id != key_.store_id) {
      reject(ev.event_id, "SchemaValidation",
             "Event " + id_text + " does not belong to this stream");
      continue;
    }
    // (e) command repeated within the request, then already reserved.
    if (ev.command_id && !seen_commands.insert(*ev.command_id).second) {
      reject_new(ev, "DuplicateCommandId",
                 "Command " + ev.command_id->str() + " duplicated in batch");
      continue;
    }
    if (ev.command_id && legacy_command_reserved(w, *ev.command_id)) {
      reject_new(ev, "DuplicateCommandId",
                 "Command " + ev.command_id->str() + " already processed");
      continue;
    }
    msg::entity_key ek{ev.entity_type, ev.entity_id};
    auto current = version_in(w, ek);
    if (ev.base_version && static_cast<int64_t>(*ev.base_version) != current) {
      reject_new(ev, "VersionConflict",
                 "Version conflict: " + version_text(*ev.base_version, current));
      continue;
    }
    auto n = ++w.heads.legacy;
    out.group.legacy.push_back(msg::sequenced_legacy_event{ev, n, now});
    w.versions[ek] = current + 1;
    if (ev.command_id) {
      w.legacy_commands.insert(*ev.command_id);
      out.group.legacy_commands.push_back(*ev.command_id);
    }
    w.legacy_ids.insert(ev.event_id);
    out.new_legacy_ids.push_back(ev.event_id);
    if (!res->sequence_start)
      res->sequence_start = n;
    res->sequence_end = n;
    ++res->accepted;
  }
  res->head = w.heads.legacy;
  out.accepted += res->accepted;
  out.rejected += res->rejections.size();
  out.outcomes.push_back(request_outcome{caf::error{}, nullptr, std::move(res), nullptr});
}

void stream_state::plan_x402(working& w, const msg::x402_intent& in, msg::timestamp_us now,
                             group_plan& out) const {
  if (in.tenant_id != key_.tenant_id || in.store_id != key_.store_id) {
    out.outcomes.push_back(request_outcome{
      make_error(errc::invalid_request, "Payment intent does not belong to this stream"),
      nullptr, nullptr, nullptr});
    return;
  }
  auto res = std::make_shared<msg::x402_ingest_outcome>();
  // An idempotency key already used in this stream answers with that intent (checked
  // before the nonce, as the reference does).
  if (in.idempotency_key) {
    if (auto owner = x402_key_owner(w, *in.idempotency_key)) {
      res->intent_id = *owner;
      res->existing = true;
      out.outcomes.push_back(request_outcome{caf::error{}, nullptr, nullptr, std::move(res)});
      return;
    }
  }
  auto nk = nonce_key(in.payer_address, in.nonce);
  if (x402_nonce_used(w, nk, now)) {
    out.outcomes.push_back(request_outcome{
      make_error(errc::invalid_request, "Nonce already used for this payer"), nullptr, nullptr,
      nullptr});
    return;
  }
  auto n = ++w.heads.x402;
  auto x = in;
  x.status = msg::x402_status::sequenced;
  x.sequence_number = n;
  x.sequenced_at = now;
  x.updated_at = now;
  if (x.created_at == 0)
    x.created_at = now;
  w.x402_nonces.insert(nk);
  if (x.idempotency_key)
    w.x402_keys.emplace(*x.idempotency_key, x.intent_id);
  res->intent_id = x.intent_id;
  res->sequence_number = n;
  res->sequenced_at = now;
  out.group.x402.push_back(std::move(x));
  ++out.x402_accepted;
  out.outcomes.push_back(request_outcome{caf::error{}, nullptr, nullptr, std::move(res)});
}

// -- after the write ----------------------------------------------------------------------

void stream_state::commit(const group_plan& p) {
  heads_ = p.heads_after;
  for (const auto& cas : p.group.versions)
    versions_[cas.key] = cas.next;
  // What the last conflict report taught stays true: move it into the caches.
  if (auto r = std::move(sticky_)) {
    for (auto& [id, k] : r->ves)
      ves_events_.put(id, k);
    for (const auto& id : r->legacy_ids)
      legacy_ids_.put(id, true);
    for (const auto& id : r->ves_commands)
      ves_commands_.put(id, true);
    for (const auto& id : r->legacy_commands)
      legacy_commands_.put(id, true);
    for (const auto& k : r->x402_nonces)
      x402_nonces_.put(k, msg::now_us()); // storage holds the row; its age is unknown here
    for (const auto& [k, id] : r->x402_keys)
      x402_keys_.put(k, id);
  }
  for (const auto& x : p.group.x402) {
    x402_nonces_.put(nonce_key(x.payer_address, x.nonce), x.created_at);
    if (x.idempotency_key)
      x402_keys_.put(*x.idempotency_key, x.intent_id);
  }
  for (const auto& [id, k] : p.new_ves)
    ves_events_.put(id, k);
  for (const auto& id : p.new_legacy_ids)
    legacy_ids_.put(id, true);
  for (const auto& id : p.group.ves_commands)
    ves_commands_.put(id, true);
  for (const auto& id : p.group.legacy_commands)
    legacy_commands_.put(id, true);
}

storage::write_group stream_state::group_with_suspects(const group_plan& p) {
  auto g = p.group;
  g.ves.insert(g.ves.end(), p.suspect_ves.begin(), p.suspect_ves.end());
  g.legacy.insert(g.legacy.end(), p.suspect_legacy.begin(), p.suspect_legacy.end());
  return g;
}

void stream_state::apply_conflict(const storage::write_group& asked,
                                  const storage::conflict_report& r) {
  if (!sticky_)
    sticky_ = std::make_unique<sticky_report>();
  auto& sr = *sticky_;
  for (const auto& x : asked.ves)
    sr.checked.insert(x.ev.event_id);
  for (const auto& x : asked.legacy)
    sr.checked.insert(x.ev.event_id);
  for (const auto& s : r.existing_ves) {
    std::optional<msg::receipt> rcpt;
    if (s.rcpt.event_id == s.ev.event_id)
      rcpt = s.rcpt;
    sr.ves.insert_or_assign(s.ev.event_id, known_ves_event{s.ev.tenant_id, s.ev.store_id,
                                                           stored_replay_fingerprint(s.ev), rcpt});
  }
  sr.legacy_ids.insert(r.existing_legacy_ids.begin(), r.existing_legacy_ids.end());
  sr.ves_commands.insert(r.existing_ves_commands.begin(), r.existing_ves_commands.end());
  sr.legacy_commands.insert(r.existing_legacy_commands.begin(), r.existing_legacy_commands.end());
  for (const auto& k : r.existing_x402_nonces)
    sr.x402_nonces.insert(nonce_key(k.payer_address, k.nonce));
  for (const auto& [key, id] : r.existing_x402_keys)
    sr.x402_keys.insert_or_assign(key, id);
  for (const auto& [k, v] : r.versions)
    versions_[k] = v;
  heads_ = r.heads;
}

} // namespace seq::actors
