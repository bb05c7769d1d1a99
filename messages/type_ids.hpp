// SPDX-License-Identifier: Apache-2.0
#pragma once

/// THE single CAF type-ID block of the project. Every message type is added here, and every
/// actor system loads it (runtime/system.cpp, tests): `cfg.add_message_types<caf::id_block::seq>()`.

#include "messages/anchor.hpp"
#include "messages/chain.hpp"
#include "messages/committer.hpp"
#include "messages/domain.hpp"
#include "messages/errc.hpp"
#include "messages/ingest.hpp"
#include "messages/projector.hpp"
#include "messages/relay.hpp"
#include "messages/sequencing.hpp"
#include "messages/settlement.hpp"
#include "messages/x402.hpp"
#include "messages/x402_batching.hpp"

#include "caf/type_id.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(seq, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(seq, (seq::msg::stream_key))
  CAF_ADD_TYPE_ID(seq, (seq::msg::ingest_ves))
  CAF_ADD_TYPE_ID(seq, (seq::msg::ves_ingested))
  CAF_ADD_TYPE_ID(seq, (seq::msg::ingest_legacy))
  CAF_ADD_TYPE_ID(seq, (seq::msg::legacy_ingested))
  // actors add their message types below this line
  CAF_ADD_TYPE_ID(seq, (seq::msg::verify_ves_batch))
  CAF_ADD_TYPE_ID(seq, (seq::msg::ves_batch_verified))
  CAF_ADD_TYPE_ID(seq, (seq::msg::verify_legacy_batch))
  CAF_ADD_TYPE_ID(seq, (seq::msg::legacy_batch_verified))
  CAF_ADD_TYPE_ID(seq, (seq::msg::load_stream))
  CAF_ADD_TYPE_ID(seq, (seq::msg::stream_loaded))
  CAF_ADD_TYPE_ID(seq, (seq::msg::commit_group))
  CAF_ADD_TYPE_ID(seq, (seq::msg::group_committed))
  CAF_ADD_TYPE_ID(seq, (seq::msg::inspect_conflict))
  CAF_ADD_TYPE_ID(seq, (seq::msg::conflict_inspected))
  CAF_ADD_TYPE_ID(seq, (seq::msg::stream_activity))
  CAF_ADD_TYPE_ID(seq, (seq::msg::events_committed))
  CAF_ADD_TYPE_ID(seq, (seq::msg::get_companion))
  CAF_ADD_TYPE_ID(seq, (seq::msg::dlq_entry))
  CAF_ADD_TYPE_ID(seq, (seq::msg::projection_status))
  CAF_ADD_TYPE_ID(seq, (seq::msg::retry_dlq))
  CAF_ADD_TYPE_ID(seq, (seq::msg::reapply_dlq))
  CAF_ADD_TYPE_ID(seq, (seq::msg::load_projection))
  CAF_ADD_TYPE_ID(seq, (seq::msg::projection_loaded))
  CAF_ADD_TYPE_ID(seq, (seq::msg::project_batch))
  CAF_ADD_TYPE_ID(seq, (seq::msg::batch_projected))
  CAF_ADD_TYPE_ID(seq, (seq::msg::apply_dlq_retry))
  CAF_ADD_TYPE_ID(seq, (seq::msg::dlq_retry_applied))
  CAF_ADD_TYPE_ID(seq, (seq::msg::resume_halt))
  CAF_ADD_TYPE_ID(seq, (seq::msg::halt_resumed))
  CAF_ADD_TYPE_ID(seq, (seq::msg::dlq_fetch_due))
  CAF_ADD_TYPE_ID(seq, (seq::msg::dlq_fetch_stale))
  CAF_ADD_TYPE_ID(seq, (seq::msg::dlq_rows))
  CAF_ADD_TYPE_ID(seq, (seq::msg::dlq_get))
  CAF_ADD_TYPE_ID(seq, (seq::msg::dlq_update))
  CAF_ADD_TYPE_ID(seq, (seq::msg::dlq_audit))
  // chain (messages/chain.hpp): circuit breaker and chain worker
  CAF_ADD_TYPE_ID(seq, (seq::msg::probe_chain))
  CAF_ADD_TYPE_ID(seq, (seq::msg::chain_head))
  CAF_ADD_TYPE_ID(seq, (seq::msg::anchor_commitment))
  CAF_ADD_TYPE_ID(seq, (seq::msg::chain_tx))
  CAF_ADD_TYPE_ID(seq, (seq::msg::check_anchored))
  CAF_ADD_TYPE_ID(seq, (seq::msg::anchored_state))
  CAF_ADD_TYPE_ID(seq, (seq::msg::find_anchor_tx))
  CAF_ADD_TYPE_ID(seq, (seq::msg::fetch_onchain_commitment))
  CAF_ADD_TYPE_ID(seq, (seq::msg::onchain_commitment))
  CAF_ADD_TYPE_ID(seq, (seq::msg::fetch_onchain_stream_head))
  CAF_ADD_TYPE_ID(seq, (seq::msg::onchain_stream_head))
  CAF_ADD_TYPE_ID(seq, (seq::msg::verify_inclusion_on_chain))
  CAF_ADD_TYPE_ID(seq, (seq::msg::inclusion_verified))
  CAF_ADD_TYPE_ID(seq, (seq::msg::breaker_status))
  // commitments (messages/committer.hpp): committer and commit I/O worker
  CAF_ADD_TYPE_ID(seq, (seq::msg::ves_commitment))
  CAF_ADD_TYPE_ID(seq, (seq::msg::legacy_commitment))
  CAF_ADD_TYPE_ID(seq, (seq::msg::create_ves_commitment))
  CAF_ADD_TYPE_ID(seq, (seq::msg::create_legacy_commitment))
  CAF_ADD_TYPE_ID(seq, (seq::msg::get_ves_proof))
  CAF_ADD_TYPE_ID(seq, (seq::msg::ves_proof))
  CAF_ADD_TYPE_ID(seq, (seq::msg::committer_load))
  CAF_ADD_TYPE_ID(seq, (seq::msg::committer_loaded))
  CAF_ADD_TYPE_ID(seq, (seq::msg::ves_commitment_built))
  // anchoring (messages/anchor.hpp): anchor actor and its storage worker
  CAF_ADD_TYPE_ID(seq, (seq::msg::anchor_batch))
  CAF_ADD_TYPE_ID(seq, (seq::msg::anchor_outcome))
  CAF_ADD_TYPE_ID(seq, (seq::msg::anchor_load))
  CAF_ADD_TYPE_ID(seq, (seq::msg::anchor_loaded))
  CAF_ADD_TYPE_ID(seq, (seq::msg::anchor_save))
  CAF_ADD_TYPE_ID(seq, (seq::msg::anchor_list_pending))
  CAF_ADD_TYPE_ID(seq, (seq::msg::anchor_pending))
  CAF_ADD_TYPE_ID(seq, (seq::msg::anchor_status))
  // x402 settlement (messages/settlement.hpp): circuit breaker and chain worker
  CAF_ADD_TYPE_ID(seq, (seq::msg::settle_payment_batch))
  CAF_ADD_TYPE_ID(seq, (seq::msg::check_batch_settled))
  CAF_ADD_TYPE_ID(seq, (seq::msg::batch_settled_state))
  // x402 payments (messages/x402.hpp, messages/x402_batching.hpp): sequencing, batcher hub,
  // batchers and their I/O workers
  CAF_ADD_TYPE_ID(seq, (seq::msg::ingest_x402))
  CAF_ADD_TYPE_ID(seq, (seq::msg::x402_ingested))
  CAF_ADD_TYPE_ID(seq, (seq::msg::x402_notice))
  CAF_ADD_TYPE_ID(seq, (seq::msg::x402_sequenced))
  CAF_ADD_TYPE_ID(seq, (seq::msg::create_x402_batch))
  CAF_ADD_TYPE_ID(seq, (seq::msg::x402_batch_made))
  CAF_ADD_TYPE_ID(seq, (seq::msg::settle_x402_batch))
  CAF_ADD_TYPE_ID(seq, (seq::msg::x402_settled))
  CAF_ADD_TYPE_ID(seq, (seq::msg::x402_find_work))
  CAF_ADD_TYPE_ID(seq, (seq::msg::x402_work_found))
  CAF_ADD_TYPE_ID(seq, (seq::msg::x402_load_state))
  CAF_ADD_TYPE_ID(seq, (seq::msg::x402_state_loaded))
  CAF_ADD_TYPE_ID(seq, (seq::msg::x402_seal))
  CAF_ADD_TYPE_ID(seq, (seq::msg::x402_sealed))
  CAF_ADD_TYPE_ID(seq, (seq::msg::x402_fetch_batch))
  CAF_ADD_TYPE_ID(seq, (seq::msg::x402_record))
  CAF_ADD_TYPE_ID(seq, (seq::msg::x402_prune))
  // the HTTP adapter's relays (messages/relay.hpp)
  CAF_ADD_TYPE_ID(seq, (seq::msg::relay_call))
CAF_END_TYPE_ID_BLOCK(seq)
