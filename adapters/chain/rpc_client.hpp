// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Ethereum JSON-RPC 2.0 over HTTP(S) (cpp-httplib client, messages/ves/json.hpp for JSON).
/// Blocking: use it from a detached actor or a plain thread, never on the cooperative
/// scheduler. Not thread-safe (one connection, kept alive between calls and reopened after
/// a transport error).
///
/// Errors (caf::expected):
/// - errc::chain_unavailable: connection refused/reset, timeout, HTTP 5xx/429, a body that
///   is not JSON-RPC — the chain may come back; a circuit breaker counts these;
/// - errc::chain_rejected: a JSON-RPC error object (the message names the method and quotes
///   the node's message, plus the decoded revert reason when the node sends revert data),
///   or an answer of the wrong shape.

#include "adapters/chain/primitives.hpp"
#include "messages/ves/json.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "caf/expected.hpp"

namespace seq::chain {

struct rpc_options {
  /// http://host:port[/path] or https://…
  std::string url;
  std::chrono::milliseconds connect_timeout{5000};
  /// Per request (read and write).
  std::chrono::milliseconds io_timeout{30000};
};

/// The fields of eth_call / eth_estimateGas.
struct call_request {
  std::optional<address> from;
  std::optional<address> to; ///< none = contract creation (estimateGas only)
  bytes data;
  u256 value;
};

struct tx_receipt {
  hash32 tx_hash{};
  hash32 block_hash{};
  uint64_t block_number = 0;
  bool success = false; ///< status 0x1
  uint64_t gas_used = 0;
  std::optional<address> contract_address;
};

/// An eth_getLogs filter. Block bounds are JSON-RPC block tags or quantities ("earliest",
/// "latest", to_quantity(n)); `topics[i]` = none matches any value at position i.
struct log_filter {
  std::optional<chain::address> address;
  std::string from_block = "earliest";
  std::string to_block = "latest";
  std::vector<std::optional<hash32>> topics;
};

/// One log entry of eth_getLogs (pending logs, without a block, are skipped).
struct log_entry {
  chain::address address;
  std::vector<hash32> topics;
  bytes data;
  uint64_t block_number = 0;
  hash32 block_hash{};
  hash32 tx_hash{};
  uint64_t log_index = 0;
  bool removed = false; ///< dropped by a reorg
};

/// What an RPC error object said (kept on the client for the last failed call, so callers
/// such as the nonce manager can look at the node's exact words).
struct rpc_error_info {
  int64_t code = 0;
  std::string message;
  bytes revert_data; ///< `data` (geth) or `data.result` (ganache) when it is hex
};

class rpc_client {
public:
  /// Checks the URL (scheme, host, port); errc::invalid_request when malformed.
  static caf::expected<rpc_client> make(rpc_options opts);

  rpc_client(rpc_client&&) noexcept;
  rpc_client& operator=(rpc_client&&) noexcept;
  ~rpc_client();

  const std::string& url() const {
    return opts_.url;
  }

  /// One JSON-RPC call; returns `result`.
  caf::expected<ves::json::value> call(std::string_view method, ves::json::array params);

  /// The node's error object of the last call that failed with one (cleared on success).
  const std::optional<rpc_error_info>& last_rpc_error() const {
    return last_error_;
  }

  // -- typed eth_* calls ----------------------------------------------------------------------

  caf::expected<uint64_t> chain_id();
  caf::expected<uint64_t> block_number();
  /// eth_getTransactionCount(addr, tag); tag "pending" counts queued transactions.
  caf::expected<uint64_t> transaction_count(const address& a, std::string_view tag = "pending");
  caf::expected<u256> gas_price();
  caf::expected<u256> max_priority_fee_per_gas();
  /// baseFeePerGas of the latest block; none on chains without EIP-1559.
  caf::expected<std::optional<u256>> latest_base_fee();
  /// Timestamp of the latest block (seconds).
  caf::expected<uint64_t> latest_timestamp();
  caf::expected<uint64_t> estimate_gas(const call_request& req);
  /// eth_call at `block` ("latest" by default); returns the return data.
  caf::expected<bytes> eth_call(const call_request& req, std::string_view block = "latest");
  caf::expected<hash32> send_raw_transaction(const bytes& raw);
  /// none while the transaction is pending or unknown.
  caf::expected<std::optional<tx_receipt>> transaction_receipt(const hash32& tx_hash);
  caf::expected<u256> balance(const address& a, std::string_view tag = "latest");
  /// eth_getLogs; entries in the node's order (block, then log index).
  caf::expected<std::vector<log_entry>> get_logs(const log_filter& f);

private:
  struct impl;
  explicit rpc_client(rpc_options opts);
  rpc_options opts_;
  std::string path_;
  std::unique_ptr<impl> impl_;
  uint64_t next_id_ = 1;
  std::optional<rpc_error_info> last_error_;
};

/// The JSON object of a call request (`from`, `to`, `data`, `value` as JSON-RPC hex).
ves::json::value to_json(const call_request& req);

} // namespace seq::chain
