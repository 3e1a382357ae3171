// Resource subsets for _summary / _elements. See summary.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html#summary
#include "summary.h"

#include <algorithm>

#include "hestia/base/json.h"

namespace hestia::interactions {
namespace {

// The top-level element of `type` that JSON key `key` belongs to ("valueQuantity" → the
// value[x] element, "_birthDate" → birthDate); nullptr when the type has no such element.
const resources::ElementInfo* TopElement(const resources::TypeRegistry& types,
                                         const std::string& type, std::string_view key) {
  if (!key.empty() && key.front() == '_') key.remove_prefix(1);
  return types.ChildElement(type, key);
}

json::Value* Find(json::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

void AddSubsettedTag(json::Document* doc) {
  auto& a = doc->GetAllocator();
  json::Value* meta = Find(*doc, "meta");
  if (meta == nullptr || !meta->IsObject()) {
    doc->RemoveMember("meta");
    doc->AddMember("meta", json::Value(rapidjson::kObjectType), a);
    meta = Find(*doc, "meta");
  }
  json::Value* tags = Find(*meta, "tag");
  if (tags == nullptr || !tags->IsArray()) {
    meta->RemoveMember("tag");
    meta->AddMember("tag", json::Value(rapidjson::kArrayType), a);
    tags = Find(*meta, "tag");
  }
  json::Value tag(rapidjson::kObjectType);
  tag.AddMember("system", "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", a);
  tag.AddMember("code", "SUBSETTED", a);
  tag.AddMember("display", "Resource encoded in summary mode", a);
  tags->PushBack(tag, a);
}

}  // namespace

std::string SubsetResource(const resources::TypeRegistry& types, const std::string& body,
                           search::Summary summary, const std::vector<std::string>& elements) {
  if (summary == search::Summary::kFalse && elements.empty()) return body;
  if (summary == search::Summary::kCount) return body;
  json::Document doc;
  json::Limits limits;
  limits.max_bytes = body.size() + 1;
  limits.max_depth = 1000;
  if (!json::Parse(body, limits, &doc).ok() || !doc.IsObject()) return body;
  const std::string type(json::StringMember(doc, "resourceType"));
  bool removed = false;
  std::vector<std::string> drop;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    const std::string key(it->name.GetString(), it->name.GetStringLength());
    if (key == "resourceType" || key == "id" || key == "meta") continue;
    const resources::ElementInfo* e = TopElement(types, type, key);
    bool keep = true;
    if (!elements.empty()) {
      std::string_view base = key;
      if (!base.empty() && base.front() == '_') base.remove_prefix(1);
      keep = std::find(elements.begin(), elements.end(), std::string(base)) != elements.end() ||
             (e != nullptr &&
              std::find(elements.begin(), elements.end(), e->name) != elements.end()) ||
             (e != nullptr && e->min > 0);
    } else if (summary == search::Summary::kTrue) {
      keep = e != nullptr && e->is_summary;
    } else if (summary == search::Summary::kText) {
      keep = key == "text" || (e != nullptr && e->min > 0);
    } else if (summary == search::Summary::kData) {
      keep = key != "text";
    }
    if (!keep) drop.push_back(key);
  }
  for (const auto& key : drop) {
    doc.RemoveMember(rapidjson::StringRef(key.data(), key.size()));
    removed = true;
  }
  if (!removed) return body;
  AddSubsettedTag(&doc);
  return json::Write(doc);
}

}  // namespace hestia::interactions
