// SPDX-License-Identifier: Apache-2.0
#include "actors/verify/verifier.hpp"

#include "actors/sequencer/replay.hpp"

#include "messages/errc.hpp"
#include "messages/ves/json.hpp"
#include "messages/ves/ves.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace seq::actors {

namespace {

using ves::json::value;

msg::ves_verdict reject(const msg::ves_event& ev, std::string reason, std::string message) {
  return msg::ves_verdict{false,
                          msg::rejection{ev.event_id, std::move(reason), std::move(message)}};
}

msg::ves_verdict schema(const msg::ves_event& ev, const std::string& field) {
  return reject(ev, "schema_validation: " + field, "Schema validation failed: invalid " + field);
}

bool all_zero(const msg::hash32& h) {
  return std::all_of(h.begin(), h.end(), [](uint8_t b) { return b == 0; });
}

const std::string* string_member(const value& obj, std::string_view key) {
  auto* v = obj.find(key);
  return v != nullptr && v->is_string() ? &v->as_string() : nullptr;
}

bool one_of(const std::string* s, std::initializer_list<std::string_view> xs) {
  return s != nullptr && std::find(xs.begin(), xs.end(), *s) != xs.end();
}

std::optional<ves::bytes> b64u_member(const value& obj, std::string_view key) {
  auto* s = string_member(obj, key);
  if (s == nullptr)
    return std::nullopt;
  return ves::base64url_decode(*s);
}

template <size_t N>
bool to_array(const ves::bytes& b, std::array<uint8_t, N>& out) {
  if (b.size() != N)
    return false;
  std::copy(b.begin(), b.end(), out.begin());
  return true;
}

/// The decoded parts of a VES-ENC-1 object that enter the cipher hash.
struct enc_parts {
  std::array<uint8_t, 12> nonce{};
  ves::bytes ciphertext;
  std::array<uint8_t, 16> tag{};
  std::vector<ves::recipient> recipients;
};

/// Validates the VES-ENC-1 structure in the reference's order; returns the parts or the
/// name of the first offending field.
std::variant<enc_parts, std::string> parse_encrypted(const value& v) {
  const std::string root = "payload_encrypted";
  if (!v.is_object())
    return root;
  auto* ver = v.find("enc_version");
  if (ver == nullptr || !ver->is_number() || !ver->as_number().is_u64
      || ver->as_number().u < 1 || ver->as_number().u > 3)
    return root + ".enc_version";
  if (!one_of(string_member(v, "aead"), {"AES-256-GCM"}))
    return root + ".aead";
  auto* hpke = v.find("hpke");
  if (hpke == nullptr || !hpke->is_object())
    return root + ".hpke";
  if (!one_of(string_member(*hpke, "mode"), {"base", "hybrid-base", "pqc-base"}))
    return root + ".hpke.mode";
  if (!one_of(string_member(*hpke, "kem"), {"X25519-HKDF-SHA256", "x25519+mlkem768", "mlkem768"}))
    return root + ".hpke.kem";
  if (!one_of(string_member(*hpke, "kdf"), {"HKDF-SHA256"}))
    return root + ".hpke.kdf";
  if (!one_of(string_member(*hpke, "aead"), {"AES-256-GCM"}))
    return root + ".hpke.aead";
  enc_parts out;
  auto nonce = b64u_member(v, "nonce_b64u");
  if (!nonce || !to_array(*nonce, out.nonce))
    return root + ".nonce_b64u";
  auto ct = b64u_member(v, "ciphertext_b64u");
  if (!ct || ct->empty())
    return root + ".ciphertext_b64u";
  out.ciphertext = std::move(*ct);
  auto tag = b64u_member(v, "tag_b64u");
  if (!tag || !to_array(*tag, out.tag))
    return root + ".tag_b64u";
  auto* rs = v.find("recipients");
  if (rs == nullptr || !rs->is_array() || rs->as_array().empty())
    return root + ".recipients";
  for (const auto& r : rs->as_array()) {
    if (!r.is_object())
      return root + ".recipients";
    auto* kid = r.find("recipient_kid");
    if (kid == nullptr || !kid->is_number() || !kid->as_number().is_u64
        || kid->as_number().u > UINT32_MAX)
      return root + ".recipients.recipient_kid";
    auto k = static_cast<uint32_t>(kid->as_number().u);
    if (!out.recipients.empty() && k <= out.recipients.back().kid)
      return root + ".recipients";
    auto enc = b64u_member(r, "enc_b64u");
    if (!enc || enc->size() != 32)
      return root + ".recipients.enc_b64u";
    auto rct = b64u_member(r, "ct_b64u");
    if (!rct || rct->size() != 48)
      return root + ".recipients.ct_b64u";
    out.recipients.push_back(ves::recipient{k, std::move(*enc), std::move(*rct)});
  }
  return out;
}

} // namespace

ves::event_header verifier::signing_header(const msg::ves_event& ev) {
  ves::event_header h;
  h.ves_version = ev.ves_version;
  h.tenant_id = ev.tenant_id;
  h.store_id = ev.store_id;
  h.event_id = ev.event_id;
  h.source_agent_id = ev.source_agent_id;
  h.agent_key_id = ev.agent_key_id;
  h.entity_type = ev.entity_type;
  h.entity_id = ev.entity_id;
  h.event_type = ev.event_type;
  h.created_at = ev.created_at;
  h.payload_kind = ev.payload_kind;
  h.payload_plain_hash = ev.payload_plain_hash;
  h.payload_cipher_hash = ev.payload_cipher_hash;
  return h;
}

verifier::verifier(key_lookup lookup) : lookup_(std::move(lookup)) {
}

std::string verifier::key_problem(const msg::agent_key& k, msg::timestamp_us now) {
  if (k.status == "revoked" || (k.revoked_at && *k.revoked_at <= now))
    return "Agent key has been revoked";
  if (k.status == "expired" || (k.valid_to && now > *k.valid_to))
    return "Agent key has expired";
  if (k.valid_from && now < *k.valid_from)
    return "Agent key is not yet valid";
  return {};
}

caf::expected<verifier::result> verifier::verify(msg::ves_candidate& c,
                                                 msg::timestamp_us now) const {
  std::string encrypted_jcs;
  auto verdict = check(c, now, encrypted_jcs);
  if (!verdict)
    return std::move(verdict.error());
  return result{std::move(*verdict), replay_fingerprint(c.ev, c.ev.payload, encrypted_jcs)};
}

caf::expected<msg::ves_verdict> verifier::check(msg::ves_candidate& c, msg::timestamp_us now,
                                                std::string& encrypted_jcs) const {
  auto& ev = c.ev;
  // Derived fields first: the sequencer needs them even for rejected events.
  if (c.payload && !c.payload->is_null())
    ev.payload = c.payload->jcs();
  else
    ev.payload.clear();
  if (c.payload_encrypted && !c.payload_encrypted->is_null()) {
    ev.payload_encrypted = c.payload_encrypted->dump();
    encrypted_jcs = c.payload_encrypted->jcs();
  } else {
    ev.payload_encrypted.clear();
  }
  auto header = signing_header(ev);
  ev.event_signing_hash = ves::event_signing_hash(header);
  // ves_version.
  if (ev.ves_version != 1)
    return reject(ev, "unsupported_version",
                  "Unsupported VES version: " + std::to_string(ev.ves_version));
  // Payload-kind consistency.
  bool has_payload = c.payload && !c.payload->is_null();
  bool has_encrypted = c.payload_encrypted && !c.payload_encrypted->is_null();
  if (ev.payload_kind == 0) {
    if (!has_payload)
      return schema(ev, "payload");
    if (has_encrypted)
      return schema(ev, "payload_encrypted");
    if (!all_zero(ev.payload_cipher_hash))
      return reject(ev, "invalid_cipher_hash",
                    "Payload cipher hash must be all zeros for plaintext events");
  } else if (ev.payload_kind == 1) {
    if (has_payload)
      return schema(ev, "payload");
    if (!has_encrypted)
      return schema(ev, "payload_encrypted");
  } else {
    return schema(ev, "payload_kind");
  }
  // VES-ENC-1 structure.
  enc_parts enc;
  if (ev.payload_kind == 1) {
    auto parsed = parse_encrypted(*c.payload_encrypted);
    if (auto* field = std::get_if<std::string>(&parsed))
      return schema(ev, *field);
    enc = std::move(std::get<enc_parts>(parsed));
  }
  // created_at.
  if (!msg::parse_rfc3339(ev.created_at))
    return schema(ev, "created_at");
  // Payload hashes.
  if (ev.payload_kind == 0) {
    if (ves::payload_plain_hash(ev.payload) != ev.payload_plain_hash)
      return reject(ev, "invalid_payload_hash", "Payload hash verification failed");
  } else {
    auto aad = ves::payload_aad(header);
    auto rh = ves::recipients_hash(enc.recipients);
    if (ves::payload_cipher_hash(enc.nonce, aad, enc.ciphertext, enc.tag, rh)
        != ev.payload_cipher_hash)
      return reject(ev, "invalid_cipher_hash", "Payload cipher hash verification failed");
  }
  // Agent key, valid now.
  auto key = lookup_(ev.tenant_id, ev.source_agent_id, ev.agent_key_id);
  if (!key) {
    if (key.error() == errc::not_found)
      return reject(ev, "agent_key_invalid: Agent key not found",
                    "Agent key invalid: Agent key not found");
    return std::move(key.error());
  }
  if (auto problem = key_problem(*key, now); !problem.empty())
    return reject(ev, "agent_key_invalid: " + problem, "Agent key invalid: " + problem);
  // Signature scheme: only Ed25519 (0 = unspecified, 1 = Ed25519) with an Ed25519 key.
  if (ev.agent_signature_scheme != 0 && ev.agent_signature_scheme != 1)
    return reject(ev, "invalid_signature",
                  "Agent signature verification failed: UnsupportedScheme");
  if (key->key_algorithm != 0 && key->key_algorithm != 1)
    return reject(ev, "invalid_signature",
                  "Agent signature verification failed: KeyAlgorithmMismatch");
  if (!ves::ed25519_verify(key->public_key, ev.event_signing_hash, ev.agent_signature))
    return reject(ev, "invalid_signature",
                  "Agent signature verification failed: VerificationFailed");
  return msg::ves_verdict{true, {}};
}

std::optional<msg::rejection> verifier::verify_legacy(msg::legacy_candidate& c) {
  c.ev.payload = c.payload.dump();
  c.ev.payload_hash = c.provided_payload_hash;
  if (ves::legacy_payload_hash(c.payload.legacy_canonical()) != c.provided_payload_hash)
    return msg::rejection{c.ev.event_id, "InvalidPayloadHash",
                          "Payload hash does not match payload"};
  return std::nullopt;
}

} // namespace seq::actors
