// SPDX-License-Identifier: Apache-2.0
// Commitments and inclusion proofs (wire-contract §3.9–§3.11):
//   POST /api/v1/ves/commitments   {tenant_id, store_id, sequence_start, sequence_end}  (write)
//   GET  /api/v1/ves/commitments?tenant_id&store_id[&anchored=false|true|all][&limit]    (read)
//   GET  /api/v1/ves/commitments/{batch_id}                                              (read)
//   GET  /api/v1/ves/proofs/{sequence_number}?tenant_id&store_id[&batch_id]              (read)
//   POST /api/v1/ves/proofs/verify {leaf_hash, merkle_root, proof_path[], leaf_index}
//   POST /api/v1/commitments, GET /api/v1/commitments, GET /api/v1/commitments/{batch_id},
//   GET  /api/v1/proofs/{sequence_number}, POST /api/v1/proofs/verify          (legacy, §9)
//   GET  /v1/commitments/pending[?limit], POST /v1/commitments/{batch_id}/anchored
//                                                     (anchor service; bootstrap admin only)
// Creating commitments and VES proofs are messages to the stream's committer companion (which
// serialises them with its automatic commitments and keeps recent trees); the rest are reads
// and one update on the store pool. Hashes are bare lowercase hex except in the anchor-service
// pair (0x-hex) and the legacy GET by id (serde byte arrays), as in the reference.
#include "adapters/http/ask.hpp"
#include "adapters/http/commitment_common.hpp"
#include "adapters/http/json_writer.hpp"
#include "adapters/http/request.hpp"
#include "adapters/http/server.hpp"
#include "messages/commitment.hpp"
#include "messages/committer.hpp"
#include "messages/sequencing.hpp"
#include "messages/ves/ves.hpp"

#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <limits>

namespace seq::http {

namespace {

constexpr uint32_t default_list = 1000;
constexpr uint32_t max_list = 5000;
constexpr size_t max_proof_path = 64;

msg::stream_key query_stream(const httplib::Request& req) {
  return {query_uuid(req, "tenant_id"), query_uuid(req, "store_id")};
}

/// The {sequence_number} path parameter: 400 unless it is a u64 in decimal digits.
uint64_t path_sequence(const httplib::Request& req) {
  auto text = path_param(req, 1);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size())
    reject(api_error::bad_request("Invalid sequence_number"));
  return v;
}

msg::commitment_filter list_filter(const httplib::Request& req) {
  msg::commitment_filter f;
  if (auto a = query(req, "anchored")) {
    auto x = msg::parse_anchored_filter(*a);
    if (!x)
      reject(api_error::bad_request("anchored must be true, false or all"));
    f.anchored = *x;
  }
  auto limit = query_u64(req, "limit").value_or(default_list);
  f.limit = static_cast<uint32_t>(std::clamp<uint64_t>(limit, 1, max_list));
  return f;
}

/// Bare lowercase hex of exactly 32 bytes ("0x" refused).
ves::hash32 bare_hash(const fields& f, std::string_view key) {
  auto s = f.string(key);
  auto v = ves::from_hex_fixed<32>(s, false);
  if (!v)
    f.bad(key, "expected 32 bytes of bare hex (no 0x)");
  return *v;
}

std::vector<ves::hash32> bare_path(const fields& f, std::string_view key) {
  auto& arr = f.require(key);
  if (!arr.is_array())
    f.bad(key, "expected an array of hex strings");
  if (arr.as_array().size() > max_proof_path)
    reject(api_error::bad_request("proof_path must have at most 64 entries"));
  std::vector<ves::hash32> out;
  for (auto& x : arr.as_array()) {
    auto v = x.is_string() ? ves::from_hex_fixed<32>(x.as_string(), false) : std::nullopt;
    if (!v)
      f.bad(key, "expected 32-byte bare hex entries (no 0x)");
    out.push_back(*v);
  }
  return out;
}

} // namespace

// -- shared with routes_anchor.cpp (commitment_common.hpp) ----------------------------------------

caf::actor committer_of(context& ctx, const msg::stream_key& s) {
  if (ctx.committer_role.empty() || !ctx.registry || !ctx.sys)
    reject({503, "SERVICE_UNAVAILABLE", 8002, "Commitments are not enabled", {}, 1});
  auto a = ask<caf::actor>(ctx, ctx.registry, msg::get_companion{s, ctx.committer_role});
  if (!a)
    reject({503, "SERVICE_UNAVAILABLE", 8002, "Committer unavailable", {}, 1});
  return a;
}

msg::ves_commitment load_ves(context& ctx, const ves::uuid& id) {
  auto got = storage::commitments_of(*conn(ctx)).get_ves_commitment(id);
  if (!got)
    reject(got.error() == errc::not_found ? api_error::not_found("Commitment not found")
                                          : from_error(got.error()));
  return std::move(*got);
}

msg::legacy_commitment load_legacy(context& ctx, const ves::uuid& id) {
  auto got = storage::commitments_of(*conn(ctx)).get_legacy_commitment(id);
  if (!got)
    reject(got.error() == errc::not_found ? api_error::not_found("Commitment not found")
                                          : from_error(got.error()));
  return std::move(*got);
}

void ves_fields(json_writer& w, const msg::ves_commitment& c) {
  w.field("batch_id", c.batch_id.str())
    .field("tenant_id", c.stream.tenant_id.str())
    .field("store_id", c.stream.store_id.str())
    .field("ves_version", c.ves_version)
    .field("tree_depth", c.tree_depth)
    .field("leaf_count", c.leaf_count)
    .field("padded_leaf_count", c.padded_leaf_count)
    .field("merkle_root", ves::to_hex(c.merkle_root))
    .field("prev_state_root", ves::to_hex(c.prev_state_root))
    .field("new_state_root", ves::to_hex(c.new_state_root))
    .field("sequence_start", c.sequence_start)
    .field("sequence_end", c.sequence_end)
    .field("committed_at", msg::rfc3339_z(c.committed_at));
}

namespace {

void ves_chain_fields(json_writer& w, const msg::ves_commitment& c) {
  w.key("chain_id");
  c.chain_id ? w.u64(*c.chain_id) : w.null();
  w.key("chain_tx_hash");
  c.chain_tx_hash ? w.str(ves::to_hex(*c.chain_tx_hash)) : w.null();
  w.key("chain_block_number");
  c.chain_block_number ? w.u64(*c.chain_block_number) : w.null();
  w.key("anchored_at");
  c.anchored_at ? w.str(msg::rfc3339_z(*c.anchored_at)) : w.null();
}

void legacy_fields(json_writer& w, const msg::legacy_commitment& c, bool full) {
  w.field("batch_id", c.batch_id.str())
    .field("tenant_id", c.stream.tenant_id.str())
    .field("store_id", c.stream.store_id.str());
  if (full)
    w.field("prev_state_root", ves::to_hex(c.prev_state_root))
      .field("new_state_root", ves::to_hex(c.new_state_root));
  w.field("events_root", ves::to_hex(c.events_root))
    .field("event_count", c.event_count)
    .field("sequence_start", c.sequence_start)
    .field("sequence_end", c.sequence_end)
    .field("committed_at", msg::rfc3339_z(c.committed_at));
}

void byte_array(json_writer& w, const ves::hash32& h) {
  w.begin_array();
  for (auto b : h)
    w.u64(b);
  w.end_array();
}

// -- VES ------------------------------------------------------------------------------------------

void create_ves(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto body = parse_body(req);
  fields f{body, ""};
  msg::stream_key s{f.uuid("tenant_id"), f.uuid("store_id")};
  auto start = f.u64("sequence_start");
  auto end = f.u64("sequence_end");
  ensure_write(p, s.tenant_id, s.store_id);
  auto c = ask<msg::ves_commitment>(ctx, committer_of(ctx, s),
                                    msg::create_ves_commitment{s, start, end});
  json_writer w;
  w.begin_object();
  ves_fields(w, c);
  w.end_object();
  write_json(res, w.take());
}

void list_ves(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto s = query_stream(req);
  ensure_read(p, s.tenant_id, s.store_id);
  auto f = list_filter(req);
  f.stream = s;
  auto xs = value_or_reject(storage::commitments_of(*conn(ctx)).list_ves_commitments(f));
  json_writer w;
  w.begin_object().key("commitments").begin_array();
  for (auto& c : xs) {
    w.begin_object();
    ves_fields(w, c);
    w.field("is_anchored", c.is_anchored()).end_object();
  }
  w.end_array().field("count", static_cast<uint64_t>(xs.size())).end_object();
  write_json(res, w.take());
}

void get_ves(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto got = load_ves(ctx, path_uuid(req, 1, "batch_id"));
  ensure_read(p, got.stream.tenant_id, got.stream.store_id);
  json_writer w;
  w.begin_object();
  ves_fields(w, got);
  ves_chain_fields(w, got);
  w.field("is_anchored", got.is_anchored()).end_object();
  write_json(res, w.take());
}

void ves_proof(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto s = query_stream(req);
  auto seq = path_sequence(req);
  ensure_read(p, s.tenant_id, s.store_id);
  msg::get_ves_proof q{s, seq, false, {}};
  if (query(req, "batch_id")) {
    q.has_batch = true;
    q.batch_id = query_uuid(req, "batch_id");
  }
  auto pr = ask<msg::ves_proof>(ctx, committer_of(ctx, s), q);
  json_writer w;
  w.begin_object()
    .field("sequence_number", pr.sequence_number)
    .field("batch_id", pr.batch_id.str())
    .field("merkle_root", ves::to_hex(pr.merkle_root))
    .field("leaf_hash", ves::to_hex(pr.leaf_hash))
    .field("leaf_index", pr.leaf_index)
    .key("proof_path")
    .begin_array();
  for (auto& h : pr.proof_path)
    w.str(ves::to_hex(h));
  w.end_array().key("directions").begin_array();
  for (bool d : pr.directions)
    w.boolean(d);
  w.end_array().end_object();
  write_json(res, w.take());
}

void ensure_read_or_admin(const principal& p) {
  if (!p.read && !p.admin)
    reject(api_error::forbidden("Read permission required"));
}

void verify_ves(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  ensure_read_or_admin(p);
  auto body = parse_body(req);
  fields f{body, ""};
  auto path = bare_path(f, "proof_path");
  auto leaf = bare_hash(f, "leaf_hash");
  auto root = bare_hash(f, "merkle_root");
  auto index = f.u64("leaf_index");
  bool ok = index < (uint64_t{1} << std::min<size_t>(path.size(), 63))
            && ves::verify_proof(leaf, root, path, static_cast<size_t>(index));
  json_writer w;
  w.begin_object()
    .field("valid", ok)
    .field("leaf_hash", ves::to_hex(leaf))
    .field("merkle_root", ves::to_hex(root))
    .end_object();
  write_json(res, w.take());
}

// -- legacy ---------------------------------------------------------------------------------------

void create_legacy(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto body = parse_body(req);
  fields f{body, ""};
  msg::stream_key s{f.uuid("tenant_id"), f.uuid("store_id")};
  auto start = f.u64("sequence_start");
  auto end = f.u64("sequence_end");
  ensure_write(p, s.tenant_id, s.store_id);
  auto c = ask<msg::legacy_commitment>(ctx, committer_of(ctx, s),
                                       msg::create_legacy_commitment{s, start, end});
  json_writer w;
  w.begin_object();
  legacy_fields(w, c, true);
  w.end_object();
  write_json(res, w.take());
}

void list_legacy(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto s = query_stream(req);
  ensure_read(p, s.tenant_id, s.store_id);
  auto f = list_filter(req);
  f.stream = s;
  auto xs = value_or_reject(storage::commitments_of(*conn(ctx)).list_legacy_commitments(f));
  json_writer w;
  w.begin_object().key("commitments").begin_array();
  for (auto& c : xs) {
    w.begin_object();
    legacy_fields(w, c, false);
    w.field("is_anchored", c.chain_tx_hash.has_value()).end_object();
  }
  w.end_array().field("count", static_cast<uint64_t>(xs.size())).end_object();
  write_json(res, w.take());
}

void get_legacy(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto c = load_legacy(ctx, path_uuid(req, 1, "batch_id"));
  ensure_read(p, c.stream.tenant_id, c.stream.store_id);
  json_writer w;
  w.begin_object()
    .field("batch_id", c.batch_id.str())
    .field("tenant_id", c.stream.tenant_id.str())
    .field("store_id", c.stream.store_id.str())
    .key("prev_state_root");
  byte_array(w, c.prev_state_root);
  w.key("new_state_root");
  byte_array(w, c.new_state_root);
  w.key("events_root");
  byte_array(w, c.events_root);
  w.field("event_count", c.event_count)
    .key("sequence_range")
    .begin_array()
    .u64(c.sequence_start)
    .u64(c.sequence_end)
    .end_array()
    .field("committed_at", msg::rfc3339_z(c.committed_at))
    .key("chain_tx_hash");
  c.chain_tx_hash ? byte_array(w, *c.chain_tx_hash) : static_cast<void>(w.null());
  w.end_object();
  write_json(res, w.take());
}

/// rs_merkle directions for `index` among `n` leaves: one entry per path element, true when
/// the current node is the left child (levels where it is promoted have no entry).
std::vector<bool> legacy_directions(size_t index, size_t n) {
  std::vector<bool> out;
  while (n > 1) {
    if (index % 2 == 1)
      out.push_back(false);
    else if (index + 1 < n)
      out.push_back(true);
    index /= 2;
    n = (n + 1) / 2;
  }
  return out;
}

void legacy_proof(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto s = query_stream(req);
  auto seq = path_sequence(req);
  ensure_read(p, s.tenant_id, s.store_id);
  auto c = load_legacy(ctx, query_uuid(req, "batch_id"));
  if (c.stream != s)
    reject(api_error::forbidden("Commitment access denied"));
  if (seq < c.sequence_start || seq > c.sequence_end)
    reject(api_error::bad_request("Sequence number not in commitment range"));
  std::vector<ves::hash32> v1, v0;
  {
    auto db = conn(ctx);
    for (auto from = c.sequence_start; from <= c.sequence_end;) {
      auto n = static_cast<uint32_t>(std::min<uint64_t>(4096, c.sequence_end - from + 1));
      auto xs = value_or_reject(db->read_legacy_events(s, from, n));
      if (xs.empty())
        break;
      for (auto& e : xs) {
        v1.push_back(ves::legacy_leaf_hash(s.tenant_id, s.store_id, e.sequence_number,
                                           e.ev.payload_hash, e.ev.entity_type, e.ev.entity_id));
        v0.push_back(e.ev.payload_hash);
      }
      from += n;
    }
  }
  const std::vector<ves::hash32>* leaves = nullptr;
  if (v1.size() == c.event_count && ves::legacy_merkle_root(v1) == c.events_root)
    leaves = &v1;
  else if (v0.size() == c.event_count && ves::legacy_merkle_root(v0) == c.events_root)
    leaves = &v0;
  if (!leaves)
    reject({500, "INTERNAL_ERROR", 8999, "Commitment events_root does not match events table",
            {}, 0});
  auto index = static_cast<size_t>(seq - c.sequence_start);
  auto path = ves::legacy_merkle_proof(*leaves, index);
  json_writer w;
  w.begin_object()
    .field("sequence_number", seq)
    .field("batch_id", c.batch_id.str())
    .field("events_root", ves::to_hex(c.events_root))
    .field("leaf_hash", ves::to_hex((*leaves)[index]))
    .field("leaf_index", static_cast<uint64_t>(index))
    .field("leaf_count", static_cast<uint64_t>(leaves->size()))
    .key("proof_path")
    .begin_array();
  for (auto& h : path)
    w.str(ves::to_hex(h));
  w.end_array().key("directions").begin_array();
  for (bool d : legacy_directions(index, leaves->size()))
    w.boolean(d);
  w.end_array().end_object();
  write_json(res, w.take());
}

void verify_legacy(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  ensure_read_or_admin(p);
  auto body = parse_body(req);
  fields f{body, ""};
  auto path = bare_path(f, "proof_path");
  auto leaf = bare_hash(f, "leaf_hash");
  auto root = bare_hash(f, "events_root");
  auto index = static_cast<size_t>(f.u64("leaf_index"));
  // The fixed verification needs the leaf count (where odd nodes were promoted): from the
  // body, or from the named batch; without either, the reference's index-bit rule.
  std::optional<uint64_t> count = f.opt_u64("leaf_count");
  if (!count)
    count = f.opt_u64("event_count");
  if (!count) {
    if (auto id = f.opt_uuid("batch_id")) {
      auto c = load_legacy(ctx, *id);
      ensure_read(p, c.stream.tenant_id, c.stream.store_id);
      count = c.event_count;
    }
  }
  bool ok = count ? index < *count
                      && ves::legacy_verify_proof(leaf, root, path, index,
                                                  static_cast<size_t>(*count))
                  : ves::legacy_verify_proof_by_index_bits(leaf, root, path, index);
  json_writer w;
  w.begin_object()
    .field("valid", ok)
    .field("leaf_hash", ves::to_hex(leaf))
    .field("events_root", ves::to_hex(root))
    .end_object();
  write_json(res, w.take());
}

// -- anchor service (root path) -------------------------------------------------------------------

void ensure_bootstrap(const principal& p) {
  if (!p.bootstrap_admin())
    reject(api_error::forbidden("Bootstrap admin permission required"));
}

void pending(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  ensure_bootstrap(p);
  msg::commitment_filter f;
  f.limit = static_cast<uint32_t>(
    std::clamp<uint64_t>(query_u64(req, "limit").value_or(default_list), 1, max_list));
  auto xs = value_or_reject(storage::commitments_of(*conn(ctx)).list_ves_commitments(f));
  json_writer w;
  w.begin_object().key("commitments").begin_array();
  for (auto& c : xs) {
    w.begin_object()
      .field("batch_id", c.batch_id.str())
      .field("tenant_id", c.stream.tenant_id.str())
      .field("store_id", c.stream.store_id.str())
      .field("prev_state_root", ves::to_0x_hex(c.prev_state_root))
      .field("new_state_root", ves::to_0x_hex(c.new_state_root))
      .field("events_root", ves::to_0x_hex(c.merkle_root))
      .field("sequence_start", c.sequence_start)
      .field("sequence_end", c.sequence_end)
      .field("event_count", c.leaf_count)
      .field("committed_at", msg::rfc3339_z(c.committed_at))
      .key("chain_tx_hash")
      .null()
      .end_object();
  }
  w.end_array().field("total", static_cast<uint64_t>(xs.size())).end_object();
  write_json(res, w.take());
}

void anchored(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  ensure_bootstrap(p);
  auto id = path_uuid(req, 1, "batch_id");
  auto body = parse_body(req);
  fields f{body, ""};
  auto tx_text = f.string("chain_tx_hash");
  auto chain_id = f.u64("chain_id");
  auto block = f.opt_bigint("block_number");
  auto db = conn(ctx);
  auto& cs = storage::commitments_of(*db);
  auto got = cs.get_ves_commitment(id);
  if (!got)
    reject(got.error() == errc::not_found ? api_error::not_found("Commitment not found")
                                          : from_error(got.error()));
  if (tx_text.empty())
    reject(api_error::bad_request("chain_tx_hash must not be empty"));
  auto bytes = ves::from_hex(tx_text, true);
  if (!bytes)
    reject(api_error::bad_request("Invalid chain_tx_hash: not hex"));
  if (bytes->size() != 32)
    reject(api_error::bad_request("Invalid chain_tx_hash: expected 32 bytes, got "
                                  + std::to_string(bytes->size())));
  if (chain_id > std::numeric_limits<uint32_t>::max())
    reject(api_error::bad_request("chain_id must fit in u32"));
  ves::hash32 tx{};
  std::copy(bytes->begin(), bytes->end(), tx.begin());
  if (got->chain_tx_hash) {
    if (*got->chain_tx_hash != tx)
      reject(api_error::conflict("CONFLICT", 4009,
                                 "commitment already anchored with different tx hash"));
    json_writer w;
    w.begin_object()
      .field("batch_id", id.str())
      .field("status", std::string{"already_anchored"})
      .end_object();
    return write_json(res, w.take());
  }
  msg::anchor_record a{static_cast<uint32_t>(chain_id), tx, block};
  if (auto ok = cs.mark_ves_anchored(id, a); !ok)
    reject(from_error(ok.error()));
  json_writer w;
  w.begin_object()
    .field("batch_id", id.str())
    .field("status", std::string{"anchored"})
    .field("chain_tx_hash", ves::to_0x_hex(tx))
    .field("chain_id", chain_id)
    .key("block_number");
  block ? w.u64(*block) : w.null();
  w.end_object();
  write_json(res, w.take());
}

} // namespace

void add_commitment_routes(context& ctx, const route_adder& add) {
  auto bind = [&ctx](void (*f)(context&, const httplib::Request&, httplib::Response&)) {
    return [&ctx, f](const httplib::Request& req, httplib::Response& res) { f(ctx, req, res); };
  };
  add("POST", "/api/v1/ves/commitments", bind(create_ves));
  add("GET", "/api/v1/ves/commitments", bind(list_ves));
  add("GET", R"(/api/v1/ves/commitments/([^/]+))", bind(get_ves));
  // Any segment but `verify` (POST only): a sequence number that is not one is a 400, not a
  // path no route serves.
  add("GET", R"(/api/v1/ves/proofs/((?!verify$)[^/]+))", bind(ves_proof));
  add("POST", "/api/v1/ves/proofs/verify", bind(verify_ves));
  add("POST", "/api/v1/commitments", bind(create_legacy));
  add("GET", "/api/v1/commitments", bind(list_legacy));
  add("GET", R"(/api/v1/commitments/([^/]+))", bind(get_legacy));
  add("GET", R"(/api/v1/proofs/((?!verify$)[^/]+))", bind(legacy_proof));
  add("POST", "/api/v1/proofs/verify", bind(verify_legacy));
  add("GET", "/v1/commitments/pending", bind(pending));
  add("POST", R"(/v1/commitments/([^/]+)/anchored)", bind(anchored));
}

} // namespace seq::http
