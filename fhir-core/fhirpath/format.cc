// Display and JSON forms of FHIRPath results, for the CLI and test diagnostics.
// Thread-safety: stateless functions.
#include "hestia/base/json.h"
#include "hestia/fhirpath/engine.h"
#include "hestia/fhirpath/ucum.h"

namespace hestia::fhirpath {
namespace {

json::Value ValueOf(const Item& item, json::Allocator& alloc) {
  switch (item.kind) {
    case ItemKind::kNode: {
      json::Value v;
      if (item.json != nullptr) {
        v.CopyFrom(*item.json, alloc);
      } else if (item.ext != nullptr) {
        v.CopyFrom(*item.ext, alloc);
      }
      return v;
    }
    case ItemKind::kBoolean:
      return json::Value(item.boolean);
    case ItemKind::kInteger:
      return json::Value(static_cast<int64_t>(item.integer));
    case ItemKind::kDecimal:
      return json::MakeRawNumber(FormatDecimal(item.decimal), alloc);
    case ItemKind::kString:
      return json::MakeString(item.str, alloc);
    case ItemKind::kDate:
    case ItemKind::kDateTime:
    case ItemKind::kTime:
      return json::MakeString(FormatTemporal(item.kind, item.dt), alloc);
    case ItemKind::kQuantity: {
      json::Value q(rapidjson::kObjectType);
      q.AddMember("value", json::MakeRawNumber(FormatDecimal(item.decimal), alloc), alloc);
      q.AddMember("unit", json::MakeString(item.unit, alloc), alloc);
      return q;
    }
    case ItemKind::kTypeInfo: {
      json::Value t(rapidjson::kObjectType);
      t.AddMember("namespace", json::MakeString(item.str, alloc), alloc);
      t.AddMember("name", json::MakeString(item.unit, alloc), alloc);
      return t;
    }
  }
  return {};
}

}  // namespace

std::string CollectionToJson(const Collection& items, bool pretty) {
  json::Document doc;
  doc.SetArray();
  auto& alloc = doc.GetAllocator();
  for (const Item& item : items) {
    json::Value entry(rapidjson::kObjectType);
    entry.AddMember("type", json::MakeString(TypeNameOf(item), alloc), alloc);
    entry.AddMember("value", ValueOf(item, alloc), alloc);
    if (item.kind == ItemKind::kNode && item.json != nullptr && item.ext != nullptr) {
      json::Value ext;
      ext.CopyFrom(*item.ext, alloc);
      entry.AddMember("_value", ext, alloc);  // FHIR JSON: id and extensions of a primitive
    }
    doc.PushBack(entry, alloc);
  }
  return json::Write(doc, pretty);
}

std::string ItemToString(const Item& item) {
  switch (item.kind) {
    case ItemKind::kNode:
      if (item.json != nullptr) {
        if (json::IsText(*item.json)) return std::string(json::AsStringView(*item.json));
        return json::Write(*item.json);
      }
      return item.ext != nullptr ? json::Write(*item.ext) : "";
    case ItemKind::kBoolean:
      return item.boolean ? "true" : "false";
    case ItemKind::kInteger:
      return std::to_string(item.integer);
    case ItemKind::kDecimal:
      return FormatDecimal(item.decimal);
    case ItemKind::kString:
      return item.str;
    case ItemKind::kDate:
    case ItemKind::kDateTime:
    case ItemKind::kTime:
      return FormatTemporal(item.kind, item.dt);
    case ItemKind::kQuantity:
      return FormatDecimal(item.decimal) +
             (ucum::IsCalendarWord(item.unit) ? " " + item.unit : " '" + item.unit + "'");
    case ItemKind::kTypeInfo:
      return item.str + "." + item.unit;
  }
  return {};
}

}  // namespace hestia::fhirpath
