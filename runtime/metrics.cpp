// SPDX-License-Identifier: Apache-2.0
#include "runtime/metrics.hpp"

#include "adapters/storage/event_store.hpp"
#include "adapters/storage/sqlite/wal_checkpointer.hpp"
#include "runtime/prometheus_text.hpp"

#include <algorithm>
#include <sstream>

namespace seq::runtime {

namespace {

using prometheus::counter;
using prometheus::header;
using prometheus::histogram;

void projection_counters(std::ostringstream& out,
                         const actors::projection::projection_metrics& p) {
  auto load = [](const std::atomic<uint64_t>& x) { return x.load(std::memory_order_relaxed); };
  counter(out, "ves_projection_events_applied_total",
          "Events applied to projections (tail and successful retries).", load(p.events_applied));
  counter(out, "ves_projection_batches_total",
          "Projector batches run (one storage transaction each).", load(p.batches));
  counter(out, "ves_projection_events_fed_total",
          "Events projected from the committed groups the projectors were handed, without "
          "reading them back from storage.",
          load(p.events_fed));
  counter(out, "ves_projection_events_skipped_total",
          "Events skipped: entity type without a handler or unknown event type.",
          load(p.events_skipped));
  counter(out, "ves_projection_encrypted_skipped_total",
          "Encrypted VES events skipped (the sequencer cannot read them).",
          load(p.encrypted_skipped));
  counter(out, "ves_projection_events_parked_total",
          "Events that failed and got their own DLQ row.", load(p.events_parked));
  counter(out, "ves_projection_events_dead_total",
          "Parked events dead at once (reason not retryable).", load(p.events_dead));
  counter(out, "ves_projection_events_blocked_behind_total",
          "Events parked behind an unresolved DLQ row of their entity.",
          load(p.events_blocked_behind));
  counter(out, "ves_projection_halts_total", "Projections stopped at a failed event (halt mode).",
          load(p.halts));
  counter(out, "ves_projection_storage_errors_total",
          "Projector jobs that failed on storage (retried after a pause).",
          load(p.storage_errors));
  header(out, "ves_dlq_retries_total", "DLQ retries by outcome.", "counter");
  const std::pair<const char*, const std::atomic<uint64_t>*> outcomes[] = {
    {"attempted", &p.retries_attempted}, {"succeeded", &p.retries_succeeded},
    {"failed", &p.retries_failed},       {"dead", &p.retries_dead},
    {"not_run", &p.retries_not_run},     {"chain_resolved", &p.chain_resolved},
  };
  for (auto& [name, v] : outcomes)
    out << "ves_dlq_retries_total{outcome=\"" << name << "\"} " << load(*v) << '\n';
}

/// Lag per stream and DLQ sizes, read from storage on each scrape.
void storage_gauges(std::ostringstream& out, storage::store_pool& pool,
                    const std::function<bool(const msg::stream_key&)>& visible) {
  auto c = pool.acquire();
  bool failed = !c;
  if (c) {
    auto& ps = storage::projections_of(**c);
    auto lags = storage::projection_lags(ps);
    auto counts = ps.dlq_counts(std::nullopt);
    failed = !lags || !counts;
    if (lags) {
      header(out, "ves_projection_lag_events",
             "Committed events not yet projected (head - checkpoint), per stream and space.",
             "gauge");
      for (auto& l : *lags) {
        if (visible && !visible(l.stream))
          continue;
        auto labels = "tenant_id=\"" + l.stream.tenant_id.str() + "\",store_id=\""
                      + l.stream.store_id.str() + "\"";
        auto lag = [](uint64_t h, uint64_t c) { return h > c ? h - c : 0; };
        out << "ves_projection_lag_events{" << labels << ",space=\"legacy\"} "
            << lag(l.heads.legacy, l.checkpoints.legacy) << '\n'
            << "ves_projection_lag_events{" << labels << ",space=\"ves\"} "
            << lag(l.heads.ves, l.checkpoints.ves) << '\n';
      }
    }
    if (counts) {
      header(out, "ves_dlq_entries", "Open DLQ rows (pending, retrying, dead) per reason.",
             "gauge");
      for (auto& [reason, n] : counts->by_reason)
        out << "ves_dlq_entries{reason=\"" << reason << "\"} " << n << '\n';
      header(out, "ves_dlq_entries_by_status", "DLQ rows per status.", "gauge");
      for (auto& [status, n] : counts->by_status)
        out << "ves_dlq_entries_by_status{status=\"" << status << "\"} " << n << '\n';
    }
  }
  counter(out, "ves_projection_scrape_errors",
          "1 when the last scrape could not read lag or DLQ sizes from storage.",
          failed ? 1 : 0, "gauge");
}

} // namespace

std::string node_metrics::render(storage::store_pool* pool,
                                 const std::function<bool(const msg::stream_key&)>& visible) const {
  std::ostringstream out;
  auto& a = actors;
  counter(out, "ves_events_accepted_total", "Events newly sequenced (VES and legacy).",
          a.events_accepted.load());
  counter(out, "ves_events_rejected_total", "Per-event rejections.", a.events_rejected.load());
  counter(out, "ves_events_replayed_total", "Exact replays answered with the stored receipt.",
          a.events_replayed.load());
  counter(out, "ves_ingest_requests_failed_total", "Ingest requests failed as a whole.",
          a.requests_failed.load());
  counter(out, "ves_write_conflicts_total", "Group commits re-planned after a storage conflict.",
          a.write_conflicts.load());
  counter(out, "ves_write_failures_total", "Group commits failed by storage errors.",
          a.write_failures.load());
  counter(out, "ves_sequencer_restarts_total", "Sequencers restarted by their supervisor.",
          a.sequencer_restarts.load());
  counter(out, "ves_key_cache_hits_total", "Agent key look-ups served from the cache.",
          a.key_cache_hits.load());
  counter(out, "ves_key_cache_misses_total", "Agent key look-ups read from storage.",
          a.key_cache_misses.load());
  counter(out, "ves_queued_events", "Events waiting in sequencer mailboxes and queues.",
          static_cast<uint64_t>(std::max<int64_t>(0, a.queued_events.load())), "gauge");
  counter(out, "ves_streams_active", "Streams with live actors.",
          static_cast<uint64_t>(std::max<int64_t>(0, a.streams_active.load())), "gauge");
  histogram(out, "ves_group_commit_events", "Events per group commit.", a.group_commit_events, 1);
  histogram(out, "ves_group_commit_seconds", "Duration of one group commit transaction.",
            a.write_latency_us, 1e-6);
  projection_counters(out, projections);
  out << x402_metrics_text(x402, pool);
  if (wal) {
    auto c = wal->counters();
    counter(out, "ves_sqlite_wal_checkpoints_total",
            "Background PASSIVE checkpoints of the SQLite WAL.", c.rounds);
    counter(out, "ves_sqlite_wal_restarts_total",
            "Background checkpoints that restarted the SQLite WAL.", c.restarts);
    counter(out, "ves_sqlite_wal_restarts_busy_total",
            "WAL restarts given up while readers held the WAL (tried again next round).",
            c.restarts_busy);
    counter(out, "ves_sqlite_wal_checkpoint_failures_total",
            "Background checkpoints that failed.", c.failures);
    counter(out, "ves_sqlite_wal_frames", "Frames in the SQLite WAL after the last checkpoint.",
            static_cast<uint64_t>(std::max(0, c.wal_frames)), "gauge");
  }
  if (pool)
    storage_gauges(out, *pool, visible);
  return out.str();
}

} // namespace seq::runtime
