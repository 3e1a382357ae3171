// Token extraction: Coding, CodeableConcept, Identifier, ContactPoint and primitive codes,
// with the derived :text and :of-type rows. See extract_internal.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html#token
#include "extract_internal.h"

namespace hestia::search::internal {
namespace {

using fhirpath::Item;

void AddRow(const Sink& sink, std::string system, std::string code) {
  if (system.empty() && code.empty()) return;
  if (system.size() > kMaxKeyBytes || code.size() > kMaxKeyBytes) return;
  sink.rows->tokens.push_back({sink.hash, sink.grp, std::move(system), std::move(code)});
}

void AddText(const Sink& sink, std::string_view text) {
  if (sink.text_hash != 0) AddStringRow(sink.rows, sink.text_hash, sink.grp, false, text);
}

std::string Text(const json::Value& object, std::string_view name) {
  std::string out;
  JsonText(json::Member(object, name), &out);
  return out;
}

void AddCoding(const Sink& sink, const json::Value& coding) {
  if (!coding.IsObject()) return;
  AddRow(sink, Text(coding, "system"), Text(coding, "code"));
  AddText(sink, Text(coding, "display"));
}

void AddCodeableConcept(const Sink& sink, const json::Value& cc) {
  if (!cc.IsObject()) return;
  if (const json::Value* codings = json::Member(cc, "coding");
      codings != nullptr && codings->IsArray()) {
    for (const auto& coding : codings->GetArray()) AddCoding(sink, coding);
  }
  AddText(sink, Text(cc, "text"));
}

// system|value; :of-type rows (type system, type code|value) for each coding of
// Identifier.type; Identifier.type.text as :text.
void AddIdentifier(const Sink& sink, const json::Value& identifier) {
  if (!identifier.IsObject()) return;
  const std::string value = Text(identifier, "value");
  AddRow(sink, Text(identifier, "system"), value);
  const json::Value* type = json::Member(identifier, "type");
  if (type == nullptr || !type->IsObject()) return;
  AddText(sink, Text(*type, "text"));
  if (sink.of_type_hash == 0 || value.empty()) return;
  const json::Value* codings = json::Member(*type, "coding");
  if (codings == nullptr || !codings->IsArray()) return;
  for (const auto& coding : codings->GetArray()) {
    if (!coding.IsObject()) continue;
    const std::string code = Text(coding, "code");
    if (code.empty()) continue;
    std::string system = Text(coding, "system");
    std::string of_type = code + "|" + value;
    if (system.size() > kMaxKeyBytes || of_type.size() > kMaxKeyBytes) continue;
    sink.rows->tokens.push_back(
        {sink.of_type_hash, sink.grp, std::move(system), std::move(of_type)});
  }
}

}  // namespace

void AddToken(const Item& item, const Sink& sink) {
  std::string text;
  if (item.kind != fhirpath::ItemKind::kNode || (item.json != nullptr && !item.json->IsObject())) {
    // code, boolean, string, id, uri… and System values: the value is the code.
    if (PrimitiveText(item, &text)) AddRow(sink, "", std::move(text));
    return;
  }
  if (item.json == nullptr) return;  // a primitive with only extensions
  const json::Value& v = *item.json;
  if (IsA(item, "CodeableConcept")) {
    AddCodeableConcept(sink, v);
  } else if (IsA(item, "Coding")) {
    AddCoding(sink, v);
  } else if (IsA(item, "Identifier")) {
    AddIdentifier(sink, v);
  } else if (IsA(item, "ContactPoint")) {
    // R4 token search on a ContactPoint matches its value.
    AddRow(sink, "", Text(v, "value"));
  } else if (item.type == nullptr) {
    // An element the model does not know (e.g. under an unknown extension): go by its shape.
    if (json::Member(v, "coding") != nullptr) {
      AddCodeableConcept(sink, v);
    } else if (json::Member(v, "code") != nullptr) {
      AddCoding(sink, v);
    } else if (json::Member(v, "value") != nullptr) {
      AddIdentifier(sink, v);
    }
  }
}

}  // namespace hestia::search::internal
