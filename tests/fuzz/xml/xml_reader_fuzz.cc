// libFuzzer target: arbitrary bytes as a FHIR XML resource (resources/xml_reader.h). Any crash,
// sanitizer report, hang or network access is a bug; errors are expected and ignored. A
// successful parse must produce JSON that json::Write can print and json::Parse reads back.
// Build: cmake -DCMAKE_CXX_COMPILER=clang++ -DHESTIA_FUZZ=ON …; run: xml_reader_fuzz corpus/
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "hestia/base/json.h"
#include "hestia/resources/type_registry.h"
#include "hestia/resources/xml_reader.h"

namespace {

const hestia::resources::TypeRegistry* Registry() {
  static const std::shared_ptr<const hestia::resources::TypeRegistry> registry = [] {
    auto loaded = hestia::resources::TypeRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
    return loaded.ok() ? loaded.value() : nullptr;
  }();
  return registry.get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const hestia::resources::TypeRegistry* registry = Registry();
  if (registry == nullptr) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  hestia::resources::XmlLimits limits;
  limits.max_bytes = 1 << 20;
  hestia::json::Document doc;
  if (!hestia::resources::ParseXmlResource(text, *registry, &doc, limits).ok()) return 0;
  hestia::json::Document back;
  hestia::json::Limits json_limits;
  json_limits.max_depth = 1000;
  if (!hestia::json::Parse(hestia::json::Write(doc), json_limits, &back).ok()) std::abort();
  return 0;
}
