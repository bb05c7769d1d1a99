// SPDX-License-Identifier: Apache-2.0
#include "actors/verify/verifier.hpp"

#include "actors/verify/verify_pool.hpp"

#include "actors/sequencer/replay.hpp"
#include "adapters/storage/event_store.hpp"
#include "messages/errc.hpp"
#include "messages/ves/json.hpp"
#include "messages/ves/ves.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

using namespace seq;
using seq::actors::verifier;
using ves::json::value;

namespace {

const value& vectors() {
  static const value v = [] {
    std::ifstream in{SEQ_VECTORS_FILE};
    std::stringstream ss;
    ss << in.rdbuf();
    std::string err;
    auto parsed = ves::json::try_parse(ss.str(), &err);
    if (!parsed)
      FAIL("cannot parse " SEQ_VECTORS_FILE ": " << err);
    return *parsed;
  }();
  return v;
}

const std::string& str(const value& obj, std::string_view key) {
  auto* v = obj.find(key);
  REQUIRE(v != nullptr);
  REQUIRE(v->is_string());
  return v->as_string();
}

uint64_t num(const value& obj, std::string_view key) {
  auto* v = obj.find(key);
  REQUIRE(v != nullptr);
  REQUIRE(v->is_number());
  return v->as_number().u;
}

msg::uuid uuid_of(const value& obj, std::string_view key) {
  auto u = msg::uuid::parse(str(obj, key));
  REQUIRE(u);
  return *u;
}

template <size_t N>
std::array<uint8_t, N> hex_of(const std::string& s) {
  auto b = ves::from_hex_fixed<N>(s);
  REQUIRE(b);
  return *b;
}

/// Decodes the first event of a vector's `ingest_request_body`, as the HTTP adapter would.
msg::ves_candidate candidate_of(const value& vec) {
  const auto& ev_json = vec.find("ingest_request_body")->find("events")->as_array().at(0);
  msg::ves_candidate c;
  auto& ev = c.ev;
  ev.ves_version = static_cast<uint32_t>(num(ev_json, "ves_version"));
  ev.event_id = uuid_of(ev_json, "event_id");
  ev.tenant_id = uuid_of(ev_json, "tenant_id");
  ev.store_id = uuid_of(ev_json, "store_id");
  ev.source_agent_id = uuid_of(ev_json, "source_agent_id");
  ev.agent_key_id = static_cast<uint32_t>(num(ev_json, "agent_key_id"));
  ev.entity_type = str(ev_json, "entity_type");
  ev.entity_id = str(ev_json, "entity_id");
  ev.event_type = str(ev_json, "event_type");
  ev.created_at = str(ev_json, "created_at");
  ev.payload_kind = static_cast<uint32_t>(num(ev_json, "payload_kind"));
  ev.payload_plain_hash = hex_of<32>(str(ev_json, "payload_plain_hash"));
  ev.payload_cipher_hash = hex_of<32>(str(ev_json, "payload_cipher_hash"));
  ev.agent_signature = hex_of<64>(str(ev_json, "agent_signature"));
  if (auto* p = ev_json.find("payload"))
    c.payload = *p;
  if (auto* p = ev_json.find("payload_encrypted"))
    c.payload_encrypted = *p;
  return c;
}

const value& plaintext(size_t i) {
  return vectors().find("events_plaintext")->as_array().at(i);
}

const value& encrypted() {
  return *vectors().find("event_encrypted");
}

constexpr msg::timestamp_us now = 1'750'000'000'000'000; // 2025-06-15

/// A throw-away SQLite database holding agent keys.
struct key_db {
  std::string path;
  storage::store_ptr store;

  key_db() {
    char tmpl[] = "/tmp/seq_verifier_XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    close(fd);
    path = tmpl;
    auto s = storage::open_store("sqlite://" + path);
    REQUIRE(s);
    store = std::move(*s);
    REQUIRE(store->migrate());
  }

  ~key_db() {
    store.reset();
    for (auto suffix : {"", "-wal", "-shm"})
      std::remove((path + suffix).c_str());
  }

  msg::agent_key add(const value& vec, const std::string& public_key_hex) {
    msg::agent_key k;
    k.tenant_id = uuid_of(vec, "tenant_id");
    k.agent_id = uuid_of(vec, "source_agent_id");
    k.key_id = static_cast<uint32_t>(num(vec, "agent_key_id"));
    k.public_key = hex_of<32>(public_key_hex);
    k.key_algorithm = 1;
    k.created_at = now - 1'000'000;
    return k;
  }

  void insert(const msg::agent_key& k) {
    REQUIRE(store->insert_agent_key(k));
  }

  verifier make() {
    return verifier{[this](const msg::uuid& t, const msg::uuid& a, uint32_t id) {
      return store->get_agent_key(t, a, id);
    }};
  }
};

} // namespace

TEST_CASE("the plaintext vector events verify against keys in SQLite", "[verifier]") {
  key_db db;
  auto v = db.make();
  auto n = vectors().find("events_plaintext")->as_array().size();
  for (size_t i = 0; i < n; ++i) {
    const auto& vec = plaintext(i);
    INFO(str(vec, "name"));
    auto k = db.add(vec, str(vec, "signer_public_key"));
    if (!db.store->get_agent_key(k.tenant_id, k.agent_id, k.key_id))
      db.insert(k);
    auto c = candidate_of(vec);
    auto r = v.verify(c, now);
    REQUIRE(r);
    CHECK(r->verdict.ok);
    CHECK(c.ev.payload == str(vec, "payload_jcs"));
    CHECK(ves::to_hex(c.ev.event_signing_hash) == str(vec, "event_signing_hash"));
    CHECK(c.ev.payload_encrypted.empty());
    CHECK(r->fingerprint == actors::replay_fingerprint(c.ev, c.ev.payload, ""));
  }
}

TEST_CASE("verifier rejections for plaintext events", "[verifier]") {
  key_db db;
  const auto& vec = plaintext(0);
  auto key = db.add(vec, str(vec, "signer_public_key"));
  auto v = db.make();
  auto c = candidate_of(vec);
  auto expected_signing_hash = str(vec, "event_signing_hash");

  auto check = [&](msg::ves_candidate& cand, const std::string& reason) {
    auto r = v.verify(cand, now);
    REQUIRE(r);
    CHECK_FALSE(r->verdict.ok);
    CHECK(r->verdict.why.reason == reason);
    CHECK(r->verdict.why.event_id == cand.ev.event_id);
    return r->verdict.why;
  };

  SECTION("unknown key") {
    auto why = check(c, "agent_key_invalid: Agent key not found");
    // Derived fields are filled even for a rejected event.
    CHECK(ves::to_hex(c.ev.event_signing_hash) == expected_signing_hash);
  }
  SECTION("tampered payload") {
    db.insert(key);
    c.payload->set("delta", value::from_u64(101));
    auto why = check(c, "invalid_payload_hash");
    CHECK(why.message == "Payload hash verification failed");
  }
  SECTION("signed by another key") {
    key.public_key = ves::ed25519_public_key(ves::random_seed());
    db.insert(key);
    auto why = check(c, "invalid_signature");
    CHECK(why.message == "Agent signature verification failed: VerificationFailed");
  }
  SECTION("tampered signed field") {
    db.insert(key);
    c.ev.entity_id = "WIDGET-002";
    check(c, "invalid_signature");
  }
  SECTION("revoked key") {
    key.status = "revoked";
    key.revoked_at = now - 1;
    db.insert(key);
    check(c, "agent_key_invalid: Agent key has been revoked");
  }
  SECTION("expired key") {
    key.valid_to = now - 1;
    db.insert(key);
    check(c, "agent_key_invalid: Agent key has expired");
  }
  SECTION("key not yet valid") {
    key.valid_from = now + 1;
    db.insert(key);
    check(c, "agent_key_invalid: Agent key is not yet valid");
  }
  SECTION("unsupported version, still with a signing hash") {
    db.insert(key);
    c.ev.ves_version = 2;
    check(c, "unsupported_version");
    CHECK(ves::to_hex(c.ev.event_signing_hash) != expected_signing_hash);
  }
  SECTION("non-zero cipher hash on a plaintext event") {
    db.insert(key);
    c.ev.payload_cipher_hash[31] = 1;
    check(c, "invalid_cipher_hash");
  }
  SECTION("created_at is not RFC 3339") {
    db.insert(key);
    c.ev.created_at = "2025-01-01 00:00";
    check(c, "schema_validation: created_at");
  }
  SECTION("payload missing for kind 0") {
    db.insert(key);
    c.payload.reset();
    check(c, "schema_validation: payload");
  }
  SECTION("ML-DSA schemes are not supported") {
    db.insert(key);
    c.ev.agent_signature_scheme = 2;
    check(c, "invalid_signature");
  }
}

TEST_CASE("the encrypted vector event verifies; broken VES-ENC-1 objects do not",
          "[verifier]") {
  key_db db;
  const auto& vec = encrypted();
  db.insert(db.add(vec, str(vec, "signer_public_key")));
  auto v = db.make();
  auto c = candidate_of(vec);

  SECTION("valid") {
    auto r = v.verify(c, now);
    REQUIRE(r);
    CHECK(r->verdict.ok);
    CHECK(c.ev.payload.empty());
    CHECK(c.ev.payload_encrypted == c.payload_encrypted->dump());
    CHECK(ves::to_hex(c.ev.event_signing_hash) == str(vec, "event_signing_hash"));
  }
  auto reason = [&](msg::ves_candidate cand) {
    auto r = v.verify(cand, now);
    REQUIRE(r);
    CHECK_FALSE(r->verdict.ok);
    return r->verdict.why.reason;
  };
  auto& obj = *c.payload_encrypted;
  SECTION("nonce of the wrong length") {
    obj.set("nonce_b64u", "AAECAwQFBgcICQo");
    CHECK(reason(c) == "schema_validation: payload_encrypted.nonce_b64u");
  }
  SECTION("another nonce of the right length changes the cipher hash") {
    obj.set("nonce_b64u", "AAECAwQFBgcICQoM");
    CHECK(reason(c) == "invalid_cipher_hash");
  }
  SECTION("unknown enc_version") {
    obj.set("enc_version", value::from_u64(4));
    CHECK(reason(c) == "schema_validation: payload_encrypted.enc_version");
  }
  SECTION("wrong AEAD") {
    obj.set("aead", "ChaCha20-Poly1305");
    CHECK(reason(c) == "schema_validation: payload_encrypted.aead");
  }
  SECTION("recipients not strictly increasing") {
    auto rs = obj.find("recipients")->as_array();
    std::swap(rs[0], rs[1]);
    obj.set("recipients", rs);
    CHECK(reason(c) == "schema_validation: payload_encrypted.recipients");
  }
  SECTION("no recipients") {
    obj.set("recipients", ves::json::array{});
    CHECK(reason(c) == "schema_validation: payload_encrypted.recipients");
  }
  SECTION("tag of the wrong length") {
    obj.set("tag_b64u", "VgiETHH1hYEuuMHvBZuE");
    CHECK(reason(c) == "schema_validation: payload_encrypted.tag_b64u");
  }
  SECTION("a plaintext payload next to the encrypted one") {
    c.payload = value{ves::json::object{}};
    CHECK(reason(c) == "schema_validation: payload");
  }
}

TEST_CASE("key validity is judged at ingest time", "[verifier]") {
  msg::agent_key k;
  CHECK(verifier::key_problem(k, now).empty());
  k.revoked_at = now;
  CHECK(verifier::key_problem(k, now) == "Agent key has been revoked");
  k.revoked_at = now + 1;
  CHECK(verifier::key_problem(k, now).empty());
  k.revoked_at.reset();
  k.valid_to = now;
  CHECK(verifier::key_problem(k, now).empty()); // now <= valid_to is still valid
  k.valid_to = now - 1;
  CHECK(verifier::key_problem(k, now) == "Agent key has expired");
  k.valid_to.reset();
  k.valid_from = now;
  CHECK(verifier::key_problem(k, now).empty());
  k.valid_from = now + 1;
  CHECK(verifier::key_problem(k, now) == "Agent key is not yet valid");
  k.valid_from.reset();
  k.status = "expired";
  CHECK(verifier::key_problem(k, now) == "Agent key has expired");
}

TEST_CASE("storage errors of the key look-up are not rejections", "[verifier]") {
  verifier v{[](const msg::uuid&, const msg::uuid&, uint32_t) -> caf::expected<msg::agent_key> {
    return make_error(errc::storage_unavailable, "database down");
  }};
  auto c = candidate_of(plaintext(0));
  auto r = v.verify(c, now);
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::storage_unavailable);
}

TEST_CASE("legacy payload hashes are checked against the serde_json form", "[verifier]") {
  const auto& cases = vectors().find("legacy")->find("payload_hash")->find("cases")->as_array();
  for (const auto& tc : cases) {
    msg::legacy_candidate c;
    c.ev.event_id = msg::uuid::random_v4();
    auto p = ves::json::try_parse(str(tc, "payload_json_text"));
    REQUIRE(p);
    c.payload = *p;
    c.provided_payload_hash = hex_of<32>(str(tc, "payload_hash"));
    CHECK_FALSE(verifier::verify_legacy(c));
    CHECK(c.ev.payload_hash == c.provided_payload_hash);
    CHECK(c.ev.payload == p->dump());
    c.provided_payload_hash[0] ^= 1;
    auto why = verifier::verify_legacy(c);
    REQUIRE(why);
    CHECK(why->reason == "InvalidPayloadHash");
    CHECK(why->message == "Payload hash does not match payload");
  }
}

TEST_CASE("verify_ves_here verifies with cached keys only and leaves the rest to the pool",
          "[verifier]") {
  key_db db;
  const auto& vec = plaintext(0);
  auto key = db.add(vec, str(vec, "signer_public_key"));
  db.insert(key);
  actors::key_cache keys{std::chrono::hours{1}};
  actors::ingest_metrics metrics;
  auto prime = [&] {
    REQUIRE(keys.get(key.tenant_id, key.agent_id, key.key_id, actors::key_cache::clock::now(),
                     [&] { return db.store->get_agent_key(key.tenant_id, key.agent_id,
                                                          key.key_id); }));
  };
  std::vector<msg::ves_candidate> events{candidate_of(vec)};
  auto id = events[0].ev.event_id;

  SECTION("a cached key: verified here, like the pool would") {
    prime();
    auto out = actors::verify_ves_here(events, keys, &metrics);
    REQUIRE(out != nullptr);
    CHECK(events.empty());
    REQUIRE(out->candidates.size() == 1);
    REQUIRE(out->verdicts.size() == 1);
    CHECK(out->verdicts[0].ok);
    CHECK(out->candidates[0].ev.payload == str(vec, "payload_jcs"));
    CHECK(ves::to_hex(out->candidates[0].ev.event_signing_hash)
          == str(vec, "event_signing_hash"));
    CHECK(out->fingerprints.size() == 1);
    CHECK(out->stored.empty());
    CHECK(metrics.key_cache_hits.load() == 1);
  }
  SECTION("a key that is not cached: nothing verified, candidates left for the pool") {
    auto out = actors::verify_ves_here(events, keys, &metrics);
    CHECK(out == nullptr);
    REQUIRE(events.size() == 1);
    CHECK(events[0].ev.event_id == id);
    CHECK(keys.size() == 0); // the miss is not cached
    CHECK(metrics.key_cache_hits.load() == 0);
    CHECK(metrics.key_cache_misses.load() == 0); // the pool counts its own look-up
  }
  SECTION("a rejected event (it may be a stored replay): left for the pool") {
    prime();
    events[0].payload->set("delta", value::from_u64(101));
    CHECK(actors::verify_ves_here(events, keys, &metrics) == nullptr);
    REQUIRE(events.size() == 1);
    CHECK(events[0].ev.event_id == id);
  }
}

TEST_CASE("verify_legacy_here checks every payload hash", "[verifier]") {
  std::vector<msg::legacy_candidate> events(2);
  for (auto& c : events) {
    c.ev.event_id = msg::uuid::random_v4();
    c.payload = *ves::json::try_parse(R"({"b":1,"a":[1,2]})");
    c.provided_payload_hash = ves::legacy_payload_hash(c.payload.legacy_canonical());
  }
  events[1].provided_payload_hash[0] ^= 1;
  auto out = actors::verify_legacy_here(std::move(events));
  REQUIRE(out->rejections.size() == 2);
  CHECK_FALSE(out->rejections[0]);
  REQUIRE(out->rejections[1]);
  CHECK(out->rejections[1]->reason == "InvalidPayloadHash");
  CHECK(out->candidates[0].ev.payload == out->candidates[0].payload.dump());
}
