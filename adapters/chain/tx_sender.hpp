// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Sends transactions from one account: nonce management, gas estimation with a margin,
/// fee selection (EIP-1559 when the chain has a base fee, EIP-155 legacy otherwise or when
/// asked), signing, eth_sendRawTransaction, and receipt polling with a confirmation depth.
///
/// Nonces: the next nonce is cached after the first eth_getTransactionCount(addr, "pending")
/// and incremented per accepted transaction. When the node says the nonce is stale ("nonce
/// too low", ganache's "doesn't have the correct nonce", "replacement transaction
/// underpriced", …) the cache is resynchronised from the node and the send retried once;
/// after any other failed send the cache is dropped, so the next send asks the node again
/// (the failed transaction may or may not have reached the pool). "already known" means the
/// node already has this exact transaction: that counts as sent.
///
/// Blocking (polls with sleeps); not thread-safe. Use from one chain worker.

#include "adapters/chain/rpc_client.hpp"
#include "adapters/chain/signer.hpp"
#include "adapters/chain/transaction.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "caf/expected.hpp"

namespace seq::chain {

struct sender_options {
  /// Expected chain id; 0 = take the node's eth_chainId. A mismatch fails every send with
  /// errc::chain_rejected (never sign for the wrong chain).
  uint64_t chain_id = 0;
  /// Send EIP-1559 transactions when the chain reports a base fee.
  bool prefer_eip1559 = true;
  /// Gas limit = estimate · (100 + gas_margin_percent) / 100.
  uint32_t gas_margin_percent = 25;
  /// maxFeePerGas = base_fee · base_fee_multiplier + priority fee.
  uint32_t base_fee_multiplier = 2;
  /// Priority fee when the node has no eth_maxPriorityFeePerGas (wei).
  uint64_t fallback_priority_fee_wei = 1'000'000'000;
  /// A receipt counts once the head is at least block + confirmations − 1 (1 = mined).
  uint32_t confirmations = 1;
  std::chrono::milliseconds receipt_poll_interval{200};
  std::chrono::milliseconds receipt_timeout{60000};
  /// How the sender waits between polls (tests may replace it).
  std::function<void(std::chrono::milliseconds)> sleep;
};

/// A transaction to build: call `to` with `data`, or create a contract when `to` is none.
struct tx_request {
  std::optional<address> to;
  bytes data;
  u256 value;
  /// Fixed gas limit; none = estimate with the margin.
  std::optional<uint64_t> gas_limit;
};

struct sent_tx {
  hash32 hash{};
  uint64_t nonce = 0;
  uint64_t gas_limit = 0;
  bool eip1559 = false;
};

class tx_sender {
public:
  tx_sender(rpc_client& rpc, private_key key, sender_options opts);

  const address& from() const {
    return key_.addr();
  }

  /// The chain id (asked once, then cached; checked against the configured one).
  caf::expected<uint64_t> chain_id();

  /// Estimates, signs and sends; returns once the node accepted the transaction.
  caf::expected<sent_tx> send(const tx_request& req);

  /// Polls until the transaction has `confirmations` blocks, or the timeout passes
  /// (errc::timeout). A receipt that disappears again (reorg) restarts the wait.
  caf::expected<tx_receipt> wait_for_receipt(const hash32& tx_hash);

  /// send + wait_for_receipt; a reverted transaction is errc::chain_rejected.
  caf::expected<tx_receipt> send_and_wait(const tx_request& req);

  /// The cached next nonce, if any.
  std::optional<uint64_t> cached_nonce() const {
    return next_nonce_;
  }
  /// Forgets the cached nonce (the next send asks the node).
  void reset_nonce() {
    next_nonce_.reset();
  }
  /// How many times the nonce was resynchronised after a stale-nonce answer.
  uint64_t nonce_resyncs() const {
    return nonce_resyncs_;
  }

private:
  enum class send_outcome { ok, stale_nonce, failed };
  caf::expected<uint64_t> next_nonce();
  caf::expected<unsigned_tx> build(const tx_request& req, uint64_t nonce, uint64_t chain);

  rpc_client& rpc_;
  private_key key_;
  sender_options opts_;
  std::optional<uint64_t> chain_id_;
  std::optional<uint64_t> next_nonce_;
  uint64_t nonce_resyncs_ = 0;
};

/// True when a node's error message says the nonce was already used (the cases above).
bool is_stale_nonce_message(std::string_view node_message);

} // namespace seq::chain
