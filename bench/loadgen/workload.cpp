// SPDX-License-Identifier: Apache-2.0
#include "bench/loadgen/workload.hpp"

#include "messages/domain.hpp"
#include "messages/ves/json.hpp"
#include "messages/ves/ves.hpp"

#include <sodium.h>

#include <stdexcept>
#include <thread>

namespace seq::bench {

namespace {

/// Entities per stream the events cycle over (the baseline scripts use the same count).
constexpr uint64_t entities_per_stream = 1000;

/// The `k`-th event of a stream (0-based) touches inventory item sku-(k mod 1000): the first
/// touch initializes it, every later one adjusts it (by 0: the payload has no `adjustment`),
/// so every event is a valid domain event and the projector applies it. (Events that all
/// dead-letter would measure the DLQ, not ingest.) The stream's requests go out in order
/// and a sku recurs only 1000 events later, long after its first touch is committed.
struct inventory_event {
  std::string entity_id;
  const char* event_type;
};

inventory_event stream_event(uint64_t k) {
  return {"sku-" + std::to_string(k % entities_per_stream),
          k < entities_per_stream ? "inventory.initialized" : "inventory.adjusted"};
}

void append_ves_envelope(std::string& out, const workload& w, const ves::uuid& store,
                         uint64_t n, uint64_t k, event_record& rec) {
  const auto payload = event_payload(n);
  const auto what = stream_event(k);
  ves::event_header h;
  h.ves_version = 1;
  h.tenant_id = w.who.tenant;
  h.store_id = store;
  h.event_id = ves::uuid::random_v4();
  h.source_agent_id = w.who.agent;
  h.agent_key_id = w.who.key_id;
  h.entity_type = "inventory";
  h.entity_id = what.entity_id;
  h.event_type = what.event_type;
  h.created_at = w.created_at;
  h.payload_kind = 0;
  h.payload_plain_hash = ves::payload_plain_hash(payload);
  h.payload_cipher_hash = ves::hash32{};
  rec.event_id = h.event_id;
  rec.signing_hash = ves::event_signing_hash(h);
  ves::sig64 sig;
  crypto_sign_detached(sig.data(), nullptr, rec.signing_hash.data(), rec.signing_hash.size(),
                       w.who.secret_key.data());
  out += R"({"ves_version":1,"event_id":")";
  out += h.event_id.str();
  out += R"(","tenant_id":")";
  out += h.tenant_id.str();
  out += R"(","store_id":")";
  out += h.store_id.str();
  out += R"(","source_agent_id":")";
  out += h.source_agent_id.str();
  out += R"(","agent_key_id":)";
  out += std::to_string(h.agent_key_id);
  out += R"(,"entity_type":"inventory","entity_id":")";
  out += h.entity_id;
  out += R"(","event_type":")";
  out += h.event_type;
  out += R"(","created_at":")";
  out += h.created_at;
  out += R"(","payload_kind":0,"payload":)";
  out += payload;
  out += R"(,"payload_plain_hash":")";
  out += ves::to_0x_hex(h.payload_plain_hash);
  out += R"(","payload_cipher_hash":")";
  out += ves::to_0x_hex(h.payload_cipher_hash);
  out += R"(","agent_signature":")";
  out += ves::to_0x_hex(sig);
  out += "\"}";
}

void append_legacy_envelope(std::string& out, const workload& w, const ves::uuid& store,
                            uint64_t n, uint64_t k, event_record& rec) {
  const auto payload = event_payload(n);
  const auto what = stream_event(k);
  rec.event_id = ves::uuid::random_v4();
  out += R"({"event_id":")";
  out += rec.event_id.str();
  out += R"(","tenant_id":")";
  out += w.who.tenant.str();
  out += R"(","store_id":")";
  out += store.str();
  out += R"(","entity_type":"inventory","entity_id":")";
  out += what.entity_id;
  out += R"(","event_type":")";
  out += what.event_type;
  out += R"(","payload":)";
  out += payload;
  out += R"(,"payload_hash":")";
  out += ves::to_hex(ves::legacy_payload_hash(payload));
  out += R"(","created_at":")";
  out += w.created_at;
  out += R"(","source_agent":")";
  out += w.who.agent.str();
  out += "\"}";
}

void build_request(workload& w, size_t r) {
  auto& req = w.requests[r];
  const auto& spec = w.spec;
  req.stream = static_cast<uint32_t>(r % spec.streams);
  req.first_event = static_cast<uint32_t>(r * spec.batch);
  req.count = static_cast<uint32_t>(spec.batch);
  const auto& store = w.stores[req.stream];
  std::string body;
  body.reserve(spec.batch * 900 + 64);
  body += spec.legacy ? R"({"agent_id":")" : R"({"agentId":")";
  body += w.who.agent.str();
  body += R"(","events":[)";
  for (uint32_t k = 0; k < req.count; ++k) {
    if (k > 0)
      body += ',';
    auto n = uint64_t{req.first_event} + k;
    // This request is the (r / streams)-th of its stream.
    auto in_stream = uint64_t{r / spec.streams} * spec.batch + k;
    auto& rec = w.events[n];
    if (spec.legacy)
      append_legacy_envelope(body, w, store, n, in_stream, rec);
    else
      append_ves_envelope(body, w, store, n, in_stream, rec);
  }
  body += "]}";
  std::string& wire = req.wire;
  wire.reserve(body.size() + 256);
  wire += spec.legacy ? "POST /api/v1/events/ingest HTTP/1.1\r\n"
                      : "POST /api/v1/ves/events/ingest HTTP/1.1\r\n";
  wire += "Host: " + spec.host + ":" + std::to_string(spec.port) + "\r\n";
  wire += "Authorization: ApiKey " + w.who.api_key + "\r\n";
  wire += "Content-Type: application/json\r\n";
  wire += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  wire += body;
}

} // namespace

identity identity::random() {
  if (sodium_init() < 0)
    throw std::runtime_error("sodium_init failed");
  identity id;
  id.tenant = ves::uuid::random_v4();
  id.agent = ves::uuid::random_v4();
  id.seed = ves::random_seed();
  crypto_sign_seed_keypair(id.public_key.data(), id.secret_key.data(), id.seed.data());
  return id;
}

void check_payload_forms() {
  for (uint64_t n : {uint64_t{0}, uint64_t{7}, uint64_t{123456789}}) {
    auto text = event_payload(n);
    auto v = ves::json::try_parse(text);
    if (!v)
      throw std::runtime_error("event_payload is not valid JSON: " + text);
    if (v->jcs() != text)
      throw std::runtime_error("event_payload is not in JCS form: " + text + " vs " + v->jcs());
    if (v->legacy_canonical() != text)
      throw std::runtime_error("event_payload is not in serde_json form: " + text);
  }
}

workload build_workload(const workload_spec& spec, const identity& who) {
  if (spec.streams == 0 || spec.batch == 0)
    throw std::invalid_argument("streams and batch must be positive");
  workload w;
  w.spec = spec;
  w.who = who;
  w.created_at = msg::rfc3339_z(msg::now_us());
  w.stores.reserve(spec.streams);
  for (size_t i = 0; i < spec.streams; ++i)
    w.stores.push_back(ves::uuid::random_v4());
  w.events.resize(spec.requests * spec.batch);
  w.requests.resize(spec.requests);
  auto threads = std::max<size_t>(1, spec.threads);
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t)
    pool.emplace_back([&w, t, threads] {
      for (size_t r = t; r < w.requests.size(); r += threads)
        build_request(w, r);
    });
  for (auto& t : pool)
    t.join();
  return w;
}

} // namespace seq::bench
