// Test fixture support: a real `hestia serve` process on a free port, with an embedded
// PostgreSQL in a temporary data folder (or an external database URL).
// Thread-safety: one owner thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "hestia/base/status.h"

namespace hestia::testing {

// The hestia binary under test: $HESTIA_BINARY (set by CMake for every integration test).
std::string HestiaBinary();

// A fresh folder under /tmp that the unprivileged cluster user can traverse.
std::string MakeTempDir(const std::string& prefix);

class ServerProcess {
 public:
  struct Options {
    std::string data_dir;      // "" = a new temporary folder
    std::string database_url;  // "" = embedded cluster in data_dir
    std::vector<std::string> extra_args;
    int ready_timeout_ms = 120000;
  };

  // Starts the server and waits for its "ready at" line. kUnavailable with the log tail when
  // it exits or times out first.
  static Result<std::unique_ptr<ServerProcess>> Start(const Options& options);
  ~ServerProcess();  // Stop()

  int port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_path() const { return log_path_; }
  std::string LogTail(std::size_t bytes = 4000) const;

  // SIGTERM and wait; returns the exit status (or -1).
  int Stop();

  // SIGKILL and reap, as a crash would end it (no shutdown code runs). Returns false when the
  // process had already been stopped.
  bool Kill();

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int port_ = 0;
  std::string data_dir_;
  std::string log_path_;
};

// Runs a command line, returns its exit code; stdout goes to *out when given.
int RunCommand(const std::vector<std::string>& argv, std::string* out = nullptr);

}  // namespace hestia::testing
