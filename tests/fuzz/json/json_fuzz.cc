// Fuzz target: the JSON reader (hestia/base/json.h). Anything that parses must write back to
// text that parses again to an equal document; nothing may crash or hang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hestia/base/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  hestia::json::Limits limits;
  limits.max_depth = 64;
  hestia::json::Document doc;
  if (!hestia::json::Parse(text, limits, &doc).ok()) return 0;
  const std::string written = hestia::json::Write(doc);
  hestia::json::Document again;
  if (!hestia::json::Parse(written, limits, &again).ok() || !(doc == again)) std::abort();
  (void)hestia::json::Write(doc, /*pretty=*/true);
  return 0;
}
