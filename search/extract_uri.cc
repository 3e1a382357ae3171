// URI extraction: uri, url, canonical, oid and uuid values. See extract_internal.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html#uri
#include "extract_internal.h"

namespace hestia::search::internal {

void AddUri(const fhirpath::Item& item, const Sink& sink) {
  std::string text;
  if (item.kind == fhirpath::ItemKind::kNode && item.json != nullptr && item.json->IsObject()) {
    return;  // no data type is a uri
  }
  if (!PrimitiveText(item, &text) || text.empty() || text.size() > kMaxKeyBytes) return;
  // A canonical with a version ("url|1.0") also answers for the bare url.
  if (const auto bar = text.find('|'); bar != std::string::npos && FhirType(item) == "canonical") {
    sink.rows->uris.push_back({sink.hash, sink.grp, text.substr(0, bar)});
  }
  sink.rows->uris.push_back({sink.hash, sink.grp, std::move(text)});
}

}  // namespace hestia::search::internal
