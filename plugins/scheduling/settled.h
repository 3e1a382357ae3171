// SettledVersions: the resource versions whose Slots the scheduling plug-in has already
// brought in step after writing them (an operation's Appointment, Reconcile's own Slot
// update), so that the change event of exactly that version needs no second recount.
//
// Owns: a bounded set of "Type/id/version" keys, oldest forgotten first. Forgetting is
// always safe: the event handler then recounts, as it would without this set. Only versions
// are remembered, never ids, so a later change by anyone else (a new version) is recounted.
// Thread-safety: every member may be called from several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace hestia::scheduling {

class SettledVersions {
 public:
  explicit SettledVersions(std::size_t capacity = 10000) : capacity_(capacity) {}

  // Remembers that `type`/`id` at `version` is settled; the oldest key goes when full.
  void Remember(std::string_view type, std::string_view id, int64_t version) {
    if (capacity_ == 0 || version <= 0) return;
    std::string key = Key(type, id, version);
    const std::lock_guard<std::mutex> lock(mu_);
    if (!keys_.insert(key).second) return;
    order_.push_back(std::move(key));
    while (order_.size() > capacity_) {
      keys_.erase(order_.front());
      order_.pop_front();
    }
  }

  // True, once, when that version was remembered (and not forgotten since).
  bool Take(std::string_view type, std::string_view id, int64_t version) {
    const std::lock_guard<std::mutex> lock(mu_);
    // (The key stays in order_ until it comes to the front; erasing it there is a no-op.)
    return keys_.erase(Key(type, id, version)) == 1;
  }

 private:
  static std::string Key(std::string_view type, std::string_view id, int64_t version) {
    std::string key(type);
    key += '/';
    key += id;
    key += '/';
    key += std::to_string(version);
    return key;
  }

  const std::size_t capacity_;
  std::mutex mu_;
  std::unordered_set<std::string> keys_;
  std::deque<std::string> order_;
};

}  // namespace hestia::scheduling
