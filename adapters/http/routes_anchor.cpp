// SPDX-License-Identifier: Apache-2.0
// Anchoring (wire-contract §3.9–§3.10):
//   POST /api/v1/ves/anchor {batch_id}                                           (admin)
//   POST /api/v1/ves/commitments/anchor {tenant_id, store_id, sequence_start?, sequence_end?,
//        max_events?}                                      (admin; commit, then anchor)
//   GET  /api/v1/ves/anchor/{batch_id}/verify                                    (read)
//   POST /api/v1/anchor {batch_id}, GET /api/v1/anchor/{batch_id}/verify         (legacy)
//   GET  /api/v1/anchor/status                                                   (read)
// Anchoring is a request to the anchor actor (which serialises it with its automatic rounds
// and checks the chain before sending); on-chain checks go through the circuit breaker. Both
// are absent when anchoring is not configured: these routes then answer 503.
#include "adapters/http/ask.hpp"
#include "adapters/http/commitment_common.hpp"
#include "messages/anchor.hpp"
#include "messages/chain.hpp"
#include "messages/committer.hpp"
#include "messages/ves/ves.hpp"

#include <httplib.h>

#include <algorithm>

namespace seq::http {

namespace {

constexpr uint64_t default_max_events = 1024;

api_error not_configured() {
  return {503, "SERVICE_UNAVAILABLE", 8002,
          "Anchor service not configured. Set L2_RPC_URL, SET_REGISTRY_ADDRESS, "
          "SEQUENCER_PRIVATE_KEY",
          {}, 0};
}

void require_anchor(context& ctx) {
  if (!ctx.anchor || !ctx.chain_breaker || !ctx.sys)
    reject(not_configured());
}

msg::anchor_outcome anchor_now(context& ctx, const ves::uuid& id, msg::anchor_kind kind) {
  return ask_within<msg::anchor_outcome>(ctx, ctx.anchor, ctx.opts.anchor_timeout,
                                         msg::anchor_batch{id, kind});
}

void block_field(json_writer& w, uint64_t block) {
  w.key("chain_block_number");
  block ? w.u64(block) : w.null();
}

/// POST /api/v1/ves/anchor and POST /api/v1/anchor {batch_id}.
void anchor_batch(context& ctx, const httplib::Request& req, httplib::Response& res,
                  msg::anchor_kind kind) {
  auto p = ctx.auth->authenticate(req);
  auto body = parse_body(req);
  fields f{body, ""};
  auto id = f.uuid("batch_id");
  require_anchor(ctx);
  bool ves_kind = kind == msg::anchor_kind::ves;
  msg::chain_commitment c;
  std::optional<ves::hash32> recorded;
  if (ves_kind) {
    auto row = load_ves(ctx, id);
    c = msg::to_chain(row);
    recorded = row.chain_tx_hash;
  } else {
    auto row = load_legacy(ctx, id);
    c = msg::to_chain(row);
    recorded = row.chain_tx_hash;
  }
  ensure_admin(p, c.tenant_id, c.store_id);
  json_writer w;
  w.begin_object().field("batch_id", id.str());
  if (recorded) {
    w.field("status", "already_anchored").field("chain_tx_hash", ves::to_hex(*recorded));
    w.end_object();
    return write_json(res, w.take());
  }
  auto o = anchor_now(ctx, id, kind);
  w.field("status", o.already ? "already_anchored" : "anchored");
  if (ves_kind) {
    w.field("chain_id", o.tx.chain_id).field("chain_tx_hash", ves::to_hex(o.tx.tx_hash));
    block_field(w, o.tx.block_number);
    w.field("merkle_root", ves::to_hex(c.events_root));
  } else {
    w.field("chain_tx_hash", ves::to_hex(o.tx.tx_hash))
      .field("events_root", ves::to_hex(c.events_root));
  }
  w.field("sequence_start", c.sequence_start).field("sequence_end", c.sequence_end).end_object();
  write_json(res, w.take());
}

/// The range POST /api/v1/ves/commitments/anchor commits: explicit, or the next
/// `max_events` after the last commitment, up to the head.
std::pair<uint64_t, uint64_t> next_range(context& ctx, const msg::stream_key& s,
                                         const fields& f) {
  auto start = f.opt_u64("sequence_start");
  auto end = f.opt_u64("sequence_end");
  if (start.has_value() != end.has_value())
    reject(api_error::bad_request("sequence_start and sequence_end must be provided together"));
  if (start)
    return {*start, *end};
  auto max_events = std::max<uint64_t>(1, f.opt_u64("max_events").value_or(default_max_events));
  auto db = conn(ctx);
  auto last = value_or_reject(storage::commitments_of(*db).last_ves_commitment(s));
  auto heads = value_or_reject(db->load_heads(s));
  uint64_t from = last ? last->sequence_end + 1 : 1;
  if (heads.ves == 0)
    reject(api_error::bad_request("no events to commit"));
  if (from > heads.ves)
    reject(api_error::bad_request("no new events to commit (head_sequence="
                                  + std::to_string(heads.ves) + ")"));
  // from ≤ head here, so head − from cannot wrap, while from + max_events − 1 could.
  return {from, from + std::min(heads.ves - from, max_events - 1)};
}

void commit_and_anchor(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto body = parse_body(req);
  fields f{body, ""};
  msg::stream_key s{f.uuid("tenant_id"), f.uuid("store_id")};
  require_anchor(ctx);
  ensure_admin(p, s.tenant_id, s.store_id);
  auto [start, end] = next_range(ctx, s, f);
  auto c = ask<msg::ves_commitment>(ctx, committer_of(ctx, s),
                                    msg::create_ves_commitment{s, start, end});
  // An existing, already anchored range is answered from its row by the anchor actor.
  auto o = anchor_now(ctx, c.batch_id, msg::anchor_kind::ves);
  json_writer w;
  w.begin_object()
    .field("batch_id", c.batch_id.str())
    .field("status", o.already ? "already_anchored" : "anchored")
    .field("chain_id", o.tx.chain_id)
    .field("chain_tx_hash", ves::to_hex(o.tx.tx_hash));
  block_field(w, o.tx.block_number);
  w.field("merkle_root", ves::to_hex(c.merkle_root))
    .field("prev_state_root", ves::to_hex(c.prev_state_root))
    .field("new_state_root", ves::to_hex(c.new_state_root))
    .field("sequence_start", c.sequence_start)
    .field("sequence_end", c.sequence_end)
    .end_object();
  write_json(res, w.take());
}

/// What the chain stores for a batch compared with the local commitment (events root, state
/// root, range, count; each ABI stores a subset, absent fields are zero on chain).
bool matches(const msg::onchain_commitment& oc, const msg::chain_commitment& c) {
  bool prev_ok = oc.prev_state_root == msg::hash32{} || oc.prev_state_root == c.prev_state_root;
  return oc.found && oc.events_root == c.events_root && oc.state_root == c.new_state_root
         && prev_ok && oc.sequence_start == c.sequence_start && oc.sequence_end == c.sequence_end
         && oc.event_count == c.event_count;
}

/// The local commitment as it would go on chain (none when unknown here); 403 when the caller
/// may not read its stream.
std::optional<msg::chain_commitment> local_commitment(context& ctx, const principal& p,
                                                      const ves::uuid& id, msg::anchor_kind kind) {
  std::optional<msg::chain_commitment> local;
  auto db = conn(ctx);
  auto& cs = storage::commitments_of(*db);
  auto found = [&](const auto& row) {
    ensure_read(p, row.stream.tenant_id, row.stream.store_id);
    local = msg::to_chain(row);
  };
  if (kind == msg::anchor_kind::ves) {
    if (auto c = cs.get_ves_commitment(id))
      found(*c);
    else if (c.error() != errc::not_found)
      reject(from_error(c.error()));
  } else if (auto c = cs.get_legacy_commitment(id)) {
    found(*c);
  } else if (c.error() != errc::not_found) {
    reject(from_error(c.error()));
  }
  return local;
}

/// GET …/anchor/{batch_id}/verify: the chain's isAnchored, and (this project's addition) whether
/// the record on chain matches the local commitment.
void verify_on_chain(context& ctx, const httplib::Request& req, httplib::Response& res,
                     msg::anchor_kind kind) {
  auto p = ctx.auth->authenticate(req);
  auto id = path_uuid(req, 1, "batch_id");
  require_anchor(ctx);
  auto local = local_commitment(ctx, p, id, kind);
  if (!local && !p.admin)
    reject(api_error::forbidden("Commitment access denied"));
  auto st = ask<msg::anchored_state>(ctx, ctx.chain_breaker, msg::check_anchored{id});
  json_writer w;
  w.begin_object().field("batch_id", id.str()).field("anchored_on_chain", st.anchored);
  w.key("matches_local");
  if (st.anchored && local) {
    auto oc = ask<msg::onchain_commitment>(ctx, ctx.chain_breaker,
                                           msg::fetch_onchain_commitment{id});
    w.boolean(matches(oc, *local));
  } else {
    w.null();
  }
  w.end_object();
  write_json(res, w.take());
}

void status(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  if (!p.read && !p.admin)
    reject(api_error::forbidden("Read permission required"));
  bool enabled = ctx.anchor && ctx.chain_breaker && ctx.sys;
  json_writer w;
  w.begin_object()
    .field("anchor_enabled", enabled)
    .field("message", enabled ? "Anchor service is configured and ready"
                              : "Anchor service not configured. Set L2_RPC_URL, "
                                "SET_REGISTRY_ADDRESS, SEQUENCER_PRIVATE_KEY");
  if (enabled) {
    auto b = ask<msg::breaker_status>(ctx, ctx.chain_breaker, caf::get_atom_v);
    auto a = ask<msg::anchor_status>(ctx, ctx.anchor, caf::get_atom_v);
    w.key("circuit_breaker")
      .begin_object()
      .field("name", b.name)
      .field("state", msg::to_string(b.state))
      .field("retry_in_ms", b.retry_in_ms)
      .end_object()
      .key("anchoring")
      .begin_object()
      .field("automatic", a.automatic)
      .field("anchored", a.anchored)
      .field("recovered", a.recovered)
      .field("failures", a.failures)
      .field("queued", a.queued)
      .key("last_anchored_at");
    a.last_anchored_at ? w.str(msg::rfc3339_z(a.last_anchored_at)) : w.null();
    // The error names the commitment (of any tenant): its text is the bootstrap admin's.
    w.key("last_error");
    if (a.last_error.empty())
      w.null();
    else
      w.str(p.bootstrap_admin() ? a.last_error
                                : std::string{"anchoring failed (the details are shown to the "
                                              "bootstrap admin)"});
    w.end_object();
  }
  w.end_object();
  write_json(res, w.take());
}

} // namespace

void add_anchor_routes(context& ctx, const route_adder& add) {
  auto bind = [&ctx](void (*f)(context&, const httplib::Request&, httplib::Response&)) {
    return [&ctx, f](const httplib::Request& req, httplib::Response& res) { f(ctx, req, res); };
  };
  add("POST", "/api/v1/ves/anchor", [&ctx](const httplib::Request& req, httplib::Response& res) {
    anchor_batch(ctx, req, res, msg::anchor_kind::ves);
  });
  add("POST", "/api/v1/ves/commitments/anchor", bind(commit_and_anchor));
  add("GET", R"(/api/v1/ves/anchor/([^/]+)/verify)",
      [&ctx](const httplib::Request& req, httplib::Response& res) {
        verify_on_chain(ctx, req, res, msg::anchor_kind::ves);
      });
  add("POST", "/api/v1/anchor", [&ctx](const httplib::Request& req, httplib::Response& res) {
    anchor_batch(ctx, req, res, msg::anchor_kind::legacy);
  });
  add("GET", R"(/api/v1/anchor/([^/]+)/verify)",
      [&ctx](const httplib::Request& req, httplib::Response& res) {
        verify_on_chain(ctx, req, res, msg::anchor_kind::legacy);
      });
  add("GET", "/api/v1/anchor/status", bind(status));
}

} // namespace seq::http
