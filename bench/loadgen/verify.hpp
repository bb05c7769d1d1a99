// SPDX-License-Identifier: Apache-2.0
#pragma once

/// After a run (the clock has stopped): reads what every response said, then checks the
/// streams on the server against it.
/// - digest_responses: accepted/rejected counts per request and, per event, the sequence
///   number and receipt the server acknowledged.
/// - verify_run: every VES receipt's hash is recomputed from (tenant, store, event id,
///   sequence number, the client's own signing hash) and its Ed25519 signature checked with
///   the sequencer's published key; every stream is pulled page by page and must hold exactly
///   1..head with no gap, each acknowledged event at the number (and with the receipt) it was
///   acknowledged with, and nothing the client did not send.

#include "bench/loadgen/workload.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace seq::bench {

/// What came back for one request; status -1 = never sent, 0 = transport failure.
struct request_result {
  int status = -1;
  std::string body;
};

struct event_ack {
  uint64_t seq = 0;           ///< 0: not acknowledged
  std::string receipt_hash;   ///< VES: bare hex as received
  std::string signature;      ///< VES: bare hex as received
};

struct response_digest {
  std::vector<event_ack> acks;            ///< per event
  std::vector<uint32_t> accepted;         ///< per request (0 when not 200)
  uint64_t rejected = 0;                  ///< events listed in `rejections`
  uint64_t replayed = 0;                  ///< receipts beyond `eventsAccepted` (VES replays)
  uint64_t unparsable = 0;                ///< 200 responses that were not the expected JSON
  std::string first_rejection;            ///< sample reason
};

response_digest digest_responses(const workload& w, const std::vector<request_result>& results,
                                 size_t threads);

/// The sequencer's published receipt key.
struct sequencer_key {
  ves::uuid id;
  ves::pubkey32 public_key{};
};

struct verify_report {
  bool ok = true;
  uint64_t receipts_checked = 0;
  uint64_t streams_checked = 0;
  uint64_t events_pulled = 0;
  uint64_t stored_unacked = 0;           ///< stored events whose request got no 200
  std::vector<std::string> problems;     ///< the first few
};

struct server_endpoint {
  std::string host;
  uint16_t port = 0;
  std::string admin_key;
};

verify_report verify_run(const workload& w, const std::vector<request_result>& results,
                         const response_digest& d, const sequencer_key& key,
                         const server_endpoint& srv, size_t threads);

} // namespace seq::bench
