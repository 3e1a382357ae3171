// Child processes for the embedded cluster: fork + exec with dropped privileges, waiting, and
// liveness checks. Private to fhir-core/storage.
//
// Owns: everything that runs between fork() and exec(). The child only makes async-signal-safe
// calls (the parent may have other threads holding malloc or stdio locks): argv, envp and the
// supplementary group list are all built before fork().
// Thread-safety: all functions may be called from any thread. Spawn() blocks all signals in the
// calling thread for the duration of fork() so that no handler of ours runs in the child.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "hestia/base/status.h"

namespace hestia::storage {

// Who a child runs as. With switch_user false the child keeps the caller's identity.
struct Credentials {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups (as initgroups would set them)
  std::string name;
};

// The identity of this process (switch_user false).
Credentials CurrentCredentials();

// Looks up `name` in the user database. kNotFound if there is no such user.
Result<Credentials> LookupUser(const std::string& name);

// Looks up `name`, creating it first as a system user without home or login shell when missing
// (useradd --system --no-create-home --shell /usr/sbin/nologin). Needs root to create. Safe
// against other processes creating the same user at the same time.
Result<Credentials> EnsureSystemUser(const std::string& name);

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the absolute path of the program
  std::vector<std::string> env;   // the child's whole environment, "KEY=value"
  Credentials credentials;
  int output_fd = -1;           // becomes the child's stdout and stderr; -1 = /dev/null
  bool new_session = false;     // setsid(): no terminal signals (Ctrl-C) reach the child
  int parent_death_signal = 0;  // PR_SET_PDEATHSIG: sent when the forking *thread* exits
  bool detach = false;          // double fork: the child is reparented to init and never
                                // becomes our zombie; the caller must not wait for it
};

// Starts a child. Returns its pid once exec() has succeeded; a failure before or in exec()
// (missing binary, setuid refused) comes back as kInternal naming the step and errno. Unless
// options.detach is set, the caller owns the child and must reap it (WaitForExit / waitpid).
Result<pid_t> Spawn(const SpawnOptions& options);

// Reaps the child `pid`, retrying on EINTR. Returns its raw wait status.
Result<int> WaitForExit(pid_t pid);

// Spawns, waits, and returns the raw wait status.
Result<int> RunToCompletion(const SpawnOptions& options);

// "exit 0", "exit 1", "signal 9 (Killed)" — for logs.
std::string DescribeWaitStatus(int wait_status);

// True if a process with this pid exists and is not a zombie. Zombies count as gone: a detached
// postmaster is reparented to init, and some container inits never reap.
bool ProcessAlive(pid_t pid);

// Whether `credentials` can resolve `path` and search it (every ancestor traversable, X on the
// folder itself). Checked in a forked child with those credentials, so it sees ACLs and
// supplementary groups exactly as postgres would.
Result<bool> CanTraverse(const Credentials& credentials, const std::string& path);

}  // namespace hestia::storage
