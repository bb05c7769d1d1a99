// SPDX-License-Identifier: Apache-2.0
// Checks messages/ves (bytes, json, ves) against every applicable value of the golden vectors
// (tests/messages/ves_vectors.json, passed in as SEQ_VECTORS_FILE). The file itself is read with
// our own JSON parser.

#include "messages/ves/bytes.hpp"
#include "messages/ves/ed25519.hpp"
#include "messages/ves/json.hpp"
#include "messages/ves/ves.hpp"

#include <catch2/catch.hpp>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#ifndef SEQ_VECTORS_FILE
#  error "SEQ_VECTORS_FILE must name tests/messages/ves_vectors.json"
#endif

namespace ves = seq::ves;
namespace json = seq::ves::json;

namespace {

// -- access helpers -----------------------------------------------------------------------------

const json::value& vectors() {
  static const json::value root = [] {
    std::ifstream in{SEQ_VECTORS_FILE, std::ios::binary};
    std::stringstream ss;
    ss << in.rdbuf();
    auto text = ss.str();
    auto parsed = json::parse(text);
    if (auto* err = std::get_if<json::parse_error>(&parsed)) {
      FAIL("cannot parse " << SEQ_VECTORS_FILE << ": " << err->message << " at "
                           << err->offset);
    }
    return std::get<json::value>(std::move(parsed));
  }();
  return root;
}

/// Shape preconditions on the vector file: fail with a message, but do not count as checks.
void need(bool ok, std::string_view what) {
  if (!ok)
    FAIL("malformed vector: " << what);
}

const json::value& at(const json::value& v, std::string_view key) {
  auto* p = v.find(key);
  if (p == nullptr)
    FAIL("vector field missing: " << key);
  return *p;
}

const json::value& at(const json::value& v, size_t i) {
  need(v.is_array(), "v.is_array()");
  need(i < v.as_array().size(), "i < v.as_array().size()");
  return v.as_array()[i];
}

const json::array& arr(const json::value& v, std::string_view key) {
  const auto& x = at(v, key);
  need(x.is_array(), "x.is_array()");
  return x.as_array();
}

std::string str(const json::value& v, std::string_view key) {
  const auto& x = at(v, key);
  need(x.is_string(), "x.is_string()");
  return x.as_string();
}

/// An unsigned integer given either as a JSON integer or as a decimal string.
uint64_t u64(const json::value& x) {
  if (x.is_number()) {
    need(x.as_number().is_u64, "x.as_number().is_u64");
    return x.as_number().u;
  }
  need(x.is_string(), "x.is_string()");
  const auto& s = x.as_string();
  uint64_t out = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  need(res.ec == std::errc{}, "res.ec == std::errc{}");
  need(res.ptr == s.data() + s.size(), "res.ptr == s.data() + s.size()");
  return out;
}

uint64_t u64(const json::value& v, std::string_view key) {
  return u64(at(v, key));
}

uint32_t u32(const json::value& v, std::string_view key) {
  auto x = u64(v, key);
  need(x <= 0xffffffffu, "x <= 0xffffffffu");
  return static_cast<uint32_t>(x);
}

ves::uuid uuid_of(const json::value& v, std::string_view key) {
  auto u = ves::uuid::parse(str(v, key));
  need(u.has_value(), "u.has_value()");
  return *u;
}

ves::bytes hex_bytes(std::string_view s) {
  auto b = ves::from_hex(s);
  need(b.has_value(), "b.has_value()");
  return *b;
}

template <size_t N>
std::array<uint8_t, N> hex_fixed(std::string_view s) {
  auto b = ves::from_hex_fixed<N>(s);
  need(b.has_value(), "b.has_value()");
  return *b;
}

ves::hash32 h32(const json::value& v, std::string_view key) {
  return hex_fixed<32>(str(v, key));
}

ves::sig64 s64(const json::value& v, std::string_view key) {
  return hex_fixed<64>(str(v, key));
}

json::value parse_ok(std::string_view text) {
  std::string err;
  auto v = json::try_parse(text, &err);
  INFO(text);
  if (!v)
    FAIL("parse failed: " << err);
  return *v;
}

/// The VES signing-header fields of an events_plaintext / event_encrypted entry.
ves::event_header header_of(const json::value& e) {
  ves::event_header h;
  h.ves_version = u32(e, "ves_version");
  h.tenant_id = uuid_of(e, "tenant_id");
  h.store_id = uuid_of(e, "store_id");
  h.event_id = uuid_of(e, "event_id");
  h.source_agent_id = uuid_of(e, "source_agent_id");
  h.agent_key_id = u32(e, "agent_key_id");
  h.entity_type = str(e, "entity_type");
  h.entity_id = str(e, "entity_id");
  h.event_type = str(e, "event_type");
  h.created_at = str(e, "created_at");
  h.payload_kind = u32(e, "payload_kind");
  h.payload_plain_hash = h32(e, "payload_plain_hash");
  h.payload_cipher_hash = h32(e, "payload_cipher_hash");
  return h;
}

/// Signs with the seed (and with an ed25519_signer made from it) and checks the expected
/// signature, the public key and verification.
void check_signature(const ves::seed32& seed, const ves::pubkey32& expected_pk,
                     const ves::hash32& msg, const ves::sig64& expected_sig) {
  CHECK(ves::ed25519_public_key(seed) == expected_pk);
  CHECK(ves::to_hex(ves::ed25519_sign(seed, msg)) == ves::to_hex(expected_sig));
  ves::ed25519_signer signer{seed};
  CHECK(signer.public_key() == expected_pk);
  CHECK(ves::to_hex(signer.sign(msg)) == ves::to_hex(expected_sig));
  CHECK(ves::ed25519_verify(expected_pk, msg, expected_sig));
  auto tampered = msg;
  tampered[0] ^= 1;
  CHECK_FALSE(ves::ed25519_verify(expected_pk, tampered, expected_sig));
  auto prepared = ves::ed25519_prepared_key::make(expected_pk);
  REQUIRE(prepared);
  CHECK(prepared->verify(msg, expected_sig));
  CHECK_FALSE(prepared->verify(tampered, expected_sig));
}

/// Checks an ingest_request_body against the entry it was built from.
void check_ingest_body(const json::value& e) {
  const auto& body = at(e, "ingest_request_body");
  CHECK(str(body, "agentId") == str(e, "source_agent_id"));
  const auto& events = arr(body, "events");
  REQUIRE(events.size() == 1);
  const auto& ev = events[0];
  for (auto key : {"event_id", "tenant_id", "store_id", "source_agent_id", "entity_type",
                   "entity_id", "event_type", "created_at"})
    CHECK(str(ev, key) == str(e, key));
  for (auto key : {"ves_version", "agent_key_id", "payload_kind"})
    CHECK(u64(ev, key) == u64(e, key));
  // Envelope hashes are 0x-prefixed; they decode to the bare vector values.
  CHECK(str(ev, "payload_plain_hash") == "0x" + str(e, "payload_plain_hash"));
  CHECK(str(ev, "payload_cipher_hash") == "0x" + str(e, "payload_cipher_hash"));
  CHECK(str(ev, "agent_signature") == "0x" + str(e, "agent_signature"));
  CHECK(h32(ev, "payload_plain_hash") == h32(e, "payload_plain_hash"));
  CHECK(s64(ev, "agent_signature") == s64(e, "agent_signature"));
  if (u64(e, "payload_kind") == 0)
    CHECK(at(ev, "payload").jcs() == str(e, "payload_jcs"));
}

} // namespace

// -- constants and primitives -------------------------------------------------------------------

TEST_CASE("vectors: domain separators and constants", "[ves][vectors]") {
  const auto& c = at(vectors(), "constants");
  const auto& domains = at(c, "domains");
  REQUIRE(domains.is_object());
  SECTION("entry count") {
    CHECK(domains.as_object().size() == 18);
  }
  for (const auto& [name, d] : domains.as_object()) {
    DYNAMIC_SECTION("domain " << name) {
      auto text = str(d, "ascii");
      CHECK(ves::to_hex(text) == str(d, "hex"));
      CHECK(text.size() == u64(d, "length"));
    }
  }
  SECTION("library constants equal the vector ascii") {
    auto dom = [&](std::string_view name) { return str(at(domains, name), "ascii"); };
    CHECK(ves::domain::payload_plain == dom("PAYLOAD_PLAIN"));
    CHECK(ves::domain::payload_aad == dom("PAYLOAD_AAD"));
    CHECK(ves::domain::payload_cipher == dom("PAYLOAD_CIPHER"));
    CHECK(ves::domain::recipients == dom("RECIPIENTS"));
    CHECK(ves::domain::eventsig == dom("EVENTSIG"));
    CHECK(ves::domain::leaf == dom("LEAF"));
    CHECK(ves::domain::pad_leaf == dom("PAD_LEAF"));
    CHECK(ves::domain::node == dom("NODE"));
    CHECK(ves::domain::stream == dom("STREAM"));
    CHECK(ves::domain::receipt == dom("RECEIPT"));
    CHECK(ves::domain::state_root == dom("STATE_ROOT"));
    CHECK(ves::domain::pop == dom("POP"));
    CHECK(ves::domain::legacy_commitment_leaf == dom("LEGACY_COMMITMENT_LEAF"));
    CHECK(ves::domain::x402 == dom("X402"));
  }
  SECTION("pad leaf, zero hash, empty batch root") {
    CHECK(ves::to_hex(ves::pad_leaf()) == str(c, "pad_leaf"));
    CHECK(ves::to_hex(ves::hash32{}) == str(c, "zero_hash"));
    CHECK(ves::to_hex(ves::build_merkle_tree({}).root()) == str(c, "empty_batch_merkle_root"));
  }
}

TEST_CASE("vectors: encoding primitives", "[ves][vectors]") {
  const auto& p = at(vectors(), "encoding_primitives");
  for (const auto& v : arr(p, "u32_be")) {
    DYNAMIC_SECTION("u32_be " << u64(v, "input")) {
      ves::bytes b;
      ves::put_u32_be(b, u32(v, "input"));
      CHECK(ves::to_hex(b) == str(v, "hex"));
    }
  }
  for (const auto& v : arr(p, "u64_be")) {
    DYNAMIC_SECTION("u64_be " << str(v, "input")) {
      ves::bytes b;
      ves::put_u64_be(b, u64(v, "input"));
      CHECK(ves::to_hex(b) == str(v, "hex"));
    }
  }
  for (const auto& v : arr(p, "enc_str")) {
    DYNAMIC_SECTION("enc_str '" << str(v, "input") << "'") {
      ves::bytes b;
      ves::put_enc_str(b, str(v, "input"));
      CHECK(ves::to_hex(b) == str(v, "hex"));
    }
  }
  for (const auto& v : arr(p, "uuid_bytes")) {
    DYNAMIC_SECTION("uuid_bytes " << str(v, "uuid")) {
      CHECK(ves::to_hex(uuid_of(v, "uuid").b) == str(v, "hex"));
    }
  }
  for (const auto& v : arr(p, "uuid_to_bytes32_for_anchor")) {
    DYNAMIC_SECTION("uuid_to_bytes32 " << str(v, "uuid")) {
      ves::bytes b;
      ves::put_raw(b, uuid_of(v, "uuid").b);
      b.resize(32, 0);
      CHECK(ves::to_hex(b) == str(v, "hex"));
    }
  }
  for (const auto& v : arr(p, "base64url_nopad")) {
    DYNAMIC_SECTION("base64url " << str(v, "input_hex")) {
      auto raw = hex_bytes(str(v, "input_hex"));
      CHECK(ves::base64url_encode(raw) == str(v, "b64u"));
      auto back = ves::base64url_decode(str(v, "b64u"), true);
      REQUIRE(back.has_value());
      CHECK(*back == raw);
    }
  }
}

// -- canonical JSON -----------------------------------------------------------------------------

TEST_CASE("vectors: JCS and legacy canonical JSON cases", "[ves][vectors][json]") {
  const auto& cases = arr(at(vectors(), "jcs"), "cases");
  SECTION("entry count") {
    CHECK(cases.size() == 51);
  }
  for (const auto& c : cases) {
    DYNAMIC_SECTION("jcs case " << str(c, "name")) {
      auto v = parse_ok(str(c, "input_json_text"));
      auto jcs = v.jcs();
      CHECK(jcs == str(c, "jcs"));
      CHECK(ves::to_hex(jcs) == str(c, "jcs_utf8_hex"));
      CHECK(ves::to_hex(ves::payload_plain_hash(jcs)) == str(c, "payload_plain_hash"));
      auto legacy = v.legacy_canonical();
      CHECK(legacy == str(c, "legacy_serde_json_to_vec"));
      CHECK(ves::to_hex(ves::legacy_payload_hash(legacy)) == str(c, "legacy_payload_hash"));
      CHECK((jcs == legacy) == at(c, "legacy_equals_jcs").as_bool());
      // JCS is a fixed point: canonicalising the canonical text changes nothing.
      CHECK(parse_ok(jcs).jcs() == jcs);
      CHECK(parse_ok(jcs) == v);
    }
  }
}

TEST_CASE("vectors: rejected JSON inputs", "[ves][vectors][json]") {
  const auto& cases = arr(at(vectors(), "jcs"), "rejected_inputs");
  SECTION("entry count") {
    CHECK(cases.size() == 7);
  }
  for (const auto& c : cases) {
    DYNAMIC_SECTION("rejected " << str(c, "name")) {
      auto res = json::parse(str(c, "input_json_text"));
      CHECK(std::holds_alternative<json::parse_error>(res));
    }
  }
}

TEST_CASE("vectors: salted payload plain hash", "[ves][vectors]") {
  const auto& cases = arr(vectors(), "payload_plain_hash_salted");
  SECTION("entry count") {
    CHECK(cases.size() == 3);
  }
  size_t i = 0;
  for (const auto& c : cases) {
    DYNAMIC_SECTION("salted case " << i++) {
      auto jcs = parse_ok(str(c, "payload_json_text")).jcs();
      CHECK(jcs == str(c, "jcs"));
      auto salt = hex_fixed<16>(str(c, "salt_hex"));
      ves::bytes plaintext;
      ves::put_raw(plaintext, salt);
      ves::put_raw(plaintext, jcs);
      CHECK(ves::to_hex(plaintext) == str(c, "plaintext_hex"));
      CHECK(ves::to_hex(ves::payload_plain_hash_salted(salt, jcs))
            == str(c, "payload_plain_hash"));
    }
  }
}

// -- events, signatures, receipts ---------------------------------------------------------------

TEST_CASE("vectors: plaintext events", "[ves][vectors]") {
  const auto& events = arr(vectors(), "events_plaintext");
  SECTION("entry count") {
    CHECK(events.size() == 4);
  }
  for (const auto& e : events) {
    DYNAMIC_SECTION("event " << str(e, "name")) {
      auto jcs = parse_ok(str(e, "payload_json_text")).jcs();
      CHECK(jcs == str(e, "payload_jcs"));
      CHECK(ves::to_hex(ves::payload_plain_hash(jcs)) == str(e, "payload_plain_hash"));
      CHECK(h32(e, "payload_cipher_hash") == ves::hash32{});
      auto h = header_of(e);
      auto pre = ves::event_signing_preimage(h);
      CHECK(ves::to_hex(pre) == str(e, "signing_preimage_hex"));
      CHECK(pre.size() == u64(e, "signing_preimage_length"));
      CHECK(pre.size() == 171 + h.entity_type.size() + h.entity_id.size() + h.event_type.size()
                            + h.created_at.size());
      auto sh = ves::event_signing_hash(h);
      CHECK(ves::to_hex(sh) == str(e, "event_signing_hash"));
      check_signature(hex_fixed<32>(str(e, "signer_seed")),
                      hex_fixed<32>(str(e, "signer_public_key")), sh, s64(e, "agent_signature"));
      check_ingest_body(e);
    }
  }
}

TEST_CASE("vectors: reference signing hash vector and receipt 42", "[ves][vectors]") {
  const auto& r = at(vectors(), "reference_signing_hash_vector");
  auto h = header_of(r);
  auto pre = ves::event_signing_preimage(h);
  CHECK(ves::to_hex(pre) == str(r, "signing_preimage_hex"));
  CHECK(pre.size() == u64(r, "signing_preimage_length"));
  auto sh = ves::event_signing_hash(h);
  CHECK(ves::to_hex(sh) == str(r, "event_signing_hash"));
  const auto& rc = at(r, "receipt_seq_42");
  auto rpre = ves::receipt_preimage(h.tenant_id, h.store_id, h.event_id, 42, sh);
  CHECK(ves::to_hex(rpre) == str(rc, "preimage_hex"));
  SECTION("entry count") {
    CHECK(rpre.size() == 102);
  }
  CHECK(ves::to_hex(ves::receipt_hash(h.tenant_id, h.store_id, h.event_id, 42, sh))
        == str(rc, "receipt_hash"));
}

TEST_CASE("vectors: encrypted event hashing", "[ves][vectors]") {
  const auto& e = at(vectors(), "event_encrypted");
  const auto& pe = at(e, "payload_encrypted");
  auto jcs = parse_ok(str(e, "payload_json_text")).jcs();
  auto salt = hex_fixed<16>(str(e, "salt_hex"));
  auto nonce = hex_fixed<12>(str(e, "nonce_hex"));
  auto ciphertext = hex_bytes(str(e, "ciphertext_hex"));
  auto tag = hex_fixed<16>(str(e, "tag_hex"));
  auto h = header_of(e);

  SECTION("payload plaintext and salted plain hash") {
    CHECK(jcs == str(e, "payload_jcs"));
    ves::bytes plaintext;
    ves::put_raw(plaintext, salt);
    ves::put_raw(plaintext, jcs);
    CHECK(ves::to_hex(plaintext) == str(e, "plaintext_hex"));
    CHECK(ves::to_hex(ves::payload_plain_hash_salted(salt, jcs)) == str(e, "payload_plain_hash"));
  }
  SECTION("payload AAD (no ves_version)") {
    auto pre = hex_bytes(str(e, "payload_aad_preimage_hex"));
    ves::bytes built;
    ves::put_raw(built, ves::domain::payload_aad);
    for (const auto* u : {&h.tenant_id, &h.store_id, &h.event_id, &h.source_agent_id})
      ves::put_raw(built, u->b);
    ves::put_u32_be(built, h.agent_key_id);
    for (const auto* s : {&h.entity_type, &h.entity_id, &h.event_type, &h.created_at})
      ves::put_enc_str(built, *s);
    ves::put_raw(built, h.payload_plain_hash);
    CHECK(ves::to_hex(built) == ves::to_hex(pre));
    CHECK(ves::to_hex(ves::sha256(pre)) == str(e, "payload_aad"));
    CHECK(ves::to_hex(ves::payload_aad(h)) == str(e, "payload_aad"));
    // The prose-spec variant (U32_BE(ves_version) after the domain) is a different hash.
    ves::bytes spec_variant;
    ves::put_raw(spec_variant, ves::domain::payload_aad);
    ves::put_u32_be(spec_variant, h.ves_version);
    spec_variant.insert(spec_variant.end(), built.begin() + 18, built.end());
    CHECK(ves::to_hex(ves::sha256(spec_variant)) == str(e, "payload_aad_spec_variant_DO_NOT_USE"));
    CHECK(ves::to_hex(ves::payload_aad(h)) != str(e, "payload_aad_spec_variant_DO_NOT_USE"));
  }
  SECTION("payload_encrypted base64url fields decode to the raw bytes") {
    CHECK(u64(pe, "enc_version") == 1);
    CHECK(str(pe, "aead") == "AES-256-GCM");
    auto dec = [&](std::string_view key) {
      auto b = ves::base64url_decode(str(pe, key), true);
      REQUIRE(b.has_value());
      return *b;
    };
    CHECK(ves::to_hex(dec("nonce_b64u")) == str(e, "nonce_hex"));
    CHECK(ves::to_hex(dec("ciphertext_b64u")) == str(e, "ciphertext_hex"));
    CHECK(ves::to_hex(dec("tag_b64u")) == str(e, "tag_hex"));
    CHECK(ves::base64url_encode(ciphertext) == str(pe, "ciphertext_b64u"));
    const auto& hpke = at(pe, "hpke");
    CHECK(str(hpke, "mode") == "base");
    CHECK(str(hpke, "kem") == "X25519-HKDF-SHA256");
    CHECK(str(hpke, "kdf") == "HKDF-SHA256");
    CHECK(str(hpke, "aead") == "AES-256-GCM");
    const auto& wire = arr(pe, "recipients");
    const auto& raw = arr(e, "recipients");
    REQUIRE(wire.size() == raw.size());
    for (size_t i = 0; i < wire.size(); ++i) {
      CHECK(u64(wire[i], "recipient_kid") == u64(raw[i], "recipient_kid"));
      auto enc = ves::base64url_decode(str(wire[i], "enc_b64u"), true);
      auto ct = ves::base64url_decode(str(wire[i], "ct_b64u"), true);
      REQUIRE(enc.has_value());
      REQUIRE(ct.has_value());
      CHECK(ves::to_hex(*enc) == str(raw[i], "enc_hex"));
      CHECK(ves::to_hex(*ct) == str(raw[i], "ct_hex"));
      CHECK(enc->size() == 32);
      CHECK(ct->size() == 48);
    }
  }
  SECTION("recipients hash") {
    std::vector<ves::recipient> rs;
    for (const auto& r : arr(e, "recipients"))
      rs.push_back({u32(r, "recipient_kid"), hex_bytes(str(r, "enc_hex")),
                    hex_bytes(str(r, "ct_hex"))});
    REQUIRE(rs.size() == 2);
    CHECK(rs[0].kid < rs[1].kid);
    ves::bytes built;
    ves::put_raw(built, ves::domain::recipients);
    for (const auto& r : rs) {
      ves::put_u32_be(built, r.kid);
      ves::put_u32_be(built, static_cast<uint32_t>(r.enc.size()));
      ves::put_raw(built, r.enc);
      ves::put_u32_be(built, static_cast<uint32_t>(r.ct.size()));
      ves::put_raw(built, r.ct);
    }
    CHECK(ves::to_hex(built) == str(e, "recipients_hash_preimage_hex"));
    CHECK(ves::to_hex(ves::sha256(hex_bytes(str(e, "recipients_hash_preimage_hex"))))
          == str(e, "recipients_hash"));
    CHECK(ves::to_hex(ves::recipients_hash(rs)) == str(e, "recipients_hash"));
  }
  SECTION("payload cipher hash") {
    auto aad = h32(e, "payload_aad");
    auto rh = h32(e, "recipients_hash");
    ves::bytes built;
    ves::put_raw(built, ves::domain::payload_cipher);
    ves::put_u32_be(built, 1);
    ves::put_raw(built, nonce);
    ves::put_raw(built, aad);
    ves::put_u32_be(built, static_cast<uint32_t>(ciphertext.size()));
    ves::put_raw(built, ciphertext);
    ves::put_raw(built, tag);
    ves::put_raw(built, rh);
    CHECK(ves::to_hex(built) == str(e, "payload_cipher_hash_preimage_hex"));
    CHECK(ves::to_hex(ves::sha256(hex_bytes(str(e, "payload_cipher_hash_preimage_hex"))))
          == str(e, "payload_cipher_hash"));
    CHECK(ves::to_hex(ves::payload_cipher_hash(nonce, aad, ciphertext, tag, rh))
          == str(e, "payload_cipher_hash"));
  }
  SECTION("signing preimage, hash and signature") {
    auto pre = ves::event_signing_preimage(h);
    CHECK(ves::to_hex(pre) == str(e, "signing_preimage_hex"));
    auto sh = ves::event_signing_hash(h);
    CHECK(ves::to_hex(sh) == str(e, "event_signing_hash"));
    check_signature(hex_fixed<32>(str(e, "signer_seed")),
                    hex_fixed<32>(str(e, "signer_public_key")), sh, s64(e, "agent_signature"));
    check_ingest_body(e);
    const auto& ev = at(at(at(e, "ingest_request_body"), "events"), 0);
    CHECK(at(ev, "payload_encrypted") == pe);
    CHECK(at(ev, "payload_encrypted").jcs() == pe.jcs());
  }
}

// -- stream, Merkle, commitments ----------------------------------------------------------------

TEST_CASE("vectors: stream events, leaves and receipts", "[ves][vectors]") {
  const auto& s = at(vectors(), "stream");
  auto tenant = uuid_of(s, "tenant_id");
  auto store = uuid_of(s, "store_id");
  CHECK(ves::to_hex(ves::stream_id(tenant, store)) == str(s, "stream_id"));
  auto signer_seed = hex_fixed<32>(str(s, "signer_seed"));
  auto signer_pk = hex_fixed<32>(str(s, "signer_public_key"));
  auto seq_seed = hex_fixed<32>(str(s, "sequencer_key_seed"));
  auto seq_pk = hex_fixed<32>(str(s, "sequencer_public_key"));
  CHECK(ves::ed25519_public_key(signer_seed) == signer_pk);
  CHECK(ves::ed25519_public_key(seq_seed) == seq_pk);
  const auto& events = arr(s, "events");
  SECTION("entry count") {
    CHECK(events.size() == 10);
  }
  for (const auto& ev : events) {
    auto seq = u64(ev, "sequence_number");
    DYNAMIC_SECTION("stream event seq " << seq) {
      auto jcs = parse_ok(str(ev, "payload_json_text")).jcs();
      auto plain = ves::payload_plain_hash(jcs);
      CHECK(ves::to_hex(plain) == str(ev, "payload_plain_hash"));
      ves::event_header h;
      h.ves_version = 1;
      h.tenant_id = tenant;
      h.store_id = store;
      h.event_id = uuid_of(ev, "event_id");
      h.source_agent_id = uuid_of(s, "source_agent_id");
      h.agent_key_id = u32(s, "agent_key_id");
      h.entity_type = "order";
      h.entity_id = str(ev, "entity_id");
      h.event_type = "order.created";
      h.created_at = str(ev, "created_at");
      h.payload_kind = 0;
      h.payload_plain_hash = plain;
      auto sh = ves::event_signing_hash(h);
      CHECK(ves::to_hex(sh) == str(ev, "event_signing_hash"));
      auto sig = s64(ev, "agent_signature");
      check_signature(signer_seed, signer_pk, sh, sig);

      auto leaf_pre = ves::leaf_preimage(tenant, store, seq, sh, sig);
      if (ev.find("leaf_preimage_hex") != nullptr) // only given for the first events
        CHECK(ves::to_hex(leaf_pre) == str(ev, "leaf_preimage_hex"));
      CHECK(leaf_pre.size() == u64(ev, "leaf_preimage_length"));
      CHECK(ves::to_hex(ves::leaf_hash(tenant, store, seq, sh, sig)) == str(ev, "leaf_hash"));

      const auto& r = at(ev, "receipt");
      CHECK(ves::to_hex(ves::receipt_preimage(tenant, store, h.event_id, seq, sh))
            == str(r, "preimage_hex"));
      auto rh = ves::receipt_hash(tenant, store, h.event_id, seq, sh);
      CHECK(ves::to_hex(rh) == str(r, "receipt_hash"));
      check_signature(seq_seed, seq_pk, rh, s64(r, "sequencer_signature"));

      const auto& api = at(r, "api_receipt_json");
      CHECK(str(api, "sequencerId") == str(s, "sequencer_id"));
      CHECK(str(api, "eventId") == str(ev, "event_id"));
      CHECK(u64(api, "sequenceNumber") == seq);
      CHECK(str(api, "receiptHash") == ves::to_hex(rh));
      CHECK(str(api, "signatureAlg") == "ed25519");
      CHECK(str(api, "sequencerSignature") == str(r, "sequencer_signature"));
      CHECK(u64(api, "sequencerKeyVersion") == 0);
    }
  }
}

TEST_CASE("vectors: VES Merkle batches and proofs", "[ves][vectors][merkle]") {
  const auto& m = at(vectors(), "merkle");
  CHECK(str(m, "pad_leaf") == ves::to_hex(ves::pad_leaf()));
  const auto& stream_events = arr(at(vectors(), "stream"), "events");
  const auto& batches = arr(m, "batches");
  SECTION("entry count") {
    CHECK(batches.size() == 6);
  }
  for (const auto& b : batches) {
    auto n = u64(b, "leaf_count");
    DYNAMIC_SECTION("batch of " << n) {
      std::vector<ves::hash32> leaves;
      for (const auto& l : arr(b, "leaves")) {
        REQUIRE(l.is_string());
        leaves.push_back(hex_fixed<32>(l.as_string()));
      }
      REQUIRE(leaves.size() == n);
      auto start = u64(b, "sequence_start");
      CHECK(u64(b, "sequence_end") == start + n - 1);
      for (size_t i = 0; i < n; ++i)
        CHECK(ves::to_hex(leaves[i]) == str(at(stream_events, start - 1 + i), "leaf_hash"));
      auto t = ves::build_merkle_tree(leaves);
      CHECK(t.leaf_count == n);
      CHECK(t.padded_leaf_count() == u64(b, "padded_leaf_count"));
      CHECK(t.depth() == u64(b, "tree_depth"));
      CHECK(ves::to_hex(t.root()) == str(b, "merkle_root"));
      const auto& levels = arr(b, "levels");
      REQUIRE(levels.size() == t.levels.size());
      for (size_t d = 0; d < levels.size(); ++d) {
        REQUIRE(levels[d].as_array().size() == t.levels[d].size());
        for (size_t i = 0; i < t.levels[d].size(); ++i)
          CHECK(ves::to_hex(t.levels[d][i]) == levels[d].as_array()[i].as_string());
      }
      for (const auto& p : arr(b, "proofs")) {
        auto idx = u64(p, "leaf_index");
        INFO("leaf_index " << idx);
        CHECK(u64(p, "sequence_number") == start + idx);
        REQUIRE(idx < n);
        CHECK(str(p, "leaf_hash") == ves::to_hex(leaves[idx]));
        auto proof = ves::make_proof(t, idx);
        CHECK(proof.leaf_index == idx);
        const auto& path = arr(p, "proof_path");
        const auto& dirs = arr(p, "directions");
        REQUIRE(proof.path.size() == path.size());
        REQUIRE(proof.directions.size() == dirs.size());
        CHECK(path.size() == t.depth());
        std::vector<ves::hash32> given;
        for (size_t i = 0; i < path.size(); ++i) {
          CHECK(ves::to_hex(proof.path[i]) == path[i].as_string());
          CHECK(proof.directions[i] == dirs[i].as_bool());
          given.push_back(hex_fixed<32>(path[i].as_string()));
        }
        CHECK(ves::verify_proof(leaves[idx], t.root(), given, idx));
        auto wrong_root = t.root();
        wrong_root[31] ^= 0x80;
        CHECK_FALSE(ves::verify_proof(leaves[idx], wrong_root, given, idx));
      }
    }
  }
  SECTION("negative proof checks (n=5)") {
    const json::value* five = nullptr;
    for (const auto& b : batches)
      if (u64(b, "leaf_count") == 5)
        five = &b;
    REQUIRE(five != nullptr);
    std::vector<ves::hash32> leaves;
    for (const auto& l : arr(*five, "leaves"))
      leaves.push_back(hex_fixed<32>(l.as_string()));
    auto t = ves::build_merkle_tree(leaves);
    auto proof3 = ves::make_proof(t, 3);
    const auto& checks = arr(m, "negative_proof_checks");
    CHECK(checks.size() == 3);
    for (const auto& c : checks) {
      auto name = str(c, "case");
      bool expected = at(c, "valid").as_bool();
      INFO(name);
      if (name == "n=5, proof for index 3 presented with leaf_index 2") {
        CHECK(ves::verify_proof(leaves[3], t.root(), proof3.path, 2) == expected);
      } else if (name == "n=5, proof for index 3 with last sibling dropped") {
        auto shorter = proof3.path;
        shorter.pop_back();
        CHECK(ves::verify_proof(leaves[3], t.root(), shorter, 3) == expected);
      } else if (name == "n=5, index 3 correct") {
        CHECK(ves::verify_proof(leaves[3], t.root(), proof3.path, 3) == expected);
      } else {
        FAIL("unknown negative proof case");
      }
    }
  }
}

TEST_CASE("vectors: commitment chain and state roots", "[ves][vectors]") {
  const auto& cc = at(vectors(), "commitment_chain");
  auto tenant = uuid_of(cc, "tenant_id");
  auto store = uuid_of(cc, "store_id");
  auto sid = ves::stream_id(tenant, store);
  CHECK(ves::to_hex(sid) == str(cc, "stream_id"));
  const auto& stream_events = arr(at(vectors(), "stream"), "events");
  ves::hash32 prev{};
  const auto& commitments = arr(cc, "commitments");
  SECTION("entry count") {
    CHECK(commitments.size() == 3);
  }
  for (const auto& c : commitments) {
    auto start = u64(c, "sequence_start");
    auto end = u64(c, "sequence_end");
    INFO("commitment " << start << ".." << end);
    CHECK(u64(c, "leaf_count") == end - start + 1);
    std::vector<ves::hash32> leaves;
    for (auto seq = start; seq <= end; ++seq)
      leaves.push_back(h32(at(stream_events, seq - 1), "leaf_hash"));
    auto t = ves::build_merkle_tree(leaves);
    CHECK(ves::to_hex(t.root()) == str(c, "merkle_root"));
    CHECK(t.padded_leaf_count() == u64(c, "padded_leaf_count"));
    CHECK(t.depth() == u64(c, "tree_depth"));
    CHECK(ves::to_hex(prev) == str(c, "prev_state_root"));
    auto pre = hex_bytes(str(c, "state_root_preimage_hex"));
    CHECK(pre.size() == u64(c, "state_root_preimage_length"));
    ves::bytes built;
    ves::put_raw(built, ves::domain::state_root);
    ves::put_raw(built, sid);
    ves::put_raw(built, prev);
    ves::put_raw(built, t.root());
    ves::put_u64_be(built, start);
    ves::put_u64_be(built, end);
    ves::put_u32_be(built, static_cast<uint32_t>(leaves.size()));
    CHECK(built == pre);
    CHECK(ves::to_hex(ves::sha256(pre)) == str(c, "new_state_root"));
    auto root = ves::state_root(sid, prev, t.root(), start, end,
                                static_cast<uint32_t>(leaves.size()));
    CHECK(ves::to_hex(root) == str(c, "new_state_root"));
    prev = root;
  }
  SECTION("yellowpaper 22.9") {
    const auto& y = at(cc, "yellowpaper_22_9");
    auto ysid = ves::stream_id(uuid_of(y, "tenant_id"), uuid_of(y, "store_id"));
    CHECK(ves::to_hex(ysid) == str(y, "stream_id"));
    CHECK(u64(y, "preimage_length") == 17 + 32 * 3 + 8 + 8 + 4);
    CHECK(ves::to_hex(ves::state_root(ysid, h32(y, "prev_state_root"), h32(y, "merkle_root"),
                                      u64(y, "sequence_start"), u64(y, "sequence_end"),
                                      u32(y, "leaf_count")))
          == str(y, "new_state_root"));
  }
}

TEST_CASE("vectors: stream ids and advisory lock keys", "[ves][vectors]") {
  const auto& ids = arr(vectors(), "stream_ids");
  SECTION("entry count") {
    CHECK(ids.size() == 4);
  }
  for (const auto& s : ids) {
    DYNAMIC_SECTION("stream id " << str(s, "tenant_id") << "/" << str(s, "store_id")) {
      auto tenant = uuid_of(s, "tenant_id");
      auto store = uuid_of(s, "store_id");
      CHECK(ves::to_hex(ves::stream_id(tenant, store)) == str(s, "stream_id"));
      CHECK(std::to_string(ves::stream_lock_key(tenant, store))
            == str(s, "advisory_lock_key_i64"));
      ves::bytes no_domain;
      ves::put_raw(no_domain, tenant.b);
      ves::put_raw(no_domain, store.b);
      CHECK(ves::to_hex(ves::sha256(no_domain)) == str(s, "wrong_no_domain_variant_DO_NOT_USE"));
    }
  }
}

// -- x402 ---------------------------------------------------------------------------------------

namespace {

ves::x402_fields x402_of(const json::value& i) {
  ves::x402_fields f;
  f.payer_address = str(i, "payer_address");
  f.payee_address = str(i, "payee_address");
  f.amount = u64(i, "amount");
  f.asset = ves::x402_asset_string(str(i, "asset"));
  f.network = str(i, "network");
  f.chain_id = ves::x402_chain_id(f.network);
  f.valid_until = u64(i, "valid_until");
  f.nonce = u64(i, "nonce");
  return f;
}

} // namespace

TEST_CASE("vectors: x402 intents", "[ves][vectors][x402]") {
  const auto& intents = arr(at(vectors(), "x402"), "intents");
  SECTION("entry count") {
    CHECK(intents.size() == 3);
  }
  size_t n = 0;
  for (const auto& i : intents) {
    DYNAMIC_SECTION("x402 intent " << n++ << " " << str(i, "asset") << "@" << str(i, "network")) {
      auto f = x402_of(i);
      CHECK(f.asset == str(i, "asset_hash_string"));
      CHECK(f.chain_id == u64(i, "chain_id"));
      CHECK(ves::to_hex(ves::x402_signing_preimage(f)) == str(i, "signing_preimage_hex"));
      auto sh = ves::x402_signing_hash(f);
      CHECK(ves::to_hex(sh) == str(i, "signing_hash"));
      check_signature(hex_fixed<32>(str(i, "signer_seed")),
                      hex_fixed<32>(str(i, "payer_public_key")), sh, s64(i, "payer_signature"));
      const auto& body = at(i, "request_body_fields");
      CHECK(str(body, "signing_hash") == "0x" + str(i, "signing_hash"));
      CHECK(str(body, "payer_signature") == "0x" + str(i, "payer_signature"));
      CHECK(str(body, "payer_public_key") == "0x" + str(i, "payer_public_key"));
      CHECK(h32(body, "signing_hash") == sh);
    }
  }
}

TEST_CASE("vectors: x402 settlement batch", "[ves][vectors][x402]") {
  const auto& x = at(vectors(), "x402");
  const auto& intents = arr(x, "intents");
  const auto& b = at(x, "batch");
  const auto& ids = arr(b, "intent_ids");
  const auto& seqs = arr(b, "sequence_numbers");
  const auto& expected_leaves = arr(b, "leaves");
  REQUIRE(ids.size() == intents.size());
  REQUIRE(seqs.size() == intents.size());
  REQUIRE(expected_leaves.size() == intents.size());
  std::vector<ves::hash32> leaves;
  for (size_t i = 0; i < intents.size(); ++i) {
    auto f = x402_of(intents[i]);
    auto id = ves::uuid::parse(ids[i].as_string());
    REQUIRE(id.has_value());
    auto leaf = ves::x402_leaf_hash(*id, u64(seqs[i]), f, ves::x402_signing_hash(f),
                                    s64(intents[i], "payer_signature"));
    CHECK(ves::to_hex(leaf) == expected_leaves[i].as_string());
    leaves.push_back(leaf);
  }
  auto root = ves::legacy_merkle_root(leaves);
  CHECK(ves::to_hex(root) == str(b, "merkle_root"));
  CHECK(ves::to_hex(ves::x402_batch_state_root(uuid_of(b, "tenant_id"), uuid_of(b, "store_id"),
                                               uuid_of(b, "batch_id"), root))
        == str(b, "new_state_root"));
  for (const auto& p : arr(b, "inclusion_proofs")) {
    auto idx = u64(p, "leaf_index");
    DYNAMIC_SECTION("x402 inclusion proof " << idx) {
      auto proof = ves::legacy_merkle_proof(leaves, idx);
      std::vector<std::string> hex;
      for (const auto& h : proof)
        hex.push_back(ves::to_0x_hex(h));
      std::vector<std::string> expected;
      for (const auto& h : arr(p, "proof_0x"))
        expected.push_back(h.as_string());
      CHECK(hex == expected);
      CHECK(ves::legacy_verify_proof(leaves[idx], root, proof, idx, leaves.size()));
    }
  }
}

// -- legacy -------------------------------------------------------------------------------------

TEST_CASE("vectors: legacy payload hashes", "[ves][vectors][legacy]") {
  const auto& cases = arr(at(at(vectors(), "legacy"), "payload_hash"), "cases");
  SECTION("entry count") {
    CHECK(cases.size() == 4);
  }
  for (const auto& c : cases) {
    DYNAMIC_SECTION("legacy payload " << str(c, "payload_json_text")) {
      auto v = parse_ok(str(c, "payload_json_text"));
      auto legacy = v.legacy_canonical();
      CHECK(legacy == str(c, "serde_json_to_vec"));
      CHECK(ves::to_hex(ves::legacy_payload_hash(legacy)) == str(c, "payload_hash"));
      CHECK(v.jcs() == str(c, "jcs_would_be"));
    }
  }
}

TEST_CASE("vectors: legacy commitment leaves, events roots and proofs", "[ves][vectors][legacy]") {
  const auto& lg = at(vectors(), "legacy");
  const auto& cl = at(lg, "commitment_leaves");
  auto tenant = uuid_of(cl, "tenant_id");
  auto store = uuid_of(cl, "store_id");
  std::vector<ves::hash32> all_leaves;
  for (const auto& l : arr(cl, "leaves")) {
    auto seq = u64(l, "sequence_number");
    auto ph = h32(l, "payload_hash");
    auto type = str(l, "entity_type");
    auto id = str(l, "entity_id");
    ves::bytes built;
    ves::put_raw(built, ves::domain::legacy_commitment_leaf);
    ves::put_raw(built, tenant.b);
    ves::put_raw(built, store.b);
    ves::put_u64_be(built, seq);
    ves::put_raw(built, ph);
    ves::put_enc_str(built, type);
    ves::put_enc_str(built, id);
    INFO("legacy leaf seq " << seq);
    CHECK(ves::to_hex(built) == str(l, "leaf_preimage_hex"));
    auto leaf = ves::legacy_leaf_hash(tenant, store, seq, ph, type, id);
    CHECK(ves::to_hex(leaf) == str(l, "leaf_hash"));
    CHECK(ves::sha256(built) == leaf);
    all_leaves.push_back(leaf);
  }
  SECTION("entry count") {
    CHECK(all_leaves.size() == 5);
  }
  CHECK(ves::to_hex(ves::legacy_merkle_root({})) == str(lg, "events_root_empty"));
  for (const auto& r : arr(lg, "events_roots")) {
    auto n = u64(r, "leaf_count");
    DYNAMIC_SECTION("legacy events root of " << n) {
      REQUIRE(n <= all_leaves.size());
      std::vector<ves::hash32> leaves(all_leaves.begin(), all_leaves.begin() + n);
      auto root = ves::legacy_merkle_root(leaves);
      CHECK(ves::to_hex(root) == str(r, "events_root"));
      for (const auto& p : arr(r, "proofs")) {
        auto idx = u64(p, "leaf_index");
        INFO("leaf_index " << idx);
        auto proof = ves::legacy_merkle_proof(leaves, idx);
        const auto& path = arr(p, "proof_path");
        REQUIRE(proof.size() == path.size());
        for (size_t i = 0; i < path.size(); ++i)
          CHECK(ves::to_hex(proof[i]) == path[i].as_string());
        CHECK(ves::legacy_verify_proof(leaves[idx], root, proof, idx, n));
        CHECK(ves::legacy_verify_proof_by_index_bits(leaves[idx], root, proof, idx)
              == at(p, "reference_verify_by_index_bits_ok").as_bool());
        // A proof presented for another index or with a sibling missing does not verify.
        if (n > 1) {
          CHECK_FALSE(ves::legacy_verify_proof(leaves[idx], root, proof, (idx + 1) % n, n));
          auto shorter = proof;
          shorter.pop_back();
          CHECK_FALSE(ves::legacy_verify_proof(leaves[idx], root, shorter, idx, n));
        }
      }
    }
  }
}

TEST_CASE("vectors: legacy state root", "[ves][vectors][legacy]") {
  const auto& s = at(at(vectors(), "legacy"), "state_root_example");
  auto tenant = uuid_of(s, "tenant_id");
  auto store = uuid_of(s, "store_id");
  std::vector<ves::entity_version_row> rows;
  ves::bytes built;
  ves::put_raw(built, tenant.b);
  ves::put_raw(built, store.b);
  for (const auto& r : arr(s, "entity_versions")) {
    ves::entity_version_row row{str(r, "entity_type"), str(r, "entity_id"),
                                static_cast<int64_t>(u64(r, "version"))};
    ves::put_raw(built, row.entity_type);
    ves::put_raw(built, row.entity_id);
    for (int i = 0; i < 8; ++i)
      built.push_back(static_cast<uint8_t>(static_cast<uint64_t>(row.version) >> (8 * i)));
    rows.push_back(std::move(row));
  }
  CHECK(ves::to_hex(built) == str(s, "preimage_hex"));
  CHECK(ves::to_hex(ves::legacy_state_root(tenant, store, rows)) == str(s, "new_state_root"));
}

// -- keys, compliance, validity -----------------------------------------------------------------

TEST_CASE("vectors: agent key proof of possession", "[ves][vectors]") {
  const auto& pops = arr(vectors(), "agent_key_pop");
  SECTION("entry count") {
    CHECK(pops.size() == 2);
  }
  for (const auto& p : pops) {
    DYNAMIC_SECTION("pop " << str(p, "public_key")) {
      auto seed = hex_fixed<32>(str(p, "seed"));
      auto pk = hex_fixed<32>(str(p, "public_key"));
      CHECK(ves::to_hex(std::string{ves::domain::pop}) + ves::to_hex(pk)
            == str(p, "challenge_preimage_hex"));
      auto ch = ves::pop_challenge(pk);
      CHECK(ves::to_hex(ch) == str(p, "challenge"));
      check_signature(seed, pk, ch, s64(p, "pop_signature"));
    }
  }
}

TEST_CASE("vectors: API keys", "[ves][vectors]") {
  const auto& ex = arr(at(vectors(), "api_key"), "examples");
  REQUIRE(ex.size() == 2);
  SECTION("generated key layout") {
    auto tenant = uuid_of(ex[0], "tenant_id");
    auto key = "ss_" + tenant.str().substr(0, 8)
               + ves::base64url_encode(hex_bytes(str(ex[0], "random_bytes_hex")));
    CHECK(key == str(ex[0], "api_key"));
    CHECK(key.size() == 43);
    auto fresh = ves::generate_api_key(tenant);
    CHECK(fresh.size() == 43);
    CHECK(fresh.substr(0, 11) == "ss_64527dd3");
    CHECK(ves::base64url_decode(fresh.substr(11), true).value_or(ves::bytes{}).size() == 24);
    CHECK(fresh != ves::generate_api_key(tenant));
  }
  for (const auto& e : ex) {
    DYNAMIC_SECTION("key hash of " << str(e, "api_key")) {
      CHECK(ves::api_key_hash(str(e, "api_key")) == str(e, "key_hash"));
    }
  }
}

namespace {

/// policy_hash = SHA256(domain || JCS({"policyId": id, "policyParams": params})).
std::string policy_jcs(const std::string& id, const json::value& params) {
  json::value o{json::object{}};
  o.set("policyId", id);
  o.set("policyParams", params);
  return o.jcs();
}

std::string domain_hash(std::string_view domain_ascii, std::string_view data) {
  ves::bytes b;
  ves::put_raw(b, domain_ascii);
  ves::put_raw(b, data);
  return ves::to_hex(ves::sha256(b));
}

} // namespace

TEST_CASE("vectors: compliance policy and public inputs hashes", "[ves][vectors]") {
  const auto& c = at(vectors(), "compliance");
  const auto& domains = at(at(vectors(), "constants"), "domains");
  auto policy_domain = str(at(domains, "COMPLIANCE_POLICY_HASH"), "ascii");
  auto proof_domain = str(at(domains, "COMPLIANCE_PROOF_HASH"), "ascii");
  const auto& ev = at(at(vectors(), "events_plaintext"), 0);
  auto id = str(c, "policy_id");

  // The canonical public-inputs object as the server builds it (serde_json key order).
  auto public_inputs = [&](const json::value& params, const std::string& policy_hash) {
    json::value o{json::object{}};
    o.set("tenantId", str(ev, "tenant_id"));
    o.set("storeId", str(ev, "store_id"));
    o.set("eventId", str(ev, "event_id"));
    o.set("sequenceNumber", json::value::from_u64(1));
    o.set("payloadKind", json::value::from_u64(u64(ev, "payload_kind")));
    o.set("payloadPlainHash", str(ev, "payload_plain_hash"));
    o.set("payloadCipherHash", str(ev, "payload_cipher_hash"));
    o.set("eventSigningHash", str(ev, "event_signing_hash"));
    o.set("policyId", id);
    o.set("policyParams", params);
    o.set("policyHash", policy_hash);
    return o;
  };

  SECTION("integer params") {
    auto params = parse_ok(str(c, "policy_params_json_text"));
    auto jcs = policy_jcs(id, params);
    CHECK(jcs == str(c, "policy_hash_jcs_input"));
    CHECK(domain_hash(policy_domain, jcs) == str(c, "policy_hash"));
    auto text = str(c, "public_inputs_serde_json");
    CHECK(public_inputs(params, str(c, "policy_hash")).legacy_canonical() == text);
    CHECK(parse_ok(text).legacy_canonical() == text);
    CHECK(ves::to_hex(ves::sha256(text)) == str(c, "public_inputs_hash"));
  }
  SECTION("float params: same policy hash, different public inputs hash") {
    const auto& f = at(c, "float_params_example");
    auto params = parse_ok(str(f, "policy_params_json_text"));
    auto jcs = policy_jcs(id, params);
    CHECK(jcs == str(f, "policy_hash_jcs_input"));
    CHECK(domain_hash(policy_domain, jcs) == str(f, "policy_hash"));
    auto text = str(f, "public_inputs_serde_json");
    CHECK(public_inputs(params, str(f, "policy_hash")).legacy_canonical() == text);
    CHECK(ves::to_hex(ves::sha256(text)) == str(f, "public_inputs_hash"));
    CHECK(str(f, "public_inputs_hash") != str(c, "public_inputs_hash"));
  }
  SECTION("proof hash") {
    const auto& p = at(c, "proof_hash_example");
    CHECK(domain_hash(proof_domain, str(p, "proof_utf8")) == str(p, "proof_hash"));
  }
}

TEST_CASE("vectors: validity public inputs hash", "[ves][vectors]") {
  const auto& v = at(vectors(), "validity");
  const auto& domains = at(at(vectors(), "constants"), "domains");
  const auto& cc = at(vectors(), "commitment_chain");
  const auto& c0 = at(at(cc, "commitments"), 0);
  json::value o{json::object{}};
  o.set("batchId", "66666666-6666-4666-8666-666666666666");
  o.set("tenantId", str(cc, "tenant_id"));
  o.set("storeId", str(cc, "store_id"));
  o.set("vesVersion", json::value::from_u64(1));
  o.set("treeDepth", json::value::from_u64(u64(c0, "tree_depth")));
  o.set("leafCount", json::value::from_u64(u64(c0, "leaf_count")));
  o.set("paddedLeafCount", json::value::from_u64(u64(c0, "padded_leaf_count")));
  o.set("merkleRoot", str(c0, "merkle_root"));
  o.set("prevStateRoot", str(c0, "prev_state_root"));
  o.set("newStateRoot", str(c0, "new_state_root"));
  o.set("sequenceStart", json::value::from_u64(u64(c0, "sequence_start")));
  o.set("sequenceEnd", json::value::from_u64(u64(c0, "sequence_end")));
  o.set("policyHash", std::string(64, '0'));
  o.set("policyLimit", json::value::from_u64(0));
  o.set("allCompliant", true);
  auto text = str(v, "public_inputs_serde_json");
  CHECK(o.legacy_canonical() == text);
  CHECK(parse_ok(text).legacy_canonical() == text);
  CHECK(ves::to_hex(ves::sha256(text)) == str(v, "public_inputs_hash"));
  const auto& p = at(v, "proof_hash_example");
  CHECK(domain_hash(str(at(domains, "VALIDITY_PROOF_HASH"), "ascii"), str(p, "proof_utf8"))
        == str(p, "proof_hash"));
}
