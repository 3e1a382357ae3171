// Support for the durability proofs: a concurrent load of transaction Bundles whose entries
// carry identifiers that say which transaction they belong to, and a checker that reads back
// everything a run wrote and proves nothing was lost, half-written or duplicated.
//
// Every entry of one transaction has the identifier `<system>|<marker>_<k>_<n>`: the run's own
// system, the transaction's marker, the entry's index k and the transaction's size n. So, from
// the rows alone, a marker with fewer than n rows is a partly present transaction and a repeated
// (marker, k) a duplicate; and the acknowledgements (2xx responses, with the ids they assigned)
// say what must be there.
// FHIR R4: http://hl7.org/fhir/R4/http.html#transaction (all-or-nothing),
// ARCHITECTURE.md §3 (one database transaction per write) and §7 (never 2xx for an in-doubt
// commit; 503 + Retry-After while the database is unavailable).
// Thread-safety: TransactionLoad runs its own client threads; call its members from one thread.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"

namespace hestia::testing {

// A transaction the server acknowledged with 2xx.
struct Ack {
  std::string marker;
  int size = 0;
  std::vector<std::string> refs;  // "Type/id" per entry, from response.location
};

// One transaction Bundle of `size` entries (one Patient, then Observations that reference it
// through its urn:uuid fullUrl), the Patient at `patient_at`.
std::string DurableTransaction(const std::string& system, const std::string& marker, int size,
                               int patient_at);

// Patient and Observation resources of the load, with the identifier that marks them.
std::string MarkedPatient(const std::string& system, const std::string& value);
std::string MarkedObservation(const std::string& system, const std::string& value,
                              const std::string& subject);
std::string TransactionEntry(const std::string& method, const std::string& url,
                             const std::string& resource, const std::string& full_url = "",
                             const std::string& extra_request = "");
std::string TransactionBundle(const std::vector<std::string>& entries);

// Client threads that send DurableTransactions until Stop(). Every response is classified:
// 2xx → an Ack (its body must be a transaction-response with one location per entry), 503 →
// must carry Retry-After, anything else → unexpected; a transport error (server gone) is
// counted. Each request goes on a fresh connection, so the client never re-sends a request
// whose outcome it did not see.
class TransactionLoad {
 public:
  struct Counts {
    int acked = 0;
    int unavailable = 0;  // 503 with Retry-After
    int transport_errors = 0;
    std::vector<std::string> unexpected;  // status and body of every other outcome
  };

  TransactionLoad(int port, std::string system, std::string tag, int threads, unsigned seed);
  ~TransactionLoad();  // Stop()
  TransactionLoad(const TransactionLoad&) = delete;
  TransactionLoad& operator=(const TransactionLoad&) = delete;

  // Waits for the client threads to finish their request in flight and end.
  void Stop();
  int acked() const { return acked_.load(); }
  // Valid after Stop().
  const std::vector<Ack>& acks() const { return acks_; }
  const Counts& counts() const { return counts_; }

 private:
  void Run(int thread_index, unsigned seed);

  const int port_;
  const std::string system_;
  const std::string tag_;
  std::atomic<bool> stop_{false};
  std::atomic<int> acked_{0};
  std::mutex mu_;
  std::vector<Ack> acks_;  // guarded by mu_ until Stop()
  Counts counts_;          // guarded by mu_ until Stop()
  std::vector<std::thread> threads_;
};

// Reads back every Patient and Observation (the run must have the database to itself) with an
// identifier in `system`, and checks, against `acks`: every
// acknowledged transaction is fully present and each of its entries readable by id; no
// transaction is partly present; no entry and no id is duplicated. Returns the violations
// (empty = all held); *rows gets the number of resources found.
std::vector<std::string> VerifyRun(HttpClient& client, const std::string& system,
                                   const std::vector<Ack>& acks, int* rows);

// Total of a search (the Bundle's `total`), or -1 on error.
long long SearchTotal(HttpClient& client, const std::string& target);

// Runs `hestia …` and returns its exit code; stdout, trimmed, into *out when given.
int RunHestia(const std::vector<std::string>& args, std::string* out = nullptr);

// Polls GET /readyz until 200 or the deadline; true when it answered 200.
bool WaitReady(int port, int timeout_ms);

// Removes a test's temporary folder (best effort).
void RemoveTree(const std::string& dir);

}  // namespace hestia::testing
