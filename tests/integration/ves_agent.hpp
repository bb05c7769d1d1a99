// SPDX-License-Identifier: Apache-2.0
#pragma once

/// End-to-end test harness, part 3: a VES agent as a client would implement it with
/// messages/ves — a random Ed25519 key registered for (tenant, agent, key id), signed event
/// envelopes, and the independent checks a client makes on what the server returns: receipt
/// hashes and sequencer signatures, and full re-verification of pulled events from the pulled
/// fields alone.

#include "messages/domain.hpp"
#include "messages/ves/ves.hpp"
#include "tests/integration/api_client.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace seq::it {

// -- identities ---------------------------------------------------------------------------------

/// One agent signing key in one (tenant, store) stream.
struct agent_identity {
  ves::uuid tenant, store, agent;
  uint32_t key_id = 1;
  ves::seed32 seed{};
  ves::pubkey32 public_key{};

  /// Fresh random tenant, store, agent and key.
  static agent_identity random() {
    agent_identity a;
    a.tenant = ves::uuid::random_v4();
    a.store = ves::uuid::random_v4();
    a.agent = ves::uuid::random_v4();
    a.seed = ves::random_seed();
    a.public_key = ves::ed25519_public_key(a.seed);
    return a;
  }

  /// Same tenant/store, another agent with its own key.
  agent_identity sibling() const {
    auto b = random();
    b.tenant = tenant;
    b.store = store;
    return b;
  }

  std::string tenant_str() const { return tenant.str(); }
  std::string store_str() const { return store.str(); }
  std::string query(std::optional<uint64_t> from = std::nullopt,
                    std::optional<uint64_t> limit = std::nullopt) const {
    return stream_query(tenant.str(), store.str(), from, limit);
  }
};

/// The POST /api/v1/agents/keys body for `a`.
inline json::value key_registration(const agent_identity& a,
                                    std::optional<std::string> valid_from = std::nullopt,
                                    std::optional<std::string> valid_to = std::nullopt) {
  json::object o{{"tenantId", a.tenant.str()},
                 {"agentId", a.agent.str()},
                 {"keyId", num(a.key_id)},
                 {"publicKey", ves::to_hex(a.public_key)}};
  if (valid_from)
    o.emplace_back("validFrom", *valid_from);
  if (valid_to)
    o.emplace_back("validTo", *valid_to);
  return obj(std::move(o));
}

/// An unsigned legacy inventory event of `a`'s stream with a correct payload_hash.
inline json::value legacy_inventory_event(const agent_identity& a, const std::string& entity_id,
                                          uint64_t n) {
  auto payload = obj({{"n", num(n)}, {"sku", "A-1"}});
  return obj({{"event_id", ves::uuid::random_v4().str()},
              {"tenant_id", a.tenant.str()},
              {"store_id", a.store.str()},
              {"entity_type", "inventory"},
              {"entity_id", entity_id},
              {"event_type", "inventory.adjusted"},
              {"payload", payload},
              {"payload_hash", ves::to_hex(ves::legacy_payload_hash(payload.legacy_canonical()))},
              {"created_at", "2025-03-04T05:06:07.250Z"},
              {"source_agent", a.agent.str()}});
}

/// Registers `a`'s signing key with the admin client; REQUIREs 200.
inline void register_key(api_client& admin, const agent_identity& a) {
  auto r = admin.post("/api/v1/agents/keys", key_registration(a));
  INFO(r.describe());
  REQUIRE(r.status == 200);
  CHECK(member(r.doc(), "success").as_bool());
}

// -- events -------------------------------------------------------------------------------------

/// What a test chooses about an event; everything else is derived.
struct event_spec {
  std::string entity_type = "order";
  std::string entity_id = "order-1";
  std::string event_type = "order.created";
  json::value payload =
    parse_json(R"({"amount":1250,"currency":"USD","lines":[{"sku":"A-1","qty":2}]})");
  std::optional<ves::uuid> command_id;
  std::optional<uint64_t> base_version;
  std::optional<ves::uuid> event_id;   ///< random when empty
  std::string created_at;              ///< now (RFC 3339, Z) when empty

  event_spec with_event_id(const ves::uuid& id) const {
    auto c = *this;
    c.event_id = id;
    return c;
  }
  event_spec with_command(const ves::uuid& id) const {
    auto c = *this;
    c.command_id = id;
    return c;
  }
  event_spec with_base_version(uint64_t v) const {
    auto c = *this;
    c.base_version = v;
    return c;
  }
  event_spec with_payload(json::value p) const {
    auto c = *this;
    c.payload = std::move(p);
    return c;
  }
};

/// An event_spec for entity `entity_id` (order type), defaults elsewhere.
inline event_spec spec(std::string entity_id) {
  event_spec s;
  s.entity_id = std::move(entity_id);
  return s;
}

/// A signed envelope and the values a client keeps to check the receipt.
struct signed_event {
  ves::event_header header;
  ves::hash32 signing_hash{};
  ves::sig64 signature{};
  json::value envelope;               ///< the snake_case wire form

  std::string id() const { return header.event_id.str(); }
};

/// Builds and signs an envelope for `a`. `signer` overrides the signing seed (wrong signer).
inline signed_event make_event(const agent_identity& a, event_spec s = {},
                               const ves::seed32* signer = nullptr) {
  signed_event e;
  auto& h = e.header;
  h.ves_version = 1;
  h.tenant_id = a.tenant;
  h.store_id = a.store;
  h.event_id = s.event_id.value_or(ves::uuid::random_v4());
  h.source_agent_id = a.agent;
  h.agent_key_id = a.key_id;
  h.entity_type = s.entity_type;
  h.entity_id = s.entity_id;
  h.event_type = s.event_type;
  h.created_at = s.created_at.empty() ? msg::rfc3339_z(msg::now_us()) : s.created_at;
  h.payload_kind = 0;
  h.payload_plain_hash = ves::payload_plain_hash(s.payload.jcs());
  h.payload_cipher_hash = ves::hash32{};
  e.signing_hash = ves::event_signing_hash(h);
  e.signature = ves::ed25519_sign(signer ? *signer : a.seed, e.signing_hash);
  json::object o{{"ves_version", num(1)},
                 {"event_id", h.event_id.str()},
                 {"tenant_id", h.tenant_id.str()},
                 {"store_id", h.store_id.str()},
                 {"source_agent_id", h.source_agent_id.str()},
                 {"agent_key_id", num(h.agent_key_id)},
                 {"entity_type", h.entity_type},
                 {"entity_id", h.entity_id},
                 {"event_type", h.event_type},
                 {"created_at", h.created_at},
                 {"payload_kind", num(0)},
                 {"payload", s.payload},
                 {"payload_plain_hash", ves::to_0x_hex(h.payload_plain_hash)},
                 {"payload_cipher_hash", ves::to_0x_hex(h.payload_cipher_hash)},
                 {"agent_signature", ves::to_0x_hex(e.signature)}};
  if (s.command_id)
    o.emplace_back("command_id", s.command_id->str());
  if (s.base_version)
    o.emplace_back("base_version", num(*s.base_version));
  e.envelope = obj(std::move(o));
  return e;
}

/// A payload that differs per call (so events are distinguishable).
inline json::value numbered_payload(uint64_t n, std::string_view tag = "load") {
  return obj({{"n", num(n)}, {"tag", std::string{tag}}, {"note", "integration \"test\" ✓"}});
}

/// The VES ingest request body.
inline json::value ingest_body(const ves::uuid& agent, const std::vector<signed_event>& events) {
  json::array arr;
  for (auto& e : events)
    arr.push_back(e.envelope);
  return obj({{"agentId", agent.str()}, {"events", std::move(arr)}});
}

inline response ingest(api_client& c, const agent_identity& a,
                       const std::vector<signed_event>& events) {
  return c.post("/api/v1/ves/events/ingest", ingest_body(a.agent, events));
}

// -- the sequencer's key ------------------------------------------------------------------------

struct sequencer_info {
  ves::uuid id;
  ves::pubkey32 public_key{};
};

inline sequencer_info fetch_sequencer(api_client& c) {
  auto r = c.get("/api/v1/ves/sequencer");
  INFO(r.describe());
  REQUIRE(r.status == 200);
  sequencer_info s;
  auto id = ves::uuid::parse(str_of(r.doc(), "sequencerId"));
  REQUIRE(id);
  s.id = *id;
  auto pk = ves::from_hex_fixed<32>(str_of(r.doc(), "publicKey"));
  REQUIRE(pk);
  s.public_key = *pk;
  return s;
}

// -- receipts -----------------------------------------------------------------------------------

/// What a client keeps from an acknowledged event.
struct ack {
  std::string event_id;
  uint64_t sequence_number = 0;
  std::string receipt_hash;  ///< bare hex
};

/// Checks one receipt against the event the client signed: receipt hash recomputed from
/// (tenant, store, event id, sequence number, event signing hash), Ed25519 sequencer signature
/// over it, sequencer id, RFC 3339 sequencedAt. Returns what a client keeps.
inline ack check_receipt(const json::value& r, const signed_event& e, const sequencer_info& s) {
  INFO("receipt " << r.dump());
  REQUIRE(str_of(r, "eventId") == e.id());
  REQUIRE(str_of(r, "sequencerId") == s.id.str());
  auto seq = u64_of(r, "sequenceNumber");
  REQUIRE(seq >= 1);
  auto expect = ves::receipt_hash(e.header.tenant_id, e.header.store_id, e.header.event_id, seq,
                                  e.signing_hash);
  auto hash_text = str_of(r, "receiptHash");
  REQUIRE(hash_text == ves::to_hex(expect));
  REQUIRE(str_of(r, "signatureAlg") == "ed25519");
  auto sig = ves::from_hex_fixed<64>(str_of(r, "sequencerSignature"), /*allow_0x=*/false);
  REQUIRE(sig);
  REQUIRE(ves::ed25519_verify(s.public_key, expect, *sig));
  CHECK(msg::parse_rfc3339(str_of(r, "sequencedAt")).has_value());
  return {e.id(), seq, hash_text};
}

/// Checks an ingest response in which every event of `sent` got a receipt (accepted or an
/// exact replay), in request order. Returns the acks.
inline std::vector<ack> check_receipts(const response& res, const std::vector<signed_event>& sent,
                                       const sequencer_info& s) {
  INFO(res.describe());
  REQUIRE(res.status == 200);
  auto& receipts = arr_of(res.doc(), "receipts");
  REQUIRE(receipts.size() == sent.size());
  std::vector<ack> out;
  for (size_t i = 0; i < sent.size(); ++i)
    out.push_back(check_receipt(receipts[i], sent[i], s));
  return out;
}

/// The rejection for `event_id` in an ingest response, or nullptr.
inline const json::value* find_rejection(const response& res, const std::string& event_id) {
  if (!res.json || !has_member(*res.json, "rejections"))
    return nullptr;
  for (auto& r : res.json->find("rejections")->as_array())
    if (r.is_object() && r.find("event_id") && r.find("event_id")->is_string()
        && r.find("event_id")->as_string() == event_id)
      return &r;
  return nullptr;
}

/// REQUIREs that `event_id` was rejected with exactly `reason`.
inline void check_rejected(const response& res, const std::string& event_id,
                           std::string_view reason) {
  INFO(res.describe());
  REQUIRE(res.status == 200);
  auto* r = find_rejection(res, event_id);
  REQUIRE(r != nullptr);
  CHECK(str_of(*r, "reason") == reason);
  CHECK(!str_of(*r, "message").empty());
}

// -- pulled events ------------------------------------------------------------------------------

/// One event as pulled from GET /api/v1/ves/events, after full re-verification.
struct pulled_event {
  std::string event_id;
  uint64_t sequence_number = 0;
  std::string receipt_hash;
  json::value raw;
};

/// Public keys by (tenant, agent, key id), for re-verifying pulled events.
using key_book = std::map<std::tuple<std::string, std::string, uint32_t>, ves::pubkey32>;

inline void add_key(key_book& book, const agent_identity& a) {
  book[{a.tenant.str(), a.agent.str(), a.key_id}] = a.public_key;
}

/// Re-verifies a pulled event from its own fields: the payload hash from the payload's JCS,
/// the signing hash, the agent signature (key from `book`), the receipt hash and the
/// sequencer signature.
inline pulled_event verify_pulled(const json::value& ev, const key_book& book,
                                  const sequencer_info& s) {
  INFO("pulled event " << ev.dump());
  ves::event_header h;
  h.ves_version = static_cast<uint32_t>(u64_of(ev, "ves_version"));
  auto uuid_of = [&](std::string_view k) {
    auto u = ves::uuid::parse(str_of(ev, k));
    REQUIRE(u);
    return *u;
  };
  h.tenant_id = uuid_of("tenant_id");
  h.store_id = uuid_of("store_id");
  h.event_id = uuid_of("event_id");
  h.source_agent_id = uuid_of("source_agent_id");
  h.agent_key_id = static_cast<uint32_t>(u64_of(ev, "agent_key_id"));
  h.entity_type = str_of(ev, "entity_type");
  h.entity_id = str_of(ev, "entity_id");
  h.event_type = str_of(ev, "event_type");
  h.created_at = str_of(ev, "created_at");
  h.payload_kind = static_cast<uint32_t>(u64_of(ev, "payload_kind"));
  REQUIRE(h.payload_kind == 0);
  auto plain = ves::from_hex_fixed<32>(str_of(ev, "payload_plain_hash"));
  auto cipher = ves::from_hex_fixed<32>(str_of(ev, "payload_cipher_hash"));
  REQUIRE(plain);
  REQUIRE(cipher);
  h.payload_plain_hash = *plain;
  h.payload_cipher_hash = *cipher;
  REQUIRE(ves::payload_plain_hash(member(ev, "payload").jcs()) == *plain);
  REQUIRE(*cipher == ves::hash32{});
  auto signing = ves::event_signing_hash(h);
  auto sig = ves::from_hex_fixed<64>(str_of(ev, "agent_signature"));
  REQUIRE(sig);
  auto k = book.find({h.tenant_id.str(), h.source_agent_id.str(), h.agent_key_id});
  REQUIRE(k != book.end());
  REQUIRE(ves::ed25519_verify(k->second, signing, *sig));
  pulled_event p;
  p.event_id = h.event_id.str();
  p.sequence_number = u64_of(ev, "sequence_number");
  auto rh = ves::receipt_hash(h.tenant_id, h.store_id, h.event_id, p.sequence_number, signing);
  p.receipt_hash = str_of(ev, "receipt_hash");
  REQUIRE(p.receipt_hash == ves::to_hex(rh));
  auto ssig = ves::from_hex_fixed<64>(str_of(ev, "sequencer_signature"), false);
  REQUIRE(ssig);
  REQUIRE(ves::ed25519_verify(s.public_key, rh, *ssig));
  CHECK(msg::parse_rfc3339(str_of(ev, "sequenced_at")).has_value());
  p.raw = ev;
  return p;
}

/// Pulls the whole VES stream of `a` with pages of `page` events following next_from, checks
/// that sequence numbers are exactly 1..head in order, and re-verifies every event.
inline std::vector<pulled_event> pull_all(api_client& c, const agent_identity& a,
                                          const key_book& book, const sequencer_info& s,
                                          uint64_t page = 500) {
  std::vector<pulled_event> out;
  uint64_t from = 1;
  uint64_t head = 0;
  for (int guard = 0; guard < 100000; ++guard) {
    auto r = c.get("/api/v1/ves/events" + a.query(from, page));
    INFO(r.describe());
    REQUIRE(r.status == 200);
    auto& events = arr_of(r.doc(), "events");
    REQUIRE(u64_of(r.doc(), "count") == events.size());
    head = u64_of(r.doc(), "head_sequence");
    for (auto& ev : events) {
      auto p = verify_pulled(ev, book, s);
      REQUIRE(p.sequence_number == out.size() + 1); // in order, no gap, no duplicate
      out.push_back(std::move(p));
    }
    auto next = u64_of(r.doc(), "next_from");
    REQUIRE(next == from + events.size());
    if (events.empty())
      break;
    from = next;
  }
  REQUIRE(out.size() == head);
  return out;
}

inline uint64_t ves_head(api_client& c, const agent_identity& a) {
  auto r = c.get("/api/v1/ves/head" + a.query());
  INFO(r.describe());
  REQUIRE(r.status == 200);
  return u64_of(r.doc(), "head_sequence");
}

} // namespace seq::it
