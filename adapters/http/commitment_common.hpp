// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Helpers shared by the commitment routes (routes_commitments.cpp) and the anchoring routes
/// (routes_anchor.cpp). Each rejects (throws request_error) instead of returning an error.

#include "adapters/http/json_writer.hpp"
#include "adapters/http/route_common.hpp"
#include "messages/commitment.hpp"

#include "caf/actor.hpp"

namespace seq::http {

/// The stream's committer companion (through the registry); 503 when none runs.
caf::actor committer_of(context& ctx, const msg::stream_key& s);

/// A commitment by batch id; 404 `Commitment not found`.
msg::ves_commitment load_ves(context& ctx, const ves::uuid& id);
msg::legacy_commitment load_legacy(context& ctx, const ves::uuid& id);

/// The fields every VES commitment shape shares (bare hex, committed_at RFC 3339).
void ves_fields(json_writer& w, const msg::ves_commitment& c);

} // namespace seq::http
