// SPDX-License-Identifier: Apache-2.0
// `ves projections rebuild --tenant T --store S` (see cli.hpp): replays a stream from sequence
// 1 with the projector's engine (actors/projector/projection_engine) into the shadow tables,
// then swaps them in with projection_store::rebuild_commit.
#include "actors/projector/projection_engine.hpp"
#include "adapters/http/json_writer.hpp"
#include "messages/errc.hpp"
#include "runtime/cli.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>

namespace seq::runtime::cli {

namespace {

using actors::projection::projection_engine;
using actors::projection::store_event_source;

constexpr uint8_t legacy_space = static_cast<uint8_t>(msg::space::legacy);
constexpr uint8_t ves_space = static_cast<uint8_t>(msg::space::ves);

caf::error unavailable(const char* what) {
  return make_error(errc::invalid_request, std::string{what} + " is not available in a rebuild");
}

/// The projection store the engine sees during a rebuild: writes go to the shadow tables
/// (rebuild_apply); reads are served from an in-memory copy of everything written since
/// rebuild_begin (which emptied the shadow tables), i.e. exactly the shadow tables' content.
/// The engine's per-event audit rows are not written: they would describe shadow rows (the
/// rebuild writes one audit row of its own).
class rebuild_store final : public storage::projection_store {
public:
  rebuild_store(storage::projection_store& db, msg::stream_key s) : db_(db), stream_(s) {
  }

  caf::expected<msg::projection_checkpoints> load_checkpoints(const msg::stream_key& s) override {
    if (s != stream_)
      return msg::projection_checkpoints{};
    return cp_;
  }

  caf::expected<msg::projection_row> get_projection(const msg::stream_key& s,
                                                    const std::string& entity_type,
                                                    const std::string& entity_id) override {
    auto i = rows_.find({entity_type, entity_id});
    if (s != stream_ || i == rows_.end())
      return make_error(errc::not_found, "no projection for " + entity_type + "/" + entity_id);
    return i->second;
  }

  caf::expected<std::vector<msg::projection_row>>
  list_projections(const msg::stream_key& s, const std::string& entity_type,
                   const std::string& after, uint32_t limit) override {
    std::vector<msg::projection_row> out;
    if (s != stream_)
      return out;
    for (auto i = rows_.upper_bound({entity_type, after});
         i != rows_.end() && i->first.entity_type == entity_type && out.size() < limit; ++i)
      out.push_back(i->second);
    return out;
  }

  caf::expected<void> apply_step(const msg::projection_step& step) override {
    if (step.stream != stream_)
      return make_error(errc::invalid_request, "rebuild step for another stream");
    if (auto ok = db_.rebuild_apply(step); !ok)
      return ok;
    if (step.advance_checkpoint)
      (step.space == legacy_space ? cp_.legacy : cp_.ves) = step.sequence_number;
    if (step.upsert)
      rows_[{step.upsert->entity_type, step.upsert->entity_id}] = *step.upsert;
    if (step.park) {
      auto e = *step.park;
      auto i = std::find_if(dlq_.begin(), dlq_.end(), [&](const msg::dlq_entry& x) {
        return x.event_id == e.event_id && x.space == e.space;
      });
      if (i == dlq_.end()) {
        dlq_.push_back(std::move(e));
      } else { // an upsert by (event id, space) keeps the row's id and creation time
        e.id = i->id;
        e.created_at = i->created_at;
        *i = std::move(e);
      }
    }
    if (step.resolve)
      for (auto& x : dlq_)
        if (x.id == *step.resolve) {
          x.status = msg::dlq_status::resolved;
          x.next_retry_at.reset();
          x.blocked_behind = false;
        }
    return {};
  }

  /// Step by step: a failed step ends the rebuild (which starts over from rebuild_begin),
  /// so a batch need not be atomic here.
  caf::expected<void> apply_steps(const std::vector<msg::projection_step>& steps) override {
    for (const auto& step : steps)
      if (auto ok = apply_step(step); !ok)
        return ok;
    return {};
  }

  caf::expected<std::vector<msg::entity_key>> blocked_entities(const msg::stream_key& s) override {
    std::set<msg::entity_key> out;
    if (s == stream_)
      for (auto& e : dlq_)
        if (e.status != msg::dlq_status::resolved)
          out.insert({e.entity_type, e.entity_id});
    return std::vector<msg::entity_key>(out.begin(), out.end());
  }

  caf::expected<std::vector<msg::dlq_entry>> list_dlq(const msg::dlq_filter& f) override {
    std::vector<msg::dlq_entry> out;
    for (auto& e : dlq_)
      if ((!f.stream || *f.stream == e.stream) && (!f.status || *f.status == e.status)
          && (!f.reason || *f.reason == e.reason)
          && (!f.entity || (f.entity->entity_type == e.entity_type
                            && f.entity->entity_id == e.entity_id)))
        out.push_back(e);
    std::sort(out.begin(), out.end(), [](const msg::dlq_entry& a, const msg::dlq_entry& b) {
      return std::tie(a.space, a.sequence_number) < std::tie(b.space, b.sequence_number);
    });
    if (out.size() > f.limit)
      out.resize(f.limit);
    return out;
  }

  caf::expected<msg::dlq_entry> get_dlq(const msg::uuid& id) override {
    for (auto& e : dlq_)
      if (e.id == id)
        return e;
    return make_error(errc::not_found, "no dead-letter entry " + id.str());
  }

  caf::expected<std::vector<msg::dlq_entry>> due_for_retry(msg::timestamp_us, uint32_t) override {
    return std::vector<msg::dlq_entry>{}; // a rebuild never retries
  }
  caf::expected<void> update_dlq(const msg::dlq_entry&) override {
    return unavailable("update_dlq");
  }
  caf::expected<uint64_t> purge_dlq(const msg::dlq_filter&, bool) override {
    return unavailable("purge_dlq");
  }
  caf::expected<msg::dlq_counts> dlq_counts(const std::optional<msg::stream_key>&) override {
    return unavailable("dlq_counts");
  }
  caf::expected<void> audit(const msg::audit_entry&) override {
    ++audits_suppressed_;
    return {};
  }
  caf::expected<void> rebuild_begin(const msg::stream_key&) override {
    return unavailable("rebuild_begin");
  }
  caf::expected<void> rebuild_apply(const msg::projection_step&) override {
    return unavailable("rebuild_apply");
  }
  caf::expected<void> rebuild_commit(const msg::stream_key&) override {
    return unavailable("rebuild_commit");
  }

  uint64_t checkpoint(uint8_t space) const {
    return space == legacy_space ? cp_.legacy : cp_.ves;
  }
  size_t entities() const {
    return rows_.size();
  }
  const std::vector<msg::dlq_entry>& dlq() const {
    return dlq_;
  }

private:
  storage::projection_store& db_;
  msg::stream_key stream_;
  msg::projection_checkpoints cp_;
  std::map<msg::entity_key, msg::projection_row> rows_;
  std::vector<msg::dlq_entry> dlq_;
  uint64_t audits_suppressed_ = 0;
};

/// A progress bar on stderr: redrawn in place on a terminal, else one line per 10 %.
class progress_bar {
public:
  explicit progress_bar(output io) : io_(io) {
  }

  void update(uint64_t done, uint64_t total) {
    auto pct = total == 0 ? 100 : static_cast<int>(std::min<uint64_t>(done, total) * 100 / total);
    if (io_.progress_tty) {
      constexpr int width = 40;
      int fill = pct * width / 100;
      io_.err << "\r[" << std::string(static_cast<size_t>(fill), '#')
              << std::string(static_cast<size_t>(width - fill), '.') << "] " << pct << "%  "
              << done << "/" << total << " events" << std::flush;
      drawn_ = true;
    } else if (pct / 10 > last_decile_ || (pct == 100 && last_decile_ < 10)) {
      last_decile_ = pct / 10;
      io_.err << "rebuild: " << pct << "% (" << done << "/" << total << " events)\n";
    }
  }

  void finish() {
    if (drawn_)
      io_.err << "\n";
  }

private:
  output io_;
  int last_decile_ = -1;
  bool drawn_ = false;
};

struct totals {
  uint64_t read = 0, applied = 0, skipped = 0, encrypted = 0, parked = 0, blocked_behind = 0,
           dead = 0;
};

} // namespace

int rebuild(storage::event_store& db, const rebuild_options& o, output io) {
  const auto& s = o.stream;
  auto& ps = storage::projections_of(db);
  auto fail = [&](const char* what, const caf::error& e) {
    io.err << "\nves: rebuild of " << s.str() << ": " << what << ": "
           << to_string(static_cast<errc>(e.code())) << ": " << error_message(e) << "\n";
    return 3;
  };
  if (auto ok = ps.rebuild_begin(s); !ok)
    return fail("clear the rebuild tables", ok.error());
  rebuild_store shadow{ps, s};
  store_event_source source{db};
  actors::dlq::dlq_policy policy{actors::dlq::retry_schedule{o.retry}};
  projection_engine engine{source, shadow, policy, msg::now_us};
  std::array<std::set<msg::entity_key>, 2> blocked; // per space, as the live projector
  totals t;
  progress_bar bar{io};
  for (int round = 1;; ++round) {
    // The rebuild goes exactly as far as the live projection stands now.
    auto live = ps.load_checkpoints(s);
    if (!live)
      return fail("read the live checkpoints", live.error());
    std::array<uint64_t, 2> target{live->legacy, live->ves};
    for (uint8_t sp : {legacy_space, ves_space})
      if (shadow.checkpoint(sp) > target[sp]) {
        io.err << "\nves: rebuild of " << s.str()
               << ": the live projection moved backwards (another rebuild?); start again\n";
        return 1;
      }
    auto total = target[0] + target[1];
    bar.update(shadow.checkpoint(legacy_space) + shadow.checkpoint(ves_space), total);
    // Both spaces take turns batch by batch, like the live projector.
    while (shadow.checkpoint(legacy_space) < target[0]
           || shadow.checkpoint(ves_space) < target[1]) {
      for (uint8_t sp : {legacy_space, ves_space}) {
        auto at = shadow.checkpoint(sp);
        if (at >= target[sp])
          continue;
        msg::projection_batch_request req;
        req.stream = s;
        req.space = sp;
        req.from = at + 1;
        req.limit = static_cast<uint32_t>(std::min<uint64_t>(o.batch_size, target[sp] - at));
        req.mode = msg::blocking_mode::park;
        req.blocked = blocked[sp];
        auto out = engine.run_batch(req);
        if (out.error)
          return fail("replay", out.error);
        blocked[sp].insert(out.newly_blocked.begin(), out.newly_blocked.end());
        t.read += out.events_read;
        t.applied += out.applied;
        t.skipped += out.skipped;
        t.encrypted += out.encrypted;
        t.parked += out.parked;
        t.blocked_behind += out.blocked_behind;
        t.dead += out.dead;
        if (out.events_read == 0 && shadow.checkpoint(sp) == at) {
          io.err << "\nves: rebuild of " << s.str() << ": events " << req.from
                 << ".. of the " << (sp == legacy_space ? "legacy" : "VES")
                 << " space cannot be read although the projection passed them\n";
          return 3;
        }
        bar.update(shadow.checkpoint(legacy_space) + shadow.checkpoint(ves_space), total);
      }
    }
    auto ok = ps.rebuild_commit(s);
    if (ok)
      break;
    if (ok.error() != errc::storage_conflict || round >= o.max_rounds)
      return fail("swap the rebuilt projections in", ok.error());
    // The live projector moved on meanwhile: catch up to its new checkpoint and try again.
  }
  bar.finish();
  http::json_writer d;
  d.begin_object()
    .field("store_id", s.store_id.str())
    .field("events", t.read)
    .field("applied", t.applied)
    .field("skipped", t.skipped)
    .field("encrypted_skipped", t.encrypted)
    .field("parked", t.parked)
    .field("blocked_behind", t.blocked_behind)
    .field("dead", t.dead)
    .field("entities", static_cast<uint64_t>(shadow.entities()))
    .field("legacy_checkpoint", shadow.checkpoint(legacy_space))
    .field("ves_checkpoint", shadow.checkpoint(ves_space))
    .end_object();
  auto details = d.take();
  msg::audit_entry a;
  a.action = "projections_rebuild";
  a.actor = "cli";
  a.tenant_id = s.tenant_id;
  a.resource_type = "projection";
  a.resource_id = s.str();
  a.details = details;
  if (auto w = ps.audit(a); !w)
    return fail("write the audit row", w.error());
  io.out << "rebuilt " << s.str() << ": " << t.read << " events, " << t.applied << " applied, "
         << t.skipped + t.encrypted << " skipped, " << t.parked << " parked ("
         << t.blocked_behind << " behind them), " << shadow.entities() << " entities\n";
  return 0;
}

} // namespace seq::runtime::cli
