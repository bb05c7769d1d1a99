// SPDX-License-Identifier: Apache-2.0
#pragma once

/// A log-linear latency histogram in microseconds (HdrHistogram's layout, simplified): values
/// below 64 µs get one bucket each, above that every power of two is split into 32 linear
/// sub-buckets, so a reported percentile is at most 1/32 (3.1 %) above the true value. Fixed
/// size (no allocation while recording); one per worker thread, merged after the run.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace seq::bench {

class histogram {
public:
  static constexpr unsigned sub_bits = 5;                      ///< 32 sub-buckets per octave
  static constexpr uint64_t linear_limit = uint64_t{2} << sub_bits; ///< 64: exact below this
  static constexpr unsigned max_exponent = 40;                 ///< 2^40 µs ≈ 12.7 days
  static constexpr size_t bucket_count
    = linear_limit + (max_exponent - sub_bits - 1) * (size_t{1} << sub_bits);

  void record(uint64_t us) {
    ++buckets_[index(us)];
    ++count_;
    max_ = std::max(max_, us);
    sum_ += us;
  }

  void merge(const histogram& o) {
    for (size_t i = 0; i < bucket_count; ++i)
      buckets_[i] += o.buckets_[i];
    count_ += o.count_;
    max_ = std::max(max_, o.max_);
    sum_ += o.sum_;
  }

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }

  /// The smallest recorded bucket's upper edge at or below which `p` percent of the values
  /// lie (0 when empty). Never above max().
  uint64_t percentile(double p) const {
    if (count_ == 0)
      return 0;
    auto rank = static_cast<uint64_t>(p / 100.0 * static_cast<double>(count_) + 0.5);
    rank = std::clamp<uint64_t>(rank, 1, count_);
    uint64_t seen = 0;
    for (size_t i = 0; i < bucket_count; ++i) {
      seen += buckets_[i];
      if (seen >= rank)
        return std::min(upper_edge(i), max_);
    }
    return max_;
  }

  /// The bucket a value falls in (values beyond the range land in the last bucket).
  static size_t index(uint64_t v) {
    if (v < linear_limit)
      return static_cast<size_t>(v);
    auto e = static_cast<unsigned>(std::bit_width(v) - 1); // floor(log2 v) ≥ sub_bits + 1
    if (e >= max_exponent)
      return bucket_count - 1;
    auto sub = (v >> (e - sub_bits)) & ((uint64_t{1} << sub_bits) - 1);
    return static_cast<size_t>(linear_limit + (e - sub_bits - 1) * (uint64_t{1} << sub_bits)
                               + sub);
  }

  /// The largest value that falls in bucket `i`.
  static uint64_t upper_edge(size_t i) {
    if (i < linear_limit)
      return i;
    auto k = i - linear_limit;
    auto e = static_cast<unsigned>(k >> sub_bits) + sub_bits + 1;
    auto sub = k & ((size_t{1} << sub_bits) - 1);
    auto width = uint64_t{1} << (e - sub_bits);
    auto lower = (uint64_t{1} << e) + sub * width;
    return lower + width - 1;
  }

private:
  std::array<uint64_t, bucket_count> buckets_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
  uint64_t sum_ = 0;
};

} // namespace seq::bench
