// SPDX-License-Identifier: Apache-2.0
#include "actors/committer/commit_batch.hpp"

#include "messages/errc.hpp"

#include <algorithm>
#include <limits>

namespace seq::actors::committer {

namespace {

/// Events read per storage call.
constexpr uint32_t read_chunk = 4096;

/// Largest range one commitment may cover (leaf_count is a u32 and the tree lives in memory).
constexpr uint64_t max_range = uint64_t{1} << 24;

caf::error client_error(std::string what) {
  return make_error(errc::invalid_request, "internal error: " + std::move(what));
}

/// Reads [start, end] with `read` (a chunked reader) and checks that it is complete and
/// contiguous.
template <class Event, class Read>
caf::expected<std::vector<Event>> read_range(Read read, uint64_t start, uint64_t end,
                                             const char* kind) {
  std::vector<Event> out;
  // Room for what one read returns: the range is the client's, and only the events stored
  // in it may cost memory.
  out.reserve(static_cast<size_t>(std::min<uint64_t>(read_chunk, end - start + 1)));
  for (auto from = start; from <= end;) {
    auto n = static_cast<uint32_t>(std::min<uint64_t>(read_chunk, end - from + 1));
    auto xs = read(from, n);
    if (!xs)
      return xs.error();
    if (xs->empty())
      break;
    for (auto& x : *xs)
      out.push_back(std::move(x));
    from += n;
  }
  auto expected = end - start + 1;
  if (out.empty())
    return client_error(std::string{"no "} + kind + " events in range for commitment");
  if (out.size() != expected)
    return client_error(std::string{"range contains "} + std::to_string(out.size())
                        + " events but expected " + std::to_string(expected));
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i].sequence_number != start + i)
      return client_error(std::string{"non-contiguous "} + kind + " events in range at sequence "
                          + std::to_string(start + i));
  return out;
}

/// The checks shared by both kinds: `existing` = a commitment starting at `start` (if any),
/// `last_end` = the stream's highest committed end (0 = none).
template <class Commitment>
caf::expected<bool> check_range(const std::optional<Commitment>& same_start,
                                std::optional<uint64_t> last_end, uint64_t start,
                                uint64_t end) {
  if (same_start) {
    if (same_start->sequence_end == end)
      return true; // idempotent
    return client_error("commitment already exists for start " + std::to_string(start)
                        + " but ends at " + std::to_string(same_start->sequence_end)
                        + " (requested " + std::to_string(end) + ")");
  }
  if (start == 0 || end < start)
    return client_error("invalid sequence range");
  if (end - start + 1 > max_range)
    return client_error("commitment range too large (at most " + std::to_string(max_range)
                        + " events)");
  if (last_end && start != *last_end + 1)
    return client_error("commitment range must start at " + std::to_string(*last_end + 1)
                        + " (next after last committed sequence " + std::to_string(*last_end)
                        + ")");
  return false;
}

template <class Commitment>
std::optional<Commitment> if_starts_at(const std::optional<Commitment>& c, uint64_t start) {
  if (c && c->sequence_start == start)
    return c;
  return std::nullopt;
}

/// What a new commitment of [start, end] needs to know: the stream's last commitment, and the
/// commitment of exactly that range when it exists already (the request is then a resend).
template <class Commitment>
struct range_check {
  std::optional<Commitment> last;
  std::optional<Commitment> existing;
};

/// Reads the commitment covering `start` and the stream's last one (`covering()`, `last()`)
/// and applies check_range.
template <class Commitment, class Covering, class Last>
caf::expected<range_check<Commitment>> check_new_range(Covering covering, Last last,
                                                       uint64_t start, uint64_t end) {
  auto cov = covering();
  if (!cov)
    return cov.error();
  auto same_start = if_starts_at(*cov, start);
  auto prev = last();
  if (!prev)
    return prev.error();
  std::optional<uint64_t> last_end;
  if (*prev)
    last_end = (*prev)->sequence_end;
  auto existing = check_range(same_start, last_end, start, end);
  if (!existing)
    return existing.error();
  range_check<Commitment> out;
  out.last = std::move(*prev);
  if (*existing)
    out.existing = std::move(same_start);
  return out;
}

/// The leaf hashes of the stream's VES events [start, end].
caf::expected<std::vector<msg::hash32>>
read_ves_leaves(storage::event_store& events, const msg::stream_key& s, uint64_t start,
                uint64_t end) {
  auto rows = read_range<storage::ves_leaf_row>(
    [&](uint64_t from, uint32_t n) { return events.read_ves_leaf_rows(s, from, n); }, start, end,
    "VES");
  if (!rows)
    return rows.error();
  std::vector<msg::hash32> out;
  out.reserve(rows->size());
  for (const auto& x : *rows)
    out.push_back(ves_leaf(s, x));
  return out;
}

} // namespace

msg::hash32 ves_leaf(const msg::stream_key& s, const storage::ves_leaf_row& e) {
  return ves::leaf_hash(s.tenant_id, s.store_id, e.sequence_number, e.event_signing_hash,
                        e.agent_signature);
}

msg::hash32 legacy_leaf(const msg::sequenced_legacy_event& e) {
  return ves::legacy_leaf_hash(e.ev.tenant_id, e.ev.store_id, e.sequence_number,
                               e.ev.payload_hash, e.ev.entity_type, e.ev.entity_id);
}

caf::expected<msg::ves_commitment_built>
create_ves_commitment(storage::event_store& events, storage::commitment_store& commitments,
                      const msg::stream_key& s, uint64_t start, uint64_t end,
                      msg::timestamp_us now) {
  auto range = check_new_range<msg::ves_commitment>(
    [&] { return commitments.covering_ves_commitment(s, start); },
    [&] { return commitments.last_ves_commitment(s); }, start, end);
  if (!range)
    return range.error();
  const auto& last = range->last;
  if (range->existing) {
    auto built = load_ves_leaves(events, *range->existing);
    if (!built)
      return built.error();
    return built;
  }
  auto leaves = read_ves_leaves(events, s, start, end);
  if (!leaves)
    return leaves.error();
  msg::ves_commitment_built out;
  out.leaves = std::move(*leaves);
  auto tree = ves::build_merkle_tree(out.leaves);
  auto& c = out.commitment;
  c.batch_id = msg::uuid::random_v4();
  c.stream = s;
  c.ves_version = 1;
  c.tree_depth = tree.depth();
  c.leaf_count = static_cast<uint32_t>(tree.leaf_count);
  c.padded_leaf_count = static_cast<uint32_t>(tree.padded_leaf_count());
  c.merkle_root = tree.root();
  if (last)
    c.prev_state_root = last->new_state_root;
  c.sequence_start = start;
  c.sequence_end = end;
  c.new_state_root = ves::state_root(ves::stream_id(s.tenant_id, s.store_id), c.prev_state_root,
                                     c.merkle_root, start, end, c.leaf_count);
  c.committed_at = now;
  if (auto ok = commitments.insert_ves_commitment(c); !ok) {
    // Another process committed the same start meanwhile: idempotent if it is the same range.
    if (ok.error() == errc::storage_conflict) {
      auto again = commitments.covering_ves_commitment(s, start);
      if (again && *again && (*again)->sequence_start == start && (*again)->sequence_end == end) {
        out.commitment = **again;
        return out;
      }
      return client_error("commitment range overlaps an existing commitment");
    }
    return ok.error();
  }
  out.created = true;
  return out;
}

caf::expected<msg::ves_commitment_built> load_ves_leaves(storage::event_store& events,
                                                         const msg::ves_commitment& c) {
  auto leaves = read_ves_leaves(events, c.stream, c.sequence_start, c.sequence_end);
  if (!leaves) {
    // Events of the range are missing (invalid_request from read_range): the data no longer
    // matches. A storage error stays what it is (503 when the database is unreachable).
    if (leaves.error() == errc::invalid_request)
      return make_error(errc::internal, "Commitment merkle_root does not match ves_events");
    return leaves.error();
  }
  msg::ves_commitment_built out;
  out.commitment = c;
  out.leaves = std::move(*leaves);
  if (ves::build_merkle_tree(out.leaves).root() != c.merkle_root)
    return make_error(errc::internal, "Commitment merkle_root does not match ves_events");
  return out;
}

caf::expected<msg::legacy_commitment>
create_legacy_commitment(storage::event_store& events, storage::commitment_store& commitments,
                         const msg::stream_key& s, uint64_t start, uint64_t end,
                         msg::timestamp_us now) {
  auto range = check_new_range<msg::legacy_commitment>(
    [&] { return commitments.covering_legacy_commitment(s, start); },
    [&] { return commitments.last_legacy_commitment(s); }, start, end);
  if (!range)
    return range.error();
  const auto& last = range->last;
  if (range->existing)
    return *range->existing;
  auto xs = read_range<msg::sequenced_legacy_event>(
    [&](uint64_t from, uint32_t n) { return events.read_legacy_events(s, from, n); }, start, end,
    "legacy");
  if (!xs)
    return xs.error();
  std::vector<msg::hash32> leaves;
  leaves.reserve(xs->size());
  for (auto& x : *xs)
    leaves.push_back(legacy_leaf(x));
  auto versions = events.load_entity_versions(s);
  if (!versions)
    return versions.error();
  std::vector<ves::entity_version_row> rows;
  rows.reserve(versions->size());
  for (auto& [k, v] : *versions)
    rows.push_back({k.entity_type, k.entity_id, v});
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return std::tie(a.entity_type, a.entity_id) < std::tie(b.entity_type, b.entity_id);
  });
  msg::legacy_commitment c;
  c.batch_id = msg::uuid::random_v4();
  c.stream = s;
  if (last)
    c.prev_state_root = last->new_state_root;
  c.new_state_root = ves::legacy_state_root(s.tenant_id, s.store_id, rows);
  c.events_root = ves::legacy_merkle_root(leaves);
  c.event_count = static_cast<uint32_t>(leaves.size());
  c.sequence_start = start;
  c.sequence_end = end;
  c.committed_at = now;
  if (auto ok = commitments.insert_legacy_commitment(c); !ok) {
    if (ok.error() == errc::storage_conflict) {
      auto again = commitments.covering_legacy_commitment(s, start);
      if (again && *again && (*again)->sequence_start == start && (*again)->sequence_end == end)
        return **again;
      return client_error("commitment range overlaps an existing commitment");
    }
    return ok.error();
  }
  return c;
}

msg::ves_proof make_ves_proof(const msg::ves_commitment& c, const ves::merkle_tree& t,
                              uint64_t sequence_number) {
  msg::ves_proof p;
  p.sequence_number = sequence_number;
  p.batch_id = c.batch_id;
  p.merkle_root = c.merkle_root;
  auto index = static_cast<size_t>(sequence_number - c.sequence_start);
  p.leaf_index = index;
  p.leaf_hash = t.levels.front()[index];
  auto proof = ves::make_proof(t, index);
  p.proof_path = std::move(proof.path);
  p.directions = std::move(proof.directions);
  return p;
}

} // namespace seq::actors::committer
