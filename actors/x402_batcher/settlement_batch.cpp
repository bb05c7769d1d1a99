// SPDX-License-Identifier: Apache-2.0
#include "actors/x402_batcher/settlement_batch.hpp"

#include "messages/errc.hpp"

#include <algorithm>
#include <memory>

namespace seq::actors::x402 {

namespace {

caf::expected<std::vector<msg::x402_intent>> named_intents(storage::x402_store& xs,
                                                           const msg::x402_seal& req) {
  auto got = xs.get_x402_intents(req.intent_ids);
  if (!got)
    return got.error();
  std::vector<msg::x402_intent> out;
  for (const auto& id : req.intent_ids) {
    auto i = std::find_if(got->begin(), got->end(),
                          [&](const msg::x402_intent& x) { return x.intent_id == id; });
    if (i == got->end())
      return make_error(errc::not_found, "Payment intent " + id.str() + " not found");
    if (i->stream() != req.stream)
      return make_error(errc::invalid_request,
                        "Payment intent " + id.str() + " belongs to another tenant or store");
    if (i->network != req.network)
      return make_error(errc::invalid_request, "Payment intent " + id.str()
                                                 + " is on network " + i->network + ", not "
                                                 + req.network);
    if (i->status != msg::x402_status::sequenced)
      return make_error(errc::invalid_request, "Payment intent " + id.str() + " is "
                                                 + to_string(i->status) + ", not sequenced");
    out.push_back(*i);
  }
  return out;
}

caf::expected<std::vector<msg::x402_intent>> oldest_intents(storage::x402_store& xs,
                                                            const msg::x402_seal& req) {
  auto got = xs.sequenced_x402_intents(req.stream, req.network, req.max_size);
  if (!got || got->empty() || !req.single_asset)
    return got;
  auto asset = got->front().asset;
  got->erase(std::remove_if(got->begin(), got->end(),
                            [&](const msg::x402_intent& x) { return x.asset != asset; }),
             got->end());
  return got;
}

} // namespace

caf::expected<msg::x402_sealed> seal_batch(storage::x402_store& xs, const msg::x402_seal& req,
                                           const msg::uuid& batch_id) {
  const bool manual = req.manual;
  msg::x402_sealed out;
  auto expired = xs.expire_x402_intents(req.stream, req.network,
                                        static_cast<uint64_t>(req.now / 1'000'000));
  if (!expired)
    return expired.error();
  out.expired = *expired;
  const bool seal = manual || req.max_size > 0;
  for (int attempt = 0; seal && attempt < 3; ++attempt) {
    auto intents = req.intent_ids.empty() ? oldest_intents(xs, req) : named_intents(xs, req);
    if (!intents)
      return intents.error();
    if (intents->empty()) {
      if (manual)
        return make_error(errc::invalid_request, "No pending intents found for batching");
      break;
    }
    auto batch = msg::build_x402_batch(batch_id, *intents, req.now);
    auto ok = xs.insert_x402_batch(batch);
    if (ok) {
      out.batch = std::make_shared<const msg::x402_batch>(std::move(batch));
      out.intents = std::make_shared<const std::vector<msg::x402_intent>>(std::move(*intents));
      break;
    }
    if (ok.error() != errc::storage_conflict)
      return ok.error();
    if (!req.intent_ids.empty())
      return make_error(errc::invalid_request,
                        "the named intents are no longer all sequenced; read them again");
  }
  auto pending = xs.x402_pending(req.stream, req.network);
  if (!pending)
    return pending.error();
  out.pending = *pending;
  return out;
}

caf::expected<msg::x402_sealed> fetch_batch(storage::x402_store& xs, const msg::uuid& id) {
  auto b = xs.get_x402_batch(id);
  if (!b)
    return b.error();
  auto intents = xs.x402_batch_intents(id);
  if (!intents)
    return intents.error();
  msg::x402_sealed out;
  out.batch = std::make_shared<const msg::x402_batch>(std::move(*b));
  out.intents = std::make_shared<const std::vector<msg::x402_intent>>(std::move(*intents));
  return out;
}

caf::expected<msg::x402_settled> settle_manually(storage::x402_store& xs,
                                                 const msg::settle_x402_batch& req,
                                                 msg::timestamp_us now) {
  msg::x402_settle_request r{req.batch_id, req.tx_hash, req.block_number, req.gas_used};
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto b = xs.get_x402_batch(req.batch_id);
    if (!b)
      return b.error();
    auto d = msg::decide_x402_settle(*b, r);
    using k = msg::x402_settle_decision::kind;
    switch (d.what) {
      case k::bad_field:
        return make_error(errc::invalid_request, d.message);
      case k::bad_transition:
        return make_error(errc::invalid_state_transition, d.message);
      case k::unchanged:
        return msg::x402_settled{std::make_shared<const msg::x402_batch>(std::move(*b)),
                                 d.message};
      case k::apply:
        break;
    }
    msg::x402_batch_update u;
    u.batch_id = req.batch_id;
    u.from = b->status;
    u.to = d.to;
    u.tx_hash = req.tx_hash;
    u.block_number = req.block_number;
    u.gas_used = req.gas_used;
    u.at = now;
    auto ok = xs.update_x402_batch(u);
    if (!ok && ok.error() == errc::storage_conflict)
      continue; // changed meanwhile (e.g. the batcher settled it): decide again
    if (!ok)
      return ok.error();
    auto after = xs.get_x402_batch(req.batch_id);
    if (!after)
      return after.error();
    return msg::x402_settled{std::make_shared<const msg::x402_batch>(std::move(*after)),
                             d.message};
  }
  return make_error(errc::storage_unavailable, "batch " + req.batch_id.str()
                                                 + " keeps changing; retry");
}

std::variant<msg::settle_payment_batch, std::string>
settlement_for(const msg::x402_batch& b, const std::vector<msg::x402_intent>& intents,
               const settlement_config& cfg) {
  if (!b.merkle_root || !b.new_state_root)
    return std::string{"the batch is not committed"};
  std::string token;
  if (!intents.empty()) {
    auto i = cfg.tokens.find(intents.front().asset);
    token = i != cfg.tokens.end() ? i->second
                                  : msg::x402_default_token_address(intents.front().asset,
                                                                    intents.front().network);
  }
  auto why = msg::x402_unsettleable_reason(intents, token, cfg.chain_id);
  if (!why.empty())
    return why;
  msg::settle_payment_batch s;
  s.batch_id = b.batch_id;
  s.tenant_id = b.stream.tenant_id;
  s.store_id = b.stream.store_id;
  s.merkle_root = *b.merkle_root;
  s.state_root = *b.new_state_root;
  s.sequence_start = b.sequence_start;
  s.sequence_end = b.sequence_end;
  s.payment_count = b.payment_count;
  s.token = *msg::parse_evm_address(token);
  for (const auto& t : msg::x402_aggregate_transfers(intents))
    s.transfers.push_back(msg::settlement_transfer{t.from, t.to, t.amount});
  return s;
}

} // namespace seq::actors::x402
