// Compartment definitions from the package. See compartments.h.
// FHIR R4: http://hl7.org/fhir/R4/compartmentdefinition.html
#include "hestia/resources/compartments.h"

#include <fstream>
#include <sstream>

#include "hestia/base/json.h"

namespace hestia::resources {

Result<std::shared_ptr<const Compartments>> Compartments::LoadFromPackage(
    const std::string& package_dir) {
  auto out = std::make_shared<Compartments>();
  for (const char* name : {"patient", "encounter", "relatedPerson", "practitioner", "device"}) {
    const std::string path = package_dir + "/CompartmentDefinition-" + name + ".json";
    std::ifstream in(path, std::ios::binary);
    if (!in) return InternalError("cannot read definitions file " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    json::Document doc;
    if (Status s = json::Parse(ss.str(), json::Limits{}, &doc); !s.ok()) {
      return InternalError(path + ": " + s.message());
    }
    const std::string code(json::StringMember(doc, "code"));
    if (code.empty()) return InternalError(path + " has no code");
    auto& table = out->params_[code];
    const json::Value* resources = json::Member(doc, "resource");
    if (resources == nullptr || !resources->IsArray()) continue;
    for (const auto& r : resources->GetArray()) {
      const json::Value* params = json::Member(r, "param");
      if (params == nullptr || !params->IsArray()) continue;
      std::vector<std::string> codes;
      for (const auto& p : params->GetArray()) {
        if (json::IsText(p) && json::AsStringView(p) != "{def}") {
          codes.emplace_back(json::AsStringView(p));
        }
      }
      if (!codes.empty()) table[std::string(json::StringMember(r, "code"))] = std::move(codes);
    }
  }
  return std::shared_ptr<const Compartments>(std::move(out));
}

bool Compartments::IsCompartmentType(std::string_view type) const {
  return params_.find(type) != params_.end();
}

const std::vector<std::string>& Compartments::Params(std::string_view compartment_type,
                                                     std::string_view resource_type) const {
  static const std::vector<std::string> kNone;
  auto c = params_.find(compartment_type);
  if (c == params_.end()) return kNone;
  auto r = c->second.find(resource_type);
  return r == c->second.end() ? kNone : r->second;
}

std::vector<std::string> Compartments::MemberTypes(std::string_view compartment_type) const {
  std::vector<std::string> out;
  auto c = params_.find(compartment_type);
  if (c == params_.end()) return out;
  for (const auto& [type, codes] : c->second) out.push_back(type);
  return out;
}

}  // namespace hestia::resources
