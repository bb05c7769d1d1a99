// SPDX-License-Identifier: Apache-2.0
// Projections and the dead-letter queue (this project's additions: the reference never runs
// its projection handlers and never creates its DLQ table):
//   GET  /api/v1/projections/status?tenant_id&store_id          head, checkpoint, lag, DLQ counts
//   POST /api/v1/projections/resume   {tenant_id, store_id}      continue a halted projection
//   GET  /api/v1/projections/{entity_type}?tenant_id&store_id&limit&after
//   GET  /api/v1/projections/{entity_type}/{entity_id}?tenant_id&store_id
//   GET  /api/v1/dlq?tenant_id&store_id&status&reason&limit
//   GET  /api/v1/dlq/{id}
//   POST /api/v1/dlq/{id}/retry                                 through the DLQ retry actor
//   POST /api/v1/dlq/purge            {tenant_id, store_id, status?, reason?, force?} (admin)
// Reads go to the store pool; retries and resumes are messages to actors. Every DLQ operation
// leaves an audit row (the retry actor writes the retry's).
#include "adapters/http/ask.hpp"
#include "adapters/http/json_writer.hpp"
#include "adapters/http/projection_json.hpp"
#include "adapters/http/request.hpp"
#include "adapters/http/route_common.hpp"
#include "adapters/http/server.hpp"
#include "messages/projector.hpp"
#include "messages/sequencing.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

namespace seq::http {

namespace {

constexpr uint32_t default_page = 100;
constexpr uint32_t max_page = 1000;
/// How long the status route waits for the projector's live view before answering without.
constexpr auto live_status_timeout = std::chrono::seconds{2};

msg::stream_key query_stream(const httplib::Request& req) {
  return {query_uuid(req, "tenant_id"), query_uuid(req, "store_id")};
}

uint32_t query_limit(const httplib::Request& req) {
  auto limit = query_u64(req, "limit").value_or(default_page);
  if (limit == 0)
    reject(api_error::bad_request("limit must be greater than 0"));
  return static_cast<uint32_t>(std::min<uint64_t>(limit, max_page));
}

void check_entity_type(const std::string& t) {
  if (t.empty() || t.size() > 128)
    reject(api_error::bad_request("entity_type must be between 1 and 128 characters"));
}

void check_entity_id(const std::string& id) {
  if (id.empty() || id.size() > 512)
    reject(api_error::bad_request("entity_id must be between 1 and 512 characters"));
}

/// Who acted, for audit rows: the first 16 hex characters of the API key's hash.
std::string actor_of(const principal& p) {
  return p.key_hash.substr(0, 16);
}

/// The stream's projector, reached through the registry (which starts the stream's actors on
/// first use, so its projector catches up); nullopt when no projector runs or it does not
/// answer in time.
std::optional<caf::actor> projector_of(context& ctx, const msg::stream_key& s,
                                       caf::timespan timeout) {
  if (ctx.projector_role.empty() || !ctx.registry || !ctx.sys)
    return std::nullopt;
  auto a = try_ask_within<caf::actor>(ctx, ctx.registry, timeout,
                                      msg::get_companion{s, ctx.projector_role});
  if (!a) {
    spdlog::debug("projector of {} unreachable: {}", s.str(), ctx.sys->render(a.error()));
    return std::nullopt;
  }
  if (!*a)
    return std::nullopt;
  return std::move(*a);
}

void write_live(json_writer& w, const msg::projection_status& st) {
  w.key("projector")
    .begin_object()
    .field("mode", msg::to_string(st.mode))
    .field("loaded", st.loaded)
    .field("halted", st.halted);
  if (st.halted) {
    w.key("halted_at")
      .begin_object()
      .field("space", space_name(st.halted_space))
      .field("sequence_number", st.halted_sequence)
      .field("dlq_id", st.halted_dlq_id.str())
      .end_object();
  }
  w.field("blocked_entities", st.blocked_entities)
    .field("applied", st.applied)
    .field("skipped", st.skipped)
    .field("encrypted_skipped", st.encrypted_skipped)
    .field("parked", st.parked)
    .field("blocked_behind", st.blocked_behind)
    .end_object();
}

// -- projections ------------------------------------------------------------------------------

void projection_status(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto s = query_stream(req);
  ensure_read(p, s.tenant_id, s.store_id);
  msg::stream_heads heads;
  msg::projection_checkpoints cp;
  msg::dlq_counts counts;
  {
    auto c = conn(ctx);
    heads = value_or_reject(c->load_heads(s));
    auto& ps = storage::projections_of(*c);
    cp = value_or_reject(ps.load_checkpoints(s));
    counts = value_or_reject(ps.dlq_counts(s));
  }
  std::optional<msg::projection_status> live;
  if (auto proj = projector_of(ctx, s, live_status_timeout)) {
    if (auto st = try_ask_within<msg::projection_status>(ctx, *proj, live_status_timeout,
                                                         caf::get_atom_v))
      live = std::move(*st);
  }
  auto lag = [](uint64_t head, uint64_t at) { return head > at ? head - at : 0; };
  json_writer w;
  w.begin_object()
    .field("tenant_id", s.tenant_id.str())
    .field("store_id", s.store_id.str())
    .key("head")
    .begin_object()
    .field("legacy", heads.legacy)
    .field("ves", heads.ves)
    .end_object()
    .key("checkpoint")
    .begin_object()
    .field("legacy", cp.legacy)
    .field("ves", cp.ves)
    .end_object()
    .key("lag")
    .begin_object()
    .field("legacy", lag(heads.legacy, cp.legacy))
    .field("ves", lag(heads.ves, cp.ves))
    .field("total", lag(heads.legacy, cp.legacy) + lag(heads.ves, cp.ves))
    .end_object()
    .key("dlq")
    .begin_object()
    .key("by_status");
  write_counts(w, counts.by_status);
  w.key("by_reason");
  write_counts(w, counts.by_reason);
  w.end_object();
  if (live)
    write_live(w, *live);
  w.end_object();
  write_json(res, w.take());
}

void projection_resume(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto body = parse_body(req);
  fields f{body, ""};
  msg::stream_key s{f.uuid("tenant_id"), f.uuid("store_id")};
  ensure_admin(p, s.tenant_id, s.store_id);
  auto proj = projector_of(ctx, s, ctx.opts.request_timeout);
  if (!proj)
    reject({503, "SERVICE_UNAVAILABLE", 8002, "The stream's projector is not running", {}, 1});
  auto st = ask<msg::projection_status>(ctx, *proj, msg::resume_atom_v);
  msg::audit_entry a;
  a.action = "projection_resume";
  a.actor = actor_of(p);
  a.tenant_id = s.tenant_id;
  a.resource_type = "projection";
  a.resource_id = s.str();
  json_writer d;
  d.begin_object().field("store_id", s.store_id.str()).field("halted", st.halted).end_object();
  a.details = d.take();
  if (auto ok = storage::projections_of(*conn(ctx)).audit(a); !ok)
    reject(from_error(ok.error()));
  json_writer w;
  w.begin_object().field("tenant_id", s.tenant_id.str()).field("store_id", s.store_id.str());
  write_live(w, st);
  w.end_object();
  write_json(res, w.take());
}

void get_projection(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto type = path_param(req, 1);
  auto id = path_param(req, 2);
  check_entity_type(type);
  check_entity_id(id);
  auto s = query_stream(req);
  ensure_read(p, s.tenant_id, s.store_id);
  auto c = conn(ctx);
  auto row = storage::projections_of(*c).get_projection(s, type, id);
  if (!row) {
    if (row.error() == errc::not_found)
      reject(api_error::not_found("No projection for " + type + "/" + id + " in this stream"));
    reject(from_error(row.error()));
  }
  json_writer w;
  write_projection(w, *row);
  write_json(res, w.take());
}

void list_projections(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto type = path_param(req, 1);
  check_entity_type(type);
  auto s = query_stream(req);
  ensure_read(p, s.tenant_id, s.store_id);
  auto limit = query_limit(req);
  auto after = query(req, "after").value_or("");
  auto c = conn(ctx);
  // One more than asked: tells whether another page exists.
  auto rows = value_or_reject(
    storage::projections_of(*c).list_projections(s, type, after, limit + 1));
  bool more = rows.size() > limit;
  if (more)
    rows.resize(limit);
  json_writer w;
  w.begin_object().field("entity_type", type).key("projections").begin_array();
  for (auto& r : rows)
    write_projection(w, r);
  w.end_array().field("count", static_cast<uint64_t>(rows.size())).field("has_more", more);
  w.key("next_after");
  if (more)
    w.str(rows.back().entity_id);
  else
    w.null();
  w.end_object();
  write_json(res, w.take());
}

// -- dead-letter queue ------------------------------------------------------------------------

std::optional<msg::dlq_status> status_param(const std::optional<std::string>& v) {
  if (!v || v->empty())
    return std::nullopt;
  auto s = msg::parse_dlq_status(*v);
  if (!s)
    reject(api_error::bad_request("status must be pending, retrying, resolved or dead, got \""
                                  + *v + "\""));
  return s;
}

std::optional<msg::dlq_reason> reason_param(const std::optional<std::string>& v) {
  if (!v || v->empty())
    return std::nullopt;
  auto r = msg::parse_dlq_reason(*v);
  if (!r)
    reject(api_error::bad_request(
      "reason must be version_conflict, invariant_violation, invalid_state_transition,"
      " schema_validation or handler_error, got \""
      + *v + "\""));
  return r;
}

void list_dlq(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto s = query_stream(req);
  ensure_read(p, s.tenant_id, s.store_id);
  msg::dlq_filter f;
  f.stream = s;
  f.status = status_param(query(req, "status"));
  f.reason = reason_param(query(req, "reason"));
  f.limit = query_limit(req);
  auto rows = value_or_reject(storage::projections_of(*conn(ctx)).list_dlq(f));
  json_writer w;
  w.begin_object().key("entries").begin_array();
  for (auto& e : rows)
    write_dlq_entry(w, e);
  w.end_array().field("count", static_cast<uint64_t>(rows.size())).end_object();
  write_json(res, w.take());
}

msg::dlq_entry find_entry(context& ctx, const ves::uuid& id) {
  auto e = storage::projections_of(*conn(ctx)).get_dlq(id);
  if (!e) {
    if (e.error() == errc::not_found)
      reject(api_error::not_found("No dead-letter entry " + id.str()));
    reject(from_error(e.error()));
  }
  return std::move(*e);
}

void get_dlq(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto id = path_uuid(req, 1, "id");
  auto e = find_entry(ctx, id);
  ensure_read(p, e.stream.tenant_id, e.stream.store_id);
  json_writer w;
  write_dlq_entry(w, e);
  write_json(res, w.take());
}

void retry_dlq(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto id = path_uuid(req, 1, "id");
  auto e = find_entry(ctx, id);
  ensure_write(p, e.stream.tenant_id, e.stream.store_id);
  if (!ctx.dlq_retry)
    reject({503, "SERVICE_UNAVAILABLE", 8002, "The DLQ retry actor is not running", {}, 1});
  // The retry actor writes the dlq_retry audit row (actor = requested_by).
  auto out = try_ask_within<msg::dlq_entry>(ctx, ctx.dlq_retry, ctx.opts.request_timeout,
                                            msg::retry_dlq{id, actor_of(p)});
  if (!out) {
    // A row that cannot be retried now (resolved, being retried, waiting behind an earlier
    // row of its entity) is a conflict with the row's state, not a malformed request.
    if (out.error() == errc::invalid_request)
      reject(api_error::conflict("DLQ_RETRY_REFUSED", 5005, error_message(out.error())));
    reject(from_error(out.error()));
  }
  json_writer w;
  write_dlq_entry(w, *out);
  write_json(res, w.take());
}

void purge_dlq(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto body = parse_body(req);
  fields f{body, ""};
  msg::dlq_filter filter;
  msg::stream_key s{f.uuid("tenant_id"), f.uuid("store_id")};
  filter.stream = s;
  filter.status = status_param(f.opt_string("status"));
  filter.reason = reason_param(f.opt_string("reason"));
  auto force = f.opt_bool("force").value_or(false);
  ensure_admin(p, s.tenant_id, s.store_id);
  if (!force && filter.status && *filter.status != msg::dlq_status::dead
      && *filter.status != msg::dlq_status::resolved)
    reject(api_error::bad_request("only dead or resolved entries can be purged without "
                                  "\"force\": true"));
  auto c = conn(ctx);
  auto& ps = storage::projections_of(*c);
  auto n = value_or_reject(ps.purge_dlq(filter, force));
  msg::audit_entry a;
  a.action = "dlq_purge";
  a.actor = actor_of(p);
  a.tenant_id = s.tenant_id;
  a.resource_type = "dead_letter_events";
  a.resource_id = s.str();
  json_writer d;
  d.begin_object().field("store_id", s.store_id.str()).key("status");
  filter.status ? d.str(msg::to_string(*filter.status)) : d.null();
  d.key("reason");
  filter.reason ? d.str(msg::to_string(*filter.reason)) : d.null();
  d.field("force", force).field("purged", n).end_object();
  a.details = d.take();
  if (auto ok = ps.audit(a); !ok) {
    spdlog::error("dlq purge of {} ({} rows) could not be audited: {}", s.str(), n,
                  error_message(ok.error()));
    reject(from_error(ok.error()));
  }
  json_writer w;
  w.begin_object()
    .field("tenant_id", s.tenant_id.str())
    .field("store_id", s.store_id.str())
    .field("purged", n)
    .field("force", force)
    .end_object();
  write_json(res, w.take());
}

} // namespace

void add_projection_routes(context& ctx, const route_adder& add) {
  // `status` first: the {entity_type} pattern below would capture it (an entity type named
  // "status" cannot be listed; its entities are still reachable by id).
  add("GET", "/api/v1/projections/status",
      [&ctx](const httplib::Request& req, httplib::Response& res) {
        projection_status(ctx, req, res);
      });
  add("POST", "/api/v1/projections/resume",
      [&ctx](const httplib::Request& req, httplib::Response& res) {
        projection_resume(ctx, req, res);
      });
  add("GET", R"(/api/v1/projections/([^/]+)/([^/]+))",
      [&ctx](const httplib::Request& req, httplib::Response& res) {
        get_projection(ctx, req, res);
      });
  add("GET", R"(/api/v1/projections/([^/]+))",
      [&ctx](const httplib::Request& req, httplib::Response& res) {
        list_projections(ctx, req, res);
      });
  add("GET", "/api/v1/dlq", [&ctx](const httplib::Request& req, httplib::Response& res) {
    list_dlq(ctx, req, res);
  });
  add("POST", "/api/v1/dlq/purge", [&ctx](const httplib::Request& req, httplib::Response& res) {
    purge_dlq(ctx, req, res);
  });
  add("GET", R"(/api/v1/dlq/([^/]+))",
      [&ctx](const httplib::Request& req, httplib::Response& res) { get_dlq(ctx, req, res); });
  add("POST", R"(/api/v1/dlq/([^/]+)/retry)",
      [&ctx](const httplib::Request& req, httplib::Response& res) {
        retry_dlq(ctx, req, res);
      });
}

} // namespace seq::http
