// Navigation over JSON-backed FHIR nodes. See navigation.h.
// FHIR R4 JSON: http://hl7.org/fhir/R4/json.html (choice types, primitive "_" siblings).
// Thread-safety: stateless functions.
#include "navigation.h"

#include <string>

namespace hestia::fhirpath {
namespace {

const json::Value* FindMember(const json::Value* obj, std::string_view key) {
  if (obj == nullptr || !obj->IsObject() || key.empty()) return nullptr;
  auto it = obj->FindMember(
      rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size())));
  return it == obj->MemberEnd() ? nullptr : &it->value;
}

const TypeNode* ResolveType(const Model& model, const json::Value* v, const TypeNode* type) {
  if (v != nullptr && v->IsObject() && (type == nullptr || type->is_abstract_resource())) {
    if (const TypeNode* concrete = model.ResourceTypeOf(*v)) return concrete;
  }
  return type;
}

const json::Value* ObjectOrNull(const json::Value* v) {
  return v != nullptr && v->IsObject() ? v : nullptr;
}

// Appends the items of one JSON property (value `v`, primitive sibling `e`).
void AppendValues(const Model& model, const json::Value* v, const json::Value* e,
                  const TypeNode* type, Collection* out) {
  if (v != nullptr && v->IsNull()) v = nullptr;
  if (v != nullptr && v->IsArray()) {
    const auto n = v->Size();
    const bool ext_array = e != nullptr && e->IsArray();
    for (rapidjson::SizeType i = 0; i < n; ++i) {
      const json::Value* val = &(*v)[i];
      if (val->IsNull()) val = nullptr;
      const json::Value* ext = ext_array && i < e->Size() ? ObjectOrNull(&(*e)[i]) : nullptr;
      if (val == nullptr && ext == nullptr) continue;
      out->push_back(Item::Node(val, ext, ResolveType(model, val, type)));
    }
    if (ext_array) {
      for (rapidjson::SizeType i = n; i < e->Size(); ++i) {
        if (const json::Value* ext = ObjectOrNull(&(*e)[i])) {
          out->push_back(Item::Node(nullptr, ext, type));
        }
      }
    }
    return;
  }
  if (v == nullptr) {
    if (e == nullptr) return;
    if (e->IsArray()) {
      for (const auto& x : e->GetArray()) {
        if (x.IsObject()) out->push_back(Item::Node(nullptr, &x, type));
      }
    } else if (e->IsObject()) {
      out->push_back(Item::Node(nullptr, e, type));
    }
    return;
  }
  out->push_back(Item::Node(v, ObjectOrNull(e), ResolveType(model, v, type)));
}

// The choice alternative whose JSON key is `key`, or nullptr.
const ChildDef::Choice* FindChoice(const ChildDef& child, std::string_view key) {
  for (const auto& c : child.choices) {
    if (c.key == key) return &c;
  }
  return nullptr;
}

// The children object: the node itself, or for a primitive its "_name" sibling.
const json::Value* ChildObject(const Item& item) {
  if (item.json != nullptr && item.json->IsObject()) return item.json;
  return item.ext;
}

}  // namespace

bool IsPrimitiveNode(const Item& item) {
  if (item.kind != ItemKind::kNode) return false;
  if (item.type != nullptr) return item.type->is_primitive();
  return item.json != nullptr && !item.json->IsObject() && !item.json->IsArray();
}

ChildLookup AppendChild(const Model& model, const Item& item, std::string_view name,
                        Collection* out) {
  if (item.kind != ItemKind::kNode) return ChildLookup::kUnknown;
  const json::Value* obj = ChildObject(item);
  const TypeNode* type = item.type;
  if (type == nullptr) {
    const json::Value* v = FindMember(obj, name);
    const json::Value* e = FindMember(obj, "_" + std::string(name));
    AppendValues(model, v, e, nullptr, out);
    return ChildLookup::kFound;
  }
  const ChildDef* child = type->FindChild(name);
  if (child == nullptr) {
    for (const ChildDef* c : type->ordered_children()) {
      if (c->is_choice && name.size() > c->name.size() &&
          name.substr(0, c->name.size()) == c->name && FindChoice(*c, name) != nullptr) {
        return ChildLookup::kChoiceSuffix;
      }
    }
    return ChildLookup::kUnknown;
  }
  if (obj == nullptr) return ChildLookup::kFound;
  if (!child->is_choice) {
    const json::Value* v = FindMember(obj, child->name);
    const json::Value* e = nullptr;
    if (child->type == nullptr || child->type->is_primitive()) e = FindMember(obj, child->ext_key);
    if (v != nullptr || e != nullptr) AppendValues(model, v, e, child->type, out);
    return ChildLookup::kFound;
  }
  for (auto m = obj->MemberBegin(); m != obj->MemberEnd(); ++m) {
    const std::string_view key = json::AsStringView(m->name);
    const bool ext_only = !key.empty() && key[0] == '_';
    const std::string_view bare = ext_only ? key.substr(1) : key;
    if (bare.size() <= name.size() || bare.substr(0, name.size()) != name) continue;
    const ChildDef::Choice* choice = FindChoice(*child, bare);
    if (choice == nullptr) continue;
    if (ext_only) {
      if (FindMember(obj, bare) == nullptr)
        AppendValues(model, nullptr, &m->value, choice->type, out);
      continue;
    }
    const json::Value* e = nullptr;
    if (choice->type != nullptr && choice->type->is_primitive())
      e = FindMember(obj, choice->ext_key);
    AppendValues(model, &m->value, e, choice->type, out);
  }
  return ChildLookup::kFound;
}

void AppendAllChildren(const Model& model, const Item& item, Collection* out) {
  if (item.kind != ItemKind::kNode) return;
  const json::Value* obj = ChildObject(item);
  if (obj == nullptr) return;
  const TypeNode* type = item.type;
  for (auto m = obj->MemberBegin(); m != obj->MemberEnd(); ++m) {
    const std::string_view key = json::AsStringView(m->name);
    if (key == "resourceType") continue;
    const bool ext_only = !key.empty() && key[0] == '_';
    const std::string_view bare = ext_only ? key.substr(1) : key;
    if (ext_only && FindMember(obj, bare) != nullptr) continue;  // paired with its value
    const TypeNode* child_type = nullptr;
    if (type != nullptr) {
      if (const ChildDef* c = type->FindChild(bare)) {
        child_type = c->type;
      } else {
        for (const ChildDef* cd : type->ordered_children()) {
          if (!cd->is_choice) continue;
          if (const ChildDef::Choice* ch = FindChoice(*cd, bare)) {
            child_type = ch->type;
            break;
          }
        }
      }
    }
    if (ext_only) {
      AppendValues(model, nullptr, &m->value, child_type, out);
    } else {
      const json::Value* e = FindMember(obj, "_" + std::string(bare));
      AppendValues(model, &m->value, e, child_type, out);
    }
  }
}

bool NodeText(const Item& item, std::string_view* text) {
  if (item.kind != ItemKind::kNode || item.json == nullptr || !json::IsText(*item.json)) {
    return false;
  }
  *text = json::AsStringView(*item.json);
  return true;
}

bool ToSystem(const Item& in, Item* out) {
  if (in.kind != ItemKind::kNode) {
    *out = in;
    return true;
  }
  const json::Value* v = in.json;
  if (v == nullptr) return false;
  const TypeNode* type = in.type;
  if (type != nullptr && type->is_quantity()) {
    if (!v->IsObject()) return false;
    const json::Value* value = FindMember(v, "value");
    if (value == nullptr || !json::IsNumber(*value)) return false;
    Decimal d;
    if (!ParseDecimal(json::NumberText(*value), &d)) return false;
    std::string_view unit = json::StringMember(*v, "code");
    const std::string_view system = json::StringMember(*v, "system");
    if (unit.empty() || (!system.empty() && system != "http://unitsofmeasure.org")) {
      unit = json::StringMember(*v, "unit");
    }
    *out = Item::Quantity(d, std::string(unit.empty() ? "1" : unit));
    return true;
  }
  if (v->IsObject() || v->IsArray()) return false;
  const std::string_view name = type != nullptr ? std::string_view(type->name()) : "";
  if (v->IsBool()) {
    *out = Item::Bool(v->GetBool());
    return true;
  }
  if (json::IsNumber(*v)) {
    if (name != "decimal" && v->IsInt64()) {
      *out = Item::Int(v->GetInt64());
      return true;
    }
    Decimal d;
    if (!ParseDecimal(json::NumberText(*v), &d)) return false;
    *out = Item::Dec(d);
    return true;
  }
  if (!json::IsText(*v)) return false;
  const std::string_view text = json::AsStringView(*v);
  if (name == "date" || name == "dateTime" || name == "instant") {
    DateTime dt;
    bool is_date = false;
    if (ParseDateTimeText(text, &dt, &is_date)) {
      *out = Item::Temporal(name == "date" ? ItemKind::kDate : ItemKind::kDateTime, dt);
      return true;
    }
  } else if (name == "time") {
    DateTime dt;
    if (ParseTimeText(text, &dt)) {
      *out = Item::Temporal(ItemKind::kTime, dt);
      return true;
    }
  }
  *out = Item::Str(std::string(text));
  return true;
}

}  // namespace hestia::fhirpath
