// SPDX-License-Identifier: Apache-2.0
// x402 payments (wire-contract §3.15, format A errors, snake_case JSON):
//   POST /api/v1/x402/payments                     submit a signed intent          (write)
//   GET  /api/v1/x402/payments?tenant_id[&…]       list intents                    (read)
//   GET  /api/v1/x402/payments/{intent_id}         status                          (read)
//   GET  /api/v1/x402/payments/{intent_id}/receipt batch, root, inclusion proof   (read)
//   POST /api/v1/x402/batches                      seal a batch now                (admin)
//   GET  /api/v1/x402/batches/{batch_id}           batch with its intent ids       (read)
//   POST /api/v1/x402/batches/settle               record a settlement             (admin)
// The payer signature is verified HERE, on the HTTP handler thread (many threads, never the
// stream actor), with the pure rules of messages/x402.hpp: the stream sequencer then only
// checks nonces and idempotency keys and numbers the intent. Sealing and settling are messages
// to the x402 batcher hub; everything else is a read on the store pool.
#include "adapters/http/ask.hpp"
#include "adapters/http/json_writer.hpp"
#include "adapters/http/request.hpp"
#include "adapters/http/route_common.hpp"
#include "adapters/http/server.hpp"
#include "messages/x402.hpp"
#include "messages/x402_store.hpp"

#include <httplib.h>

#include <algorithm>
#include <set>

namespace seq::http {

namespace {

constexpr uint64_t max_batch = 1000;
constexpr uint64_t max_offset = 10000;

api_error violation(const msg::x402_violation& v) {
  if (v.what == msg::x402_violation::kind::too_large)
    return api_error::too_large(v.message);
  return api_error::bad_request(v.message);
}

api_error batch_not_found(const ves::uuid& id) {
  return {404, "BATCH_NOT_FOUND", 4003, "Batch " + id.str() + " not found", {}, 0};
}

uint64_t now_unix() {
  return static_cast<uint64_t>(msg::now_us() / 1'000'000);
}

// -- JSON -------------------------------------------------------------------------------------

void opt_str(json_writer& w, std::string_view k, const std::optional<std::string>& v) {
  w.key(k);
  v ? w.str(*v) : w.null();
}

void opt_u64(json_writer& w, std::string_view k, const std::optional<uint64_t>& v) {
  w.key(k);
  v ? w.u64(*v) : w.null();
}

void opt_time(json_writer& w, std::string_view k, const std::optional<msg::timestamp_us>& v) {
  w.key(k);
  v ? w.str(msg::rfc3339_z(*v)) : w.null();
}

void opt_tx(json_writer& w, std::string_view k, const std::optional<ves::hash32>& v) {
  w.key(k);
  v ? w.str(ves::to_0x_hex(*v)) : w.null();
}

std::optional<uint64_t> sequence_of(const msg::x402_intent& x) {
  if (x.sequence_number == 0)
    return std::nullopt;
  return x.sequence_number;
}

/// {"intent_id","status","sequence_number","sequenced_at","batch_id"}
void write_status(json_writer& w, const msg::x402_intent& x) {
  w.begin_object().field("intent_id", x.intent_id.str()).field("status", to_string(x.status));
  opt_u64(w, "sequence_number", sequence_of(x));
  opt_time(w, "sequenced_at", x.sequenced_at);
  opt_str(w, "batch_id", x.batch_id ? std::optional{x.batch_id->str()} : std::nullopt);
  w.end_object();
}

void write_intent(json_writer& w, const msg::x402_intent& x) {
  w.begin_object()
    .field("intent_id", x.intent_id.str())
    .field("x402_version", x.x402_version)
    .field("status", to_string(x.status))
    .field("tenant_id", x.tenant_id.str())
    .field("store_id", x.store_id.str())
    .field("source_agent_id", x.source_agent_id.str());
  opt_u64(w, "agent_key_id",
          x.agent_key_id ? std::optional<uint64_t>{*x.agent_key_id} : std::nullopt);
  w.field("payer_address", x.payer_address)
    .field("payee_address", x.payee_address)
    .field("amount", x.amount)
    .field("asset", x.asset)
    .field("network", x.network)
    .field("chain_id", x.chain_id);
  opt_str(w, "token_address", x.token_address);
  w.field("created_at_unix", x.created_at_unix)
    .field("valid_until", x.valid_until)
    .field("nonce", x.nonce);
  opt_str(w, "idempotency_key", x.idempotency_key);
  opt_str(w, "resource_uri", x.resource_uri);
  opt_str(w, "description", x.description);
  opt_str(w, "order_id", x.order_id ? std::optional{x.order_id->str()} : std::nullopt);
  opt_str(w, "merchant_id", x.merchant_id);
  w.field("signing_hash", ves::to_0x_hex(x.signing_hash))
    .field("payer_signature", ves::to_0x_hex(x.payer_signature));
  if (x.payer_public_key)
    w.field("payer_public_key", ves::to_hex(*x.payer_public_key));
  opt_u64(w, "sequence_number", sequence_of(x));
  opt_time(w, "sequenced_at", x.sequenced_at);
  opt_str(w, "batch_id", x.batch_id ? std::optional{x.batch_id->str()} : std::nullopt);
  opt_tx(w, "tx_hash", x.tx_hash);
  opt_u64(w, "block_number", x.block_number);
  opt_time(w, "settled_at", x.settled_at);
  w.key("metadata");
  x.metadata.empty() ? w.null() : w.raw(x.metadata);
  w.field("created_at", msg::rfc3339_z(x.created_at))
    .field("updated_at", msg::rfc3339_z(x.updated_at))
    .end_object();
}

void opt_hex(json_writer& w, std::string_view k, const std::optional<ves::hash32>& v) {
  if (v)
    w.field(k, ves::to_hex(*v)); // bare hex, omitted when null (reference)
}

void write_batch(json_writer& w, const msg::x402_batch& b) {
  w.begin_object()
    .field("batch_id", b.batch_id.str())
    .field("status", to_string(b.status))
    .field("tenant_id", b.stream.tenant_id.str())
    .field("store_id", b.stream.store_id.str())
    .field("network", b.network)
    .field("payment_count", b.payment_count);
  w.key("total_amounts").begin_array();
  for (const auto& t : b.total_amounts)
    w.begin_object()
      .field("asset", t.asset)
      .key("total_amount")
      .raw(t.total_amount.empty() ? "0" : t.total_amount)
      .field("payment_count", t.payment_count)
      .end_object();
  w.end_array();
  opt_hex(w, "merkle_root", b.merkle_root);
  opt_hex(w, "prev_state_root", b.prev_state_root);
  opt_hex(w, "new_state_root", b.new_state_root);
  w.field("sequence_start", b.sequence_start).field("sequence_end", b.sequence_end);
  w.key("intent_ids").begin_array();
  for (const auto& id : b.intent_ids)
    w.str(id.str());
  w.end_array();
  opt_tx(w, "tx_hash", b.tx_hash);
  opt_u64(w, "block_number", b.block_number);
  opt_u64(w, "gas_used", b.gas_used);
  w.field("created_at", msg::rfc3339_z(b.created_at));
  opt_time(w, "committed_at", b.committed_at);
  opt_time(w, "submitted_at", b.submitted_at);
  opt_time(w, "settled_at", b.settled_at);
  w.end_object();
}

// -- POST /api/v1/x402/payments ---------------------------------------------------------------

/// The intent as decoded from the body (hex fields still text, parsed after the window check
/// as the reference does).
struct submission {
  msg::x402_intent intent;
  std::string signing_hash, payer_signature;
  std::optional<std::string> payer_public_key;
};

submission decode_submission(const ves::json::value& body) {
  fields f{body, ""};
  submission s;
  auto& x = s.intent;
  x.tenant_id = f.uuid("tenant_id");
  x.store_id = f.uuid("store_id");
  x.source_agent_id = f.uuid("agent_id");
  x.agent_key_id = f.opt_u32("agent_key_id").value_or(msg::x402_default_agent_key_id);
  x.payer_address = f.string("payer_address");
  x.payee_address = f.string("payee_address");
  x.amount = f.u64("amount");
  auto asset = f.string("asset");
  x.asset = ves::x402_asset_string(asset);
  if (x.asset.empty())
    f.bad("asset", "unknown variant `" + asset
                     + "`, expected one of usdc, usdt, ssusd, ss_usd, wssusd, wss_usd, dai, eth");
  x.network = f.string("network");
  if (ves::x402_chain_id(x.network) == 0)
    f.bad("network", "unknown variant `" + x.network + "`");
  x.valid_until = f.u64("valid_until");
  x.nonce = f.u64("nonce");
  s.signing_hash = f.string("signing_hash");
  s.payer_signature = f.string("payer_signature");
  s.payer_public_key = f.opt_string("payer_public_key");
  x.resource_uri = f.opt_string("resource_uri");
  x.description = f.opt_string("description");
  x.order_id = f.opt_uuid("order_id");
  x.merchant_id = f.opt_string("merchant_id");
  x.idempotency_key = f.opt_string("idempotency_key");
  if (auto* m = f.get("metadata"))
    x.metadata = m->dump();
  return s;
}

void parse_crypto_fields(submission& s) {
  auto& x = s.intent;
  auto hash = ves::from_hex_fixed<32>(s.signing_hash);
  if (!hash)
    reject(api_error::bad_request("Invalid signing_hash: expected 32 bytes of hex"));
  x.signing_hash = *hash;
  auto sig = ves::from_hex(s.payer_signature);
  if (!sig || (sig->size() != 64 && sig->size() != 65))
    reject(api_error::bad_request("Invalid payer_signature: expected 64 bytes of hex"));
  std::copy_n(sig->begin(), 64, x.payer_signature.begin()); // a 65th byte is dropped
  if (s.payer_public_key) {
    auto pk = ves::from_hex_fixed<32>(*s.payer_public_key);
    if (!pk)
      reject(api_error::bad_request("Invalid payer_public_key: expected 32 bytes of hex"));
    x.payer_public_key = *pk;
  }
}

/// The key that verifies the payer signature: payer_public_key, else the registered agent key
/// (tenant, agent_id, agent_key_id) valid now.
ves::pubkey32 verification_key(context& ctx, const msg::x402_intent& x) {
  if (x.payer_public_key)
    return *x.payer_public_key;
  auto c = conn(ctx);
  auto k = c->get_agent_key(x.tenant_id, x.source_agent_id, *x.agent_key_id);
  if (!k && k.error() != errc::not_found)
    reject(from_error(k.error()));
  if (!k || !msg::x402_key_usable(*k, msg::now_us()))
    reject({404, "AGENT_KEY_NOT_FOUND", 4005,
            "Agent key not found; provide payer_public_key for verification", {}, 0});
  return k->public_key;
}

void write_existing(context& ctx, httplib::Response& res, const ves::uuid& intent_id) {
  auto c = conn(ctx);
  auto x = value_or_reject(storage::x402_of(*c).get_x402_intent(intent_id));
  json_writer w;
  write_status(w, x);
  write_json(res, w.take());
}

void submit(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto body = parse_body(req);
  auto s = decode_submission(body);
  auto& x = s.intent;
  if (auto v = msg::check_x402_fields(x))
    reject(violation(*v));
  ensure_write(p, x.tenant_id, x.store_id);
  auto now = now_unix();
  if (auto v = msg::check_x402_window(x.valid_until, now))
    reject(violation(*v));
  parse_crypto_fields(s);
  // An idempotency key already used in the stream answers with that intent, before any
  // signature or nonce check (reference order). The sequencer checks again (races).
  if (x.idempotency_key) {
    auto c = conn(ctx);
    auto found = value_or_reject(
      storage::x402_of(*c).find_x402_intent_by_key(x.stream(), *x.idempotency_key));
    if (found) {
      json_writer w;
      write_status(w, *found);
      return write_json(res, w.take());
    }
  }
  if (msg::x402_signing_hash(x) != x.signing_hash)
    reject(api_error::bad_request("Signing hash does not match payment parameters"));
  if (!msg::x402_signature_valid(x, verification_key(ctx, x)))
    reject({400, "SIGNATURE_VERIFICATION_FAILED", 6002, "Payer signature verification failed",
            {}, 0});
  x.intent_id = ves::uuid::random_v4();
  x.status = msg::x402_status::pending;
  x.chain_id = ves::x402_chain_id(x.network);
  auto token = ctx.x402_tokens.find(x.asset);
  auto address = token != ctx.x402_tokens.end()
                   ? token->second
                   : msg::x402_default_token_address(x.asset, x.network);
  if (!address.empty())
    x.token_address = address;
  x.created_at_unix = now;
  x.created_at = x.updated_at = msg::now_us();
  auto stream = x.stream();
  auto reply = ask<msg::x402_ingested>(
    ctx, ctx.registry,
    msg::ingest_x402{stream, std::make_shared<const msg::x402_intent>(std::move(x))});
  const auto& o = *reply.outcome;
  if (o.existing)
    return write_existing(ctx, res, o.intent_id);
  json_writer w;
  w.begin_object()
    .field("intent_id", o.intent_id.str())
    .field("status", "sequenced")
    .field("sequence_number", o.sequence_number)
    .field("sequenced_at", msg::rfc3339_z(o.sequenced_at))
    .key("batch_id")
    .null()
    .end_object();
  write_json(res, w.take());
}

// -- GET /api/v1/x402/payments ----------------------------------------------------------------

std::optional<msg::timestamp_us> query_time(const httplib::Request& req, const char* name) {
  auto v = query(req, name);
  if (!v)
    return std::nullopt;
  auto t = msg::parse_rfc3339(*v);
  if (!t)
    reject(api_error::bad_request(std::string{name} + " must be an RFC 3339 timestamp"));
  return t;
}

void list(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  if (!query(req, "tenant_id"))
    reject({400, "MISSING_REQUIRED_FIELD", 3002, "tenant_id is required", {}, 0});
  msg::x402_intent_filter f;
  f.tenant_id = query_uuid(req, "tenant_id");
  if (query(req, "store_id"))
    f.store_id = query_uuid(req, "store_id");
  if (!f.store_id && !p.stores.empty())
    reject(api_error::bad_request("store_id is required for store-scoped keys"));
  ensure_read(p, f.tenant_id, f.store_id.value_or(ves::uuid{}));
  f.payer_address = query(req, "payer_address");
  f.payee_address = query(req, "payee_address");
  if (auto s = query(req, "status")) {
    msg::x402_status st;
    if (!msg::from_string(*s, st))
      reject(api_error::bad_request("unknown status \"" + *s + "\""));
    f.status = st;
  }
  if (auto n = query(req, "network")) {
    if (ves::x402_chain_id(*n) == 0)
      reject(api_error::bad_request("unknown network \"" + *n + "\""));
    f.network = *n;
  }
  if (auto a = query(req, "asset")) {
    auto asset = ves::x402_asset_string(*a);
    if (asset.empty())
      reject(api_error::bad_request("unknown asset \"" + *a + "\""));
    f.asset = asset;
  }
  if (query(req, "batch_id"))
    f.batch_id = query_uuid(req, "batch_id");
  f.from = query_time(req, "from_date");
  f.to = query_time(req, "to_date");
  if (f.from && f.to && *f.from > *f.to)
    reject(api_error::bad_request("from_date must not be after to_date"));
  auto limit = query_u64(req, "limit").value_or(100);
  if (limit == 0)
    reject(api_error::bad_request("limit must be greater than 0"));
  if (limit > max_batch)
    reject({413, "BATCH_TOO_LARGE", 3005, "limit must not exceed 1000", {}, 0});
  auto offset = query_u64(req, "offset").value_or(0);
  if (offset > max_offset)
    reject(api_error::bad_request("offset must not exceed 10000"));
  f.limit = static_cast<uint32_t>(limit);
  f.offset = static_cast<uint32_t>(offset);
  auto c = conn(ctx);
  auto xs = value_or_reject(storage::x402_of(*c).list_x402_intents(f));
  json_writer w;
  w.begin_array();
  for (const auto& x : xs)
    write_intent(w, x);
  w.end_array();
  write_json(res, w.take());
}

// -- GET /api/v1/x402/payments/{id}[/receipt] -------------------------------------------------

msg::x402_intent readable_intent(context& ctx, const httplib::Request& req,
                                 storage::x402_store& xs) {
  auto p = ctx.auth->authenticate(req);
  auto id = path_uuid(req, 1, "intent_id");
  auto x = xs.get_x402_intent(id);
  if (!x && x.error() == errc::not_found)
    reject(api_error::not_found("Payment intent " + id.str() + " not found"));
  auto intent = value_or_reject(std::move(x));
  ensure_read(p, intent.tenant_id, intent.store_id);
  return intent;
}

void status(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto c = conn(ctx);
  auto x = readable_intent(ctx, req, storage::x402_of(*c));
  json_writer w;
  write_status(w, x);
  write_json(res, w.take());
}

/// 409 with the current status: the reference answers 500 for an intent not yet batched.
[[noreturn]] void not_batched(const msg::x402_intent& x, const std::string& why) {
  json_writer d;
  d.begin_object()
    .field("intent_id", x.intent_id.str())
    .field("status", to_string(x.status))
    .end_object();
  reject({409, "INTENT_NOT_BATCHED", 7004,
          "Payment intent " + x.intent_id.str() + " has no receipt yet: " + why + " (status "
            + to_string(x.status) + ")",
          d.take(), 0});
}

void receipt(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto c = conn(ctx);
  auto& xs = storage::x402_of(*c);
  auto x = readable_intent(ctx, req, xs);
  if (!x.batch_id)
    not_batched(x, "it is not batched yet");
  auto b = value_or_reject(xs.get_x402_batch(*x.batch_id));
  if (!b.merkle_root)
    not_batched(x, "its batch is not committed yet");
  auto members = value_or_reject(xs.x402_batch_intents(b.batch_id));
  auto proof = msg::x402_prove(std::move(members), x.intent_id);
  if (!proof || proof->root != *b.merkle_root)
    reject(from_error(make_error(errc::internal, "batch " + b.batch_id.str()
                                                   + " does not reproduce its Merkle root")));
  json_writer w;
  w.begin_object().key("receipt").begin_object();
  w.field("receipt_id", ves::uuid::random_v4().str())
    .field("intent_id", x.intent_id.str())
    .field("sequence_number", x.sequence_number)
    .field("batch_id", b.batch_id.str())
    .field("merkle_root", ves::to_0x_hex(*b.merkle_root));
  w.key("inclusion_proof").begin_array();
  for (const auto& h : proof->path)
    w.str(ves::to_0x_hex(h));
  w.end_array();
  w.field("leaf_index", static_cast<uint64_t>(proof->leaf_index))
    .field("total_leaves", static_cast<uint64_t>(proof->total_leaves))
    .field("payer_address", x.payer_address)
    .field("payee_address", x.payee_address)
    .field("amount", x.amount)
    .field("asset", x.asset)
    .field("network", x.network)
    .field("chain_id", x.chain_id)
    .field("nonce", x.nonce)
    .field("valid_until", x.valid_until)
    .field("signing_hash", ves::to_0x_hex(x.signing_hash))
    .field("payer_signature", ves::to_0x_hex(x.payer_signature));
  opt_tx(w, "tx_hash", x.tx_hash ? x.tx_hash : b.tx_hash);
  opt_u64(w, "block_number", x.block_number ? x.block_number : b.block_number);
  w.field("created_at", msg::rfc3339_z(msg::now_us()));
  // Additions (not in the reference): what an offline verifier needs beyond the proof.
  w.field("status", to_string(x.status))
    .field("batch_status", to_string(b.status))
    .field("tenant_id", x.tenant_id.str())
    .field("store_id", x.store_id.str())
    .field("leaf_hash", ves::to_0x_hex(proof->leaf));
  if (b.new_state_root)
    w.field("new_state_root", ves::to_0x_hex(*b.new_state_root));
  if (x.payer_public_key)
    w.field("payer_public_key", ves::to_0x_hex(*x.payer_public_key));
  w.end_object().end_object();
  write_json(res, w.take());
}

// -- batches ----------------------------------------------------------------------------------

caf::actor batcher(context& ctx) {
  if (!ctx.x402_batcher)
    reject({503, "SERVICE_UNAVAILABLE", 8002, "x402 batching is not running", {}, 5});
  return ctx.x402_batcher;
}

void create_batch(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto body = parse_body(req);
  fields f{body, ""};
  msg::create_x402_batch m;
  m.stream = {f.uuid("tenant_id"), f.uuid("store_id")};
  m.network = f.string("network");
  if (ves::x402_chain_id(m.network) == 0)
    f.bad("network", "unknown variant `" + m.network + "`");
  if (auto* ids = f.get("intent_ids")) {
    if (!ids->is_array())
      f.bad("intent_ids", "expected an array of UUIDs");
    for (const auto& v : ids->as_array()) {
      auto u = v.is_string() ? ves::uuid::parse(v.as_string()) : std::nullopt;
      if (!u)
        f.bad("intent_ids", "expected an array of UUIDs");
      m.intent_ids.push_back(*u);
    }
  }
  auto max_size = f.opt_u64("max_size").value_or(100);
  ensure_admin(p, m.stream.tenant_id, m.stream.store_id);
  if (max_size == 0)
    reject(api_error::bad_request("max_size must be greater than 0"));
  if (max_size > max_batch)
    reject({413, "BATCH_TOO_LARGE", 3005, "max_size must not exceed 1000", {}, 0});
  m.max_size = static_cast<uint32_t>(max_size);
  if (m.intent_ids.size() > max_size)
    reject(api_error::bad_request("intent_ids exceeds max_size"));
  std::set<ves::uuid> distinct(m.intent_ids.begin(), m.intent_ids.end());
  if (distinct.size() != m.intent_ids.size())
    reject(api_error::bad_request("intent_ids must be distinct"));
  auto made = ask<msg::x402_batch_made>(ctx, batcher(ctx), std::move(m));
  const auto& b = *made.batch;
  json_writer w;
  w.begin_object()
    .field("batch_id", b.batch_id.str())
    .field("status", to_string(b.status))
    .field("payment_count", b.payment_count)
    .field("merkle_root", b.merkle_root ? ves::to_0x_hex(*b.merkle_root) : std::string{});
  w.key("sequence_range").begin_array().u64(b.sequence_start).u64(b.sequence_end).end_array();
  w.end_object();
  write_json(res, w.take());
}

msg::x402_batch readable_batch(context& ctx, const ves::uuid& id) {
  auto c = conn(ctx);
  auto b = storage::x402_of(*c).get_x402_batch(id);
  if (!b && b.error() == errc::not_found)
    reject(batch_not_found(id));
  return value_or_reject(std::move(b));
}

void get_batch(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto b = readable_batch(ctx, path_uuid(req, 1, "batch_id"));
  ensure_read(p, b.stream.tenant_id, b.stream.store_id);
  json_writer w;
  w.begin_object().key("batch");
  write_batch(w, b);
  w.end_object();
  write_json(res, w.take());
}

void settle_batch(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto body = parse_body(req);
  fields f{body, ""};
  msg::settle_x402_batch m;
  m.batch_id = f.uuid("batch_id");
  if (auto tx = f.opt_string("tx_hash")) {
    auto h = ves::from_hex_fixed<32>(*tx);
    if (!h)
      reject(api_error::bad_request("tx_hash must be 32 bytes of hex (optional 0x)"));
    m.tx_hash = *h;
  }
  m.block_number = f.opt_bigint("block_number");
  m.gas_used = f.opt_bigint("gas_used");
  auto b = readable_batch(ctx, m.batch_id);
  ensure_admin(p, b.stream.tenant_id, b.stream.store_id);
  auto settled = ask<msg::x402_settled>(ctx, batcher(ctx), std::move(m));
  const auto& s = *settled.batch;
  json_writer w;
  w.begin_object().field("batch_id", s.batch_id.str()).field("status", to_string(s.status));
  opt_tx(w, "tx_hash", s.tx_hash);
  opt_u64(w, "block_number", s.block_number);
  opt_u64(w, "gas_used", s.gas_used);
  w.field("message", settled.message).end_object();
  write_json(res, w.take());
}

} // namespace

void add_x402_routes(context& ctx, const route_adder& add) {
  auto bind = [&ctx](void (*f)(context&, const httplib::Request&, httplib::Response&)) {
    return [&ctx, f](const httplib::Request& req, httplib::Response& res) { f(ctx, req, res); };
  };
  add("POST", "/api/v1/x402/payments", bind(submit));
  add("GET", "/api/v1/x402/payments", bind(list));
  add("GET", R"(/api/v1/x402/payments/([^/]+)/receipt)", bind(receipt));
  add("GET", R"(/api/v1/x402/payments/([^/]+))", bind(status));
  add("POST", "/api/v1/x402/batches/settle", bind(settle_batch));
  add("POST", "/api/v1/x402/batches", bind(create_batch));
  add("GET", R"(/api/v1/x402/batches/([^/]+))", bind(get_batch));
}

} // namespace seq::http
