// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The JSON-RPC implementation of seq::chain::chain_gateway (messages/chain.hpp): one RPC
/// connection, one signing account (tx_sender) and one anchor contract of a chosen ABI.
/// Owned by one chain worker actor; blocking.

#include "adapters/chain/rpc_client.hpp"
#include "adapters/chain/signer.hpp"
#include "adapters/chain/tx_sender.hpp"
#include "messages/chain.hpp"
#include "messages/settlement.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "caf/expected.hpp"

namespace seq::chain {

/// Everything needed to reach the chain and the anchor contract. The runtime fills it from
/// the `anchor.*` settings (reference env names: L2_RPC_URL, SET_REGISTRY_ADDRESS,
/// SEQUENCER_PRIVATE_KEY, L2_CHAIN_ID, ANCHOR_FINALITY_CONFIRMATIONS).
struct chain_settings {
  std::string rpc_url;
  std::string contract_address; ///< 0x + 40 hex
  /// x402 settlement contract (VesPaymentBatch), 0x + 40 hex; empty = not configured (the
  /// settlement calls answer errc::invalid_request).
  std::string settlement_contract_address;
  std::string private_key_hex;  ///< secp256k1, 64 hex; never logged
  uint64_t chain_id = 84532001; ///< 0 = accept the node's
  msg::anchor_abi abi = msg::anchor_abi::stateset_anchor;
  uint32_t confirmations = 1;
  uint32_t gas_margin_percent = 25;
  bool prefer_eip1559 = true;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds io_timeout{30000};
  std::chrono::milliseconds receipt_poll_interval{500};
  std::chrono::milliseconds receipt_timeout{120000};
};

class rpc_chain_gateway final : public chain_gateway {
public:
  /// Validates the settings (URL, address, key); does not touch the network.
  static caf::expected<std::unique_ptr<rpc_chain_gateway>> make(const chain_settings& s);

  caf::expected<msg::chain_head> probe() override;
  caf::expected<msg::chain_tx> anchor(const msg::chain_commitment& c) override;
  caf::expected<bool> is_anchored(const msg::uuid& batch_id) override;
  caf::expected<msg::chain_tx> find_anchor_tx(const msg::uuid& batch_id) override;
  caf::expected<msg::onchain_commitment> commitment(const msg::uuid& batch_id) override;
  caf::expected<msg::onchain_stream_head> stream_head(const msg::stream_key& s) override;
  caf::expected<bool> verify_inclusion(const msg::uuid& batch_id, const msg::hash32& leaf,
                                       const std::vector<msg::hash32>& path,
                                       uint64_t leaf_index) override;
  /// Idempotent: when the contract already has the batch, answers the transaction that
  /// settled it (found through its BatchSettled log) after waiting for its confirmations.
  caf::expected<msg::chain_tx> settle_payment_batch(const msg::settle_payment_batch& b) override;
  caf::expected<bool> is_batch_settled(const msg::uuid& batch_id) override;

  const address& sender_address() const {
    return sender_->from();
  }
  tx_sender& sender() {
    return *sender_;
  }

private:
  rpc_chain_gateway(rpc_client rpc, address contract, msg::anchor_abi abi);
  caf::expected<bytes> view(const bytes& calldata);
  caf::expected<address> settlement_contract() const;
  caf::expected<bytes> settlement_view(const bytes& calldata);
  /// The confirmed transaction that settled `b.batch_id` (which the contract says is
  /// settled); errc::chain_rejected when the stored roots are not `b`'s.
  caf::expected<msg::chain_tx> settled_tx(const msg::settle_payment_batch& b);

  rpc_client rpc_;
  address contract_;
  msg::anchor_abi abi_;
  std::unique_ptr<tx_sender> sender_;
  std::optional<address> settlement_; ///< none = x402 settlement not configured
};

/// A factory for chain workers: each call opens a new gateway with these settings.
chain_gateway_factory make_gateway_factory(chain_settings s);

} // namespace seq::chain
