// Helpers for the embedded-cluster integration tests: temporary data folders the cluster user
// can traverse, and running SQL through psql (tests do not include <pqxx/...>; only
// fhir-core/storage does).
// Thread-safety: not thread-safe; tests call these from the test thread only.
#pragma once

#include <string>

namespace hestia::storage::testing {

// A fresh folder /tmp/hestia-cluster-test-XXXXXX. With `traversable` it is mode 0755 so the
// unprivileged cluster user can reach a cluster inside it; without, 0700 (root-only under root).
std::string MakeTempDir(bool traversable = true);

// Removes a folder made by MakeTempDir, following no symlinks out of it.
void RemoveTree(const std::string& path);

struct SqlResult {
  int exit_code = -1;
  std::string output;  // psql -At output, trailing newline removed
};

// Runs `sql` with psql against connection_string (unaligned, tuples only, stop on error).
SqlResult Psql(const std::string& connection_string, const std::string& sql);

// Waits up to timeout_ms until Psql(connection_string, "SELECT 1") succeeds.
bool WaitForSql(const std::string& connection_string, int timeout_ms);

}  // namespace hestia::storage::testing
