// CapabilityStatement generation. See capability_statement.h.
#include "hestia/conformance/capability_statement.h"

#include "hestia/base/json.h"
#include "hestia/base/time.h"

namespace hestia::conformance {
namespace {

json::Value Str(std::string_view s, json::Allocator& a) { return json::MakeString(s, a); }

json::Value Code(std::string_view name, std::string_view value, json::Allocator& a) {
  json::Value o(rapidjson::kObjectType);
  o.AddMember(Str(name, a), Str(value, a), a);
  return o;
}

}  // namespace

std::string BuildCapabilityStatement(const resources::TypeRegistry& types,
                                     const search::ParameterRegistry& params,
                                     const std::string& software_version) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("resourceType", "CapabilityStatement", a);
  doc.AddMember("status", "active", a);
  doc.AddMember("date", Str(FormatInstant(NowMicros()), a), a);
  doc.AddMember("publisher", "Hestia", a);
  doc.AddMember("kind", "instance", a);
  json::Value software(rapidjson::kObjectType);
  software.AddMember("name", "Hestia", a);
  software.AddMember("version", Str(software_version, a), a);
  doc.AddMember("software", software, a);
  json::Value implementation(rapidjson::kObjectType);
  implementation.AddMember("description", "Hestia FHIR R4 server", a);
  doc.AddMember("implementation", implementation, a);
  doc.AddMember("fhirVersion", "4.0.1", a);
  json::Value formats(rapidjson::kArrayType);
  formats.PushBack("application/fhir+json", a).PushBack("json", a);
  doc.AddMember("format", formats, a);

  json::Value rest(rapidjson::kObjectType);
  rest.AddMember("mode", "server", a);
  json::Value resources(rapidjson::kArrayType);
  for (const auto& type : types.ResourceTypes()) {
    json::Value r(rapidjson::kObjectType);
    r.AddMember("type", Str(type, a), a);
    r.AddMember("profile", Str("http://hl7.org/fhir/StructureDefinition/" + type, a), a);
    json::Value interactions(rapidjson::kArrayType);
    for (const char* i : {"read", "vread", "update", "patch", "delete", "history-instance",
                          "history-type", "create", "search-type"}) {
      interactions.PushBack(Code("code", i, a), a);
    }
    r.AddMember("interaction", interactions, a);
    r.AddMember("versioning", "versioned-update", a);
    r.AddMember("readHistory", true, a);
    r.AddMember("updateCreate", true, a);
    r.AddMember("conditionalCreate", true, a);
    r.AddMember("conditionalRead", "full-support", a);
    r.AddMember("conditionalUpdate", true, a);
    r.AddMember("conditionalDelete", "single", a);
    json::Value search_params(rapidjson::kArrayType);
    for (const char* code : {"_id", "_lastUpdated", "identifier"}) {
      const search::SearchParameterDef* def = params.Find(type, code);
      if (def == nullptr) continue;
      json::Value p(rapidjson::kObjectType);
      p.AddMember("name", Str(code, a), a);
      p.AddMember("definition", Str(def->url, a), a);
      p.AddMember("type", Str(def->type, a), a);
      search_params.PushBack(p, a);
    }
    r.AddMember("searchParam", search_params, a);
    resources.PushBack(r, a);
  }
  rest.AddMember("resource", resources, a);
  json::Value system(rapidjson::kArrayType);
  for (const char* i : {"transaction", "batch", "history-system"}) {
    system.PushBack(Code("code", i, a), a);
  }
  rest.AddMember("interaction", system, a);
  json::Value rest_list(rapidjson::kArrayType);
  rest_list.PushBack(rest, a);
  doc.AddMember("rest", rest_list, a);
  return json::Write(doc);
}

}  // namespace hestia::conformance
