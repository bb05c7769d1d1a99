// SPDX-License-Identifier: Apache-2.0
#include "adapters/chain/gateway.hpp"

#include "adapters/chain/abi.hpp"
#include "adapters/chain/anchor_contract.hpp"
#include "messages/errc.hpp"

namespace seq::chain {

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

chain_gateway_factory make_gateway_factory(chain_settings s) {
  return [s = std::move(s)]() -> caf::expected<std::unique_ptr<chain_gateway>> {
    auto gw = rpc_chain_gateway::make(s);
    if (!gw)
      return std::move(gw.error());
    return std::unique_ptr<chain_gateway>{std::move(*gw)};
  };
}

} // namespace seq::chain
