// SPDX-License-Identifier: Apache-2.0
#pragma once

/// THE single CAF type-ID block of the project. Every message type is added here, and every
/// actor system loads it (runtime/system.cpp, tests): `cfg.add_message_types<caf::id_block::seq>()`.

#include "messages/domain.hpp"
#include "messages/errc.hpp"
#include "messages/ingest.hpp"
#include "messages/sequencing.hpp"

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
CAF_END_TYPE_ID_BLOCK(seq)
