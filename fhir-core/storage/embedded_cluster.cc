// EmbeddedCluster: the lifecycle of a postmaster that this process owns — start, readiness,
// supervision with backoff, and ordered shutdown. Files and command lines: cluster_setup.cc.
//
// One monitor thread per cluster forks every postmaster and reaps it. Keeping fork and wait on
// one long-lived thread matters twice: PR_SET_PDEATHSIG fires when the *forking thread* ends
// (so the postmaster must be forked by a thread that outlives it), and only the thread that
// waits may decide whether an exit was expected.
// Thread-safety: all public members may be called from any thread; state is guarded by mu_,
// and stop_mu_ serialises Stop().
#include "hestia/storage/embedded_cluster.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "cluster_setup.h"
#include "hestia/base/log.h"
#include "process.h"

namespace hestia::storage {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kFirstBackoff{500};
constexpr milliseconds kMaxBackoff{30000};
// A postmaster that ran this long before dying starts the backoff afresh.
constexpr seconds kHealthyUptime{60};
// How long Start() waits for a live postmaster on its data folder to begin shutting down.
constexpr milliseconds kOrphanGrace{2000};

struct StopStep {
  int signal;
  seconds wait;
  const char* name;
};

// Each mode, then the harsher ones if it does not finish in time.
std::vector<StopStep> StopSteps(EmbeddedCluster::StopMode mode) {
  std::vector<StopStep> steps = {{SIGTERM, seconds(60), "smart"},
                                 {SIGINT, seconds(30), "fast"},
                                 {SIGQUIT, seconds(10), "immediate"},
                                 {SIGKILL, seconds(10), "kill"}};
  size_t first = mode == EmbeddedCluster::StopMode::kSmart  ? 0
                 : mode == EmbeddedCluster::StopMode::kFast ? 1
                                                            : 2;
  return {steps.begin() + static_cast<long>(first), steps.end()};
}

// The monitor reaps with waitpid(); a process that ignores SIGCHLD has its children reaped
// by the kernel and would see every postmaster as already gone.
Status CheckChildReaping() {
  struct sigaction sa;
  if (sigaction(SIGCHLD, nullptr, &sa) == 0 &&
      (sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDWAIT) != 0)) {
    return InternalError(
        "SIGCHLD is ignored in this process; the embedded cluster must reap "
        "its postgres process");
  }
  return Status::Ok();
}

}  // namespace

class EmbeddedCluster::Impl {
 public:
  Impl(ClusterLayout layout, std::string socket_dir, int log_fd, int start_timeout_ms)
      : layout_(std::move(layout)),
        socket_dir_(std::move(socket_dir)),
        connection_string_(ConnectionStringFor(socket_dir_)),
        log_fd_(log_fd),
        start_timeout_ms_(start_timeout_ms) {}

  ~Impl() {
    if (monitor_.joinable()) {
      Status ignored = Stop(StopMode::kImmediate);
      (void)ignored;
    }
    if (log_fd_ >= 0) close(log_fd_);
  }

  // Starts the monitor, which forks the first postmaster, then waits until it accepts
  // connections and runs with durable settings. On failure everything is stopped again.
  Status Launch() {
    monitor_ = std::thread([this] { MonitorLoop(); });
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return spawned_once_ || monitor_done_; });
      if (!spawned_once_) {
        lock.unlock();
        monitor_.join();
        stopped_ = true;
        RemoveSocketDir(socket_dir_);
        return spawn_error_;
      }
    }
    const auto deadline = Clock::now() + milliseconds(start_timeout_ms_);
    Status ready = WaitUntilAccepting(connection_string_, deadline, [this] {
      std::lock_guard<std::mutex> lock(mu_);
      return !exited_;
    });
    if (!ready.ok()) {
      std::string exit;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (exited_) exit = " (" + DescribeWaitStatus(exit_status_) + ")";
      }
      Status ignored = Stop(StopMode::kImmediate);
      (void)ignored;
      return UnavailableError(ready.message() + exit + "; " + layout_.log_path + " ends with:\n" +
                              LogTail(layout_.log_path));
    }
    Status durable = VerifyDurableSettings(connection_string_);
    if (!durable.ok()) {
      Status ignored = Stop(StopMode::kFast);
      (void)ignored;
      return durable;
    }
    return Status::Ok();
  }

  Status Stop(StopMode mode) {
    std::lock_guard<std::mutex> stop_lock(stop_mu_);
    if (stopped_) return Status::Ok();
    pid_t pid;
    {
      std::unique_lock<std::mutex> lock(mu_);
      stopping_ = true;
      pid = pid_;
      cv_.notify_all();
      bool done = false;
      for (const StopStep& step : StopSteps(mode)) {
        // pid_ is cleared only after the child is reaped (under mu_), so it cannot have been
        // reused by another process here.
        if (pid_ > 0) kill(pid_, step.signal);
        if (cv_.wait_for(lock, step.wait, [this] { return monitor_done_; })) {
          done = true;
          break;
        }
        log::Warn("postgres did not stop in time; escalating",
                  {{"mode", step.name}, {"pid", static_cast<long long>(pid_)}});
      }
      // Past SIGKILL only an uninterruptible kernel wait remains; the monitor must be joined
      // before this object goes away, so wait for it.
      if (!done) cv_.wait(lock, [this] { return monitor_done_; });
    }
    monitor_.join();
    RemoveSocketDir(socket_dir_);
    stopped_ = true;
    log::Info("embedded PostgreSQL stopped",
              {{"pid", static_cast<long long>(pid)},
               {"exit", pid > 0 ? DescribeWaitStatus(exit_status_) : std::string("not running")},
               {"data_dir", layout_.data_dir}});
    return Status::Ok();
  }

  void Supervise() {
    std::lock_guard<std::mutex> lock(mu_);
    supervise_ = true;
    cv_.notify_all();
  }

  pid_t Pid() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pid_;
  }

  const std::string& connection_string() const { return connection_string_; }
  const ClusterLayout& layout() const { return layout_; }
  const std::string& socket_dir() const { return socket_dir_; }

 private:
  SpawnOptions PostmasterSpawn() const {
    SpawnOptions o;
    o.argv = PostgresArgv(layout_, socket_dir_);
    o.env = ChildEnvironment();
    o.credentials = layout_.credentials;
    o.output_fd = log_fd_;
    // Ctrl-C reaches only the server, which stops postgres in order; if the server dies
    // without stopping it, the postmaster gets a fast shutdown instead of living on.
    o.new_session = true;
    o.parent_death_signal = SIGINT;
    return o;
  }

  void MonitorLoop() {
    milliseconds backoff = kFirstBackoff;
    int restarts = 0;
    for (;;) {
      pid_t pid = -1;
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (stopping_) break;
        Status dir = spawned_once_ ? EnsureSocketDir(layout_, socket_dir_) : Status::Ok();
        Result<pid_t> spawned = dir.ok() ? Spawn(PostmasterSpawn()) : Result<pid_t>(dir);
        if (!spawned.ok()) {
          if (!spawned_once_) {
            spawn_error_ = spawned.status();
            break;
          }
          log::Error("could not restart postgres",
                     {{"error", spawned.status().ToString()}, {"data_dir", layout_.data_dir}});
        } else {
          pid = pid_ = *spawned;
          exited_ = false;
          if (spawned_once_) {
            log::Warn("postgres restarted", {{"pid", static_cast<long long>(pid)},
                                             {"restarts", restarts},
                                             {"data_dir", layout_.data_dir}});
          }
          spawned_once_ = true;
          cv_.notify_all();
        }
      }
      const auto started = Clock::now();
      if (pid > 0) {
        // Wait without reaping, so that Stop() never signals a pid that is already free.
        siginfo_t info;
        while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 &&
               errno == EINTR) {
        }
        std::unique_lock<std::mutex> lock(mu_);
        auto status = WaitForExit(pid);
        exit_status_ = status.ok() ? *status : 0;
        pid_ = -1;
        exited_ = true;
        cv_.notify_all();
        if (stopping_) break;
        if (Clock::now() - started >= kHealthyUptime) backoff = kFirstBackoff;
        log::Warn("postgres exited unexpectedly", {{"pid", static_cast<long long>(pid)},
                                                   {"exit", DescribeWaitStatus(exit_status_)},
                                                   {"supervised", supervise_ ? "true" : "false"},
                                                   {"log", layout_.log_path}});
        cv_.wait(lock, [this] { return supervise_ || stopping_; });
        if (stopping_) break;
        ++restarts;
        log::Warn("restarting postgres after backoff",
                  {{"attempt", restarts}, {"delay_ms", static_cast<long long>(backoff.count())}});
        if (cv_.wait_for(lock, backoff, [this] { return stopping_; })) break;
      } else {
        std::unique_lock<std::mutex> lock(mu_);
        ++restarts;
        if (cv_.wait_for(lock, backoff, [this] { return stopping_; })) break;
      }
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
    std::lock_guard<std::mutex> lock(mu_);
    monitor_done_ = true;
    cv_.notify_all();
  }

  const ClusterLayout layout_;
  const std::string socket_dir_;
  const std::string connection_string_;
  const int log_fd_;
  const int start_timeout_ms_;

  std::mutex stop_mu_;
  bool stopped_ = false;  // guarded by stop_mu_

  mutable std::mutex mu_;
  std::condition_variable cv_;
  pid_t pid_ = -1;             // the live (unreaped) postmaster, -1 if none
  bool spawned_once_ = false;  // the first fork succeeded
  Status spawn_error_;         // why the first fork failed
  bool exited_ = false;        // the latest postmaster has exited
  int exit_status_ = 0;        // its wait status
  bool supervise_ = false;
  bool stopping_ = false;
  bool monitor_done_ = false;
  std::thread monitor_;
};

EmbeddedCluster::EmbeddedCluster(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EmbeddedCluster::~EmbeddedCluster() {
  Status ignored = impl_->Stop(StopMode::kFast);
  (void)ignored;
}

Result<std::unique_ptr<EmbeddedCluster>> EmbeddedCluster::Start(const ClusterOptions& options) {
  HESTIA_RETURN_IF_ERROR(CheckChildReaping());
  HESTIA_ASSIGN_OR_RETURN(ClusterLayout layout, PrepareCluster(options));
  // A server that was SIGKILLed leaves its postmaster to a fast shutdown (parent-death
  // signal), which lets go of the data folder within moments: wait for that rather than refuse.
  // The orphan may not have marked itself "stopping" yet when we look (it first has to be
  // scheduled), so any live postmaster gets a short grace period; one that is stopping gets
  // until the start deadline. A cluster really served by `hestia db start` costs the grace
  // period before the error.
  const auto deadline = Clock::now() + milliseconds(options.start_timeout_ms);
  const auto grace = Clock::now() + kOrphanGrace;
  auto running = FindRunningPostmaster(layout.pgdata);
  while (running && Clock::now() < deadline &&
         (running->status == "stopping" || Clock::now() < grace)) {
    std::this_thread::sleep_for(milliseconds(20));
    running = FindRunningPostmaster(layout.pgdata);
  }
  if (running) {
    return UnavailableError("the cluster in " + layout.data_dir +
                            " is already served by postmaster pid " + std::to_string(running->pid) +
                            " (started by `hestia db start`?); stop it with `hestia db "
                            "stop --data-dir " +
                            layout.data_dir + "` or use it with --database-url '" +
                            ConnectionStringFor(running->socket_dir) + "'");
  }
  HESTIA_ASSIGN_OR_RETURN(int log_fd, OpenPostgresLog(layout));
  auto socket_dir = CreateSocketDir(layout);
  if (!socket_dir.ok()) {
    close(log_fd);
    return socket_dir.status();
  }
  auto impl = std::make_unique<Impl>(std::move(layout), std::move(socket_dir).value(), log_fd,
                                     options.start_timeout_ms);
  HESTIA_RETURN_IF_ERROR(impl->Launch());
  log::Info("embedded PostgreSQL ready",
            {{"pid", static_cast<long long>(impl->Pid())},
             {"data_dir", impl->layout().data_dir},
             {"pgdata", impl->layout().pgdata},
             {"socket_dir", impl->socket_dir()},
             {"user", impl->layout().credentials.switch_user ? impl->layout().credentials.name
                                                             : std::string("(current)")},
             {"log", impl->layout().log_path}});
  return std::unique_ptr<EmbeddedCluster>(new EmbeddedCluster(std::move(impl)));
}

Status EmbeddedCluster::Stop(StopMode mode) { return impl_->Stop(mode); }

std::string EmbeddedCluster::ConnectionString() const { return impl_->connection_string(); }

void EmbeddedCluster::Supervise() { impl_->Supervise(); }

pid_t EmbeddedCluster::PostmasterPid() const { return impl_->Pid(); }

}  // namespace hestia::storage
