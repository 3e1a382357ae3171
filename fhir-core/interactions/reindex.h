// $reindex: activating SearchParameter resources created over REST, and re-extracting index
// rows in the background (private to hestia_interactions).
//
// Owns: the Reindexer — one background thread per server that works through queued and
// running reindex jobs (storage ReindexJob rows) in batches, recording progress in the
// database after every batch so that a restarted server resumes where it stopped — and the
// start-up activation of the SearchParameters earlier jobs made active.
// Thread-safety: Reindexer's public functions may be called from any thread.
// FHIR R4: http://hl7.org/fhir/R4/searchparameter.html (custom parameters need reindexing;
// the operation itself is this server's, as in HAPI FHIR and Microsoft's FHIR server)
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "context.h"

namespace hestia::interactions {

class Reindexer {
 public:
  // `ctx` must outlive the Reindexer (the service owns both).
  explicit Reindexer(const Context* ctx);
  ~Reindexer();  // stops the thread after the current batch

  // Starts the worker thread. Also re-activates the SearchParameters of earlier jobs.
  void Start();
  // Wakes the worker (a job was queued).
  void Notify();

 private:
  void Run();
  Status RunJob(storage::ReindexJob job);

  const Context* ctx_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool pending_ = false;
  std::thread thread_;
};

// Reads every current SearchParameter resource with an id in `ids` (all of them when
// `ids` is null) and returns the definitions that parse. kUnavailable etc. from storage.
Result<std::vector<search::SearchParameterDef>> LoadRuntimeParameters(
    const Context& ctx, const std::vector<std::string>* ids,
    std::vector<std::string>* activated_ids, std::vector<std::string>* problems);

// POST [base]/$reindex, [base]/[type]/$reindex, [base]/[type]/[id]/$reindex (queue a job);
// GET [base]/$reindex (every job's progress).
Response Reindex(const Context& ctx, const Request& req, const std::string& type,
                 const std::string& id);

}  // namespace hestia::interactions
