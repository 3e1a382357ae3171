// Prometheus metrics of the HTTP layer.
//
// Owns: hestia_http_requests_total{interaction,method,status}, the latency histogram
// hestia_http_request_duration_seconds{interaction} and the in-flight gauge, rendered in the
// Prometheus text exposition format 0.0.4.
// Thread-safety: all methods may be called concurrently. Recording takes a shared lock only
// to find the series (an exclusive lock the first time a label set is seen) and then
// updates atomics; no lock is held while a request is handled.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <tuple>

namespace hestia::rest {

class HttpMetrics {
 public:
  HttpMetrics() = default;
  HttpMetrics(const HttpMetrics&) = delete;
  HttpMetrics& operator=(const HttpMetrics&) = delete;

  void RequestStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  // Counts one finished request. Label sets beyond a fixed cap are folded into
  // interaction="other" so that a misbehaving caller cannot grow memory without bound.
  void RequestFinished(const std::string& interaction, const std::string& method, int status,
                       double seconds);

  // Appends the text exposition of every series to *out.
  void Render(std::string* out) const;

  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  static constexpr std::size_t kMaxSeries = 2000;

 private:
  struct Histogram {
    std::array<std::atomic<uint64_t>, kBuckets.size()> buckets{};  // non-cumulative
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_nanos{0};
  };
  using CounterKey = std::tuple<std::string, std::string, int>;  // interaction, method, status

  std::atomic<uint64_t>* Counter(const CounterKey& key);
  Histogram* HistogramFor(const std::string& interaction);

  mutable std::shared_mutex mutex_;  // guards the maps' shape, not the atomics
  std::map<CounterKey, std::unique_ptr<std::atomic<uint64_t>>> counters_;
  std::map<std::string, std::unique_ptr<Histogram>> histograms_;
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace hestia::rest
