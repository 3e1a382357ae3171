// libFuzzer target: arbitrary bytes as a FHIRPath expression, compiled and evaluated over a
// fixed Patient (strict and lenient). Any crash, sanitizer report or hang is a bug; errors
// are expected and ignored.
// Build: cmake -DCMAKE_CXX_COMPILER=clang++ -DHESTIA_FUZZ=ON …; run: fhirpath_fuzz corpus/
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "hestia/base/json.h"
#include "hestia/fhirpath/engine.h"
#include "hestia/resources/type_registry.h"

namespace {

constexpr const char* kPatient = R"({"resourceType":"Patient","id":"p","active":true,
  "birthDate":"1974-12-25","_birthDate":{"extension":[{"url":"u","valueString":"x"}]},
  "name":[{"use":"official","family":"F","given":["A","B"]},{"given":["C"]}],
  "contained":[{"resourceType":"Organization","id":"o"}],
  "managingOrganization":{"reference":"#o"},
  "extension":[{"url":"q","valueQuantity":{"value":1.5,"code":"kg"}}]})";

struct State {
  std::shared_ptr<const hestia::fhirpath::Engine> engine;
  hestia::json::Document patient;
};

State* Init() {
  auto* s = new State();
  auto registry = hestia::resources::TypeRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
  if (!registry.ok()) return s;
  auto engine = hestia::fhirpath::Engine::Create(registry.value());
  if (engine.ok()) s->engine = engine.value();
  if (!hestia::json::Parse(kPatient, hestia::json::Limits{}, &s->patient).ok()) s->engine = nullptr;
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static State* state = Init();
  if (state->engine == nullptr) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  hestia::fhirpath::EvalOptions options;
  options.max_items = 10000;
  options.regex_time_limit = 5;
  (void)state->engine->Evaluate(text, state->patient, nullptr, options);
  options.strict = true;
  (void)state->engine->Evaluate(text, state->patient, nullptr, options);
  return 0;
}
