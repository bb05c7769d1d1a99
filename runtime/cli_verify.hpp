// SPDX-License-Identifier: Apache-2.0
#pragma once

/// `ves verify batch|proof|receipt` and `ves export batch`: the I/O around the pure verifier
/// (runtime/verifier.hpp). ves_cli.cpp parses the arguments and calls these.
///
///   ves verify batch   --url URL --batch-id ID | --file EXPORT.json
///                      [--keys FILE]… [--keys-from-store] [--sequencer-key HEX]
///                      [--rpc URL --contract 0xADDR [--abi stateset_anchor|set_registry]]
///   ves verify proof   --leaf HEX --index N [--path HEX]… --root HEX | --file PROOF.json
///                      [--event EVENT.json]
///   ves verify receipt --receipt RECEIPT.json (--sequencer-key HEX | --url URL)
///                      [--event EVENT.json]
///   ves export batch   --url URL --batch-id ID [--keys FILE]… [--keys-from-store]  > EXPORT.json
///
/// Server reads use GET /api/v1/ves/commitments/{id}, /api/v1/ves/commitments?…&anchored=all
/// (the previous commitment of the state-root chain), /api/v1/ves/events (the events with
/// their receipts) and /api/v1/ves/sequencer (the receipt key, unless pinned with
/// --sequencer-key), with the API key of $VES_API_KEY or --api-key (read permission).
/// Agent public keys cannot be read over HTTP: they come from --keys files (JSON, see
/// runtime/README.md), from the export file, or with --keys-from-store from the store.
///
/// Output: one line per finding on stdout, then one summary line (`OK: …` / `FAILED: …`);
/// notes on stderr. Exit codes: 0 valid, 1 invalid (findings), 2 usage or I/O error
/// (unreadable file, server or chain unreachable, HTTP error, batch not found).

#include "adapters/storage/event_store.hpp"
#include "messages/chain.hpp"
#include "messages/ves/json.hpp"
#include "runtime/cli.hpp"
#include "runtime/verifier.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "caf/expected.hpp"

namespace seq::runtime::cli {

/// Exit codes of the verify and export commands.
inline constexpr int verify_valid = 0;
inline constexpr int verify_invalid = 1;
inline constexpr int verify_io_error = 2;

/// The export document's `format` value.
inline constexpr const char* batch_export_format = "ves-batch-export/1";

/// A sequencer server: base URL (http[s]://host[:port][/prefix]) and API key.
struct server_source {
  std::string url;
  std::string api_key;
};

/// An anchor contract to read (views only, no key needed).
struct chain_source {
  std::string rpc_url;
  std::string contract; ///< 0x + 40 hex
  msg::anchor_abi abi = msg::anchor_abi::stateset_anchor;
};

/// Looks up a registered agent key the key files do not hold; none when not registered.
using key_lookup = std::function<caf::expected<std::optional<verify::agent_key_entry>>(
  const verify::uuid& tenant, const verify::uuid& agent, uint32_t key_id)>;

/// A key_lookup on the store at `url` (opened on first use; errc::not_found → none).
key_lookup store_key_lookup(std::string url);

// -- reusable pieces (the lead's end-to-end chain test calls these) ----------------------------

/// Reads the contract's record of `batch_id` with eth_call (commitments(bytes32) of the
/// chosen ABI) and decodes it with adapters/chain/anchor_contract.hpp.
caf::expected<msg::onchain_commitment> read_onchain(const chain_source& c,
                                                    const verify::uuid& batch_id);

/// read_onchain + verify::compare_onchain: the findings (empty = the chain holds exactly the
/// expected record), or the error when the chain cannot be read.
caf::expected<verify::report> check_onchain(const chain_source& c,
                                            const verify::chain_expectation& e);

/// The raw material of a batch, in the server's wire shapes (also the export document).
struct batch_material {
  ves::json::value commitment;
  ves::json::value previous; ///< null: the stream's first commitment
  ves::json::array events;
  ves::json::array agent_keys;
  ves::json::value sequencer; ///< GET /api/v1/ves/sequencer, or null
};

/// Fetches everything for `batch_id` from the server (commitment, previous commitment,
/// events of the range, sequencer key).
caf::expected<batch_material> fetch_batch(const server_source& s, const verify::uuid& batch_id);

/// The export document: {"format", "commitment", "previous_commitment", "events",
/// "agent_keys", "sequencer"}.
ves::json::value to_export_document(const batch_material& m);
/// The inverse; errc::invalid_request when the document lacks the commitment or events.
caf::expected<batch_material> from_export_document(const ves::json::value& doc);

// -- commands ---------------------------------------------------------------------------------

struct verify_batch_options {
  server_source server;               ///< with batch_id; or
  std::string file;                   ///< an export document ("-" = stdin)
  std::string batch_id;               ///< required with a server; checked against the file
  std::vector<std::string> key_files; ///< agent key documents
  key_lookup keys_from_store;         ///< empty: not used
  std::string sequencer_key;          ///< hex; empty: the server's (or the file's)
  std::optional<chain_source> chain;  ///< --rpc: compare the on-chain record
};
int verify_batch(const verify_batch_options& o, output io);

struct export_batch_options {
  server_source server;
  std::string batch_id;
  std::vector<std::string> key_files;
  key_lookup keys_from_store;
};
/// Writes the export document (one line of JSON) to io.out.
int export_batch(const export_batch_options& o, output io);

struct verify_proof_options {
  std::string file;              ///< GET /api/v1/ves/proofs/{seq} response ("-" = stdin)
  std::string leaf, root;        ///< override the file's leaf_hash / merkle_root
  std::optional<uint64_t> index; ///< overrides leaf_index
  std::optional<std::vector<std::string>> path; ///< overrides proof_path
  std::string event_file;                       ///< recompute the leaf from this event (GET shape)
};
int verify_proof(const verify_proof_options& o, output io);

struct verify_receipt_options {
  std::string receipt_file;  ///< camelCase ingest receipt or a GET event ("-" = stdin)
  std::string event_file;    ///< the event (envelope or GET shape) to recompute the hash
  std::string sequencer_key; ///< hex; else fetched from `server`
  server_source server;
};
int verify_receipt(const verify_receipt_options& o, output io);

} // namespace seq::runtime::cli
