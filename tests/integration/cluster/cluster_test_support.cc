// Helpers for the embedded-cluster integration tests. See cluster_test_support.h.
#include "cluster_test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace hestia::storage::testing {

std::string MakeTempDir(bool traversable) {
  std::string tmpl = "/tmp/hestia-cluster-test-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return "";
  chmod(tmpl.c_str(), traversable ? 0755 : 0700);
  return tmpl;
}

void RemoveTree(const std::string& path) {
  if (path.rfind("/tmp/hestia-cluster-test-", 0) != 0) return;
  std::error_code ec;
  std::filesystem::remove_all(path, ec);  // does not follow symlinks
}

SqlResult Psql(const std::string& connection_string, const std::string& sql) {
  std::string psql =
      access("/usr/bin/psql", X_OK) == 0 ? "/usr/bin/psql" : "/usr/lib/postgresql/15/bin/psql";
  // Connection strings and the SQL of these tests never contain single quotes... except SQL
  // literals, so the SQL goes through stdin instead of the command line.
  std::string command = psql + " -X -q -A -t -v ON_ERROR_STOP=1 -d '" + connection_string +
                        "' 2>&1 <<'HESTIA_SQL_EOF'\n" + sql + "\nHESTIA_SQL_EOF\n";
  SqlResult result;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) result.output.append(buf, n);
  int status = pclose(p);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  while (!result.output.empty() && result.output.back() == '\n') result.output.pop_back();
  return result;
}

bool WaitForSql(const std::string& connection_string, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Psql(connection_string, "SELECT 1").exit_code == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace hestia::storage::testing
