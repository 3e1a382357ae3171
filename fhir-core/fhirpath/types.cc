// Type specifiers: is / as / ofType and type().
// FHIRPath N1: http://hl7.org/fhirpath/N1/#types-and-reflection ; the FHIR model types are
// those of the R4 StructureDefinitions (namespace FHIR), the System types those of N1.
// Thread-safety: stateless functions.
#include <string_view>

#include "functions.h"
#include "hestia/fhirpath/model.h"

namespace hestia::fhirpath {
namespace {

const char* SystemName(ItemKind kind) {
  switch (kind) {
    case ItemKind::kBoolean:
      return "Boolean";
    case ItemKind::kString:
      return "String";
    case ItemKind::kInteger:
      return "Integer";
    case ItemKind::kDecimal:
      return "Decimal";
    case ItemKind::kDate:
      return "Date";
    case ItemKind::kDateTime:
      return "DateTime";
    case ItemKind::kTime:
      return "Time";
    case ItemKind::kQuantity:
      return "Quantity";
    case ItemKind::kTypeInfo:
      return "TypeInfo";
    case ItemKind::kNode:
      return "";
  }
  return "";
}

bool IsSystemTypeName(std::string_view name) {
  for (std::string_view n : {"Boolean", "String", "Integer", "Decimal", "Date", "DateTime", "Time",
                             "Quantity", "Any", "TypeInfo"}) {
    if (n == name) return true;
  }
  return false;
}

}  // namespace

Status ItemIsType(const Evaluator& ev, const Item& item, const TypeSpec& type, bool exact,
                  bool* result) {
  *result = false;
  const TypeNode* fhir = nullptr;
  bool system = false;
  if (type.ns == "System") {
    system = IsSystemTypeName(type.name);
    if (!system) return Status::Ok();  // no value is of an unknown System type
  } else if (type.ns == "FHIR") {
    fhir = type.name.find('.') == std::string::npos ? ev.model().Find(type.name) : nullptr;
    if (fhir == nullptr) return InvalidError("unknown type FHIR." + type.name);
  } else if (!type.ns.empty()) {
    return InvalidError("unknown type namespace " + type.ns);
  } else {
    fhir = type.name.find('.') == std::string::npos ? ev.model().Find(type.name) : nullptr;
    system = IsSystemTypeName(type.name);
    if (fhir == nullptr && !system) return InvalidError("unknown type " + type.name);
  }
  if (item.kind != ItemKind::kNode) {
    *result = system && (type.name == "Any" || type.name == SystemName(item.kind));
    return Status::Ok();
  }
  if (fhir == nullptr || item.type == nullptr) return Status::Ok();
  if (exact && item.type->is_primitive()) {
    *result = item.type->name() == fhir->name();
  } else {
    *result = item.type->IsA(fhir->name());
  }
  return Status::Ok();
}

Item TypeInfoOf(const Item& item) {
  Item info;
  info.kind = ItemKind::kTypeInfo;
  if (item.kind == ItemKind::kNode) {
    info.str = "FHIR";
    info.unit = item.type != nullptr ? item.type->name() : "Element";
  } else {
    info.str = "System";
    info.unit = SystemName(item.kind);
  }
  return info;
}

}  // namespace hestia::fhirpath
