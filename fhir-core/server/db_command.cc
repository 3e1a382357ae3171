// `hestia db start|stop|status`. See db_command.h.
#include "db_command.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hestia/base/log.h"
#include "hestia/base/status.h"
#include "hestia/storage/embedded_cluster.h"

namespace hestia::server {
namespace {

using storage::EmbeddedCluster;

constexpr const char* kUsage =
    "usage: hestia db start  --data-dir DIR [--bin-dir DIR] [--user NAME] [--timeout-ms N]\n"
    "       hestia db stop   --data-dir DIR [--mode smart|fast|immediate] [--timeout-ms N]\n"
    "       hestia db status --data-dir DIR\n"
    "\n"
    "Operates the embedded PostgreSQL cluster in DIR/pgdata (HESTIA_DATA_DIR if --data-dir is\n"
    "not given). start initialises the cluster on first use, leaves postgres running after the\n"
    "command exits and prints its connection string. stop defaults to fast mode. status exits\n"
    "with 3 when postgres is not running.\n";

struct Args {
  std::string action;
  storage::ClusterOptions cluster;
  EmbeddedCluster::StopMode mode = EmbeddedCluster::StopMode::kFast;
  int stop_timeout_ms = 60000;
};

bool ParseMode(std::string_view s, EmbeddedCluster::StopMode* mode) {
  if (s == "smart")
    *mode = EmbeddedCluster::StopMode::kSmart;
  else if (s == "fast")
    *mode = EmbeddedCluster::StopMode::kFast;
  else if (s == "immediate")
    *mode = EmbeddedCluster::StopMode::kImmediate;
  else
    return false;
  return true;
}

bool ParseInt(const std::string& s, int* out) {
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v <= 0 || v > 86400000) return false;
  *out = static_cast<int>(v);
  return true;
}

// Returns an error message, or "" when the arguments are good.
std::string Parse(int argc, char** argv, Args* args) {
  if (argc < 1) return "missing action";
  args->action = argv[0];
  if (const char* env = std::getenv("HESTIA_DATA_DIR"); env != nullptr) {
    args->cluster.data_dir = env;
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
      has_value = true;
    }
    auto next = [&](std::string* out) {
      if (has_value) {
        *out = value;
        return true;
      }
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--data-dir") {
      if (!next(&args->cluster.data_dir)) return "--data-dir needs a value";
    } else if (arg == "--bin-dir") {
      if (!next(&args->cluster.bin_dir)) return "--bin-dir needs a value";
    } else if (arg == "--user") {
      if (!next(&args->cluster.system_user)) return "--user needs a value";
    } else if (arg == "--mode") {
      if (!next(&v) || !ParseMode(v, &args->mode)) return "--mode is smart, fast or immediate";
    } else if (arg == "--timeout-ms") {
      int ms = 0;
      if (!next(&v) || !ParseInt(v, &ms)) return "--timeout-ms needs a positive number";
      args->cluster.start_timeout_ms = ms;
      args->stop_timeout_ms = ms;
    } else {
      return "unknown argument " + arg;
    }
  }
  if (args->action != "start" && args->action != "stop" && args->action != "status") {
    return "unknown action " + args->action;
  }
  if (args->cluster.data_dir.empty()) return "--data-dir is required";
  return "";
}

int Fail(const Status& status) {
  std::fprintf(stderr, "hestia db: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int RunDbCommand(int argc, char** argv) {
  if (argc >= 1 && (std::string_view(argv[0]) == "--help" || std::string_view(argv[0]) == "-h" ||
                    std::string_view(argv[0]) == "help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  Args args;
  if (std::string error = Parse(argc, argv, &args); !error.empty()) {
    std::fprintf(stderr, "hestia db: %s\n%s", error.c_str(), kUsage);
    return 2;
  }
  if (args.action == "start") {
    auto conn = storage::StartDetachedCluster(args.cluster);
    if (!conn.ok()) return Fail(conn.status());
    std::printf("%s\n", conn->c_str());
    std::fflush(stdout);
    return 0;
  }
  if (args.action == "stop") {
    Status s = storage::StopDetachedCluster(args.cluster, args.mode, args.stop_timeout_ms);
    return s.ok() ? 0 : Fail(s);
  }
  auto state = storage::InspectCluster(args.cluster.data_dir);
  if (!state.ok()) return Fail(state.status());
  if (!state->initialised) {
    std::printf("not initialised\n");
    return 3;
  }
  if (!state->running) {
    std::printf("stopped\n");
    return 3;
  }
  std::printf("running pid=%d%s\n%s\n", static_cast<int>(state->pid),
              state->accepting ? "" : " (not accepting connections yet)",
              state->connection_string.c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace hestia::server
