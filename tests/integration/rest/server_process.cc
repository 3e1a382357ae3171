// Spawning and stopping `hestia serve` for integration tests. See server_process.h.
#include "server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace hestia::testing {

std::string HestiaBinary() {
  const char* bin = std::getenv("HESTIA_BINARY");
  return bin != nullptr ? bin : "hestia";
}

std::string MakeTempDir(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + "-XXXXXX";
  char* dir = mkdtemp(pattern.data());
  if (dir == nullptr) return {};
  chmod(dir, 0755);
  return dir;
}

namespace {

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

}  // namespace

Result<std::unique_ptr<ServerProcess>> ServerProcess::Start(const Options& options) {
  auto server = std::unique_ptr<ServerProcess>(new ServerProcess());
  server->data_dir_ = options.data_dir.empty() ? MakeTempDir("hestia-it") : options.data_dir;
  server->log_path_ = server->data_dir_ + "/server.log";
  std::vector<std::string> args = {HestiaBinary(), "serve",     "--port",     "0",
                                   "--host",       "127.0.0.1", "--data-dir", server->data_dir_};
  if (!options.database_url.empty()) {
    args.push_back("--database-url");
    args.push_back(options.database_url);
  }
  for (const auto& a : options.extra_args) args.push_back(a);

  int out_pipe[2];
  if (pipe(out_pipe) != 0) return InternalError("pipe failed");
  const int log_fd = open(server->log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (log_fd < 0) return InternalError("cannot open " + server->log_path_);
  auto argv = Argv(args);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    close(out_pipe[0]);
    close(out_pipe[1]);
    close(log_fd);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(log_fd);
  if (pid < 0) {
    close(out_pipe[0]);
    return InternalError("fork failed");
  }
  server->pid_ = pid;

  std::string seen;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.ready_timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out_pipe[0], POLLIN, 0};
    if (poll(&p, 1, 200) > 0) {
      char buf[512];
      const ssize_t n = read(out_pipe[0], buf, sizeof buf);
      if (n <= 0) break;  // the server exited
      seen.append(buf, static_cast<std::size_t>(n));
      const auto at = seen.find("ready at http://");
      if (at != std::string::npos) {
        const auto colon = seen.find(':', at + 16);
        const auto slash = seen.find('/', colon);
        if (colon != std::string::npos && slash != std::string::npos) {
          server->port_ = std::atoi(seen.substr(colon + 1, slash - colon - 1).c_str());
          // The server prints nothing else on stdout; keep the pipe open until Stop().
          server->stdout_fd_ = out_pipe[0];
          return server;
        }
      }
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      close(out_pipe[0]);
      return UnavailableError("hestia serve exited before ready: " + server->LogTail());
    }
  }
  close(out_pipe[0]);
  return UnavailableError("hestia serve did not become ready: " + server->LogTail());
}

ServerProcess::~ServerProcess() { Stop(); }

int ServerProcess::Stop() {
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 600; ++i) {  // 60 s, then SIGKILL
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    usleep(100000);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

bool ServerProcess::Kill() {
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  if (pid_ <= 0) return false;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return true;
}

std::string ServerProcess::LogTail(std::size_t bytes) const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string all = ss.str();
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

int RunCommand(const std::vector<std::string>& argv_in, std::string* out) {
  std::vector<std::string> args = argv_in;
  auto argv = Argv(args);
  int out_pipe[2];
  if (pipe(out_pipe) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    close(out_pipe[0]);
    close(out_pipe[1]);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  std::string collected;
  char buf[512];
  ssize_t n = 0;
  while ((n = read(out_pipe[0], buf, sizeof buf)) > 0)
    collected.append(buf, static_cast<std::size_t>(n));
  close(out_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (out != nullptr) *out = collected;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace hestia::testing
