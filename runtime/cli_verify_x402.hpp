// SPDX-License-Identifier: Apache-2.0
#pragma once

/// `ves verify payment-receipt FILE|-`: checks an x402 payment receipt (GET
/// /api/v1/x402/payments/{id}/receipt, with or without its {"receipt": …} wrapper) offline,
/// trusting nothing the server computed: the signing hash is recomputed from the payment
/// fields (chain id from the network), the leaf from the intent id, sequence number, fields,
/// signing hash and signature, and the inclusion proof must reach merkle_root. When the
/// receipt carries them (this project's additions), the payer signature is checked with
/// payer_public_key (or --payer-key) and new_state_root with tenant_id and store_id.
///
/// Output: one line per check on stdout, then `OK: …` or `FAILED: …`. Exit codes as the other
/// verify commands (runtime/cli_verify.hpp): 0 valid, 1 invalid (a missing or malformed field
/// of the receipt too), 2 unreadable or non-JSON input, or a bad --payer-key.

#include "runtime/cli.hpp"

#include <string>

namespace seq::runtime::cli {

struct verify_payment_receipt_options {
  std::string file;      ///< "-" = stdin
  std::string payer_key; ///< hex Ed25519 public key; overrides the receipt's payer_public_key
};

int verify_payment_receipt(const verify_payment_receipt_options& o, output io);

} // namespace seq::runtime::cli
