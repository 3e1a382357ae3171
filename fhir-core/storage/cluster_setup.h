// Preparing and inspecting an embedded cluster's files: binaries, the cluster user, the pgdata
// folder (or its fallback under /var/lib/hestia/clusters), initdb, the socket folder, the
// postgres command line, and postmaster.pid. Private to fhir-core/storage; the process
// lifecycle lives in embedded_cluster.cc.
// Thread-safety: stateless functions; safe to call concurrently for different data folders.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hestia/base/status.h"
#include "hestia/storage/embedded_cluster.h"
#include "process.h"

namespace hestia::storage {

// The role every embedded cluster is initialised with (initdb -U) and the pool connects as.
inline constexpr const char* kDatabaseRole = "hestia";
// Port in the socket's name (.s.PGSQL.<port>); there is no TCP listener.
inline constexpr int kSocketPort = 5432;

struct ClusterLayout {
  std::string data_dir;         // absolute
  std::string pgdata;           // the real cluster folder (symlink resolved) given to postgres
  std::string bin_dir;          // holds initdb and postgres
  std::string log_path;         // data_dir/postgres.log
  std::string socket_dir_file;  // data_dir/socket_dir
  Credentials credentials;      // who runs initdb and postgres
};

// Finds the binaries, makes sure the cluster user exists (root only), creates data_dir and
// pgdata (falling back to /var/lib/hestia/clusters/<hash> with a symlink when the cluster user
// cannot reach data_dir), and runs initdb on first use. Idempotent.
Result<ClusterLayout> PrepareCluster(const ClusterOptions& options);

// Makes `path` absolute and lexically normal without requiring it to exist.
std::string AbsolutePath(const std::string& path);

// Resolves data_dir/pgdata (following the fallback symlink). "" if it does not exist.
std::string ResolvePgdata(const std::string& data_dir);

// Opens data_dir/postgres.log for appending (close-on-exec). The caller owns the fd.
Result<int> OpenPostgresLog(const ClusterLayout& layout);

// Returns the private socket folder for a start: the one recorded in data_dir/socket_dir by an
// earlier run when it is free and still (or again) ours, so the connection string stays the
// same; else a fresh /tmp/hestia-XXXXXX (0700, owned by the cluster user), then recorded.
Result<std::string> CreateSocketDir(const ClusterLayout& layout);

// Checks that socket_dir is our private folder, creating it if it is missing (stopped, or a
// tmp cleaner removed it); refuses a path someone else owns or has made accessible.
Status EnsureSocketDir(const ClusterLayout& layout, const std::string& socket_dir);

// Removes the socket files postgres left behind and the folder; only a folder named
// /tmp/hestia-*, never following symlinks. Best effort.
void RemoveSocketDir(const std::string& socket_dir);

// The postgres command line: durability settings and the Unix-socket-only listener are given
// as -c options so that they override postgresql.conf and ALTER SYSTEM.
std::vector<std::string> PostgresArgv(const ClusterLayout& layout, const std::string& socket_dir);

// Minimal environment for initdb and postgres (no PG* variables from the caller).
std::vector<std::string> ChildEnvironment();

std::string ConnectionStringFor(const std::string& socket_dir);

// Last `lines` lines of the postgres log, for error messages.
std::string LogTail(const std::string& log_path, int lines = 20);

struct RunningPostmaster {
  pid_t pid = -1;
  std::string socket_dir;
  std::string status;  // postmaster.pid line 8: starting, ready, stopping, standby
};

// Reads pgdata/postmaster.pid. Returns the postmaster if it is alive and serves this pgdata.
// A pid file whose pid is dead is left for postgres (it handles it); one whose pid now belongs
// to another process (pid reuse after a reboot or in a container) is removed with a warning,
// because postgres would refuse to start on it.
std::optional<RunningPostmaster> FindRunningPostmaster(const std::string& pgdata);

// True if a connection with connection_string succeeds now (server_checks.cc).
bool AcceptsConnections(const std::string& connection_string);

// Polls with AcceptsConnections until the server accepts connections. `alive` is consulted between
// attempts; when it returns false the wait fails at once. kUnavailable on failure (the caller
// adds the log tail).
Status WaitUntilAccepting(const std::string& connection_string,
                          std::chrono::steady_clock::time_point deadline,
                          const std::function<bool()>& alive);

}  // namespace hestia::storage
