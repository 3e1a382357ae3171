// Child processes for the embedded cluster. See process.h for the contract; the rule in this
// file is that code between fork() and exec()/_exit() calls only async-signal-safe functions
// (plus the raw syscalls setgroups, close_range and prctl) and touches no heap.
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "hestia/base/log.h"

namespace hestia::storage {
namespace {

// What the child reports through the status pipe. A record with step kPid carries the
// grandchild's pid (detach); any other step is a failure with its errno. EOF without a failure
// record means exec() succeeded (the pipe is close-on-exec).
enum ChildStep : int {
  kPid = 0,
  kSetsid,
  kFork,
  kDup,
  kChdir,
  kSetgroups,
  kSetgid,
  kSetuid,
  kPrctl,
  kExec,
};

struct ChildReport {
  int step;
  int value;  // pid for kPid, errno otherwise
};

const char* StepName(int step) {
  switch (step) {
    case kSetsid:
      return "setsid";
    case kFork:
      return "fork";
    case kDup:
      return "dup2";
    case kChdir:
      return "chdir";
    case kSetgroups:
      return "setgroups";
    case kSetgid:
      return "setgid";
    case kSetuid:
      return "setuid";
    case kPrctl:
      return "prctl";
    case kExec:
      return "execve";
    default:
      return "spawn";
  }
}

// Async-signal-safe: write() only.
void Report(int fd, int step, int value) {
  ChildReport r{step, value};
  ssize_t ignored = write(fd, &r, sizeof r);
  (void)ignored;
}

[[noreturn]] void Fail(int fd, int step) {
  Report(fd, step, errno);
  _exit(127);
}

// Everything the child needs, prepared before fork() so the child never allocates.
struct ChildPlan {
  char* const* argv;
  char* const* envp;
  const SpawnOptions* options;
  int devnull;
  int report_fd;
  pid_t parent;
  int max_fd;
};

void CloseFrom(unsigned first, unsigned last, int max_fd) {
  if (first > last) return;
  if (close_range(first, last, 0) == 0) return;
  // Kernels before 5.9: close one by one up to the limit computed before fork().
  for (long fd = first; fd <= static_cast<long>(last) && fd < max_fd; ++fd)
    close(static_cast<int>(fd));
}

[[noreturn]] void RunChild(const ChildPlan& plan) {
  const SpawnOptions& o = *plan.options;
  int report = plan.report_fd;

  // Handlers installed by the server (SIGINT, SIGTERM) must not run here, and ignored signals
  // (SIGPIPE) would survive exec. Signals stay blocked (inherited from Spawn) until just before
  // exec.
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);
  }

  if (o.new_session && setsid() < 0) Fail(report, kSetsid);

  if (o.detach) {
    pid_t grandchild = fork();
    if (grandchild < 0) Fail(report, kFork);
    if (grandchild > 0) {
      Report(report, kPid, grandchild);
      _exit(0);
    }
  }

  int out = o.output_fd >= 0 ? o.output_fd : plan.devnull;
  if (dup2(plan.devnull, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
      dup2(out, STDERR_FILENO) < 0) {
    Fail(report, kDup);
  }
  // Keep only 0-2 and the report pipe (close-on-exec): no server socket or pool connection
  // leaks into postgres.
  if (report > STDERR_FILENO + 1) CloseFrom(STDERR_FILENO + 1, report - 1, plan.max_fd);
  CloseFrom(report + 1, ~0U, plan.max_fd);

  if (chdir("/") < 0) Fail(report, kChdir);

  if (o.credentials.switch_user) {
    // initgroups() reads /etc/group and allocates; the list was computed before fork().
    if (setgroups(o.credentials.groups.size(), o.credentials.groups.data()) < 0) {
      Fail(report, kSetgroups);
    }
    if (setgid(o.credentials.gid) < 0) Fail(report, kSetgid);
    if (setuid(o.credentials.uid) < 0) Fail(report, kSetuid);
  }
  // After setuid: a credential change clears the parent-death signal.
  if (o.parent_death_signal != 0) {
    if (prctl(PR_SET_PDEATHSIG, o.parent_death_signal) < 0) Fail(report, kPrctl);
    if (getppid() != plan.parent) _exit(1);  // the parent died before prctl took effect
  }

  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(plan.argv[0], plan.argv, plan.envp);
  Fail(report, kExec);
}

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

Status ErrnoError(const std::string& what, int err) {
  return InternalError(what + ": " + strerror(err));
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

Result<Credentials> CredentialsFromPasswd(const struct passwd& pw) {
  Credentials c;
  c.switch_user = true;
  c.uid = pw.pw_uid;
  c.gid = pw.pw_gid;
  c.name = pw.pw_name;
  int n = 32;
  for (int attempt = 0; attempt < 8; ++attempt) {
    c.groups.assign(static_cast<size_t>(n), 0);
    int count = n;
    if (getgrouplist(pw.pw_name, pw.pw_gid, c.groups.data(), &count) >= 0) {
      c.groups.resize(static_cast<size_t>(count));
      return c;
    }
    n = count > n ? count : n * 2;
  }
  return InternalError(std::string("getgrouplist failed for user ") + pw.pw_name);
}

}  // namespace

Credentials CurrentCredentials() {
  Credentials c;
  c.uid = geteuid();
  c.gid = getegid();
  return c;
}

Result<Credentials> LookupUser(const std::string& name) {
  struct passwd pw;
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  int rc;
  while ((rc = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found)) == ERANGE) {
    buf.resize(buf.size() * 2);
  }
  if (rc != 0) return ErrnoError("getpwnam_r(" + name + ")", rc);
  if (found == nullptr) return NotFoundError("no user named " + name);
  return CredentialsFromPasswd(pw);
}

Result<Credentials> EnsureSystemUser(const std::string& name) {
  auto existing = LookupUser(name);
  if (existing.ok() || existing.status().code() != StatusCode::kNotFound) return existing;
  if (geteuid() != 0) {
    return InternalError("user " + name + " does not exist and only root can create it");
  }
  std::string useradd =
      access("/usr/sbin/useradd", X_OK) == 0 ? "/usr/sbin/useradd" : "/sbin/useradd";
  log::Info("creating system user for the embedded PostgreSQL cluster", {{"user", name}});
  // Another process (a second server, a test) may be creating the same user: useradd then
  // fails on the lock of /etc/passwd or because the user exists. Look again before retrying.
  Status last;
  for (int attempt = 0; attempt < 10; ++attempt) {
    SpawnOptions o;
    o.argv = {useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name};
    o.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    auto status = RunToCompletion(o);
    auto now = LookupUser(name);
    if (now.ok() || now.status().code() != StatusCode::kNotFound) return now;
    last = status.ok()
               ? InternalError("useradd " + name + " ended with " + DescribeWaitStatus(*status))
               : status.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return last;
}

Result<pid_t> Spawn(const SpawnOptions& options) {
  if (options.argv.empty() || options.argv[0].empty() || options.argv[0][0] != '/') {
    return InternalError("Spawn needs an absolute program path");
  }
  std::vector<char*> argv = CStrings(options.argv);
  std::vector<char*> envp = CStrings(options.env);
  Fd devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (devnull.get() < 0) return ErrnoError("open /dev/null", errno);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) < 0) return ErrnoError("pipe2", errno);
  Fd read_end(pipe_fds[0]);
  // The child's stdio is rebuilt on 0-2; keep the report pipe clear of them even when the
  // server runs with a closed stdin or stdout.
  Fd write_end(pipe_fds[1] > STDERR_FILENO
                   ? pipe_fds[1]
                   : fcntl(pipe_fds[1], F_DUPFD_CLOEXEC, STDERR_FILENO + 1));
  if (pipe_fds[1] <= STDERR_FILENO) close(pipe_fds[1]);
  if (write_end.get() < 0) return ErrnoError("fcntl(F_DUPFD_CLOEXEC)", errno);

  struct rlimit rl;
  int max_fd = 65536;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    max_fd = static_cast<int>(rl.rlim_cur < 1048576 ? rl.rlim_cur : 1048576);
  }
  ChildPlan plan{argv.data(),     envp.data(), &options, devnull.get(),
                 write_end.get(), getpid(),    max_fd};

  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = fork();
  if (pid == 0) RunChild(plan);
  int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return ErrnoError("fork", fork_errno);
  write_end.Reset();

  pid_t result = pid;
  Status failure;
  ChildReport r;
  for (;;) {
    ssize_t n = read(read_end.get(), &r, sizeof r);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof r)) break;  // EOF: exec succeeded
    if (r.step == kPid) {
      result = r.value;
    } else {
      failure =
          ErrnoError(std::string("starting ") + options.argv[0] + ": " + StepName(r.step), r.value);
    }
  }
  if (options.detach) {
    // The intermediate child exits right after reporting; reap it.
    auto ignored = WaitForExit(pid);
    (void)ignored;
  } else if (!failure.ok()) {
    auto ignored = WaitForExit(pid);
    (void)ignored;
  }
  if (!failure.ok()) return failure;
  if (options.detach && result == pid) return InternalError("detached child reported no pid");
  return result;
}

Result<int> WaitForExit(pid_t pid) {
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, 0);
    if (r == pid) return status;
    if (r < 0 && errno == EINTR) continue;
    return ErrnoError("waitpid(" + std::to_string(pid) + ")", errno);
  }
}

Result<int> RunToCompletion(const SpawnOptions& options) {
  HESTIA_ASSIGN_OR_RETURN(pid_t pid, Spawn(options));
  return WaitForExit(pid);
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    const char* name = sigdescr_np(sig);
    return "signal " + std::to_string(sig) + " (" + (name ? name : "?") + ")";
  }
  return "status " + std::to_string(wait_status);
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  if (kill(pid, 0) < 0 && errno != EPERM) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;  // no /proc: trust kill()
  size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return true;
  char state = line[paren + 2];
  return state != 'Z' && state != 'X';
}

Result<bool> CanTraverse(const Credentials& credentials, const std::string& path) {
  if (!credentials.switch_user) return access(path.c_str(), X_OK) == 0;
  const char* c_path = path.c_str();
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(credentials.groups.size(), credentials.groups.data()) < 0 ||
        setgid(credentials.gid) < 0 || setuid(credentials.uid) < 0) {
      _exit(2);
    }
    _exit(access(c_path, X_OK) == 0 ? 0 : 1);
  }
  int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return ErrnoError("fork", fork_errno);
  HESTIA_ASSIGN_OR_RETURN(int status, WaitForExit(pid));
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
    return InternalError("could not check access to " + path + " as user " + credentials.name +
                         " (" + DescribeWaitStatus(status) + ")");
  }
  return WEXITSTATUS(status) == 0;
}

}  // namespace hestia::storage
