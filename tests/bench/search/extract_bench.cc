// Index-extraction benchmark: search::Extractor (every SearchParameter of a resource's type,
// evaluated with FHIRPath and turned into index rows, as on every write) over the resources of
// NDJSON files, on one thread. Prints a table per resource type (see docs/performance.md,
// "Write throughput with indexing"). Not a timed test.
//
// Usage: extract_bench DIR [max_resources] [repetitions] [definitions_dir]
//   DIR: a folder searched recursively for *.ndjson (e.g. the output of generate.py or
//   ingest_generate.py); the files are read in name order until max_resources (default 20000).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hestia/base/json.h"
#include "hestia/fhirpath/engine.h"
#include "hestia/resources/type_registry.h"
#include "hestia/search/index.h"
#include "hestia/search/parameter_registry.h"

namespace fs = std::filesystem;

namespace {

struct Input {
  std::string type;
  std::unique_ptr<hestia::json::Document> doc;
};

struct PerType {
  long resources = 0;
  long rows = 0;
  double seconds = 0;
};

long Rows(const hestia::search::IndexRows& r) {
  return static_cast<long>(r.tokens.size() + r.strings.size() + r.dates.size() + r.numbers.size() +
                           r.quantities.size() + r.uris.size() + r.references.size() +
                           r.geo.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: extract_bench DIR [max_resources] [repetitions] [definitions]\n");
    return 2;
  }
  const fs::path dir = argv[1];
  const long max_resources = argc > 2 ? std::max(1L, std::atol(argv[2])) : 20000;
  const int repetitions = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
  const std::string definitions = argc > 4 ? argv[4] : HESTIA_DEFAULT_DEFINITIONS_DIR;

  auto types = hestia::resources::TypeRegistry::LoadFromPackage(definitions);
  auto params = hestia::search::ParameterRegistry::LoadFromPackage(definitions);
  if (!types.ok() || !params.ok()) {
    std::fprintf(stderr, "cannot load the definitions in %s\n", definitions.c_str());
    return 2;
  }
  auto engine = hestia::fhirpath::Engine::Create(types.value());
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().message().c_str());
    return 2;
  }
  const hestia::search::Extractor extractor(engine.value(), "http://localhost:8080/fhir");

  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".ndjson") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<Input> inputs;
  long bytes = 0;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    while (static_cast<long>(inputs.size()) < max_resources && std::getline(in, line)) {
      if (line.empty()) continue;
      Input input;
      input.doc = std::make_unique<hestia::json::Document>();
      if (!hestia::json::Parse(line, hestia::json::Limits{}, input.doc.get()).ok()) continue;
      input.type = std::string(hestia::json::StringMember(*input.doc, "resourceType"));
      bytes += static_cast<long>(line.size());
      inputs.push_back(std::move(input));
    }
    if (static_cast<long>(inputs.size()) >= max_resources) break;
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "no resources under %s\n", dir.c_str());
    return 2;
  }

  // Best pass per type; passes run over the whole input in file order (as an import does).
  std::map<std::string, PerType> best;
  double best_total = 1e30;
  long errors = 0;
  for (int rep = 0; rep < repetitions; ++rep) {
    std::map<std::string, PerType> pass;
    errors = 0;
    const auto pass_start = std::chrono::steady_clock::now();
    for (const Input& input : inputs) {
      const auto start = std::chrono::steady_clock::now();
      auto rows = extractor.Extract(input.type, *input.doc, *params.value());
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      PerType& t = pass[input.type];
      ++t.resources;
      t.seconds += seconds;
      if (rows.ok()) {
        t.rows += Rows(rows.value());
      } else {
        ++errors;
      }
    }
    const double total =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - pass_start).count();
    if (total < best_total) {
      best_total = total;
      best = pass;
    }
  }

  std::printf("| %-22s | %9s | %10s | %12s | %12s |\n", "type", "resources", "rows/res",
              "us/resource", "resources/s");
  std::printf("|%s|%s|%s|%s|%s|\n", std::string(24, '-').c_str(), std::string(11, '-').c_str(),
              std::string(12, '-').c_str(), std::string(14, '-').c_str(),
              std::string(14, '-').c_str());
  long all_rows = 0;
  for (const auto& [type, t] : best) {
    all_rows += t.rows;
    std::printf("| %-22s | %9ld | %10.1f | %12.1f | %12.0f |\n", type.c_str(), t.resources,
                static_cast<double>(t.rows) / static_cast<double>(t.resources),
                t.seconds * 1e6 / static_cast<double>(t.resources),
                static_cast<double>(t.resources) / t.seconds);
  }
  const auto n = static_cast<double>(inputs.size());
  std::printf("| %-22s | %9zu | %10.1f | %12.1f | %12.0f |\n", "all (best of passes)",
              inputs.size(), static_cast<double>(all_rows) / n, best_total * 1e6 / n,
              n / best_total);
  std::printf("\n%ld bytes of JSON read, %d passes, %ld extraction errors in the best pass\n",
              bytes, repetitions, errors);
  return errors == 0 ? 0 : 1;
}
