// SPDX-License-Identifier: Apache-2.0
// POST /api/v1/ves/events/ingest and POST /api/v1/events/ingest (legacy): decode, check
// request-level limits and permissions, hand the batch to the stream actor, render the outcome.
// Both are async routes (adapters/http/event_server.hpp): they run on a loop thread and are
// answered by the relay that receives the stream's reply.
#include "adapters/http/ask.hpp"
#include "adapters/http/event_server.hpp"
#include "adapters/http/json_writer.hpp"
#include "adapters/http/request.hpp"
#include "adapters/http/server.hpp"
#include "messages/ingest.hpp"
#include "messages/ves/ves.hpp"

#include <httplib.h>

#include <limits>
#include <optional>

namespace seq::http {

namespace {

using ves::json::value;

void check_lengths(const std::string& id, const std::string& entity_type,
                   const std::string& entity_id, const std::string& event_type) {
  auto check = [&](const std::string& name, const std::string& v, size_t max) {
    if (v.empty() || v.size() > max)
      reject(api_error::bad_request("Event " + id + " " + name + " must be between 1 and "
                                    + std::to_string(max) + " characters"));
  };
  check("entity_type", entity_type, 128);
  check("entity_id", entity_id, 512);
  check("event_type", event_type, 256);
}

/// Request-level checks shared by both ingest routes, in the reference's order (after the
/// whole body decoded): one stream per batch, the agent binding of the key, every event from
/// the request's agent, write permission, the batch size, then per event the string lengths
/// and the payload (`payload_size` refuses a missing one).
template <class Batch, class Agent, class PayloadSize>
void check_batch(context& ctx, const principal& p, const ves::uuid& agent_id, const Batch& batch,
                 const char* mixed_message, const char* source_message, Agent agent_of,
                 PayloadSize payload_size) {
  auto& first = batch.front().ev;
  for (auto& c : batch)
    if (c.ev.tenant_id != first.tenant_id || c.ev.store_id != first.store_id)
      reject(api_error::bad_request(mixed_message));
  if (p.agent && *p.agent != agent_id)
    reject(api_error::forbidden("Agent mismatch"));
  for (auto& c : batch)
    if (agent_of(c.ev) != agent_id)
      reject(api_error::bad_request(source_message));
  ensure_write(p, first.tenant_id, first.store_id);
  if (batch.size() > ctx.opts.max_events_per_batch)
    reject(api_error::too_large("Batch exceeds max_events_per_batch ("
                                + std::to_string(batch.size()) + " > "
                                + std::to_string(ctx.opts.max_events_per_batch) + ")"));
  for (auto& c : batch) {
    auto id = c.ev.event_id.str();
    check_lengths(id, c.ev.entity_type, c.ev.entity_id, c.ev.event_type);
    auto size = payload_size(c);
    if (size > ctx.opts.max_event_payload_size)
      reject(api_error::too_large("Event " + id + " payload exceeds max_event_payload_size ("
                                  + std::to_string(size) + " > "
                                  + std::to_string(ctx.opts.max_event_payload_size) + ")"));
  }
}

msg::ves_candidate decode_ves(const value& v, size_t i) {
  fields f{v, "events[" + std::to_string(i) + "]"};
  msg::ves_candidate c;
  auto& e = c.ev;
  e.ves_version = f.u32("ves_version");
  e.event_id = f.uuid("event_id");
  e.tenant_id = f.uuid("tenant_id");
  e.store_id = f.uuid("store_id");
  e.source_agent_id = f.uuid("source_agent_id");
  e.agent_key_id = f.u32("agent_key_id");
  e.entity_type = f.string("entity_type");
  e.entity_id = f.string("entity_id");
  e.event_type = f.string("event_type");
  e.created_at = f.string("created_at");
  auto kind = f.u64("payload_kind");
  if (kind > 1)
    f.bad("payload_kind", "expected 0 (plaintext) or 1 (encrypted)");
  e.payload_kind = static_cast<uint32_t>(kind);
  if (auto* p = f.get("payload"))
    c.payload = *p;
  if (auto* p = f.get("payload_encrypted"))
    c.payload_encrypted = *p;
  e.payload_plain_hash = f.hex<32>("payload_plain_hash");
  e.payload_cipher_hash = f.hex<32>("payload_cipher_hash");
  e.agent_signature = f.hex<64>("agent_signature");
  e.command_id = f.opt_uuid("command_id");
  e.base_version = f.opt_u64("base_version");
  if (auto s = f.opt_i64("agent_signature_scheme")) {
    // Any i32, as in the reference: the verifier rejects the event alone (invalid_signature)
    // unless the scheme is 0 or 1 (Ed25519), the only one this server verifies.
    if (*s < std::numeric_limits<int32_t>::min() || *s > std::numeric_limits<int32_t>::max())
      f.bad("agent_signature_scheme", "expected a 32-bit integer");
    e.agent_signature_scheme = static_cast<int32_t>(*s);
  }
  return c;
}

void write_receipt(json_writer& w, const msg::receipt& r) {
  w.begin_object()
    .field("sequencerId", r.sequencer_id.str())
    .field("eventId", r.event_id.str())
    .field("sequenceNumber", r.sequence_number)
    .field("sequencedAt", msg::rfc3339_offset(r.sequenced_at))
    .field("receiptHash", ves::to_hex(r.receipt_hash));
  if (r.sequencer_signature) {
    w.field("signatureAlg", "ed25519")
      .field("sequencerSignature", ves::to_hex(*r.sequencer_signature))
      .field("sequencerKeyVersion", r.sequencer_key_version)
      .field("receiptSignatureScheme", 1);
  } else {
    w.field("signatureAlg", "none").field("sequencerSignature", "").field("sequencerKeyVersion",
                                                                            r.sequencer_key_version);
  }
  w.end_object();
}

void write_rejections(json_writer& w, const std::vector<msg::rejection>& rs) {
  w.key("rejections").begin_array();
  for (auto& r : rs)
    w.begin_object()
      .field("event_id", r.event_id.str())
      .field("reason", r.reason)
      .field("message", r.message)
      .end_object();
  w.end_array();
}

template <class T>
void opt_u64(json_writer& w, std::string_view key, const std::optional<T>& v) {
  w.key(key);
  if (v)
    w.u64(*v);
  else
    w.null();
}

/// Decodes, checks and (with the hook) verifies a VES ingest request into the stream's message.
msg::ingest_ves prepare_ves(context& ctx, const httplib::Request& req) {
  auto p = ctx.auth->authenticate(req);
  auto body = parse_body(req);
  fields top{body, ""};
  auto agent_id = top.uuid("agentId");
  auto& events = top.require("events");
  if (!events.is_array())
    top.bad("events", "expected an array");
  auto& arr = events.as_array();
  if (arr.empty())
    reject(api_error::bad_request("events must not be empty"));
  auto batch = std::make_shared<std::vector<msg::ves_candidate>>();
  batch->reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i)
    batch->push_back(decode_ves(arr[i], i));
  check_batch(
    ctx, p, agent_id, *batch, "All events in a batch must share the same tenantId and storeId",
    "event source_agent_id must match request agent_id",
    [](const msg::ves_event& e) { return e.source_agent_id; },
    [](const msg::ves_candidate& c) {
      if (c.ev.payload_kind == 0 && !c.payload)
        reject(api_error::bad_request("Event " + c.ev.event_id.str()
                                      + " missing payload for plaintext payload_kind"));
      if (c.ev.payload_kind == 1 && !c.payload_encrypted)
        reject(api_error::bad_request("Event " + c.ev.event_id.str()
                                      + " missing payload_encrypted for encrypted payload_kind"));
      return c.payload ? c.payload->dump().size() : c.payload_encrypted->dump().size();
    });
  auto& first = batch->front().ev;
  msg::stream_key stream{first.tenant_id, first.store_id};
  msg::ingest_ves m{stream, batch, nullptr};
  if (ctx.verify_ves)
    m.verified = ctx.verify_ves(*batch);
  if (m.verified)
    m.events.reset(); // the candidates now live in `verified`
  return m;
}

void render_ves(const msg::ves_ingested& reply, httplib::Response& res) {
  auto& o = *reply.outcome;
  json_writer w;
  w.begin_object()
    .field("batchId", ves::uuid::random_v4().str())
    .field("eventsAccepted", o.accepted)
    .field("eventsRejected", static_cast<uint64_t>(o.rejections.size()));
  opt_u64(w, "sequenceStart", o.sequence_start);
  opt_u64(w, "sequenceEnd", o.sequence_end);
  w.field("headSequence", o.head);
  if (!o.rejections.empty())
    write_rejections(w, o.rejections);
  if (!o.receipts.empty()) {
    w.key("receipts").begin_array();
    for (auto& r : o.receipts)
      write_receipt(w, r);
    w.end_array();
  }
  w.end_object();
  write_json(res, w.take());
}

msg::legacy_candidate decode_legacy(const value& v, size_t i) {
  fields f{v, "events[" + std::to_string(i) + "]"};
  msg::legacy_candidate c;
  auto& e = c.ev;
  e.event_id = f.uuid("event_id");
  e.command_id = f.opt_uuid("command_id");
  e.tenant_id = f.uuid("tenant_id");
  e.store_id = f.uuid("store_id");
  e.entity_type = f.string("entity_type");
  e.entity_id = f.string("entity_id");
  e.event_type = f.string("event_type");
  c.payload = f.require_value("payload"); // any JSON, null included, as the reference's
  e.payload = c.payload.dump();
  auto hash = f.string("payload_hash");
  auto h = ves::from_hex_fixed<32>(hash, /*allow_0x=*/false);
  if (!h)
    f.bad("payload_hash", "expected 64 hex characters without 0x");
  c.provided_payload_hash = *h;
  e.base_version = f.opt_u64("base_version");
  auto created = f.string("created_at");
  auto t = msg::parse_rfc3339(created);
  if (!t)
    f.bad("created_at", "expected an RFC 3339 timestamp, got \"" + created + "\"");
  e.created_at = *t;
  e.source_agent = f.uuid("source_agent");
  if (auto* s = f.get("signature")) {
    if (!s->is_array())
      f.bad("signature", "expected an array of byte values");
    std::vector<uint8_t> sig;
    for (auto& b : s->as_array()) {
      if (!b.is_number() || !b.as_number().is_u64 || b.as_number().u > 255)
        f.bad("signature", "expected an array of byte values");
      sig.push_back(static_cast<uint8_t>(b.as_number().u));
    }
    e.signature = std::move(sig);
  }
  return c;
}

/// Decodes and checks a legacy ingest request into the stream's message; nullopt for an empty
/// batch (answered by render_empty_legacy).
std::optional<msg::ingest_legacy> prepare_legacy(context& ctx, const httplib::Request& req) {
  auto p = ctx.auth->authenticate(req);
  auto body = parse_body(req);
  fields top{body, ""};
  auto agent_id = top.uuid("agent_id");
  auto& events = top.require("events");
  if (!events.is_array())
    top.bad("events", "expected an array");
  auto& arr = events.as_array();
  if (arr.empty())
    return std::nullopt;
  auto batch = std::make_shared<std::vector<msg::legacy_candidate>>();
  batch->reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i)
    batch->push_back(decode_legacy(arr[i], i));
  check_batch(
    ctx, p, agent_id, *batch, "All events in a batch must share the same tenant_id and store_id",
    "event source_agent must match request agent_id",
    [](const msg::legacy_event& e) { return e.source_agent; },
    [](const msg::legacy_candidate& c) { return c.ev.payload.size(); });
  auto& first = batch->front().ev;
  msg::stream_key stream{first.tenant_id, first.store_id};
  msg::ingest_legacy m{stream, batch, nullptr};
  if (ctx.verify_legacy) {
    m.verified = ctx.verify_legacy(std::move(*batch));
    m.events.reset();
  }
  return m;
}

void render_empty_legacy(httplib::Response& res) {
  json_writer w;
  w.begin_object()
    .field("batch_id", ves::uuid::random_v4().str())
    .field("events_accepted", 0)
    .field("events_rejected", 0)
    .key("assigned_sequence_start").null()
    .key("assigned_sequence_end").null()
    .field("head_sequence", 0)
    .end_object();
  write_json(res, w.take());
}

void render_legacy(const msg::legacy_ingested& reply, httplib::Response& res) {
  auto& o = *reply.outcome;
  json_writer w;
  w.begin_object()
    .field("batch_id", ves::uuid::random_v4().str())
    .field("events_accepted", o.accepted)
    .field("events_rejected", static_cast<uint64_t>(o.rejections.size()));
  opt_u64(w, "assigned_sequence_start", o.sequence_start);
  opt_u64(w, "assigned_sequence_end", o.sequence_end);
  w.field("head_sequence", o.head);
  if (!o.rejections.empty())
    write_rejections(w, o.rejections);
  w.end_object();
  write_json(res, w.take());
}

/// Hands `m` to the stream actors and answers `ex` with `render(reply)`, or with the error.
template <class Reply, class Msg, class Render>
void forward(context& ctx, const exchange_ptr& ex, Msg&& m, Render render) {
  ask_async<Reply>(ctx, ctx.registry, std::forward<Msg>(m),
                   [ex, render](caf::expected<Reply> r) {
                     // On the relay actor: complete() keeps an exception from escaping.
                     ex->complete([&](httplib::Response& res) {
                       if (r)
                         render(*r, res);
                       else
                         write_error(res, from_error(r.error()));
                     });
                   });
}

} // namespace

void add_ingest_routes(context& ctx, const async_route_adder& add) {
  add("POST", "/api/v1/ves/events/ingest", [&ctx](const exchange_ptr& ex) {
    forward<msg::ves_ingested>(ctx, ex, prepare_ves(ctx, ex->req), render_ves);
  });
  add("POST", "/api/v1/events/ingest", [&ctx](const exchange_ptr& ex) {
    auto m = prepare_legacy(ctx, ex->req);
    if (!m)
      return ex->complete(render_empty_legacy);
    forward<msg::legacy_ingested>(ctx, ex, std::move(*m), render_legacy);
  });
}

} // namespace seq::http
