// FHIRPath search-extraction benchmark: every R4 SearchParameter expression that applies to
// a resource type, evaluated over every resource of ../shared/data/synthea, on one thread.
// Prints a table (see docs/performance.md). Not a timed test.
//
// Usage: fhirpath_bench [synthea_dir] [definitions_dir] [repetitions]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "hestia/base/json.h"
#include "hestia/fhirpath/engine.h"
#include "hestia/resources/type_registry.h"

namespace fs = std::filesystem;
using hestia::json::Document;
using hestia::json::Value;

namespace {

bool ReadJson(const fs::path& path, Document* doc) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  hestia::json::Limits limits;
  limits.max_bytes = 512u << 20;
  return hestia::json::Parse(ss.str(), limits, doc).ok();
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path synthea = argc > 1 && argv[1][0] != 0
                               ? fs::path(argv[1])
                               : fs::path(HESTIA_SHARED_DIR) / "data" / "synthea";
  const std::string definitions =
      argc > 2 && argv[2][0] != 0 ? argv[2] : HESTIA_DEFAULT_DEFINITIONS_DIR;
  const int repetitions = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;

  auto registry = hestia::resources::TypeRegistry::LoadFromPackage(definitions);
  if (!registry.ok()) {
    std::fprintf(stderr, "%s\n", registry.status().message().c_str());
    return 2;
  }
  auto engine_result = hestia::fhirpath::Engine::Create(registry.value());
  if (!engine_result.ok()) {
    std::fprintf(stderr, "%s\n", engine_result.status().message().c_str());
    return 2;
  }
  const auto& engine = *engine_result.value();

  // Expressions by base resource type ("Resource"/"DomainResource" apply to all).
  Document params;
  if (!ReadJson(fs::path(definitions) / "Bundle-searchParams.json", &params)) {
    std::fprintf(stderr, "cannot read Bundle-searchParams.json in %s\n", definitions.c_str());
    return 2;
  }
  std::map<std::string, std::vector<std::shared_ptr<const hestia::fhirpath::Expression>>> by_type;
  int compiled = 0;
  int compile_errors = 0;
  for (const auto& entry : hestia::json::Member(params, "entry")->GetArray()) {
    const Value* sp = hestia::json::Member(entry, "resource");
    const std::string_view expression = sp ? hestia::json::StringMember(*sp, "expression") : "";
    const Value* base = sp ? hestia::json::Member(*sp, "base") : nullptr;
    if (expression.empty() || base == nullptr || !base->IsArray()) continue;
    auto expr = engine.Compile(expression);
    if (!expr.ok()) {
      ++compile_errors;
      std::fprintf(stderr, "compile error: %s\n", expr.status().message().c_str());
      continue;
    }
    ++compiled;
    for (const auto& b : base->GetArray()) {
      by_type[std::string(hestia::json::AsStringView(b))].push_back(expr.value());
    }
  }

  std::vector<std::unique_ptr<Document>> bundles;
  std::vector<const Value*> resources;
  for (const auto& file : fs::directory_iterator(synthea)) {
    if (file.path().extension() != ".json") continue;
    auto doc = std::make_unique<Document>();
    if (!ReadJson(file.path(), doc.get())) continue;
    if (const Value* entries = hestia::json::Member(*doc, "entry"); entries && entries->IsArray()) {
      for (const auto& e : entries->GetArray()) {
        if (const Value* r = hestia::json::Member(e, "resource")) resources.push_back(r);
      }
    }
    bundles.push_back(std::move(doc));
  }
  if (resources.empty()) {
    std::fprintf(stderr, "no resources under %s\n", synthea.c_str());
    return 2;
  }

  hestia::fhirpath::EvalOptions options;
  options.lenient_as = true;  // as in search extraction (see EvalOptions::lenient_as)
  long evaluations = 0;
  long items = 0;
  long errors = 0;
  double best_seconds = 1e30;
  for (int rep = 0; rep < repetitions; ++rep) {
    evaluations = items = errors = 0;
    const auto start = std::chrono::steady_clock::now();
    for (const Value* r : resources) {
      const std::string type(hestia::json::StringMember(*r, "resourceType"));
      for (const char* key : {type.c_str(), "Resource", "DomainResource"}) {
        auto it = by_type.find(key);
        if (it == by_type.end()) continue;
        for (const auto& expr : it->second) {
          auto result = engine.Evaluate(*expr, *r, nullptr, options);
          ++evaluations;
          if (result.ok()) {
            items += static_cast<long>(result.value().size());
          } else {
            ++errors;
          }
        }
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best_seconds = std::min(best_seconds, seconds);
  }

  std::printf("| %-34s | %14s |\n", "FHIRPath search extraction", "value");
  std::printf("|%s|%s|\n", std::string(36, '-').c_str(), std::string(16, '-').c_str());
  std::printf("| %-34s | %14zu |\n", "resources (Synthea)", resources.size());
  std::printf("| %-34s | %14d |\n", "search expressions compiled", compiled);
  std::printf("| %-34s | %14d |\n", "compile errors", compile_errors);
  std::printf("| %-34s | %14ld |\n", "evaluations per pass", evaluations);
  std::printf("| %-34s | %14ld |\n", "result items per pass", items);
  std::printf("| %-34s | %14ld |\n", "evaluation errors per pass", errors);
  std::printf("| %-34s | %14.3f |\n", "best pass, seconds (1 thread)", best_seconds);
  std::printf("| %-34s | %14.0f |\n", "resources / s",
              static_cast<double>(resources.size()) / best_seconds);
  std::printf("| %-34s | %14.0f |\n", "ns / evaluation",
              best_seconds * 1e9 / static_cast<double>(evaluations));
  return errors == 0 ? 0 : 1;
}
