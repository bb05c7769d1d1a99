// SPDX-License-Identifier: Apache-2.0
#include "runtime/verifier.hpp"

#include "adapters/chain/anchor_contract.hpp"

#include <algorithm>
#include <limits>
#include <variant>

namespace seq::runtime::verify {

namespace json = ves::json;

namespace {

bool all_zero(const hash32& h) {
  return std::all_of(h.begin(), h.end(), [](uint8_t b) { return b == 0; });
}

std::string hex(const hash32& h) {
  return ves::to_hex(h);
}

std::string key_name(const uuid& tenant, const uuid& agent, uint32_t key_id) {
  return "(tenant " + tenant.str() + ", agent " + agent.str() + ", key " + std::to_string(key_id)
         + ")";
}

/// Reads typed members of one JSON object; each problem becomes a finding "<what>: <key>: …".
class reader {
public:
  reader(const json::value& v, std::string what, report& r) : v_(v), what_(std::move(what)), r_(r) {
    if (!v_.is_object())
      bad_self("expected a JSON object, got " + v_.dump().substr(0, 40));
  }

  bool ok() const {
    return ok_;
  }
  const std::string& what() const {
    return what_;
  }

  /// The member, or nullptr when absent or null.
  const json::value* get(std::string_view key) const {
    if (!v_.is_object())
      return nullptr;
    auto* m = v_.find(key);
    return m != nullptr && !m->is_null() ? m : nullptr;
  }

  /// The first of `keys` present.
  const json::value* any(std::initializer_list<std::string_view> keys,
                         std::string_view& found) const {
    for (auto k : keys)
      if (auto* m = get(k)) {
        found = k;
        return m;
      }
    found = *keys.begin();
    return nullptr;
  }

  std::optional<std::string> str(std::string_view key) {
    auto* m = need(key);
    if (m == nullptr)
      return std::nullopt;
    if (!m->is_string()) {
      bad(key, "expected a string");
      return std::nullopt;
    }
    return m->as_string();
  }

  std::optional<uint64_t> u64(std::string_view key) {
    return u64_of(key, need(key));
  }

  std::optional<uint64_t> u64_of(std::string_view key, const json::value* m) {
    if (m == nullptr)
      return std::nullopt;
    if (!m->is_number() || !m->as_number().is_u64) {
      bad(key, "expected a non-negative integer, got " + m->dump());
      return std::nullopt;
    }
    return m->as_number().u;
  }

  std::optional<uint32_t> u32(std::string_view key) {
    auto v = u64(key);
    if (v && *v > std::numeric_limits<uint32_t>::max()) {
      bad(key, "does not fit in 32 bits");
      return std::nullopt;
    }
    return v ? std::optional<uint32_t>{static_cast<uint32_t>(*v)} : std::nullopt;
  }

  std::optional<uuid> id(std::string_view key) {
    auto s = str(key);
    if (!s)
      return std::nullopt;
    return id_of(key, *s);
  }

  std::optional<uuid> id_of(std::string_view key, const std::string& s) {
    auto u = uuid::parse(s);
    if (!u)
      bad(key, "not a UUID: \"" + s + "\"");
    return u;
  }

  template <size_t N>
  std::optional<std::array<uint8_t, N>> fixed(std::string_view key) {
    auto s = str(key);
    if (!s)
      return std::nullopt;
    return fixed_of<N>(key, *s);
  }

  template <size_t N>
  std::optional<std::array<uint8_t, N>> fixed_of(std::string_view key, const std::string& s) {
    auto v = ves::from_hex_fixed<N>(s);
    if (!v)
      bad(key, "expected " + std::to_string(N) + " bytes of hex, got \"" + s + "\"");
    return v;
  }

  void bad(std::string_view key, const std::string& msg) {
    r_.fail(what_ + ": " + std::string{key} + ": " + msg);
    ok_ = false;
  }

  void bad_self(const std::string& msg) {
    r_.fail(what_ + ": " + msg);
    ok_ = false;
  }

private:
  const json::value* need(std::string_view key) {
    if (!v_.is_object())
      return nullptr;
    auto* m = get(key);
    if (m == nullptr)
      bad(key, "missing");
    return m;
  }

  const json::value& v_;
  std::string what_;
  report& r_;
  bool ok_ = true;
};

template <class T>
void assign(std::optional<T>&& v, T& out) {
  if (v)
    out = std::move(*v);
}

/// The parts of a VES-ENC-1 object that enter the cipher hash (ves-crypto §3), or the name of
/// the first field that cannot be decoded.
struct enc_parts {
  std::array<uint8_t, 12> nonce{};
  ves::bytes ciphertext;
  std::array<uint8_t, 16> tag{};
  std::vector<ves::recipient> recipients;
};

std::optional<ves::bytes> b64u(const json::value& obj, std::string_view key) {
  auto* m = obj.find(key);
  if (m == nullptr || !m->is_string())
    return std::nullopt;
  return ves::base64url_decode(m->as_string());
}

template <size_t N>
bool copy_exact(const std::optional<ves::bytes>& b, std::array<uint8_t, N>& out) {
  if (!b || b->size() != N)
    return false;
  std::copy(b->begin(), b->end(), out.begin());
  return true;
}

std::variant<enc_parts, std::string> decode_encrypted(const json::value& v) {
  if (!v.is_object())
    return std::string{"payload_encrypted: expected an object"};
  enc_parts out;
  if (!copy_exact(b64u(v, "nonce_b64u"), out.nonce))
    return std::string{"payload_encrypted.nonce_b64u: expected 12 bytes of base64url"};
  auto ct = b64u(v, "ciphertext_b64u");
  if (!ct || ct->empty())
    return std::string{"payload_encrypted.ciphertext_b64u: expected non-empty base64url"};
  out.ciphertext = std::move(*ct);
  if (!copy_exact(b64u(v, "tag_b64u"), out.tag))
    return std::string{"payload_encrypted.tag_b64u: expected 16 bytes of base64url"};
  auto* rs = v.find("recipients");
  if (rs == nullptr || !rs->is_array())
    return std::string{"payload_encrypted.recipients: expected an array"};
  for (auto& x : rs->as_array()) {
    auto* kid = x.is_object() ? x.find("recipient_kid") : nullptr;
    if (kid == nullptr || !kid->is_number() || !kid->as_number().is_u64
        || kid->as_number().u > std::numeric_limits<uint32_t>::max())
      return std::string{"payload_encrypted.recipients: recipient_kid must be a u32"};
    auto enc = b64u(x, "enc_b64u");
    auto rct = b64u(x, "ct_b64u");
    if (!enc || !rct)
      return std::string{"payload_encrypted.recipients: enc_b64u/ct_b64u must be base64url"};
    out.recipients.push_back(
      {static_cast<uint32_t>(kid->as_number().u), std::move(*enc), std::move(*rct)});
  }
  return out;
}

void check_payload(const event_record& e, report& r) {
  auto& h = e.header;
  auto who = e.label();
  if (h.payload_kind == 0) {
    if (!e.payload) {
      r.fail(who + ": plaintext event without a payload");
      return;
    }
    auto computed = ves::payload_plain_hash(e.payload->jcs());
    if (computed != h.payload_plain_hash)
      r.fail(who + ": payload hash mismatch: computed " + hex(computed) + ", stated "
             + hex(h.payload_plain_hash));
    if (!all_zero(h.payload_cipher_hash))
      r.fail(who + ": payload_cipher_hash must be 32 zero bytes for a plaintext event, got "
             + hex(h.payload_cipher_hash));
    return;
  }
  if (h.payload_kind != 1) {
    r.fail(who + ": payload_kind " + std::to_string(h.payload_kind) + " is neither 0 nor 1");
    return;
  }
  if (!e.payload_encrypted) {
    r.fail(who + ": encrypted event without payload_encrypted");
    return;
  }
  auto parts = decode_encrypted(*e.payload_encrypted);
  if (auto* err = std::get_if<std::string>(&parts)) {
    r.fail(who + ": " + *err);
    return;
  }
  auto& p = std::get<enc_parts>(parts);
  auto computed = ves::payload_cipher_hash(p.nonce, ves::payload_aad(h), p.ciphertext, p.tag,
                                           ves::recipients_hash(p.recipients));
  if (computed != h.payload_cipher_hash)
    r.fail(who + ": payload cipher hash mismatch: computed " + hex(computed) + ", stated "
           + hex(h.payload_cipher_hash));
}

} // namespace

// -- key book -----------------------------------------------------------------------------------

void key_book::add(const agent_key_entry& k) {
  keys_[{k.tenant_id, k.agent_id, k.key_id}] = k.public_key;
}

const pubkey32* key_book::find(const uuid& tenant, const uuid& agent, uint32_t key_id) const {
  auto i = keys_.find({tenant, agent, key_id});
  return i == keys_.end() ? nullptr : &i->second;
}

std::vector<agent_key_entry> key_book::entries() const {
  std::vector<agent_key_entry> out;
  for (auto& [k, pk] : keys_)
    out.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), pk});
  return out;
}

std::string event_record::label() const {
  if (sequence_number)
    return "event seq " + std::to_string(*sequence_number);
  return "event " + header.event_id.str();
}

// -- decoding -----------------------------------------------------------------------------------

std::optional<hash32> parse_hash(std::string_view text) {
  return ves::from_hex_fixed<32>(text);
}

std::optional<pubkey32> parse_public_key(std::string_view text) {
  return ves::from_hex_fixed<32>(text);
}

std::optional<commitment_record> decode_commitment(const json::value& v, const std::string& what,
                                                   report& r) {
  reader f{v, what, r};
  if (!f.ok())
    return std::nullopt;
  commitment_record c;
  assign(f.id("batch_id"), c.batch_id);
  assign(f.id("tenant_id"), c.tenant_id);
  assign(f.id("store_id"), c.store_id);
  assign(f.u32("ves_version"), c.ves_version);
  assign(f.u32("tree_depth"), c.tree_depth);
  assign(f.u32("leaf_count"), c.leaf_count);
  assign(f.u32("padded_leaf_count"), c.padded_leaf_count);
  assign(f.fixed<32>("merkle_root"), c.merkle_root);
  assign(f.fixed<32>("prev_state_root"), c.prev_state_root);
  assign(f.fixed<32>("new_state_root"), c.new_state_root);
  assign(f.u64("sequence_start"), c.sequence_start);
  assign(f.u64("sequence_end"), c.sequence_end);
  if (!f.ok())
    return std::nullopt;
  return c;
}

std::optional<event_record> decode_event(const json::value& v, const std::string& what, report& r) {
  event_record e;
  std::string label = what;
  if (v.is_object())
    if (auto* s = v.find("sequence_number"); s && s->is_number() && s->as_number().is_u64) {
      e.sequence_number = s->as_number().u;
      label = e.label();
    }
  reader f{v, label, r};
  if (!f.ok())
    return std::nullopt;
  auto& h = e.header;
  assign(f.u32("ves_version"), h.ves_version);
  assign(f.id("event_id"), h.event_id);
  assign(f.id("tenant_id"), h.tenant_id);
  assign(f.id("store_id"), h.store_id);
  assign(f.id("source_agent_id"), h.source_agent_id);
  assign(f.u32("agent_key_id"), h.agent_key_id);
  assign(f.str("entity_type"), h.entity_type);
  assign(f.str("entity_id"), h.entity_id);
  assign(f.str("event_type"), h.event_type);
  assign(f.str("created_at"), h.created_at);
  assign(f.u32("payload_kind"), h.payload_kind);
  assign(f.fixed<32>("payload_plain_hash"), h.payload_plain_hash);
  assign(f.fixed<32>("payload_cipher_hash"), h.payload_cipher_hash);
  assign(f.fixed<64>("agent_signature"), e.agent_signature);
  if (auto* p = f.get("payload"))
    e.payload = *p;
  if (auto* p = f.get("payload_encrypted"))
    e.payload_encrypted = *p;
  if (auto* s = f.get("agent_signature_scheme")) {
    if (!s->is_number() || !(s->as_number().is_u64 || s->as_number().is_i64))
      f.bad("agent_signature_scheme", "expected an integer");
    else
      e.agent_signature_scheme =
        s->as_number().is_u64 ? static_cast<int64_t>(s->as_number().u) : s->as_number().i;
  }
  if (auto* s = f.get("sequence_number"))
    e.sequence_number = f.u64_of("sequence_number", s);
  if (f.get("receipt_hash"))
    e.receipt_hash = f.fixed<32>("receipt_hash");
  if (auto* s = f.get("sequencer_signature"); s && !(s->is_string() && s->as_string().empty()))
    e.sequencer_signature = f.fixed<64>("sequencer_signature");
  if (!f.ok())
    return std::nullopt;
  return e;
}

std::optional<agent_key_entry> decode_agent_key(const json::value& v, const std::string& what,
                                                report& r) {
  reader f{v, what, r};
  if (!f.ok())
    return std::nullopt;
  agent_key_entry k;
  std::string_view key;
  auto text = [&](std::initializer_list<std::string_view> keys) -> std::optional<std::string> {
    auto* m = f.any(keys, key);
    if (m == nullptr) {
      f.bad(key, "missing");
      return std::nullopt;
    }
    if (!m->is_string()) {
      f.bad(key, "expected a string");
      return std::nullopt;
    }
    return m->as_string();
  };
  if (auto s = text({"tenant_id", "tenantId"}))
    assign(f.id_of(key, *s), k.tenant_id);
  if (auto s = text({"agent_id", "agentId"}))
    assign(f.id_of(key, *s), k.agent_id);
  auto* kid = f.any({"key_id", "keyId"}, key);
  if (kid == nullptr)
    f.bad(key, "missing");
  else if (auto n = f.u64_of(key, kid); n && *n > std::numeric_limits<uint32_t>::max())
    f.bad(key, "does not fit in 32 bits");
  else if (n)
    k.key_id = static_cast<uint32_t>(*n);
  if (auto s = text({"public_key", "publicKey"}))
    assign(f.fixed_of<32>(key, *s), k.public_key);
  if (!f.ok())
    return std::nullopt;
  return k;
}

void decode_key_document(const json::value& doc, const std::string& what, key_book& out,
                         report& r) {
  const json::value* arr = &doc;
  if (doc.is_object()) {
    arr = doc.find("agent_keys");
    if (arr == nullptr) {
      r.fail(what + ": expected an array of keys or an object with \"agent_keys\"");
      return;
    }
  }
  if (!arr->is_array()) {
    r.fail(what + ": agent keys must be an array");
    return;
  }
  for (size_t i = 0; i < arr->as_array().size(); ++i)
    if (auto k =
          decode_agent_key(arr->as_array()[i], what + " agent_keys[" + std::to_string(i) + "]", r))
      out.add(*k);
}

std::optional<receipt_record> decode_receipt(const json::value& v, const std::string& what,
                                             report& r) {
  reader f{v, what, r};
  if (!f.ok())
    return std::nullopt;
  receipt_record rc;
  bool camel = f.get("receiptHash") != nullptr;
  auto k = [&](std::string_view camel_key, std::string_view snake_key) {
    return camel ? camel_key : snake_key;
  };
  assign(f.id(k("eventId", "event_id")), rc.event_id);
  assign(f.u64(k("sequenceNumber", "sequence_number")), rc.sequence_number);
  assign(f.fixed<32>(k("receiptHash", "receipt_hash")), rc.receipt_hash);
  if (f.get(k("sequencerId", "sequencer_id")))
    rc.sequencer_id = f.id(k("sequencerId", "sequencer_id"));
  if (camel)
    assign(f.str("signatureAlg"), rc.signature_alg);
  auto sig_key = k("sequencerSignature", "sequencer_signature");
  if (auto* s = f.get(sig_key); s && !(s->is_string() && s->as_string().empty()))
    rc.sequencer_signature = f.fixed<64>(sig_key);
  if (!f.ok())
    return std::nullopt;
  return rc;
}

json::value key_to_json(const agent_key_entry& k) {
  return json::value{json::object{{"tenant_id", k.tenant_id.str()},
                                  {"agent_id", k.agent_id.str()},
                                  {"key_id", json::value::from_u64(k.key_id)},
                                  {"public_key", ves::to_hex(k.public_key)}}};
}

// -- per-event checks ---------------------------------------------------------------------------

event_outcome check_event(const event_record& e, const event_checks& c, report& r) {
  event_outcome out;
  auto& h = e.header;
  auto who = e.label();
  if (h.ves_version != 1)
    r.fail(who + ": ves_version " + std::to_string(h.ves_version) + " is not 1");
  check_payload(e, r);
  out.signing_hash = ves::event_signing_hash(h);
  // Agent signature.
  if (e.agent_signature_scheme != 0 && e.agent_signature_scheme != 1) {
    r.fail(who + ": agent_signature_scheme " + std::to_string(e.agent_signature_scheme)
           + " is not Ed25519 (0 or 1)");
  } else if (c.keys != nullptr) {
    auto* pk = c.keys->find(h.tenant_id, h.source_agent_id, h.agent_key_id);
    if (pk == nullptr) {
      r.fail(who + ": no registered agent key "
             + key_name(h.tenant_id, h.source_agent_id, h.agent_key_id)
             + ": signature cannot be checked (supply it with --keys)");
    } else if (!ves::ed25519_verify(*pk, out.signing_hash, e.agent_signature)) {
      r.fail(who + ": signature does not verify with agent key "
             + key_name(h.tenant_id, h.source_agent_id, h.agent_key_id));
    } else {
      out.signature_checked = true;
    }
  }
  // Receipt.
  if (e.receipt_hash && e.sequence_number) {
    auto computed =
      ves::receipt_hash(h.tenant_id, h.store_id, h.event_id, *e.sequence_number, out.signing_hash);
    bool hash_ok = computed == *e.receipt_hash;
    if (!hash_ok)
      r.fail(who + ": receipt hash mismatch: computed " + hex(computed) + ", stated "
             + hex(*e.receipt_hash));
    if (c.sequencer_key) {
      if (!e.sequencer_signature)
        r.fail(who + ": receipt is not signed by the sequencer");
      else if (!ves::ed25519_verify(*c.sequencer_key, computed, *e.sequencer_signature))
        r.fail(who + ": sequencer signature does not verify over receipt hash " + hex(computed)
               + " with sequencer key " + ves::to_hex(*c.sequencer_key));
      else
        out.receipt_checked = hash_ok;
    }
  } else if (c.require_receipt) {
    r.fail(who + ": no receipt (receipt_hash and sequence_number are required)");
  }
  if (e.sequence_number)
    out.leaf = ves::leaf_hash(h.tenant_id, h.store_id, *e.sequence_number, out.signing_hash,
                              e.agent_signature);
  return out;
}

// -- batch ----------------------------------------------------------------------------------------

std::optional<commitment_record> previous_of(const std::vector<commitment_record>& stream,
                                             const commitment_record& c) {
  std::optional<commitment_record> best;
  for (auto& x : stream)
    if (x.batch_id != c.batch_id && x.tenant_id == c.tenant_id && x.store_id == c.store_id
        && x.sequence_end < c.sequence_start && (!best || x.sequence_end > best->sequence_end))
      best = x;
  return best;
}

batch_result verify_batch(const batch_input& in) {
  batch_result out;
  auto& r = out.rep;
  auto& c = in.commitment;
  if (c.ves_version != 1)
    r.fail("commitment: ves_version " + std::to_string(c.ves_version) + " is not 1");
  if (c.sequence_start == 0 || c.sequence_end < c.sequence_start) {
    r.fail("commitment: invalid sequence range " + std::to_string(c.sequence_start) + ".."
           + std::to_string(c.sequence_end));
    return out;
  }
  auto range = c.sequence_end - c.sequence_start + 1;
  if (range > std::numeric_limits<uint32_t>::max()) {
    r.fail("commitment: sequence range " + std::to_string(c.sequence_start) + ".."
           + std::to_string(c.sequence_end) + " is too large");
    return out;
  }
  out.leaf_count = static_cast<uint32_t>(range);
  if (c.leaf_count != out.leaf_count)
    r.fail("leaf_count mismatch: range " + std::to_string(c.sequence_start) + ".."
           + std::to_string(c.sequence_end) + " has " + std::to_string(out.leaf_count)
           + " events, stored " + std::to_string(c.leaf_count));

  // Events of the range, in order; each checked on its own.
  std::map<uint64_t, const event_record*> by_seq;
  for (auto& e : in.events) {
    if (!e.sequence_number) {
      r.fail(e.label() + ": no sequence_number");
      continue;
    }
    auto s = *e.sequence_number;
    if (s < c.sequence_start || s > c.sequence_end) {
      r.note(e.label() + " is outside the batch range and was ignored");
      continue;
    }
    if (!by_seq.emplace(s, &e).second)
      r.fail(e.label() + ": appears more than once");
  }
  event_checks checks{&in.keys, in.sequencer_key, true};
  std::vector<hash32> leaves;
  leaves.reserve(out.leaf_count);
  bool complete = true;
  for (auto s = c.sequence_start; s <= c.sequence_end; ++s) {
    auto i = by_seq.find(s);
    if (i == by_seq.end()) {
      r.fail("event seq " + std::to_string(s) + ": missing from the batch");
      complete = false;
      continue;
    }
    auto& e = *i->second;
    if (e.header.tenant_id != c.tenant_id || e.header.store_id != c.store_id)
      r.fail(e.label() + ": belongs to tenant " + e.header.tenant_id.str() + ", store "
             + e.header.store_id.str() + ", not to the batch's stream");
    auto o = check_event(e, checks, r);
    out.signatures_checked += o.signature_checked ? 1 : 0;
    out.receipts_checked += o.receipt_checked ? 1 : 0;
    leaves.push_back(*o.leaf);
  }
  if (!in.sequencer_key)
    r.note("no sequencer public key: receipt hashes recomputed, sequencer signatures not "
           "checked");

  // Tree.
  if (complete) {
    auto tree = ves::build_merkle_tree(leaves);
    out.root_computed = true;
    out.merkle_root = tree.root();
    if (out.merkle_root != c.merkle_root)
      r.fail("merkle root mismatch: computed " + hex(out.merkle_root) + ", stored "
             + hex(c.merkle_root));
    if (tree.padded_leaf_count() != c.padded_leaf_count)
      r.fail("padded_leaf_count mismatch: computed " + std::to_string(tree.padded_leaf_count())
             + ", stored " + std::to_string(c.padded_leaf_count));
    if (tree.depth() != c.tree_depth)
      r.fail("tree_depth mismatch: computed " + std::to_string(tree.depth()) + ", stored "
             + std::to_string(c.tree_depth));
  } else {
    r.fail("merkle root not recomputed: events are missing from the batch");
  }

  // State-root chain.
  hash32 expected_prev{};
  if (in.previous) {
    auto& p = *in.previous;
    if (p.tenant_id != c.tenant_id || p.store_id != c.store_id)
      r.fail("state-root chain broken: previous commitment " + p.batch_id.str()
             + " belongs to another stream");
    if (p.sequence_end + 1 != c.sequence_start)
      r.fail("state-root chain broken: previous commitment " + p.batch_id.str() + " ends at "
             + std::to_string(p.sequence_end) + ", this one starts at "
             + std::to_string(c.sequence_start) + " (expected " + std::to_string(p.sequence_end + 1)
             + ")");
    expected_prev = p.new_state_root;
    if (c.prev_state_root != expected_prev)
      r.fail("prev_state_root mismatch: stored " + hex(c.prev_state_root) + ", previous commitment "
             + p.batch_id.str() + " has new_state_root " + hex(expected_prev));
  } else if (c.prev_state_root != expected_prev) {
    r.fail("prev_state_root mismatch: stored " + hex(c.prev_state_root)
           + ", expected 32 zero bytes for the stream's first commitment");
  }
  if (out.root_computed) {
    out.new_state_root =
      ves::state_root(ves::stream_id(c.tenant_id, c.store_id), c.prev_state_root, out.merkle_root,
                      c.sequence_start, c.sequence_end, out.leaf_count);
    if (out.new_state_root != c.new_state_root)
      r.fail("new_state_root mismatch: computed " + hex(out.new_state_root) + ", stored "
             + hex(c.new_state_root));
  }
  return out;
}

// -- proof and receipt ----------------------------------------------------------------------------

hash32 fold_proof(const hash32& leaf, const std::vector<hash32>& path, uint64_t leaf_index) {
  hash32 cur = leaf;
  for (size_t d = 0; d < path.size(); ++d) {
    bool left = d >= 64 || ((leaf_index >> d) & 1) == 0;
    cur = left ? ves::node_hash(cur, path[d]) : ves::node_hash(path[d], cur);
  }
  return cur;
}

report verify_proof(const proof_input& p) {
  report r;
  if (p.path.size() > 64)
    r.fail("proof path has " + std::to_string(p.path.size()) + " entries (at most 64)");
  if (p.path.size() < 64 && (p.leaf_index >> p.path.size()) != 0)
    r.fail("leaf index " + std::to_string(p.leaf_index) + " is out of range for a path of "
           + std::to_string(p.path.size()) + " entries (at most "
           + std::to_string(uint64_t{1} << p.path.size()) + " leaves)");
  if (p.directions) {
    auto& d = *p.directions;
    if (d.size() != p.path.size())
      r.fail("directions has " + std::to_string(d.size()) + " entries, proof path "
             + std::to_string(p.path.size()));
    for (size_t i = 0; i < std::min(d.size(), p.path.size()) && i < 64; ++i) {
      bool left = ((p.leaf_index >> i) & 1) == 0;
      if (d[i] != left)
        r.fail("directions[" + std::to_string(i) + "] = " + (d[i] ? "true" : "false")
               + " disagrees with leaf index " + std::to_string(p.leaf_index) + " (the node is the "
               + (left ? "left" : "right") + " child at depth " + std::to_string(i) + ")");
    }
  }
  auto root = fold_proof(p.leaf, p.path, p.leaf_index);
  if (root != p.root)
    r.fail("proof does not verify: leaf " + hex(p.leaf) + " at index "
           + std::to_string(p.leaf_index) + " with " + std::to_string(p.path.size())
           + " path entries leads to root " + hex(root) + ", expected " + hex(p.root));
  return r;
}

report verify_receipt(const receipt_record& rc, const std::optional<event_record>& event,
                      const pubkey32& sequencer_key) {
  report r;
  auto who =
    "receipt for event " + rc.event_id.str() + " (seq " + std::to_string(rc.sequence_number) + ")";
  if (event) {
    auto& h = event->header;
    if (h.event_id != rc.event_id)
      r.fail(who + ": the event given is " + h.event_id.str());
    if (event->sequence_number && *event->sequence_number != rc.sequence_number)
      r.fail(who + ": the event given has sequence number "
             + std::to_string(*event->sequence_number));
    auto e = *event;
    e.sequence_number = rc.sequence_number;
    e.receipt_hash.reset(); // the receipt's own hash is checked below
    e.sequencer_signature.reset();
    auto o = check_event(e, event_checks{}, r);
    auto computed =
      ves::receipt_hash(h.tenant_id, h.store_id, h.event_id, rc.sequence_number, o.signing_hash);
    if (computed != rc.receipt_hash)
      r.fail(who + ": receipt hash mismatch: computed " + hex(computed) + ", stated "
             + hex(rc.receipt_hash));
  } else {
    r.note("no event given: the receipt hash is taken as stated (give the event to recompute "
           "it)");
  }
  if (rc.signature_alg == "none" || !rc.sequencer_signature)
    r.fail(who + ": receipt is not signed (signatureAlg \"" + rc.signature_alg + "\")");
  else if (!rc.signature_alg.empty() && rc.signature_alg != "ed25519")
    r.fail(who + ": unsupported signatureAlg \"" + rc.signature_alg + "\"");
  else if (!ves::ed25519_verify(sequencer_key, rc.receipt_hash, *rc.sequencer_signature))
    r.fail(who + ": sequencer signature does not verify over receipt hash " + hex(rc.receipt_hash)
           + " with sequencer key " + ves::to_hex(sequencer_key));
  return r;
}

// -- on chain -------------------------------------------------------------------------------------

chain_expectation expectation_of(const commitment_record& c, const batch_result& r) {
  chain_expectation e;
  e.batch_id = c.batch_id;
  e.tenant_id = c.tenant_id;
  e.store_id = c.store_id;
  e.events_root = r.root_computed ? r.merkle_root : c.merkle_root;
  e.prev_state_root = c.prev_state_root;
  e.new_state_root = r.root_computed ? r.new_state_root : c.new_state_root;
  e.sequence_start = c.sequence_start;
  e.sequence_end = c.sequence_end;
  e.event_count = r.leaf_count != 0 ? r.leaf_count : c.leaf_count;
  return e;
}

report compare_onchain(const msg::onchain_commitment& oc, const chain_expectation& e,
                       msg::anchor_abi abi) {
  report r;
  auto who = "on-chain record of batch " + e.batch_id.str();
  if (!oc.found) {
    r.fail(who + ": not anchored (the contract has no record of this batch id)");
    return r;
  }
  auto cmp_hash = [&](const char* name, const hash32& chain, const hash32& expected) {
    if (chain != expected)
      r.fail(who + ": " + name + " mismatch: on chain " + hex(chain) + ", expected "
             + hex(expected));
  };
  auto cmp_u64 = [&](const char* name, uint64_t chain, uint64_t expected) {
    if (chain != expected)
      r.fail(who + ": " + name + " mismatch: on chain " + std::to_string(chain) + ", expected "
             + std::to_string(expected));
  };
  if (abi == msg::anchor_abi::stateset_anchor) {
    cmp_hash("tenantId", oc.tenant_id, chain::uuid_to_bytes32(e.tenant_id));
    cmp_hash("storeId", oc.store_id, chain::uuid_to_bytes32(e.store_id));
  } else {
    cmp_hash("prevStateRoot", oc.prev_state_root, e.prev_state_root);
  }
  cmp_hash("eventsRoot", oc.events_root, e.events_root);
  cmp_hash(abi == msg::anchor_abi::stateset_anchor ? "stateRoot" : "newStateRoot", oc.state_root,
           e.new_state_root);
  cmp_u64("sequenceStart", oc.sequence_start, e.sequence_start);
  cmp_u64("sequenceEnd", oc.sequence_end, e.sequence_end);
  cmp_u64("eventCount", oc.event_count, e.event_count);
  return r;
}

} // namespace seq::runtime::verify
