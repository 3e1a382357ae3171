// Reference extraction: Reference.reference as a local target (Type/id, Type/id/_history/n, or
// an absolute URL on this server's base) or as a URL (other servers, urn:uuid/urn:oid), canonical
// and uri elements as URLs without their |version, and Reference.identifier for :identifier.
// Contained references ("#id") are not indexed: they name no resource of the server.
// FHIR R4: http://hl7.org/fhir/R4/search.html#reference, http://hl7.org/fhir/R4/references.html
#include <cctype>

#include "extract_internal.h"

namespace hestia::search::internal {
namespace {

using fhirpath::Item;

bool IsResourceTypeName(std::string_view s) {
  if (s.empty() || !std::isupper(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// FHIR id: [A-Za-z0-9\-\.]{1,64}.
bool IsId(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}

// "Type/id" or "Type/id/_history/n" → type and id.
bool SplitLocal(std::string_view ref, std::string_view* type, std::string_view* id) {
  if (const auto h = ref.find("/_history/"); h != std::string_view::npos) ref = ref.substr(0, h);
  const auto slash = ref.find('/');
  if (slash == std::string_view::npos) return false;
  *type = ref.substr(0, slash);
  *id = ref.substr(slash + 1);
  return IsResourceTypeName(*type) && IsId(*id);
}

void AddUrl(const Sink& sink, std::string url) {
  if (url.empty() || url.size() > kMaxKeyBytes) return;
  sink.rows->references.push_back({sink.hash, sink.grp, "", "", std::move(url)});
}

void AddReferenceText(const Sink& sink, std::string_view ref) {
  if (ref.empty() || ref[0] == '#') return;
  std::string_view local = ref;
  if (!sink.base_url.empty() && ref.size() > sink.base_url.size() + 1 &&
      ref.substr(0, sink.base_url.size()) == sink.base_url && ref[sink.base_url.size()] == '/') {
    local = ref.substr(sink.base_url.size() + 1);
  }
  std::string_view type;
  std::string_view id;
  if (SplitLocal(local, &type, &id)) {
    sink.rows->references.push_back(
        {sink.hash, sink.grp, std::string(type), std::string(id), std::string()});
    return;
  }
  AddUrl(sink, std::string(ref));
}

void AddIdentifier(const Sink& sink, const json::Value& identifier) {
  if (sink.identifier_hash == 0 || !identifier.IsObject()) return;
  std::string system;
  std::string value;
  JsonText(json::Member(identifier, "system"), &system);
  JsonText(json::Member(identifier, "value"), &value);
  if (value.empty() || system.size() > kMaxKeyBytes || value.size() > kMaxKeyBytes) return;
  sink.rows->tokens.push_back(
      {sink.identifier_hash, sink.grp, std::move(system), std::move(value)});
}

}  // namespace

void AddReference(const Item& item, const Sink& sink) {
  if (item.kind == fhirpath::ItemKind::kNode && item.json != nullptr && item.json->IsObject()) {
    if (!IsA(item, "Reference") && item.type != nullptr) return;  // e.g. a contained resource
    std::string ref;
    if (JsonText(json::Member(*item.json, "reference"), &ref)) AddReferenceText(sink, ref);
    if (const json::Value* identifier = json::Member(*item.json, "identifier")) {
      AddIdentifier(sink, *identifier);
    }
    return;
  }
  std::string text;
  if (!PrimitiveText(item, &text) || text.empty()) return;
  const std::string_view type = FhirType(item);
  if (type == "canonical" || type == "uri" || type == "url") {
    // A canonical reference names a definition by URL; "|version" does not take part.
    if (const auto bar = text.find('|'); bar != std::string::npos) text.resize(bar);
  }
  AddReferenceText(sink, text);
}

}  // namespace hestia::search::internal
