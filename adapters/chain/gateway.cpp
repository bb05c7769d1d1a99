// SPDX-License-Identifier: Apache-2.0
#include "adapters/chain/gateway.hpp"

#include "adapters/chain/abi.hpp"
#include "adapters/chain/anchor_contract.hpp"
#include "adapters/chain/payment_contract.hpp"
#include "messages/errc.hpp"

#include <algorithm>

namespace seq::chain {

namespace {

/// topic0 of the event each ABI emits when it stores a commitment (batchId is topic1).
hash32 anchored_event_topic(msg::anchor_abi abi) {
  std::string_view sig =
    abi == msg::anchor_abi::set_registry
      ? "BatchCommitted(bytes32,bytes32,bytes32,bytes32,uint64,uint64,uint32)"
      : "CommitmentAnchored(bytes32,bytes32,bytes32,bytes32,bytes32,uint64,uint64,uint32,uint256)";
  return keccak256(sig);
}

} // namespace

rpc_chain_gateway::rpc_chain_gateway(rpc_client rpc, address contract, msg::anchor_abi abi)
  : rpc_(std::move(rpc)), contract_(contract), abi_(abi) {}

caf::expected<std::unique_ptr<rpc_chain_gateway>> rpc_chain_gateway::make(const chain_settings& s) {
  auto contract = address::parse(s.contract_address);
  if (!contract)
    return make_error(errc::invalid_request,
                      "anchor contract address must be 0x + 40 hex digits (EIP-55 if mixed "
                      "case), got \""
                        + s.contract_address + "\"");
  auto key = private_key::from_hex(s.private_key_hex);
  if (!key)
    return std::move(key.error());
  auto rpc = rpc_client::make({s.rpc_url, s.connect_timeout, s.io_timeout});
  if (!rpc)
    return std::move(rpc.error());
  std::unique_ptr<rpc_chain_gateway> gw{new rpc_chain_gateway(std::move(*rpc), *contract, s.abi)};
  sender_options so;
  so.chain_id = s.chain_id;
  so.prefer_eip1559 = s.prefer_eip1559;
  so.gas_margin_percent = s.gas_margin_percent;
  so.confirmations = s.confirmations;
  so.receipt_poll_interval = s.receipt_poll_interval;
  so.receipt_timeout = s.receipt_timeout;
  gw->sender_ = std::make_unique<tx_sender>(gw->rpc_, std::move(*key), std::move(so));
  if (!s.settlement_contract_address.empty()) {
    gw->settlement_ = address::parse(s.settlement_contract_address);
    if (!gw->settlement_)
      return make_error(errc::invalid_request,
                        "x402 settlement contract address must be 0x + 40 hex digits (EIP-55 if "
                        "mixed case), got \""
                          + s.settlement_contract_address + "\"");
  }
  return gw;
}

caf::expected<bytes> rpc_chain_gateway::view(const bytes& calldata) {
  call_request req;
  req.from = sender_->from();
  req.to = contract_;
  req.data = calldata;
  return rpc_.eth_call(req);
}

caf::expected<msg::chain_head> rpc_chain_gateway::probe() {
  auto id = sender_->chain_id();
  if (!id)
    return std::move(id.error());
  auto n = rpc_.block_number();
  if (!n)
    return std::move(n.error());
  return msg::chain_head{*id, *n};
}

caf::expected<msg::chain_tx> rpc_chain_gateway::anchor(const msg::chain_commitment& c) {
  tx_request req;
  req.to = contract_;
  req.data = abi_ == msg::anchor_abi::set_registry ? set_registry::commit_batch(c)
                                                   : stateset_anchor::anchor(c);
  auto rc = sender_->send_and_wait(req);
  if (!rc)
    return std::move(rc.error());
  auto id = sender_->chain_id();
  if (!id)
    return std::move(id.error());
  return msg::chain_tx{*id, rc->tx_hash, rc->block_number};
}

caf::expected<bool> rpc_chain_gateway::is_anchored(const msg::uuid& batch_id) {
  if (abi_ == msg::anchor_abi::set_registry) {
    auto c = commitment(batch_id);
    if (!c)
      return std::move(c.error());
    return c->found;
  }
  auto ret = view(stateset_anchor::is_anchored(batch_id));
  if (!ret)
    return std::move(ret.error());
  return abi::decoder(std::move(*ret)).boolean(0);
}

caf::expected<msg::chain_tx> rpc_chain_gateway::find_anchor_tx(const msg::uuid& batch_id) {
  log_filter f;
  f.address = contract_;
  f.topics = {anchored_event_topic(abi_), uuid_to_bytes32(batch_id)};
  auto logs = rpc_.get_logs(f);
  if (!logs)
    return std::move(logs.error());
  for (const auto& log : *logs) {
    if (log.block_number == 0)
      continue; // still pending
    auto id = sender_->chain_id();
    if (!id)
      return std::move(id.error());
    return msg::chain_tx{*id, log.tx_hash, log.block_number};
  }
  return make_error(errc::not_found, "no anchor event for batch " + batch_id.str());
}

caf::expected<msg::onchain_commitment> rpc_chain_gateway::commitment(const msg::uuid& batch_id) {
  bool registry = abi_ == msg::anchor_abi::set_registry;
  auto ret =
    view(registry ? set_registry::commitments(batch_id) : stateset_anchor::commitments(batch_id));
  if (!ret)
    return std::move(ret.error());
  return registry ? set_registry::decode_commitments(*ret)
                  : stateset_anchor::decode_commitments(*ret);
}

caf::expected<msg::onchain_stream_head> rpc_chain_gateway::stream_head(const msg::stream_key& s) {
  msg::onchain_stream_head head;
  if (abi_ == msg::anchor_abi::set_registry) {
    auto seq = view(set_registry::get_head_sequence(s.tenant_id, s.store_id));
    if (!seq)
      return std::move(seq.error());
    auto end = abi::decoder(std::move(*seq)).uint64(0);
    if (!end)
      return std::move(end.error());
    auto root = view(set_registry::get_latest_state_root(s.tenant_id, s.store_id));
    if (!root)
      return std::move(root.error());
    auto r = abi::decoder(std::move(*root)).bytes32(0);
    if (!r)
      return std::move(r.error());
    head.sequence_end = *end;
    head.has_state_root = true;
    head.state_root = *r;
    return head;
  }
  auto seq = view(stateset_anchor::get_latest_sequence(s.tenant_id, s.store_id));
  if (!seq)
    return std::move(seq.error());
  auto end = abi::decoder(std::move(*seq)).uint64(0);
  if (!end)
    return std::move(end.error());
  head.sequence_end = *end;
  return head;
}

caf::expected<bool> rpc_chain_gateway::verify_inclusion(const msg::uuid& batch_id,
                                                        const msg::hash32& leaf,
                                                        const std::vector<msg::hash32>& path,
                                                        uint64_t leaf_index) {
  if (abi_ != msg::anchor_abi::set_registry)
    return make_error(errc::invalid_request,
                      "on-chain inclusion proofs need the set_registry anchor ABI (anchor.abi)");
  auto ret = view(set_registry::verify_inclusion(batch_id, leaf, path, leaf_index));
  if (!ret)
    return std::move(ret.error());
  return abi::decoder(std::move(*ret)).boolean(0);
}

// -- x402 settlement ----------------------------------------------------------------------------

caf::expected<address> rpc_chain_gateway::settlement_contract() const {
  if (!settlement_)
    return make_error(errc::invalid_request, "x402 settlement contract is not configured");
  return *settlement_;
}

caf::expected<bytes> rpc_chain_gateway::settlement_view(const bytes& calldata) {
  auto to = settlement_contract();
  if (!to)
    return std::move(to.error());
  call_request req;
  req.from = sender_->from();
  req.to = *to;
  req.data = calldata;
  return rpc_.eth_call(req);
}

caf::expected<bool> rpc_chain_gateway::is_batch_settled(const msg::uuid& batch_id) {
  auto ret = settlement_view(payment_batch::is_settled(batch_id));
  if (!ret)
    return std::move(ret.error());
  return payment_batch::decode_is_settled(*ret);
}

caf::expected<msg::chain_tx> rpc_chain_gateway::settled_tx(const msg::settle_payment_batch& b) {
  auto ret = settlement_view(payment_batch::get_settlement(b.batch_id));
  if (!ret)
    return std::move(ret.error());
  auto rec = payment_batch::decode_get_settlement(*ret);
  if (!rec)
    return std::move(rec.error());
  auto what = "x402 batch " + b.batch_id.str();
  if (!rec->found)
    return make_error(errc::chain_rejected, what + " is not settled on chain");
  // The same batch id with other roots is a different batch: never pass its tx off as ours.
  if (rec->merkle_root != b.merkle_root || rec->state_root != b.state_root)
    return make_error(errc::chain_rejected, what + " is settled on chain with merkle root "
                                              + to_data(rec->merkle_root) + " and state root "
                                              + to_data(rec->state_root) + ", not "
                                              + to_data(b.merkle_root) + " / "
                                              + to_data(b.state_root));
  // The record names the block; its BatchSettled log (batchId = topic1) names the transaction.
  log_filter f;
  f.address = *settlement_;
  f.from_block = to_quantity(rec->block_number);
  f.to_block = f.from_block;
  f.topics = {payment_batch::batch_settled_topic(), uuid_to_bytes32(b.batch_id)};
  auto logs = rpc_.get_logs(f);
  if (!logs)
    return std::move(logs.error());
  auto hit =
    std::find_if(logs->begin(), logs->end(), [](const log_entry& e) { return !e.removed; });
  if (hit == logs->end())
    return make_error(errc::chain_rejected, what + " is settled on chain (block "
                                              + std::to_string(rec->block_number)
                                              + ") but its BatchSettled log was not found");
  // Answer only once the original transaction has the configured confirmations.
  auto rc = sender_->wait_for_receipt(hit->tx_hash);
  if (!rc)
    return std::move(rc.error());
  if (!rc->success)
    return make_error(errc::chain_rejected, "transaction " + to_data(hit->tx_hash)
                                              + " of the BatchSettled log reverted");
  auto id = sender_->chain_id();
  if (!id)
    return std::move(id.error());
  return msg::chain_tx{*id, rc->tx_hash, rc->block_number};
}

caf::expected<msg::chain_tx>
rpc_chain_gateway::settle_payment_batch(const msg::settle_payment_batch& b) {
  auto contract = settlement_contract();
  if (!contract)
    return std::move(contract.error());
  // Idempotent across restarts: a batch the chain already has is answered, not sent again.
  auto settled = is_batch_settled(b.batch_id);
  if (!settled)
    return std::move(settled.error());
  if (*settled)
    return settled_tx(b);
  tx_request req;
  req.to = *contract;
  req.data = payment_batch::settle_batch(b);
  auto rc = sender_->send_and_wait(req);
  if (!rc) {
    // Refused because another settler (or an attempt of ours whose answer was lost) got there
    // first? Then that transaction is the answer.
    if (rc.error() == errc::chain_rejected) {
      auto again = is_batch_settled(b.batch_id);
      if (again && *again)
        return settled_tx(b);
    }
    return std::move(rc.error());
  }
  auto id = sender_->chain_id();
  if (!id)
    return std::move(id.error());
  return msg::chain_tx{*id, rc->tx_hash, rc->block_number};
}

chain_gateway_factory make_gateway_factory(chain_settings s) {
  return [s = std::move(s)]() -> caf::expected<std::unique_ptr<chain_gateway>> {
    auto gw = rpc_chain_gateway::make(s);
    if (!gw)
      return std::move(gw.error());
    return std::unique_ptr<chain_gateway>{std::move(*gw)};
  };
}

} // namespace seq::chain
