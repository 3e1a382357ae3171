// Progress display of `hestia import` on stderr: a redrawn bar (resources done/total,
// resources/s, ETA) when stderr is a terminal, a plain line every few seconds otherwise.
// Thread-safety: Add() may be called from any thread; Tick() and Finish() from one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>

namespace hestia::server {

class ImportProgress {
 public:
  // `enabled` false: silent. `total`: resources expected (0 = unknown).
  ImportProgress(bool enabled, std::size_t total);

  void Add(std::size_t resources) { done_.fetch_add(resources, std::memory_order_relaxed); }
  std::size_t done() const { return done_.load(std::memory_order_relaxed); }

  // Redraws when due (every 200 ms on a terminal, every 5 s otherwise).
  void Tick();
  // Draws the final state and ends the line.
  void Finish();

 private:
  void Draw(bool final);

  bool enabled_;
  bool tty_;
  std::size_t total_;
  std::atomic<std::size_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace hestia::server
