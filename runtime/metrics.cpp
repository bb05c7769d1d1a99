// SPDX-License-Identifier: Apache-2.0
#include "runtime/metrics.hpp"

#include <sstream>

namespace seq::runtime {

namespace {

void counter(std::ostringstream& out, const char* name, const char* help, uint64_t v,
             const char* type = "counter") {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
      << name << ' ' << v << '\n';
}

template <size_t N>
void histogram(std::ostringstream& out, const char* name, const char* help,
               const actors::histogram<N>& h, double scale) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < N; ++i) {
    cumulative += h.buckets[i].load(std::memory_order_relaxed);
    out << name << "_bucket{le=\"" << static_cast<double>(h.bounds[i]) * scale << "\"} "
        << cumulative << '\n';
  }
  cumulative += h.buckets[N].load(std::memory_order_relaxed);
  out << name << "_bucket{le=\"+Inf\"} " << cumulative << '\n'
      << name << "_sum " << static_cast<double>(h.sum.load()) * scale << '\n'
      << name << "_count " << h.count.load() << '\n';
}

} // namespace

std::string node_metrics::render() const {
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
  return out.str();
}

} // namespace seq::runtime
