// OperationDefinitions and extension StructureDefinitions of the scheduling plug-in. See
// definitions.h. FHIR R4: http://hl7.org/fhir/R4/operationdefinition.html,
// http://hl7.org/fhir/R4/extensibility.html#Extension
#include "definitions.h"

#include "availability.h"
#include "fhir.h"

namespace hestia::scheduling {
namespace {

constexpr const char* kBase = "http://hestia.health/fhir/";

struct Sub {
  const char* name;
  const char* type;  // "" for a complex sub-extension with `subs`
  const char* max;
  int min;
  std::vector<Sub> subs;
};

// The differential elements of extension `path` (with `slice` prefix) for `subs`.
void SubElements(const std::string& path, const std::vector<Sub>& subs, std::string* out) {
  for (const Sub& s : subs) {
    const std::string id = path + ".extension:" + s.name;
    *out += R"(,{"id":)" + Quote(id) + R"(,"path":)" + Quote(path + ".extension") +
            R"(,"sliceName":)" + Quote(s.name) + R"(,"min":)" + std::to_string(s.min) +
            R"(,"max":)" + Quote(s.max) + "}";
    *out += R"(,{"id":)" + Quote(id + ".url") + R"(,"path":)" + Quote(path + ".extension.url") +
            R"(,"fixedUri":)" + Quote(s.name) + "}";
    if (s.subs.empty()) {
      *out += R"(,{"id":)" + Quote(id + ".value[x]") + R"(,"path":)" +
              Quote(path + ".extension.value[x]") + R"(,"min":1,"type":[{"code":)" + Quote(s.type) +
              "}]}";
    } else {
      SubElements(id, s.subs, out);
      *out += R"(,{"id":)" + Quote(id + ".value[x]") + R"(,"path":)" +
              Quote(path + ".extension.value[x]") + R"(,"max":"0"})";
    }
  }
}

std::string ExtensionDefinition(const std::string& url, const std::string& name,
                                const std::string& context, const std::string& description,
                                const char* value_type, const std::vector<Sub>& subs,
                                const char* target_profile = nullptr) {
  std::string out =
      R"({"resourceType":"StructureDefinition","id":)" + Quote(url.substr(url.rfind('/') + 1)) +
      R"(,"url":)" + Quote(url) + R"(,"version":"1.0.0","name":)" + Quote(name) +
      R"(,"status":"active","publisher":"Hestia","description":)" + Quote(description) +
      R"(,"fhirVersion":"4.0.1","kind":"complex-type","abstract":false,)"
      R"("context":[{"type":"element","expression":)" +
      Quote(context) +
      R"(}],"type":"Extension","baseDefinition":)"
      R"("http://hl7.org/fhir/StructureDefinition/Extension","derivation":)"
      R"("constraint","differential":{"element":[{"id":"Extension","path":)"
      R"("Extension","short":)" +
      Quote(name) + R"(,"definition":)" + Quote(description) + "}";
  SubElements("Extension", subs, &out);
  out += R"(,{"id":"Extension.url","path":"Extension.url","fixedUri":)" + Quote(url) + "}";
  if (value_type == nullptr) {
    out += R"(,{"id":"Extension.value[x]","path":"Extension.value[x]","max":"0"})";
  } else {
    out += R"(,{"id":"Extension.value[x]","path":"Extension.value[x]","min":1,"type":[{"code":)" +
           Quote(value_type);
    if (target_profile != nullptr) out += R"(,"targetProfile":[)" + Quote(target_profile) + "]";
    out += "}]}";
  }
  return out + "]}}";
}

}  // namespace

std::string OperationDefinition(const std::string& code, const std::string& resource,
                                bool type_level, bool instance_level, bool affects_state,
                                const std::string& description,
                                const std::vector<OperationParameter>& parameters) {
  const std::string id = resource + "-" + code;
  std::string out =
      R"({"resourceType":"OperationDefinition","id":)" + Quote(id) + R"(,"url":)" +
      Quote(std::string(kBase) + "OperationDefinition/" + id) + R"(,"version":"1.0.0","name":)" +
      Quote(id) + R"(,"status":"active","kind":"operation","publisher":"Hestia","description":)" +
      Quote(description) + R"(,"affectsState":)" + (affects_state ? "true" : "false") +
      R"(,"code":)" + Quote(code) + R"(,"resource":[)" + Quote(resource) +
      R"(],"system":false,"type":)" + (type_level ? "true" : "false") + R"(,"instance":)" +
      (instance_level ? "true" : "false") + R"(,"parameter":[)";
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const OperationParameter& p = parameters[i];
    out += (i > 0 ? "," : "") + std::string(R"({"name":)") + Quote(p.name) + R"(,"use":)" +
           Quote(p.use) + R"(,"min":)" + std::to_string(p.min) + R"(,"max":)" + Quote(p.max) +
           R"(,"type":)" + Quote(p.type) + R"(,"documentation":)" + Quote(p.documentation) + "}";
  }
  return out + "]}";
}

std::vector<std::string> ExtensionDefinitions() {
  const std::vector<Sub> availability = {
      {"timeZone", "code", "1", 1, {}},
      {"slotMinutes", "positiveInt", "1", 1, {}},
      {"bufferBeforeMinutes", "unsignedInt", "1", 0, {}},
      {"bufferAfterMinutes", "unsignedInt", "1", 0, {}},
      {"capacity", "positiveInt", "1", 0, {}},
      {"availableTime",
       "",
       "*",
       0,
       {{"daysOfWeek", "code", "*", 1, {}},
        {"availableStartTime", "time", "1", 1, {}},
        {"availableEndTime", "time", "1", 1, {}}}},
      {"notAvailable",
       "",
       "*",
       0,
       {{"description", "string", "1", 0, {}}, {"during", "Period", "1", 1, {}}}},
  };
  return {
      ExtensionDefinition(kAvailabilityUrl, "ScheduleAvailability", "Schedule",
                          "When a Schedule's actor can be booked: weekly hours in an IANA time "
                          "zone, the slot length, buffers before and after each slot, seats per "
                          "slot, and periods that are not available (holidays, leave). The "
                          "scheduling plug-in materialises free Slots from it.",
                          nullptr, availability),
      ExtensionDefinition(kSlotCapacityUrl, "SlotCapacity", "Slot",
                          "How many appointments one Slot takes (default 1); PostgreSQL refuses "
                          "more.",
                          "positiveInt", {}),
      ExtensionDefinition(kHoldExpiresUrl, "HoldExpires", "Appointment",
                          "When a hold ($hold, status pending) lapses and frees its Slots.",
                          "instant", {}),
      ExtensionDefinition(kWaitlistForUrl, "WaitlistFor", "Appointment",
                          "The booked Appointment a waitlist entry wants to move earlier; "
                          "confirming an offered hold cancels it.",
                          "Reference", {}, "http://hl7.org/fhir/StructureDefinition/Appointment"),
      ExtensionDefinition(kWaitlistPassedUrl, "WaitlistPassed", "Appointment",
                          "A Slot offered to this waitlist entry whose hold lapsed; it is not "
                          "offered to the entry again.",
                          "Reference", {}, "http://hl7.org/fhir/StructureDefinition/Slot"),
  };
}

}  // namespace hestia::scheduling
