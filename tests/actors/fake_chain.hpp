// SPDX-License-Identifier: Apache-2.0
#pragma once
// A scripted in-memory chain for actor tests: the external EVM chain behind the chain worker
// (the actors under test are the circuit breaker and its users). TEST ONLY.

#include "messages/chain.hpp"
#include "messages/errc.hpp"
#include "messages/settlement.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

namespace seq::test {

/// What the fake chain does; shared between the test and every gateway the worker opens.
struct chain_script {
  bool up = true;
  bool crash_next = false; ///< the next call throws (the worker dies)
  uint64_t block = 100;
  size_t calls = 0;  ///< calls that reached a gateway
  size_t opened = 0; ///< gateways opened by the factory
  std::vector<msg::uuid> anchored;
  bool reject_next = false;     ///< the next anchor is refused by the contract
  bool lose_reply_next = false; ///< the next anchor is mined but answers a timeout
  std::vector<msg::chain_commitment> sent; ///< every anchor transaction mined, in order
  std::vector<msg::chain_tx> txs;          ///< and its transaction
  std::vector<msg::settle_payment_batch> settled; ///< x402 batches settled, in order
  std::vector<msg::chain_tx> settle_txs;          ///< and their transactions
};

class fake_gateway final : public chain::chain_gateway {
public:
  explicit fake_gateway(std::shared_ptr<chain_script> s) : s_(std::move(s)) {}

  caf::expected<msg::chain_head> probe() override {
    if (auto e = touch())
      return e;
    return msg::chain_head{84532001, s_->block};
  }
  caf::expected<msg::chain_tx> anchor(const msg::chain_commitment& c) override {
    if (auto e = touch())
      return e;
    for (const auto& a : s_->anchored)
      if (a == c.batch_id)
        return make_error(errc::chain_rejected, "Already anchored");
    if (s_->reject_next) {
      s_->reject_next = false;
      return make_error(errc::chain_rejected, "SequenceGap");
    }
    s_->anchored.push_back(c.batch_id);
    s_->sent.push_back(c);
    msg::chain_tx tx{84532001, msg::hash32{}, ++s_->block};
    tx.tx_hash[0] = static_cast<uint8_t>(s_->sent.size());
    tx.tx_hash[31] = 0xAB;
    s_->txs.push_back(tx);
    if (s_->lose_reply_next) { // mined, but the answer never arrives
      s_->lose_reply_next = false;
      return make_error(errc::timeout, "receipt not seen in time");
    }
    return tx;
  }
  caf::expected<bool> is_anchored(const msg::uuid& id) override {
    if (auto e = touch())
      return e;
    return std::find(s_->anchored.begin(), s_->anchored.end(), id) != s_->anchored.end();
  }
  caf::expected<msg::chain_tx> find_anchor_tx(const msg::uuid& id) override {
    if (auto e = touch())
      return e;
    for (size_t i = 0; i < s_->sent.size(); ++i)
      if (s_->sent[i].batch_id == id)
        return s_->txs[i];
    return make_error(errc::not_found, "no anchor event for the batch");
  }
  caf::expected<msg::onchain_commitment> commitment(const msg::uuid&) override {
    if (auto e = touch())
      return e;
    return msg::onchain_commitment{};
  }
  caf::expected<msg::onchain_stream_head> stream_head(const msg::stream_key&) override {
    if (auto e = touch())
      return e;
    return msg::onchain_stream_head{};
  }
  caf::expected<bool> verify_inclusion(const msg::uuid&, const msg::hash32&,
                                       const std::vector<msg::hash32>&, uint64_t) override {
    if (auto e = touch())
      return e;
    return true;
  }
  /// Idempotent like the real gateway: a settled batch answers its original transaction.
  caf::expected<msg::chain_tx> settle_payment_batch(const msg::settle_payment_batch& b) override {
    if (auto e = touch())
      return e;
    for (size_t i = 0; i < s_->settled.size(); ++i)
      if (s_->settled[i].batch_id == b.batch_id)
        return s_->settle_txs[i];
    s_->settled.push_back(b);
    msg::chain_tx tx{84532001, msg::hash32{}, ++s_->block};
    tx.tx_hash[0] = static_cast<uint8_t>(s_->settled.size());
    tx.tx_hash[31] = 0x5E;
    s_->settle_txs.push_back(tx);
    return tx;
  }
  caf::expected<bool> is_batch_settled(const msg::uuid& id) override {
    if (auto e = touch())
      return e;
    return std::any_of(s_->settled.begin(), s_->settled.end(),
                       [&](const auto& b) { return b.batch_id == id; });
  }

private:
  caf::error touch() {
    ++s_->calls;
    if (s_->crash_next) {
      s_->crash_next = false;
      throw std::runtime_error("gateway crashed");
    }
    if (!s_->up)
      return make_error(errc::chain_unavailable, "connection refused");
    return {};
  }
  std::shared_ptr<chain_script> s_;
};

} // namespace seq::test
