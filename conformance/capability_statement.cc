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
                                     const std::string& software_version,
                                     const std::vector<OperationEntry>& operations) {
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
    for (const search::SearchParameterDef* def : params.ForType(type)) {
      if (!params.IsSupported(*def, type)) continue;
      json::Value p(rapidjson::kObjectType);
      p.AddMember("name", Str(def->code, a), a);
      p.AddMember("definition", Str(def->url, a), a);
      p.AddMember("type", Str(def->type, a), a);
      search_params.PushBack(p, a);
    }
    json::Value includes(rapidjson::kArrayType);
    json::Value revincludes(rapidjson::kArrayType);
    includes.PushBack("*", a);
    revincludes.PushBack("*", a);
    for (const search::SearchParameterDef* def : params.ForType(type)) {
      if (def->type == "reference" && params.IsSupported(*def, type)) {
        includes.PushBack(Str(type + ":" + def->code, a), a);
      }
    }
    r.AddMember("searchInclude", includes, a);
    r.AddMember("searchRevInclude", revincludes, a);
    r.AddMember("searchParam", search_params, a);
    json::Value type_operations(rapidjson::kArrayType);
    for (const OperationEntry& op : operations) {
      if (op.type != type) continue;
      json::Value o(rapidjson::kObjectType);
      o.AddMember("name", Str(op.name, a), a);
      o.AddMember("definition", Str(op.definition, a), a);
      type_operations.PushBack(o, a);
    }
    if (!type_operations.Empty()) r.AddMember("operation", type_operations, a);
    resources.PushBack(r, a);
  }
  rest.AddMember("resource", resources, a);
  json::Value system(rapidjson::kArrayType);
  for (const char* i : {"transaction", "batch", "search-system", "history-system"}) {
    system.PushBack(Code("code", i, a), a);
  }
  rest.AddMember("interaction", system, a);
  json::Value system_operations(rapidjson::kArrayType);
  for (const OperationEntry& op : operations) {
    if (!op.type.empty()) continue;
    json::Value o(rapidjson::kObjectType);
    o.AddMember("name", Str(op.name, a), a);
    o.AddMember("definition", Str(op.definition, a), a);
    system_operations.PushBack(o, a);
  }
  if (!system_operations.Empty()) rest.AddMember("operation", system_operations, a);
  json::Value rest_list(rapidjson::kArrayType);
  rest_list.PushBack(rest, a);
  doc.AddMember("rest", rest_list, a);
  return json::Write(doc);
}

}  // namespace hestia::conformance
