// Clusters that outlive the process that started them: `hestia db start|stop|status`, used by
// operators and by integration tests that need a PostgreSQL they can take down and bring back.
// The postmaster is double-forked into its own session, so it is never our child; it is found
// again through pgdata/postmaster.pid, which postgres itself maintains.
// Thread-safety: stateless; concurrent calls for the same data folder are arbitrated by
// postgres's own postmaster.pid lock.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cluster_setup.h"
#include "hestia/base/log.h"
#include "hestia/storage/embedded_cluster.h"
#include "process.h"

namespace hestia::storage {
namespace {

using Clock = std::chrono::steady_clock;

int SignalFor(EmbeddedCluster::StopMode mode) {
  switch (mode) {
    case EmbeddedCluster::StopMode::kSmart:
      return SIGTERM;
    case EmbeddedCluster::StopMode::kFast:
      return SIGINT;
    case EmbeddedCluster::StopMode::kImmediate:
      return SIGQUIT;
  }
  return SIGINT;
}

bool WaitForExitOf(pid_t pid, Clock::time_point deadline) {
  while (ProcessAlive(pid)) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

Result<std::string> StartDetachedCluster(const ClusterOptions& options) {
  HESTIA_ASSIGN_OR_RETURN(ClusterLayout layout, PrepareCluster(options));
  const auto deadline = Clock::now() + std::chrono::milliseconds(options.start_timeout_ms);
  if (auto running = FindRunningPostmaster(layout.pgdata)) {
    std::string conn = ConnectionStringFor(running->socket_dir);
    pid_t pid = running->pid;
    HESTIA_RETURN_IF_ERROR(WaitUntilAccepting(conn, deadline, [pid] { return ProcessAlive(pid); }));
    log::Info("PostgreSQL already running",
              {{"pid", static_cast<long long>(pid)}, {"data_dir", layout.data_dir}});
    return conn;
  }

  HESTIA_ASSIGN_OR_RETURN(int log_fd, OpenPostgresLog(layout));
  auto socket_dir = CreateSocketDir(layout);
  if (!socket_dir.ok()) {
    close(log_fd);
    return socket_dir.status();
  }
  SpawnOptions o;
  o.argv = PostgresArgv(layout, *socket_dir);
  o.env = ChildEnvironment();
  o.credentials = layout.credentials;
  o.output_fd = log_fd;
  o.new_session = true;
  o.detach = true;
  auto pid = Spawn(o);
  close(log_fd);
  if (!pid.ok()) {
    RemoveSocketDir(*socket_dir);
    return pid.status();
  }
  const std::string conn = ConnectionStringFor(*socket_dir);
  const pid_t postmaster = *pid;
  Status ready =
      WaitUntilAccepting(conn, deadline, [postmaster] { return ProcessAlive(postmaster); });
  if (!ready.ok()) {
    if (ProcessAlive(postmaster)) {
      kill(postmaster, SIGQUIT);
      if (!WaitForExitOf(postmaster, Clock::now() + std::chrono::seconds(10))) {
        kill(postmaster, SIGKILL);
      }
    }
    RemoveSocketDir(*socket_dir);
    return UnavailableError(ready.message() + "; " + layout.log_path + " ends with:\n" +
                            LogTail(layout.log_path));
  }
  Status durable = VerifyDurableSettings(conn);
  if (!durable.ok()) {
    Status ignored = StopDetachedCluster(options, EmbeddedCluster::StopMode::kFast);
    (void)ignored;
    return durable;
  }
  log::Info("PostgreSQL started detached", {{"pid", static_cast<long long>(postmaster)},
                                            {"data_dir", layout.data_dir},
                                            {"socket_dir", *socket_dir},
                                            {"log", layout.log_path}});
  return conn;
}

Status StopDetachedCluster(const ClusterOptions& options, EmbeddedCluster::StopMode mode,
                           int timeout_ms) {
  const std::string data_dir = AbsolutePath(options.data_dir);
  auto running = FindRunningPostmaster(ResolvePgdata(data_dir));
  if (!running) {
    log::Info("PostgreSQL is not running", {{"data_dir", data_dir}});
    return Status::Ok();
  }
  if (kill(running->pid, SignalFor(mode)) < 0 && errno != ESRCH) {
    return InternalError("cannot signal postmaster " + std::to_string(running->pid) + ": " +
                         strerror(errno));
  }
  if (!WaitForExitOf(running->pid, Clock::now() + std::chrono::milliseconds(timeout_ms))) {
    return Status(StatusCode::kTimeout, "postmaster " + std::to_string(running->pid) +
                                            " is still running " + std::to_string(timeout_ms) +
                                            " ms after the stop request");
  }
  RemoveSocketDir(running->socket_dir);
  log::Info("PostgreSQL stopped",
            {{"pid", static_cast<long long>(running->pid)}, {"data_dir", data_dir}});
  return Status::Ok();
}

Result<ClusterState> InspectCluster(const std::string& data_dir) {
  ClusterState state;
  const std::string pgdata = ResolvePgdata(data_dir);
  if (pgdata.empty()) return state;
  state.initialised = access((pgdata + "/PG_VERSION").c_str(), F_OK) == 0;
  auto running = FindRunningPostmaster(pgdata);
  if (!running) return state;
  state.running = true;
  state.pid = running->pid;
  state.connection_string = ConnectionStringFor(running->socket_dir);
  state.accepting =
      WaitUntilAccepting(state.connection_string, Clock::now(), [] { return true; }).ok();
  return state;
}

}  // namespace hestia::storage
