// SPDX-License-Identifier: Apache-2.0
// Reads: GET /api/v1/ves/events, /api/v1/ves/head (this project's addition: the reference
// cannot read VES events over REST), and the legacy GET /api/v1/events, /api/v1/head,
// /api/v1/entities/{type}/{id}. Ranges are checked for gaps (409 SEQUENCE_GAP).
#include "adapters/http/json_writer.hpp"
#include "adapters/http/request.hpp"
#include "adapters/http/route_common.hpp"
#include "adapters/http/server.hpp"
#include "messages/ves/ves.hpp"

#include <httplib.h>

namespace seq::http {

namespace {

struct stream_query {
  msg::stream_key stream;
  uint64_t from = 1;
  uint32_t limit = 100;
};

stream_query read_query(const httplib::Request& req, uint32_t default_limit, uint32_t max_limit) {
  stream_query q;
  q.stream.tenant_id = query_uuid(req, "tenant_id");
  q.stream.store_id = query_uuid(req, "store_id");
  q.from = std::max<uint64_t>(query_u64(req, "from").value_or(1), 1);
  auto limit = query_u64(req, "limit").value_or(default_limit);
  if (limit == 0)
    reject(api_error::bad_request("limit must be greater than 0"));
  q.limit = static_cast<uint32_t>(std::min<uint64_t>(limit, max_limit));
  return q;
}

/// 409 when the rows are not exactly from, from+1, … or stop short of the head.
template <class Rows>
void check_contiguous(const Rows& rows, uint64_t from, uint64_t limit, uint64_t head) {
  uint64_t expect = from;
  for (auto& r : rows) {
    if (r.sequence_number != expect)
      reject(api_error::conflict("SEQUENCE_GAP", 7003,
                                 "non-contiguous event sequence: expected "
                                   + std::to_string(expect) + ", got "
                                   + std::to_string(r.sequence_number)));
    ++expect;
  }
  auto want_end = std::min(head, from + limit - 1);
  if (from <= head && expect <= want_end)
    reject(api_error::conflict("SEQUENCE_GAP", 7003,
                               "sequence gap in range " + std::to_string(expect) + "..="
                                 + std::to_string(want_end)));
}

void write_ves_event(json_writer& w, const msg::sequenced_ves_event& s) {
  auto& e = s.ev;
  w.begin_object()
    .field("ves_version", e.ves_version)
    .field("event_id", e.event_id.str())
    .field("tenant_id", e.tenant_id.str())
    .field("store_id", e.store_id.str())
    .field("source_agent_id", e.source_agent_id.str())
    .field("agent_key_id", e.agent_key_id)
    .field("entity_type", e.entity_type)
    .field("entity_id", e.entity_id)
    .field("event_type", e.event_type)
    .field("created_at", e.created_at)
    .field("payload_kind", e.payload_kind);
  if (e.payload_kind == 0)
    w.key("payload").raw(e.payload);
  else
    w.key("payload_encrypted").raw(e.payload_encrypted);
  w.field("payload_plain_hash", ves::to_0x_hex(e.payload_plain_hash))
    .field("payload_cipher_hash", ves::to_0x_hex(e.payload_cipher_hash))
    .field("agent_signature", ves::to_0x_hex(e.agent_signature));
  if (e.agent_signature_scheme != 0)
    w.field("agent_signature_scheme", e.agent_signature_scheme);
  if (e.command_id)
    w.field("command_id", e.command_id->str());
  if (e.base_version)
    w.field("base_version", *e.base_version);
  w.field("sequence_number", s.sequence_number)
    .field("sequenced_at", msg::rfc3339_offset(s.sequenced_at))
    .field("receipt_hash", ves::to_hex(s.rcpt.receipt_hash))
    .field("sequencer_id", s.rcpt.sequencer_id.str());
  if (s.rcpt.sequencer_signature)
    w.field("sequencer_signature", ves::to_hex(*s.rcpt.sequencer_signature));
  w.end_object();
}

void write_legacy_event(json_writer& w, const msg::sequenced_legacy_event& s) {
  auto& e = s.ev;
  w.begin_object().key("envelope").begin_object();
  w.field("envelope_version", 1).field("event_id", e.event_id.str());
  if (e.command_id)
    w.field("command_id", e.command_id->str());
  w.field("tenant_id", e.tenant_id.str())
    .field("store_id", e.store_id.str())
    .field("entity_type", e.entity_type)
    .field("entity_id", e.entity_id)
    .field("event_type", e.event_type)
    .key("payload").raw(e.payload);
  w.field("payload_hash", ves::to_hex(e.payload_hash));
  if (e.base_version)
    w.field("base_version", *e.base_version);
  w.field("created_at", msg::rfc3339_z(e.created_at))
    .field("sequence_number", s.sequence_number)
    .field("source_agent", e.source_agent.str());
  if (e.signature) {
    w.key("signature").begin_array();
    for (auto b : *e.signature)
      w.u64(b);
    w.end_array();
  }
  w.end_object().field("sequenced_at", msg::rfc3339_z(s.sequenced_at)).end_object();
}

} // namespace

void add_read_routes(context& ctx, const route_adder& add) {
  add("GET", "/api/v1/ves/events", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto p = ctx.auth->authenticate(req);
    auto q = read_query(req, 100, 1000);
    ensure_read(p, q.stream.tenant_id, q.stream.store_id);
    auto c = conn(ctx);
    auto heads = value_or_reject(c->load_heads(q.stream));
    auto rows = value_or_reject(c->read_ves_events(q.stream, q.from, q.limit));
    check_contiguous(rows, q.from, q.limit, heads.ves);
    json_writer w;
    w.begin_object().key("events").begin_array();
    for (auto& r : rows)
      write_ves_event(w, r);
    w.end_array()
      .field("count", static_cast<uint64_t>(rows.size()))
      .field("head_sequence", heads.ves)
      .field("next_from", rows.empty() ? q.from : rows.back().sequence_number + 1)
      .end_object();
    write_json(res, w.take());
  });

  add("GET", "/api/v1/ves/head", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto p = ctx.auth->authenticate(req);
    msg::stream_key s{query_uuid(req, "tenant_id"), query_uuid(req, "store_id")};
    ensure_read(p, s.tenant_id, s.store_id);
    auto heads = value_or_reject(conn(ctx)->load_heads(s));
    json_writer w;
    w.begin_object().field("head_sequence", heads.ves).end_object();
    write_json(res, w.take());
  });

  add("GET", "/api/v1/events", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto p = ctx.auth->authenticate(req);
    auto q = read_query(req, 100, 1000);
    ensure_read(p, q.stream.tenant_id, q.stream.store_id);
    auto c = conn(ctx);
    auto heads = value_or_reject(c->load_heads(q.stream));
    auto rows = value_or_reject(c->read_legacy_events(q.stream, q.from, q.limit));
    check_contiguous(rows, q.from, q.limit, heads.legacy);
    json_writer w;
    w.begin_object().key("events").begin_array();
    for (auto& r : rows)
      write_legacy_event(w, r);
    w.end_array().field("count", static_cast<uint64_t>(rows.size())).end_object();
    write_json(res, w.take());
  });

  add("GET", "/api/v1/head", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto p = ctx.auth->authenticate(req);
    msg::stream_key s{query_uuid(req, "tenant_id"), query_uuid(req, "store_id")};
    ensure_read(p, s.tenant_id, s.store_id);
    auto heads = value_or_reject(conn(ctx)->load_heads(s));
    json_writer w;
    w.begin_object().field("head_sequence", heads.legacy).end_object();
    write_json(res, w.take());
  });

  add("GET", R"(/api/v1/entities/([^/]+)/([^/]+))",
      [&ctx](const httplib::Request& req, httplib::Response& res) {
        auto p = ctx.auth->authenticate(req);
        msg::entity_key ek{path_param(req, 1), path_param(req, 2)};
        if (ek.entity_type.empty() || ek.entity_type.size() > 128)
          reject(api_error::bad_request("entity_type must be between 1 and 128 characters"));
        if (ek.entity_id.empty() || ek.entity_id.size() > 512)
          reject(api_error::bad_request("entity_id must be between 1 and 512 characters"));
        msg::stream_key s{query_uuid(req, "tenant_id"), query_uuid(req, "store_id")};
        ensure_read(p, s.tenant_id, s.store_id);
        auto offset = query_u64(req, "from").value_or(0);
        auto limit = query_u64(req, "limit").value_or(100);
        if (limit == 0 || limit > 100)
          limit = 100;
        auto rows = value_or_reject(conn(ctx)->read_entity_events(s, ek));
        json_writer w;
        w.begin_object()
          .field("entity_type", ek.entity_type)
          .field("entity_id", ek.entity_id)
          .key("events")
          .begin_array();
        uint64_t n = 0;
        for (uint64_t i = offset; i < rows.size() && n < limit; ++i, ++n)
          write_legacy_event(w, rows[i]);
        w.end_array()
          .field("count", n)
          .field("total", static_cast<uint64_t>(rows.size()))
          .field("has_more", offset + n < rows.size())
          .end_object();
        write_json(res, w.take());
      });
}

} // namespace seq::http
