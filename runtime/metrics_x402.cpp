// SPDX-License-Identifier: Apache-2.0
// The x402 part of /metrics (see metrics.hpp).
#include "runtime/metrics.hpp"

#include "adapters/storage/event_store.hpp"
#include "messages/errc.hpp"
#include "messages/x402_store.hpp"
#include "runtime/prometheus_text.hpp"

#include <sstream>

namespace seq::runtime {

namespace {

using prometheus::counter;
using prometheus::histogram;

/// Intents per status, read from storage on each scrape.
void intents_by_status(std::ostringstream& out, storage::store_pool& pool) {
  auto c = pool.acquire();
  caf::expected<std::vector<std::pair<msg::x402_status, uint64_t>>> counts
    = seq::make_error(seq::errc::storage_unavailable, "no connection");
  if (c) {
    if (auto* xs = dynamic_cast<storage::x402_store*>(&**c))
      counts = xs->x402_status_counts();
  }
  if (counts) {
    prometheus::header(out, "ves_x402_intents", "Payment intents per status.", "gauge");
    // Every status, so a dashboard sees zeros rather than gaps.
    for (auto s : {msg::x402_status::pending, msg::x402_status::sequenced,
                   msg::x402_status::batched, msg::x402_status::settled,
                   msg::x402_status::expired, msg::x402_status::failed}) {
      uint64_t n = 0;
      for (auto& [k, v] : *counts)
        if (k == s)
          n = v;
      out << "ves_x402_intents{status=\"" << to_string(s) << "\"} " << n << '\n';
    }
  }
  counter(out, "ves_x402_scrape_errors",
          "1 when the last scrape could not read the x402 intent counts from storage.",
          counts ? 0 : 1, "gauge");
}

} // namespace

std::string x402_metrics_text(const actors::x402::x402_metrics& m, storage::store_pool* pool) {
  std::ostringstream out;
  auto load = [](const std::atomic<uint64_t>& x) { return x.load(std::memory_order_relaxed); };
  counter(out, "ves_x402_batches_sealed_total", "x402 batches sealed (automatic and manual).",
          load(m.batches_sealed));
  histogram(out, "ves_x402_batch_size", "Payment intents per sealed batch.", m.batch_size, 1);
  histogram(out, "ves_x402_seal_wait_seconds",
            "Time to seal: how long the oldest intent of a batch waited.", m.seal_wait_ms, 1e-3);
  histogram(out, "ves_x402_settle_seconds",
            "Time to settle: from the batch commit to its confirmed settlement on chain.",
            m.settle_latency_ms, 1e-3);
  counter(out, "ves_x402_batches_settled_total", "Batches settled on chain by the batchers.",
          load(m.batches_settled));
  counter(out, "ves_x402_settlement_failures_total",
          "Settlement attempts that failed (retried with back-off, or refused by the chain).",
          load(m.settlement_failures));
  counter(out, "ves_x402_batches_failed_total",
          "Batches the chain refused (they and their intents are failed).",
          load(m.batches_failed));
  counter(out, "ves_x402_batches_unsettleable_total",
          "Committed batches left for manual settlement (not settleable on the chain).",
          load(m.batches_unsettleable));
  counter(out, "ves_x402_intents_expired_total",
          "Intents whose valid_until passed before they were batched.", load(m.intents_expired));
  counter(out, "ves_x402_nonces_pruned_total", "Nonce rows removed by the background cleanup.",
          load(m.nonces_pruned));
  counter(out, "ves_x402_batchers", "x402 batchers running on this node.",
          static_cast<uint64_t>(std::max<int64_t>(0, m.batchers.load())), "gauge");
  if (pool)
    intents_by_status(out, *pool);
  return out.str();
}

} // namespace seq::runtime
