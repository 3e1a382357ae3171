// Prometheus metrics. See metrics.h.
#include "metrics.h"

#include <cstdio>
#include <mutex>

namespace hestia::rest {
namespace {

void AppendLabelValue(std::string* out, const std::string& v) {
  for (char c : v) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '"') {
      out->append("\\\"");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

std::string FormatDouble(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

std::atomic<uint64_t>* HttpMetrics::Counter(const CounterKey& key) {
  {
    std::shared_lock lock(mutex_);
    auto it = counters_.find(key);
    if (it != counters_.end()) return it->second.get();
  }
  std::unique_lock lock(mutex_);
  auto it = counters_.find(key);
  if (it != counters_.end()) return it->second.get();
  if (counters_.size() >= kMaxSeries) {
    CounterKey other{"other", "OTHER", std::get<2>(key)};
    auto& slot = counters_[other];
    if (!slot) slot = std::make_unique<std::atomic<uint64_t>>(0);
    return slot.get();
  }
  auto& slot = counters_[key];
  slot = std::make_unique<std::atomic<uint64_t>>(0);
  return slot.get();
}

HttpMetrics::Histogram* HttpMetrics::HistogramFor(const std::string& interaction) {
  {
    std::shared_lock lock(mutex_);
    auto it = histograms_.find(interaction);
    if (it != histograms_.end()) return it->second.get();
  }
  std::unique_lock lock(mutex_);
  const std::string& name = histograms_.size() >= kMaxSeries ? std::string("other") : interaction;
  auto& slot = histograms_[name];
  if (!slot) slot = std::make_unique<Histogram>();
  return slot.get();
}

void HttpMetrics::RequestFinished(const std::string& interaction, const std::string& method,
                                  int status, double seconds) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  Counter({interaction, method, status})->fetch_add(1, std::memory_order_relaxed);
  Histogram* h = HistogramFor(interaction);
  std::size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  if (i < kBuckets.size()) h->buckets[i].fetch_add(1, std::memory_order_relaxed);
  h->count.fetch_add(1, std::memory_order_relaxed);
  double nanos = seconds > 0 ? seconds * 1e9 : 0;
  h->sum_nanos.fetch_add(static_cast<uint64_t>(nanos), std::memory_order_relaxed);
}

void HttpMetrics::Render(std::string* out) const {
  std::shared_lock lock(mutex_);
  out->append(
      "# HELP hestia_http_requests_total HTTP requests by FHIR interaction, method and status.\n"
      "# TYPE hestia_http_requests_total counter\n");
  for (const auto& [key, value] : counters_) {
    out->append("hestia_http_requests_total{interaction=\"");
    AppendLabelValue(out, std::get<0>(key));
    out->append("\",method=\"");
    AppendLabelValue(out, std::get<1>(key));
    out->append("\",status=\"" + std::to_string(std::get<2>(key)) + "\"} " +
                std::to_string(value->load(std::memory_order_relaxed)) + "\n");
  }
  out->append(
      "# HELP hestia_http_request_duration_seconds Time from a complete request to its "
      "response, by FHIR interaction.\n"
      "# TYPE hestia_http_request_duration_seconds histogram\n");
  for (const auto& [interaction, h] : histograms_) {
    std::string label;
    AppendLabelValue(&label, interaction);
    uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h->buckets[i].load(std::memory_order_relaxed);
      out->append("hestia_http_request_duration_seconds_bucket{interaction=\"" + label +
                  "\",le=\"" + FormatDouble(kBuckets[i]) + "\"} " + std::to_string(cumulative) +
                  "\n");
    }
    uint64_t count = h->count.load(std::memory_order_relaxed);
    out->append("hestia_http_request_duration_seconds_bucket{interaction=\"" + label +
                "\",le=\"+Inf\"} " + std::to_string(count) + "\n");
    out->append(
        "hestia_http_request_duration_seconds_sum{interaction=\"" + label + "\"} " +
        FormatDouble(static_cast<double>(h->sum_nanos.load(std::memory_order_relaxed)) / 1e9) +
        "\n");
    out->append("hestia_http_request_duration_seconds_count{interaction=\"" + label + "\"} " +
                std::to_string(count) + "\n");
  }
  out->append(
      "# HELP hestia_http_requests_in_flight Requests being handled now.\n"
      "# TYPE hestia_http_requests_in_flight gauge\n"
      "hestia_http_requests_in_flight " +
      std::to_string(in_flight_.load(std::memory_order_relaxed)) + "\n");
}

}  // namespace hestia::rest
