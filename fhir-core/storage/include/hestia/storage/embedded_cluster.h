// The embedded PostgreSQL cluster: what `hestia serve` runs when no database URL is configured,
// and what `hestia db start|stop|status` manages for operators and integration tests.
//
// Owns: the cluster folder <data_dir>/pgdata (initdb on first use), the private postgres process
// (Unix socket only, in a private 0700 socket folder under /tmp), its log <data_dir>/postgres.log,
// and <data_dir>/socket_dir (where the current socket folder is recorded). When the process runs
// as root, initdb and postgres run as an unprivileged system user (created if missing). Nothing
// here adds a lock of its own: postgres's postmaster.pid is the only lock on a cluster.
// Used by: fhir-core/server (serve wiring and the `db` subcommand) and the integration tests.
// Thread-safety: an EmbeddedCluster may be used from any thread; Stop() calls are serialised.
// The free functions are safe to call concurrently for different data folders.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "hestia/base/status.h"

namespace hestia::storage {

struct ClusterOptions {
  std::string data_dir;                // cluster lives in data_dir/pgdata
  std::string bin_dir;                 // "" = discover (/usr/lib/postgresql/<highest major>/bin)
  std::string system_user = "hestia";  // used only when running as root
  int start_timeout_ms = 30000;
};

class EmbeddedCluster {
 public:
  // Initialises on first use, starts postgres, waits until it accepts connections and checks
  // that fsync and full_page_writes are on. On success the caller owns the cluster; destroying
  // it stops postgres. On failure nothing keeps running and the Status carries the tail of
  // <data_dir>/postgres.log. Fails with kUnavailable if another postmaster already serves the
  // folder (e.g. one started by `hestia db start`).
  static Result<std::unique_ptr<EmbeddedCluster>> Start(const ClusterOptions& options);

  ~EmbeddedCluster();  // Stop(kFast) if still running; never throws

  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;

  // kSmart waits for clients to disconnect, kFast aborts their transactions, kImmediate skips
  // the shutdown checkpoint (crash recovery on next start). A mode that does not finish in time
  // escalates (smart 60 s → fast 30 s → immediate 10 s → SIGKILL) with a warning. Idempotent:
  // stopping a stopped cluster returns OK. Returns a non-OK Status only if postgres could not be
  // stopped at all.
  enum class StopMode { kSmart, kFast, kImmediate };
  Status Stop(StopMode mode);

  // libpq URI for the pool: postgresql:///postgres?host=<socket dir>&port=5432&user=hestia.
  // Stays the same across supervised restarts.
  std::string ConnectionString() const;

  // Starts supervision: if postgres exits while the cluster has not been stopped (crash,
  // kill -9), it is restarted with exponential backoff (0.5 s doubling to 30 s), with a
  // structured warning for each exit. Idempotent.
  void Supervise();

  // The postmaster's pid, or -1 while it is not running (e.g. during a restart backoff).
  pid_t PostmasterPid() const;

 private:
  class Impl;
  explicit EmbeddedCluster(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Starts the cluster in data_dir detached from this process: postgres keeps running after the
// caller exits (new session, reparented to init). If it is already running, returns its
// connection string without starting another. On success returns the connection string; on
// failure nothing keeps running and the Status carries the postgres log tail.
Result<std::string> StartDetachedCluster(const ClusterOptions& options);

// Stops the postmaster serving data_dir, whichever process started it, and waits up to
// timeout_ms for it to exit (no escalation: an operator asked for this mode). OK if it was not
// running. kTimeout if it is still running after timeout_ms.
Status StopDetachedCluster(const ClusterOptions& options, EmbeddedCluster::StopMode mode,
                           int timeout_ms = 60000);

struct ClusterState {
  bool initialised = false;  // data_dir/pgdata holds a cluster
  bool running = false;      // a live postmaster serves it
  bool accepting = false;    // and it accepts connections right now
  pid_t pid = -1;
  std::string connection_string;  // set when running
};

// Reads the state of the cluster in data_dir. Changes nothing, except that a postmaster.pid
// that provably belongs to no postmaster of this cluster is removed (see `hestia db status`).
// Never fails for a missing or uninitialised folder; that is reported in the state.
Result<ClusterState> InspectCluster(const std::string& data_dir);

// Connects with connection_string and refuses (kInternal, naming the setting) a server that
// runs with fsync=off or full_page_writes=off: such a cluster can lose committed writes.
// kUnavailable if the server cannot be reached. Works for any PostgreSQL, embedded or not.
Status VerifyDurableSettings(const std::string& connection_string);

}  // namespace hestia::storage
