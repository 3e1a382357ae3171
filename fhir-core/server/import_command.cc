// `hestia import`: wiring (configuration, definitions, storage, the FHIR service) and the
// worker pool that loads the planned files. See import_command.h; planning and ordering are in
// import_plan.h, the resume state in import_state.h, the progress display in import_progress.h.
//
// Interruption: SIGINT and SIGTERM are blocked in every thread and taken by the main thread.
// The first one stops handing out files; files in flight finish (each is one or more atomic
// transactions) and are recorded, so the state file never misses a committed file. A second
// signal exits at once: in-flight transactions roll back, except one whose commit raced it.
// Thread-safety: runs on the main thread; workers share only the Service (thread-safe), the
// ImportState (thread-safe) and the mutex-guarded summary.
#include "import_command.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hestia/base/config.h"
#include "hestia/base/json.h"
#include "hestia/base/log.h"
#include "hestia/base/time.h"
#include "import_plan.h"
#include "import_progress.h"
#include "import_state.h"
#include "options.h"
#include "runtime.h"

namespace hestia::server {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxReportedFailures = 20;
constexpr long kMinImportRequestBytes = 1L << 30;

const char kUsage[] =
    "Usage: hestia import PATH... [--database-url URL | --data-dir DIR] [--workers N]\n"
    "                     [--state-file F] [--no-progress] [other `hestia serve` options]\n\n"
    "Loads files and folders (recursively: *.json, *.ndjson, *.jsonl) into the database through\n"
    "the FHIR service, in-process, with every search index maintained:\n"
    "  transaction Bundle          processed as one transaction (all or nothing)\n"
    "  batch Bundle                processed as a batch (entries independent)\n"
    "  collection/searchset Bundle each resource PUT Type/id (update-as-create), or POST\n"
    "  NDJSON, single resource     without an id; wrapped in transactions of up to\n"
    "                              bundle.max_entries resources\n\n"
    "Order: phase 1 loads, one file at a time in path order (a batch Bundle's entries split\n"
    "over the workers, as batch entries are independent), every file that others refer to:\n"
    "batch/collection Bundles, NDJSON and single resources that contain no Patient and no\n"
    "Patient/… reference, and files named hospitalInformation* or practitionerInformation*\n"
    "(Synthea). Phase 2 loads everything else (e.g. patient transactions) on all workers.\n\n"
    "  --workers N      files loaded in parallel (default 2 x cores)\n"
    "  --state-file F   resume state (default <data-dir or cwd>/.hestia-import-state): files\n"
    "                   already loaded (same content and size) are skipped\n"
    "  --no-progress    no progress display on stderr\n\n"
    "SIGINT/SIGTERM: files in flight finish and are recorded, then the summary; a second\n"
    "signal exits at once. Exit code 0: all files loaded; 1: some failed or interrupted;\n"
    "2: usage error.\n";

int Fail(const Status& s) {
  std::fprintf(stderr, "hestia import: %s\n", s.ToString().c_str());
  return 1;
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "hestia import: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

struct Summary {
  std::mutex mu;
  std::size_t files_loaded = 0;
  std::size_t files_failed = 0;
  std::size_t created = 0;
  std::size_t updated = 0;
  std::size_t unchanged = 0;
  std::size_t failed = 0;  // resources not loaded
  std::vector<std::string> failures;

  void AddFailure(std::string reason) {
    if (failures.size() < kMaxReportedFailures) failures.push_back(std::move(reason));
  }
};

// The first diagnostics (or code) of an OperationOutcome text; the text itself otherwise.
std::string OutcomeReason(const std::string& body) {
  json::Document doc;
  if (json::Parse(body, json::Limits{}, &doc).ok()) {
    const json::Value* issues = json::Member(doc, "issue");
    if (issues != nullptr && issues->IsArray() && !issues->Empty()) {
      const json::Value& first = (*issues)[0];
      std::string_view text = json::StringMember(first, "diagnostics");
      if (text.empty()) text = json::StringMember(first, "code");
      return std::string(text);
    }
  }
  return body.substr(0, 300);
}

// What one or more posted Bundles did.
struct Tally {
  std::size_t created = 0;
  std::size_t updated = 0;
  std::size_t unchanged = 0;
  std::size_t failed = 0;
  std::vector<std::string> reasons;

  void Merge(Tally other) {
    created += other.created;
    updated += other.updated;
    unchanged += other.unchanged;
    failed += other.failed;
    for (auto& r : other.reasons) reasons.push_back(std::move(r));
  }
};

struct Loader {
  interactions::Service* service = nullptr;
  std::string base_url;
  std::string start_instant;  // lastModified before this → the resource was unchanged
  std::size_t chunk = 1000;
  ImportState* state = nullptr;
  ImportProgress* progress = nullptr;
  Summary* summary = nullptr;

  // Posts one batch or transaction Bundle of `count` entries and tallies its response.
  void Post(std::string body, std::size_t count, Tally* tally) const {
    interactions::Request req;
    req.method = "POST";
    req.base_url = base_url;
    req.request_id = "import";
    req.headers.Add("Content-Type", "application/fhir+json");
    // The summary needs each entry's status, not the resources echoed back.
    req.headers.Add("Prefer", "return=minimal");
    req.body = std::move(body);
    interactions::Response r = service->Handle(req);
    req.body.clear();
    json::Limits limits;
    limits.max_bytes = std::size_t{1} << 30;
    json::Document doc;
    if (r.status != 200 || !json::Parse(r.body, limits, &doc).ok()) {
      tally->failed += count;
      tally->reasons.push_back("HTTP " + std::to_string(r.status) + ": " + OutcomeReason(r.body));
      return;
    }
    const json::Value* entries = json::Member(doc, "entry");
    if (entries == nullptr || !entries->IsArray()) return;
    for (const auto& e : entries->GetArray()) {
      const json::Value* response = json::Member(e, "response");
      if (response == nullptr) continue;
      const std::string_view status = json::StringMember(*response, "status");
      if (status.rfind("201", 0) == 0) {
        ++tally->created;
      } else if (status.rfind("200", 0) == 0) {
        const std::string_view modified = json::StringMember(*response, "lastModified");
        if (!modified.empty() && modified < start_instant) {
          ++tally->unchanged;
        } else {
          ++tally->updated;
        }
      } else {
        ++tally->failed;
        const json::Value* outcome = json::Member(*response, "outcome");
        tally->reasons.push_back(std::string(status) + ": " +
                                 (outcome != nullptr ? OutcomeReason(json::Write(*outcome)) : ""));
      }
    }
  }

  // Loads `file`; a batch Bundle is split into `slices` sub-batches loaded concurrently (batch
  // entries are independent by definition: http://hl7.org/fhir/R4/http.html#brules).
  void Load(const ImportFile& file, int slices) const {
    std::vector<std::string> bodies;
    std::vector<std::size_t> counts;
    Tally tally;
    Status built = BuildRequests(file, chunk, slices, &bodies, &counts);
    if (!built.ok()) tally.reasons.push_back(built.message());
    if (file.kind == ImportKind::kBatch && bodies.size() > 1) {
      std::mutex mu;
      std::vector<std::thread> threads;
      threads.reserve(bodies.size());
      for (std::size_t i = 0; i < bodies.size(); ++i) {
        threads.emplace_back([&, i] {
          Tally part;
          Post(std::move(bodies[i]), counts[i], &part);
          std::lock_guard lock(mu);
          tally.Merge(std::move(part));
        });
      }
      for (auto& t : threads) t.join();
    } else {
      for (std::size_t i = 0; i < bodies.size(); ++i) Post(std::move(bodies[i]), counts[i], &tally);
    }
    const bool ok = tally.reasons.empty();
    if (ok) {
      if (Status s = state->MarkDone(file); !s.ok()) {
        log::Warn("import state not recorded", {{"file", file.path}, {"error", s.ToString()}});
      }
    }
    progress->Add(file.resources);
    std::lock_guard lock(summary->mu);
    summary->created += tally.created;
    summary->updated += tally.updated;
    summary->unchanged += tally.unchanged;
    summary->failed += tally.failed;
    if (ok) {
      ++summary->files_loaded;
    } else {
      ++summary->files_failed;
      for (auto& reason : tally.reasons) summary->AddFailure(file.path + ": " + reason);
    }
  }
};

// Runs fn(i) for i in [0, n) on `workers` threads until `stop` is set.
template <typename Fn>
void ParallelFor(std::size_t n, int workers, const std::atomic<bool>& stop, Fn fn) {
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> threads;
  const int count = static_cast<int>(std::min<std::size_t>(n, static_cast<std::size_t>(workers)));
  threads.reserve(static_cast<std::size_t>(count));
  for (int t = 0; t < count; ++t) {
    threads.emplace_back([&] {
      for (std::size_t i = next++; i < n && !stop.load(); i = next++) fn(i);
    });
  }
  for (auto& t : threads) t.join();
}

struct Arguments {
  std::vector<std::string> paths;
  int workers = 0;
  std::string state_file;
  bool progress = true;
  std::vector<std::string> config_args;
};

// Returns an empty string on success, the usage error otherwise.
std::string ParseArguments(int argc, char** argv, Arguments* out) {
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string* v) {
      if (i + 1 >= argc) return false;
      *v = argv[++i];
      return true;
    };
    if (arg == "--workers") {
      std::string v;
      if (!value(&v)) return "--workers needs a value";
      char* end = nullptr;
      const long n = std::strtol(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || n < 1 || n > 256) {
        return "--workers must be an integer in [1, 256]";
      }
      out->workers = static_cast<int>(n);
    } else if (arg == "--state-file") {
      if (!value(&out->state_file)) return "--state-file needs a value";
    } else if (arg == "--no-progress") {
      out->progress = false;
    } else if (arg.rfind("--", 0) == 0) {
      out->config_args.push_back(arg);
      std::string v;
      if (arg.find('=') == std::string::npos) {
        if (!value(&v)) return arg + " needs a value";
        out->config_args.push_back(v);
      }
    } else {
      out->paths.push_back(arg);
    }
  }
  if (out->paths.empty()) return "no PATH given";
  return "";
}

}  // namespace

int RunImportCommand(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::cout << kUsage << "\nOther options (as for `hestia serve`):\n"
                << Config::HelpText(ServeOptions());
      return 0;
    }
  }
  Arguments args;
  if (std::string error = ParseArguments(argc, argv, &args); !error.empty()) return Usage(error);
  std::vector<char*> config_argv;
  config_argv.reserve(args.config_args.size());
  for (auto& a : args.config_args) config_argv.push_back(a.data());
  auto loaded =
      Config::Load(ServeOptions(), static_cast<int>(config_argv.size()), config_argv.data());
  if (!loaded.ok()) return Usage(loaded.status().message());
  const Config& config = *loaded;
  // Start-up chatter would fight with the progress display: info logs only when asked for.
  const std::string level = config.Get("log.level");
  if (!log::SetLevel(level == "info" ? "warn" : level)) {
    return Usage("log.level must be debug, info, warn or error");
  }
  auto files = FindImportFiles(args.paths);
  if (!files.ok()) return Usage(files.status().message());
  if (args.workers == 0) {
    args.workers = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()) * 2);
  }

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto bundle_max_entries = config.GetInt("bundle.max_entries", 1, 10000000);
  if (!bundle_max_entries.ok()) return Usage(bundle_max_entries.status().message());

  RuntimeMinimums minimums;
  minimums.pool_size = args.workers + 2;
  // Files may be larger than a request the server would accept.
  minimums.json_max_bytes = static_cast<std::size_t>(kMinImportRequestBytes);
  minimums.bundle_max_entries = 1000000;
  auto runtime = OpenRuntime(config, minimums, /*supervise=*/false);
  if (!runtime.ok()) return Fail(runtime.status());
  std::string state_file = args.state_file;
  if (state_file.empty()) {
    state_file = runtime->cluster ? runtime->data_dir + "/.hestia-import-state"
                                  : std::string(".hestia-import-state");
  }

  ImportState state;
  if (Status s = state.Open(state_file); !s.ok()) return Fail(s);

  const auto started_at = std::chrono::steady_clock::now();
  std::atomic<bool> stop{false};
  std::vector<ImportFile> scanned(files->size());
  ParallelFor(files->size(), args.workers, stop,
              [&](std::size_t i) { scanned[i] = ScanFile((*files)[i]); });

  const auto scanned_at = std::chrono::steady_clock::now();
  Summary summary;
  std::vector<const ImportFile*> phases[2];
  std::size_t skipped = 0;
  std::size_t total = 0;
  for (const auto& f : scanned) {
    if (f.kind == ImportKind::kInvalid) {
      ++summary.files_failed;
      summary.AddFailure(f.path + ": " + f.error);
    } else if (state.IsDone(f)) {
      ++skipped;
    } else {
      phases[f.phase == 1 ? 0 : 1].push_back(&f);
      total += f.resources;
    }
  }

  ImportProgress progress(args.progress, total);
  Loader loader;
  loader.service = runtime->service.get();
  const std::string public_base = config.Get("server.public_base_url");
  loader.base_url = public_base.empty() ? "http://localhost:" + config.Get("server.port") +
                                              config.Get("server.base_path")
                                        : public_base;
  loader.start_instant = FormatInstant(NowMicros() - 1000000);
  loader.chunk = static_cast<std::size_t>(*bundle_max_entries);
  loader.state = &state;
  loader.progress = &progress;
  loader.summary = &summary;

  std::atomic<bool> finished{false};
  std::chrono::steady_clock::time_point phase1_done;
  std::thread driver([&] {
    ParallelFor(phases[0].size(), 1, stop,
                [&](std::size_t i) { loader.Load(*phases[0][i], args.workers); });
    phase1_done = std::chrono::steady_clock::now();
    ParallelFor(phases[1].size(), args.workers, stop,
                [&](std::size_t i) { loader.Load(*phases[1][i], 1); });
    finished = true;
  });
  bool interrupted = false;
  while (!finished.load()) {
    const timespec tick{0, 200L * 1000 * 1000};
    const int signal = sigtimedwait(&stop_signals, nullptr, &tick);
    if (signal > 0) {
      if (interrupted) {
        std::fprintf(stderr, "\nhestia import: interrupted twice, exiting now\n");
        std::_Exit(1);
      }
      interrupted = true;
      stop = true;
      std::fprintf(stderr, "\nhestia import: interrupted; finishing the files in flight\n");
    }
    progress.Tick();
  }
  driver.join();
  progress.Finish();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
  const double scan_seconds = std::chrono::duration<double>(scanned_at - started_at).count();
  const double phase1_seconds = std::chrono::duration<double>(phase1_done - scanned_at).count();

  const std::size_t written = summary.created + summary.updated + summary.unchanged;
  std::printf(
      "hestia import: %zu files: %zu loaded, %zu skipped (already imported), %zu failed%s\n"
      "resources: %zu created, %zu updated, %zu unchanged, %zu failed\n"
      "elapsed %.1f s, %.0f resources/s (scan %.1f s, phase 1 %.1f s)\n",
      files->size(), summary.files_loaded, skipped, summary.files_failed,
      interrupted ? ", interrupted (run again to resume)" : "", summary.created, summary.updated,
      summary.unchanged, summary.failed, elapsed,
      elapsed > 0 ? static_cast<double>(written) / elapsed : 0.0, scan_seconds, phase1_seconds);
  if (!summary.failures.empty()) {
    std::printf("failures (first %zu):\n", kMaxReportedFailures);
    for (const auto& f : summary.failures) std::printf("  %s\n", f.c_str());
  }
  std::fflush(stdout);
  runtime->Close();
  return summary.files_failed > 0 || interrupted ? 1 : 0;
}

}  // namespace hestia::server
