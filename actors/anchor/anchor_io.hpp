// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Anchor storage worker.
///
/// Role: the blocking storage work of the anchor actor (anchor_actor.hpp) on one event store
///   connection (its commitment interface, messages/commitment.hpp).
/// Interface (dynamically typed `caf::actor`, messages/anchor.hpp):
///   anchor_load          → anchor_loaded    the commitment as it goes on chain, and the
///                                           transaction already recorded on its row, if any
///   anchor_save          → true             records the anchoring transaction
///   anchor_list_pending  → anchor_pending   oldest VES commitments with no transaction
///   Any call may instead answer a caf::error carrying a seq::errc.
/// Sends: nothing but replies.
/// Supervision: spawned and linked by the anchor actor (they die together).
/// State: one connection (opened lazily; dropped after errc::storage_unavailable).
/// Threading: blocking I/O — spawned detached unless the anchor's config says otherwise.

#include "actors/ingest_config.hpp"
#include "actors/lazy_store.hpp"

#include "caf/fwd.hpp"
#include "caf/stateful_actor.hpp"

namespace seq::actors::anchor {

struct anchor_io_state {
  static inline const char* name = "anchor_io";
  lazy_store store;
};

caf::behavior anchor_io(caf::stateful_actor<anchor_io_state>* self, store_factory factory);

} // namespace seq::actors::anchor
