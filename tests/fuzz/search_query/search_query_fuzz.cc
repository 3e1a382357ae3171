// libFuzzer target: arbitrary bytes as a search query string ("a=1&b:exact=x"), decoded with
// hestia::ParseQuery and parsed with ParseSearch for a few types (strict and lenient, type
// and system level) and with ParseConditional. Successful parses are cloned and rendered with
// QueryToJson. Any crash, sanitizer report or hang is a bug; errors are expected and ignored.
// Build: cmake -DCMAKE_CXX_COMPILER=clang++ -DHESTIA_FUZZ=ON …; run: search_query_fuzz corpus/
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hestia/base/uri.h"
#include "hestia/search/parameter_registry.h"
#include "hestia/search/query.h"

namespace {

std::shared_ptr<const hestia::search::ParameterRegistry> LoadRegistry() {
  auto loaded = hestia::search::ParameterRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
  if (!loaded.ok()) return nullptr;
  return loaded.value();
}

void Exercise(const hestia::Result<hestia::search::Query>& query) {
  if (!query.ok()) return;
  for (const auto& clause : query->clauses) (void)clause.Clone();
  (void)hestia::search::QueryToJson(*query);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<const hestia::search::ParameterRegistry> registry = LoadRegistry();
  if (registry == nullptr) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto pairs = hestia::ParseQuery(text);
  if (pairs.ok()) {
    hestia::search::ParseOptions options;
    options.base_url = "http://example.org/fhir";
    static const std::vector<std::vector<std::string>> kTypes = {
        {"Patient"}, {"Observation"}, {"Location"}, {"DiagnosticReport"}};
    for (bool lenient : {false, true}) {
      options.lenient = lenient;
      for (const auto& types : kTypes) {
        Exercise(hestia::search::ParseSearch(types, false, *pairs, *registry, options));
      }
      Exercise(hestia::search::ParseSearch({}, true, *pairs, *registry, options));
    }
  }
  Exercise(hestia::search::ParseConditional("Patient", text, *registry, {}));
  return 0;
}
