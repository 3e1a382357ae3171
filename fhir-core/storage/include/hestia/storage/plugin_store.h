// What the plug-in host (plugins/host) needs from PostgreSQL: the resource-change outbox
// (migration 4) with per-subscriber positions, and job runs claimed under advisory locks.
//
// Owns: every SQL statement on resource_event, plugin_event_position and plugin_job_run. It
// has its own small connection pool, so background delivery never competes with requests for
// the store's connections.
//
// Outbox order: the trigger records (xid of the writing transaction, resource_version.seq).
// Events are delivered ordered by that pair and only once every transaction with a smaller
// xid has ended (xid < the snapshot's xmin), so a later-committing earlier transaction can
// never slip behind a subscriber's position. Consequence: a long-running transaction anywhere
// on the cluster delays delivery (never loses events) until it ends.
//
// Errors: as store.h (kUnavailable when the database is unreachable, kTimeout, kInternal).
// Thread-safety: PluginStore is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "hestia/base/status.h"
#include "hestia/base/time.h"
#include "hestia/storage/store.h"

namespace hestia::storage {

// One committed resource version, read from the outbox.
struct OutboxEvent {
  int64_t xid = 0;
  int64_t seq = 0;  // resource_version.seq
  std::string type;
  std::string id;
  long version = 0;
  std::string method;  // POST, PUT or DELETE
  bool deleted = false;
  Micros last_updated = 0;
  std::string body;  // empty for deletions
};

// What a delivery callback decided about one event.
enum class Delivery {
  kDone,   // delivered (or skipped): advance past it
  kRetry,  // stop here; the event is offered again on the next round
};

class PluginStore {
 public:
  // Connects with `options.url` (a pool of two connections; migrations are the Store's job).
  static Result<std::unique_ptr<PluginStore>> Open(const StoreOptions& options);
  virtual ~PluginStore() = default;

  // Creates the position of `subscriber` at the current end of the outbox when it has none,
  // so a new subscriber sees changes committed from now on (never history).
  virtual Status EnsureSubscriber(const std::string& subscriber) = 0;

  // Offers up to `limit` events after the position of `subscriber` to `deliver`, in order,
  // and stores the position after the last kDone. The position row is locked (SKIP LOCKED)
  // for the round, so one node of a cluster delivers to a subscriber at a time; when another
  // holds it, returns 0 without calling `deliver`. Returns the number of events offered.
  // `deliver` must not throw.
  virtual Result<int> DeliverEvents(const std::string& subscriber, int limit,
                                    const std::function<Delivery(const OutboxEvent&)>& deliver) = 0;

  // Deletes outbox rows every subscriber has passed and whose version was written before
  // `before` (microseconds). Returns the number of rows deleted.
  virtual Result<long long> PruneEvents(Micros before) = 0;

  // Claims the run of `job` that is due when no run is recorded at or after `since`: under a
  // transaction-scoped advisory lock on `lock_key` (so concurrent nodes serialise), records
  // `now` as its last run. True when this caller won the run and must execute the job; false
  // when it is not due or another node holds the lock.
  virtual Result<bool> ClaimJobRun(const std::string& job, int64_t lock_key, Micros since,
                                   Micros now) = 0;
};

}  // namespace hestia::storage
