// SPDX-License-Identifier: Apache-2.0
// `ves dlq list|show|retry|purge|audit` and `ves projections status` (see cli.hpp).
#include "runtime/cli.hpp"

#include "adapters/http/json_writer.hpp"
#include "adapters/http/projection_json.hpp"
#include "messages/errc.hpp"

#include <iomanip>
#include <thread>

namespace seq::runtime::cli {

int storage_error(output io, const char* what, const caf::error& e) {
  io.err << "ves: " << what << ": " << to_string(static_cast<errc>(e.code())) << ": "
         << error_message(e) << "\n";
  return 3;
}

namespace {

/// One line per row for people.
void print_row(std::ostream& out, const msg::dlq_entry& e) {
  out << e.id.str() << "  " << std::left << std::setw(8) << msg::to_string(e.status) << " "
      << std::setw(24) << msg::to_string(e.reason) << " " << std::setw(6)
      << http::space_name(e.space) << " " << std::right << std::setw(8) << e.sequence_number
      << "  " << e.entity_type << "/" << e.entity_id << "  " << e.event_type << "  retries "
      << e.retry_count << "/" << e.max_retries << (e.blocked_behind ? "  (blocked behind)" : "")
      << "\n";
}

msg::audit_entry cli_audit(std::string action, const msg::stream_key& s, std::string id,
                           std::string details) {
  msg::audit_entry a;
  a.action = std::move(action);
  a.actor = "cli";
  a.tenant_id = s.tenant_id;
  a.resource_type = "dead_letter_events";
  a.resource_id = std::move(id);
  a.details = std::move(details);
  return a;
}

} // namespace

int dlq_list(storage::projection_store& ps, const dlq_list_options& o, output io) {
  msg::dlq_filter f;
  f.stream = o.stream;
  f.status = o.status;
  f.reason = o.reason;
  f.limit = o.limit;
  auto rows = ps.list_dlq(f);
  if (!rows)
    return storage_error(io, "list dead-letter entries", rows.error());
  if (o.json) {
    http::json_writer w;
    w.begin_object().key("entries").begin_array();
    for (auto& e : *rows)
      http::write_dlq_entry(w, e);
    w.end_array().field("count", static_cast<uint64_t>(rows->size())).end_object();
    io.out << w.str() << "\n";
    return 0;
  }
  io.out << "id                                    status   reason                   space  "
            "sequence  entity  event_type  retries\n";
  for (auto& e : *rows)
    print_row(io.out, e);
  io.err << rows->size() << " entr" << (rows->size() == 1 ? "y" : "ies") << "\n";
  return 0;
}

int dlq_show(storage::projection_store& ps, const msg::uuid& id, output io) {
  auto e = ps.get_dlq(id);
  if (!e) {
    if (e.error() == errc::not_found) {
      io.err << "ves: no dead-letter entry " << id.str() << "\n";
      return 1;
    }
    return storage_error(io, "read dead-letter entry", e.error());
  }
  http::json_writer w;
  http::write_dlq_entry(w, *e);
  io.out << w.str() << "\n";
  return 0;
}

int dlq_retry(storage::projection_store& ps, const msg::uuid& id, std::chrono::seconds wait,
              output io) {
  auto e = ps.get_dlq(id);
  if (!e) {
    if (e.error() == errc::not_found) {
      io.err << "ves: no dead-letter entry " << id.str() << "\n";
      return 1;
    }
    return storage_error(io, "read dead-letter entry", e.error());
  }
  if (e->status == msg::dlq_status::resolved || e->status == msg::dlq_status::retrying) {
    io.err << "ves: entry " << id.str() << " is " << msg::to_string(e->status)
           << "; nothing to retry\n";
    return 1;
  }
  auto before = *e;
  auto now = msg::now_us();
  e->status = msg::dlq_status::pending;
  e->next_retry_at = now;
  if (auto ok = ps.update_dlq(*e); !ok)
    return storage_error(io, "schedule the retry", ok.error());
  http::json_writer d;
  d.begin_object()
    .field("store_id", e->stream.store_id.str())
    .field("previous_status", msg::to_string(before.status))
    .field("retry_count", e->retry_count)
    .end_object();
  if (auto ok = ps.audit(cli_audit("dlq_retry_scheduled", e->stream, id.str(), d.take())); !ok)
    return storage_error(io, "write the audit row", ok.error());
  if (wait.count() <= 0) {
    io.err << "entry " << id.str()
           << " is due now: the server's DLQ retry actor retries it on its next poll\n";
    return 0;
  }
  // Done when the retry actor has written an outcome: resolved, dead, another attempt
  // counted, or a new retry time (the retry could not run).
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto cur = ps.get_dlq(id);
    if (!cur) {
      if (cur.error() == errc::not_found) {
        io.err << "ves: entry " << id.str() << " was purged meanwhile\n";
        return 1;
      }
      return storage_error(io, "read dead-letter entry", cur.error());
    }
    bool ran = cur->status == msg::dlq_status::resolved || cur->status == msg::dlq_status::dead
               || cur->retry_count != e->retry_count
               || (cur->status == msg::dlq_status::pending && cur->next_retry_at != now);
    if (ran) {
      http::json_writer w;
      http::write_dlq_entry(w, *cur);
      io.out << w.str() << "\n";
      return 0;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      io.err << "ves: entry " << id.str() << " was not retried within " << wait.count()
             << " s (is the server running?); it stays due\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
}

int dlq_purge(storage::projection_store& ps, const dlq_purge_options& o, output io) {
  if (!o.force && o.status && *o.status != msg::dlq_status::dead
      && *o.status != msg::dlq_status::resolved) {
    io.err << "ves: only dead or resolved entries are purged without --force\n";
    return 1;
  }
  msg::dlq_filter f;
  f.stream = o.stream;
  f.status = o.status;
  f.reason = o.reason;
  auto n = ps.purge_dlq(f, o.force);
  if (!n)
    return storage_error(io, "purge dead-letter entries", n.error());
  http::json_writer d;
  d.begin_object().field("store_id", o.stream.store_id.str()).key("status");
  o.status ? d.str(msg::to_string(*o.status)) : d.null();
  d.key("reason");
  o.reason ? d.str(msg::to_string(*o.reason)) : d.null();
  d.field("force", o.force).field("purged", *n).end_object();
  if (auto ok = ps.audit(cli_audit("dlq_purge", o.stream, o.stream.str(), d.take())); !ok)
    return storage_error(io, "write the audit row", ok.error());
  io.out << "purged " << *n << " entr" << (*n == 1 ? "y" : "ies") << "\n";
  return 0;
}

int dlq_audit(storage::projection_store& ps, const std::optional<msg::uuid>& tenant,
              uint32_t limit, bool json, output io) {
  auto rows = storage::list_audit(ps, tenant, limit);
  if (!rows)
    return storage_error(io, "read the audit log", rows.error());
  if (json) {
    http::json_writer w;
    w.begin_object().key("entries").begin_array();
    for (auto& r : *rows) {
      w.begin_object()
        .field("id", r.id.str())
        .field("timestamp", msg::rfc3339_offset(r.at))
        .field("action", r.entry.action)
        .field("actor", r.entry.actor)
        .key("tenant_id");
      r.entry.tenant_id ? w.str(r.entry.tenant_id->str()) : w.null();
      w.field("resource_type", r.entry.resource_type).field("resource_id", r.entry.resource_id);
      w.key("details");
      r.entry.details.empty() ? w.null() : w.raw(r.entry.details);
      w.end_object();
    }
    w.end_array().field("count", static_cast<uint64_t>(rows->size())).end_object();
    io.out << w.str() << "\n";
    return 0;
  }
  for (auto& r : *rows)
    io.out << msg::rfc3339_offset(r.at) << "  " << std::left << std::setw(22) << r.entry.action
           << " " << std::setw(16) << r.entry.actor << " " << r.entry.resource_type << " "
           << r.entry.resource_id << "  " << r.entry.details << "\n";
  return 0;
}

int projection_status(storage::event_store& db, const msg::stream_key& s, bool json,
                      output io) {
  auto heads = db.load_heads(s);
  if (!heads)
    return storage_error(io, "read heads", heads.error());
  auto& ps = storage::projections_of(db);
  auto cp = ps.load_checkpoints(s);
  if (!cp)
    return storage_error(io, "read checkpoints", cp.error());
  auto counts = ps.dlq_counts(s);
  if (!counts)
    return storage_error(io, "count dead-letter entries", counts.error());
  auto lag = [](uint64_t h, uint64_t c) { return h > c ? h - c : 0; };
  if (json) {
    http::json_writer w;
    w.begin_object()
      .field("tenant_id", s.tenant_id.str())
      .field("store_id", s.store_id.str())
      .key("head")
      .begin_object()
      .field("legacy", heads->legacy)
      .field("ves", heads->ves)
      .end_object()
      .key("checkpoint")
      .begin_object()
      .field("legacy", cp->legacy)
      .field("ves", cp->ves)
      .end_object()
      .key("lag")
      .begin_object()
      .field("legacy", lag(heads->legacy, cp->legacy))
      .field("ves", lag(heads->ves, cp->ves))
      .end_object()
      .key("dlq")
      .begin_object()
      .key("by_status");
    http::write_counts(w, counts->by_status);
    w.key("by_reason");
    http::write_counts(w, counts->by_reason);
    w.end_object().end_object();
    io.out << w.str() << "\n";
    return 0;
  }
  io.out << "stream     " << s.str() << "\n"
         << "legacy     head " << heads->legacy << ", checkpoint " << cp->legacy << ", lag "
         << lag(heads->legacy, cp->legacy) << "\n"
         << "ves        head " << heads->ves << ", checkpoint " << cp->ves << ", lag "
         << lag(heads->ves, cp->ves) << "\n"
         << "dlq        ";
  for (auto& [name, n] : counts->by_status)
    io.out << name << " " << n << "  ";
  io.out << "\n";
  return 0;
}

} // namespace seq::runtime::cli
