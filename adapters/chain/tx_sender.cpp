// SPDX-License-Identifier: Apache-2.0
#include "adapters/chain/tx_sender.hpp"

#include "messages/domain.hpp"
#include "messages/errc.hpp"

#include <algorithm>
#include <cctype>
#include <thread>

namespace seq::chain {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

/// a · m + b with overflow detection (fees are far below 2^64 wei on every real chain).
caf::expected<u256> fee_sum(const u256& a, uint64_t m, const u256& b) {
  if (!a.fits_u64() || !b.fits_u64())
    return make_error(errc::chain_rejected, "fee values above 2^64 wei are not supported");
  uint64_t prod = 0, sum = 0;
  if (__builtin_mul_overflow(a.low_u64(), m, &prod)
      || __builtin_add_overflow(prod, b.low_u64(), &sum))
    return make_error(errc::chain_rejected, "fee computation overflows 64 bits");
  return u256::from_u64(sum);
}

} // namespace

bool is_stale_nonce_message(std::string_view node_message) {
  auto m = lower(node_message);
  return contains(m, "nonce too low") || contains(m, "correct nonce")
         || contains(m, "invalid nonce") || contains(m, "nonce has already been used")
         || contains(m, "replacement transaction underpriced")
         || contains(m, "transaction underpriced: nonce");
}

tx_sender::tx_sender(rpc_client& rpc, private_key key, sender_options opts)
  : rpc_(rpc), key_(std::move(key)), opts_(std::move(opts)) {
  if (!opts_.sleep)
    opts_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  if (opts_.confirmations == 0)
    opts_.confirmations = 1;
}

caf::expected<uint64_t> tx_sender::chain_id() {
  if (chain_id_)
    return *chain_id_;
  auto id = rpc_.chain_id();
  if (!id)
    return id;
  if (opts_.chain_id != 0 && *id != opts_.chain_id)
    return make_error(errc::chain_rejected, "the node at " + msg::url_origin(rpc_.url())
                                              + " serves chain id "
                                              + std::to_string(*id) + ", configured "
                                              + std::to_string(opts_.chain_id));
  chain_id_ = *id;
  return *id;
}

caf::expected<uint64_t> tx_sender::next_nonce() {
  if (next_nonce_)
    return *next_nonce_;
  auto n = rpc_.transaction_count(from(), "pending");
  if (!n)
    return n;
  next_nonce_ = *n;
  return *n;
}

caf::expected<unsigned_tx> tx_sender::build(const tx_request& req, uint64_t nonce, uint64_t chain) {
  uint64_t gas = 0;
  if (req.gas_limit) {
    gas = *req.gas_limit;
  } else {
    call_request cr{from(), req.to, req.data, req.value};
    auto est = rpc_.estimate_gas(cr);
    if (!est)
      return std::move(est.error());
    gas = *est + *est * opts_.gas_margin_percent / 100;
  }
  if (opts_.prefer_eip1559) {
    auto base = rpc_.latest_base_fee();
    if (!base)
      return std::move(base.error());
    if (*base) {
      auto tip = rpc_.max_priority_fee_per_gas();
      u256 priority = tip ? *tip : u256::from_u64(opts_.fallback_priority_fee_wei);
      if (!tip && tip.error() != errc::chain_rejected)
        return std::move(tip.error()); // the node is unreachable, not merely old
      auto cap = fee_sum(**base, opts_.base_fee_multiplier, priority);
      if (!cap)
        return std::move(cap.error());
      eip1559_tx t;
      t.chain_id = chain;
      t.nonce = nonce;
      t.max_priority_fee_per_gas = priority;
      t.max_fee_per_gas = *cap;
      t.gas_limit = gas;
      t.to = req.to;
      t.value = req.value;
      t.data = req.data;
      return unsigned_tx{std::move(t)};
    }
  }
  auto price = rpc_.gas_price();
  if (!price)
    return std::move(price.error());
  legacy_tx t;
  t.chain_id = chain;
  t.nonce = nonce;
  t.gas_price = *price;
  t.gas_limit = gas;
  t.to = req.to;
  t.value = req.value;
  t.data = req.data;
  return unsigned_tx{std::move(t)};
}

caf::expected<sent_tx> tx_sender::send(const tx_request& req) {
  auto chain = chain_id();
  if (!chain)
    return std::move(chain.error());
  for (int attempt = 0;; ++attempt) {
    auto nonce = next_nonce();
    if (!nonce)
      return std::move(nonce.error());
    auto tx = build(req, *nonce, *chain);
    if (!tx) {
      next_nonce_.reset(); // a failed estimate may mean our view of the account is stale
      return std::move(tx.error());
    }
    auto stx = sign(*tx, key_);
    auto h = rpc_.send_raw_transaction(stx.raw);
    auto done = [&] {
      next_nonce_ = *nonce + 1;
      sent_tx out;
      out.hash = stx.hash;
      out.nonce = *nonce;
      out.eip1559 = std::holds_alternative<eip1559_tx>(*tx);
      out.gas_limit =
        out.eip1559 ? std::get<eip1559_tx>(*tx).gas_limit : std::get<legacy_tx>(*tx).gas_limit;
      return out;
    };
    if (h) {
      if (*h != stx.hash)
        return make_error(errc::chain_rejected, "the node reported tx hash " + to_data(*h)
                                                  + ", computed " + to_data(stx.hash));
      return done();
    }
    const auto& info = rpc_.last_rpc_error();
    if (info && contains(lower(info->message), "already known"))
      return done();
    next_nonce_.reset();
    if (info && is_stale_nonce_message(info->message) && attempt == 0) {
      ++nonce_resyncs_;
      continue;
    }
    return std::move(h.error());
  }
}

caf::expected<tx_receipt> tx_sender::wait_for_receipt(const hash32& tx_hash) {
  auto deadline = std::chrono::steady_clock::now() + opts_.receipt_timeout;
  for (;;) {
    auto rc = rpc_.transaction_receipt(tx_hash);
    if (!rc)
      return std::move(rc.error());
    if (*rc) {
      auto head = rpc_.block_number();
      if (!head)
        return std::move(head.error());
      if (*head + 1 >= (*rc)->block_number + opts_.confirmations) {
        if (opts_.confirmations == 1)
          return **rc;
        // Deep enough: make sure the receipt is still in the same block (no reorg since).
        auto again = rpc_.transaction_receipt(tx_hash);
        if (!again)
          return std::move(again.error());
        if (*again && (*again)->block_hash == (*rc)->block_hash)
          return **again;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(errc::timeout, "transaction " + to_data(tx_hash) + " not confirmed ("
                                         + std::to_string(opts_.confirmations)
                                         + " confirmations) within "
                                         + std::to_string(opts_.receipt_timeout.count()) + " ms");
    opts_.sleep(opts_.receipt_poll_interval);
  }
}

caf::expected<tx_receipt> tx_sender::send_and_wait(const tx_request& req) {
  auto sent = send(req);
  if (!sent)
    return std::move(sent.error());
  auto rc = wait_for_receipt(sent->hash);
  if (!rc)
    return rc;
  if (!rc->success)
    return make_error(errc::chain_rejected, "transaction " + to_data(sent->hash)
                                              + " reverted in block "
                                              + std::to_string(rc->block_number));
  return rc;
}

} // namespace seq::chain
