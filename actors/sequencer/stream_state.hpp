// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The rules of one stream's sequencer as a plain class (no CAF actors): heads of the three
/// sequence spaces, entity versions (shared by legacy and VES), bounded LRU caches of recent
/// event ids, command ids, x402 nonces and x402 idempotency keys, and the group planner.
///
/// The planner turns queued requests (verified by the verify pool) into ONE
/// storage::write_group plus one outcome per request, as if the requests were ingested one
/// after the other (wire-contract §6.1 legacy, §6.2 VES): numbers head+1… go to accepted
/// events only; exact replays get the stored receipt; receipts are signed with the
/// sequencer key; x402 intents (already signature-checked by the transport) are answered
/// with their stream's existing intent when their idempotency key is known, refused with
/// "Nonce already used for this payer" when their (payer, nonce) is, and otherwise get the
/// next number of the x402 space. `plan` does not change the state: the caller writes the
/// group and then calls `commit` (success), `apply_conflict` (errc::storage_conflict: then
/// plans the SAME requests again) or `load` (other failures: state reloaded from storage). So
/// a number is never skipped and never given twice. The stream actor plans its next group
/// request by request (`start_group`) on top of the group it is writing; that plan is used
/// only if the write commits.
///
/// The caches are hints, not the truth: an id missing from them is treated as new, and the
/// storage fence (unique keys, version compare-and-set) reports it on commit; the conflict
/// report is kept ("sticky") until the next successful commit so a re-plan always sees it.
/// An event the planner would reject for a reason that holds only for a new event (its
/// command processed, a version conflict) may be a retry of a stored one, which must get
/// its stored receipt (§6.2) or a duplicate answer: such a plan lists the ids as suspects,
/// and storage is asked about them before the plan is used.
///
/// Memory: one instance per live stream, so an idle one is small: each cache allocates on
/// its first entry, the sticky report only when a conflict arrives, and the receipt key is
/// shared (the seed is not kept per stream).

#include "actors/sequencer/lru_cache.hpp"
#include "messages/domain.hpp"
#include "messages/ingest.hpp"
#include "messages/sequencing.hpp"
#include "messages/store.hpp"
#include "messages/ves/ves.hpp"
#include "messages/x402.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "caf/error.hpp"

namespace seq::actors {

struct uuid_hash {
  size_t operator()(const msg::uuid& u) const noexcept;
};

/// What a sequencer remembers about a stored (or about to be stored) VES event.
struct known_ves_event {
  msg::uuid tenant_id, store_id;
  msg::hash32 fingerprint{};
  std::optional<msg::receipt> rcpt; ///< none: stored without a receipt
};

/// The key and identity that sign receipts.
struct receipt_signer {
  ves::seed32 seed{};
  msg::uuid sequencer_id;
  int32_t key_version = 0;
  /// `seed` as a ready signing key (ingest_config::sequencer_signer, derived once per node);
  /// stream_state derives it from `seed` when empty.
  std::shared_ptr<const ves::ed25519_signer> key;
};

/// One queued request as the planner sees it: exactly one of the three pointers is set.
struct queued_request {
  std::shared_ptr<const msg::verified_ves> ves;
  std::shared_ptr<const msg::verified_legacy> legacy;
  std::shared_ptr<const msg::x402_intent> x402;
  size_t events() const;
};

/// The answer for one request of a group.
struct request_outcome {
  caf::error error; ///< the whole request failed (e.g. errc::sequence_exhausted)
  std::shared_ptr<msg::ves_ingest_outcome> ves;       ///< set for VES requests without error
  std::shared_ptr<msg::legacy_ingest_outcome> legacy; ///< set for legacy requests without error
  std::shared_ptr<msg::x402_ingest_outcome> x402;     ///< set for x402 requests without error
};

/// The result of planning a group: what to write and what to answer after the write.
struct group_plan {
  storage::write_group group;
  std::vector<request_outcome> outcomes; ///< one per request, in request order
  msg::stream_heads heads_after;
  std::vector<std::pair<msg::uuid, known_ves_event>> new_ves; ///< accepted VES events
  std::vector<msg::uuid> new_legacy_ids;
  /// Events rejected for a reason that holds only for a NEW event (a command already
  /// processed, a version conflict, …) whose ids neither the caches nor storage were asked
  /// about: if one is stored, it must be answered as a duplicate or an exact replay instead.
  /// Before such a plan is used, storage is asked about them (`group_with_suspects`,
  /// `apply_conflict`) and the same requests are planned again.
  std::vector<msg::sequenced_ves_event> suspect_ves;
  std::vector<msg::sequenced_legacy_event> suspect_legacy;
  uint64_t accepted = 0, rejected = 0, replayed = 0;
  uint64_t x402_accepted = 0; ///< new intents (not counted in `accepted`)
};

class stream_state {
public:
  /// `recent_ids` is the capacity of each id cache.
  stream_state(msg::stream_key key, receipt_signer signer, size_t recent_ids);

  /// Replaces heads and entity versions with what storage holds (start, reload).
  void load(const msg::stream_snapshot& s);

  class group_builder;

  /// Plans one group from `reqs` (in order) at time `now`; does not change the state.
  group_plan plan(const std::vector<const queued_request*>& reqs, msg::timestamp_us now) const;

  /// Starts planning a group request by request. With `after`, the plan of a group that is
  /// still being written, the new group continues from it (numbers, entity versions, known
  /// ids and nonces) as if it had committed. Such a plan may be written only after `after`
  /// committed; if `after` fails, drop the builder and plan its requests again. The builder
  /// copies what it needs from `after` and refers to this state, which must outlive it.
  group_builder start_group(const group_plan* after = nullptr) const;

  /// Applies a plan whose group was committed.
  void commit(const group_plan& p);

  /// Learns from a storage conflict report about `asked` (the group written, or
  /// `group_with_suspects`): existing events, reserved commands, versions and heads; every
  /// event id of `asked` counts as checked until the next commit. Plan the same requests
  /// again afterwards.
  void apply_conflict(const storage::write_group& asked, const storage::conflict_report& r);

  /// The group to ask storage about when `p` has suspects: its group plus the suspects.
  static storage::write_group group_with_suspects(const group_plan& p);

  const msg::stream_key& key() const {
    return key_;
  }
  const msg::stream_heads& heads() const {
    return heads_;
  }
  /// Current version of an entity (0 when unseen).
  int64_t version(const msg::entity_key& e) const;
  /// Whether the caches (or a pending conflict report) know this VES event id.
  bool knows_ves_event(const msg::uuid& id) const;
  bool knows_ves_command(const msg::uuid& id) const;
  /// Whether the caches (or a pending conflict report) know this x402 (payer, nonce).
  bool knows_x402_nonce(const msg::x402_nonce_key& k) const;

  /// How long a used x402 nonce stays refused by the cache: the storage prunes nonce rows
  /// after twice the longest validity window, and the cache forgets them with it.
  static constexpr msg::timestamp_us x402_nonce_retention_us
    = int64_t{2} * int64_t{msg::x402_max_validity_s} * 1'000'000;

private:
  struct working;

  const known_ves_event* find_ves(const working& w, const msg::uuid& id) const;
  bool legacy_id_known(const working& w, const msg::uuid& id) const;
  bool ves_command_reserved(const working& w, const msg::uuid& id) const;
  bool legacy_command_reserved(const working& w, const msg::uuid& id) const;
  bool x402_nonce_used(const working& w, const std::string& k, msg::timestamp_us now) const;
  std::optional<msg::uuid> x402_key_owner(const working& w, const std::string& key) const;
  int64_t version_in(const working& w, const msg::entity_key& e) const;

  void plan_ves(working& w, const msg::verified_ves& req, msg::timestamp_us now,
                group_plan& out) const;
  void plan_legacy(working& w, const msg::verified_legacy& req, msg::timestamp_us now,
                   group_plan& out) const;
  void plan_x402(working& w, const msg::x402_intent& in, msg::timestamp_us now,
                 group_plan& out) const;

  /// Ids known to exist, beyond the caches: what the group being planned accepted
  /// (`working`) or what the last conflict report taught (`sticky_report`).
  struct known_ids {
    std::unordered_map<msg::uuid, known_ves_event, uuid_hash> ves;
    std::unordered_set<msg::uuid, uuid_hash> legacy_ids;
    std::unordered_set<msg::uuid, uuid_hash> ves_commands;
    std::unordered_set<msg::uuid, uuid_hash> legacy_commands;
    std::unordered_set<std::string> x402_nonces;          ///< "payer\0nonce"
    std::unordered_map<std::string, msg::uuid> x402_keys; ///< idempotency key → intent
  };

  /// What the last conflict report taught (kept until the next successful commit), and
  /// which event ids storage was asked about (found or not).
  struct sticky_report : known_ids {
    std::unordered_set<msg::uuid, uuid_hash> checked;
  };

  /// Whether a rejection of `id` must wait for storage: not asked about since the last
  /// commit. (Called only for ids the caches and the group do not know.)
  bool unchecked(const msg::uuid& id) const;

  /// The sticky report, or an empty one (most streams never see a conflict).
  const sticky_report& sticky() const;

  msg::stream_key key_;
  // The receipt signer without its seed: the key is shared by all streams.
  msg::uuid sequencer_id_;
  int32_t key_version_ = 0;
  std::shared_ptr<const ves::ed25519_signer> key_signer_;
  msg::stream_heads heads_;
  std::map<msg::entity_key, int64_t> versions_;
  lru_cache<msg::uuid, known_ves_event, uuid_hash> ves_events_;
  lru_cache<msg::uuid, bool, uuid_hash> legacy_ids_;
  lru_cache<msg::uuid, bool, uuid_hash> ves_commands_;
  lru_cache<msg::uuid, bool, uuid_hash> legacy_commands_;
  /// x402 "payer\0nonce" → when the nonce row was written (µs); idempotency key → intent.
  lru_cache<std::string, msg::timestamp_us> x402_nonces_;
  lru_cache<std::string, msg::uuid> x402_keys_;
  /// Null until a conflict report arrives; reset by the next successful commit.
  std::unique_ptr<sticky_report> sticky_;
};

/// One group being planned (stream_state::start_group). Movable; not copyable.
class stream_state::group_builder {
public:
  group_builder(group_builder&&) noexcept;
  group_builder& operator=(group_builder&&) noexcept;
  ~group_builder();

  /// Plans one more request (requests are added in arrival order) at time `now`.
  void add(const queued_request& r, msg::timestamp_us now);
  /// The plan of the requests added so far. The builder is spent afterwards.
  group_plan finish();

private:
  friend class stream_state;
  group_builder(const stream_state& st, const group_plan* after);

  const stream_state* st_;
  std::unique_ptr<working> w_;
  group_plan out_;
};

} // namespace seq::actors
