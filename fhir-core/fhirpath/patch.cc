// FHIRPath Patch over the FHIR JSON DOM (see patch.h for the contract).
//
// Evaluation yields nodes that borrow from the working document; an operation finds where a
// node lives (parent object, JSON key, array position) by walking the document from the root,
// tracking the FHIR type of each object so that choice keys ("valueQuantity") and
// cardinality come from the model, then edits the document. Nodes are re-evaluated for each
// operation, so no borrowed pointer outlives an edit.
// FHIR R4: http://hl7.org/fhir/R4/fhirpatch.html
// Thread-safety: stateless functions.
#include "hestia/fhirpath/patch.h"

#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hestia::fhirpath {
namespace {

using SizeType = rapidjson::SizeType;

// One `operation` parameter, borrowing from the Parameters document.
struct Operation {
  int number = 0;  // 1-based, for messages
  std::string type;
  std::string path;
  std::string name;
  const json::Value* part_value = nullptr;  // the `value` part (its value[x] or its parts)
  std::optional<int64_t> index;
  std::optional<int64_t> source;
  std::optional<int64_t> destination;
};

// The value[x] member of a Parameters parameter/part: its key, value and "_key" sibling.
struct TypedValue {
  std::string_view key;  // "valueDate"
  const json::Value* value = nullptr;
  const json::Value* ext = nullptr;
};

std::optional<TypedValue> ValueX(const json::Value& part) {
  std::optional<TypedValue> out;
  for (auto m = part.MemberBegin(); m != part.MemberEnd(); ++m) {
    const std::string_view key = json::AsStringView(m->name);
    if (key.size() > 5 && key.substr(0, 5) == "value" &&
        std::isupper(static_cast<unsigned char>(key[5])) != 0) {
      out = TypedValue{key, &m->value, nullptr};
    }
  }
  if (out) {
    const std::string ext_key = "_" + std::string(out->key);
    out->ext = json::Member(part, ext_key);
  }
  return out;
}

std::string Prefix(const Operation& op) {
  return "FHIRPath Patch operation " + std::to_string(op.number) +
         (op.type.empty() ? std::string() : " (" + op.type + ")");
}

Status OpError(const Operation& op, const std::string& what) {
  return InvalidError(Prefix(op) + ": " + what);
}

Result<int64_t> IntegerPart(const json::Value& part, const std::string& name) {
  auto v = ValueX(part);
  if (!v || v->key != "valueInteger" || !v->value->IsInt64()) {
    return InvalidError("FHIRPath Patch part '" + name + "' needs a valueInteger");
  }
  return v->value->GetInt64();
}

Result<std::string> StringPart(const json::Value& part, const std::string& name) {
  auto v = ValueX(part);
  if (!v || !json::IsText(*v->value)) {
    return InvalidError("FHIRPath Patch part '" + name + "' needs a string value");
  }
  return std::string(json::AsStringView(*v->value));
}

Result<std::vector<Operation>> ParseOperations(const json::Value& parameters) {
  if (!IsFhirPathPatch(parameters)) {
    return InvalidError("a FHIRPath Patch must be a Parameters resource");
  }
  std::vector<Operation> ops;
  const json::Value* params = json::Member(parameters, "parameter");
  if (params == nullptr) return ops;
  if (!params->IsArray()) return InvalidError("Parameters.parameter must be an array");
  for (const json::Value& p : params->GetArray()) {
    Operation op;
    op.number = static_cast<int>(ops.size()) + 1;
    if (!p.IsObject() || json::StringMember(p, "name") != "operation") {
      return InvalidError("FHIRPath Patch parameter " + std::to_string(op.number) +
                          " must be named 'operation'");
    }
    const json::Value* parts = json::Member(p, "part");
    if (parts == nullptr || !parts->IsArray()) return OpError(op, "the operation has no parts");
    for (const json::Value& part : parts->GetArray()) {
      if (!part.IsObject()) return OpError(op, "a part must be an object");
      const std::string name(json::StringMember(part, "name"));
      if (name == "type") {
        auto v = ValueX(part);
        if (!v || !json::IsText(*v->value)) return OpError(op, "'type' needs a valueCode");
        op.type = std::string(json::AsStringView(*v->value));
      } else if (name == "path") {
        HESTIA_ASSIGN_OR_RETURN(op.path, StringPart(part, name));
      } else if (name == "name") {
        HESTIA_ASSIGN_OR_RETURN(op.name, StringPart(part, name));
      } else if (name == "value") {
        op.part_value = &part;
      } else if (name == "index") {
        HESTIA_ASSIGN_OR_RETURN(op.index, IntegerPart(part, name));
      } else if (name == "source") {
        HESTIA_ASSIGN_OR_RETURN(op.source, IntegerPart(part, name));
      } else if (name == "destination") {
        HESTIA_ASSIGN_OR_RETURN(op.destination, IntegerPart(part, name));
      } else {
        return OpError(op, "unknown part '" + name + "'");
      }
    }
    if (op.type != "add" && op.type != "insert" && op.type != "delete" && op.type != "replace" &&
        op.type != "move") {
      return OpError(op,
                     "type must be add, insert, delete, replace or move, not '" + op.type + "'");
    }
    if (op.path.empty()) return OpError(op, "the operation has no path");
    const bool needs_value = op.type == "add" || op.type == "insert" || op.type == "replace";
    if (needs_value && op.part_value == nullptr) return OpError(op, "the operation needs a value");
    if (!needs_value && op.part_value != nullptr) {
      return OpError(op, "the operation takes no value");
    }
    if (op.type == "add" && op.name.empty()) return OpError(op, "add needs a name");
    if (op.type == "insert" && !op.index) return OpError(op, "insert needs an index");
    if (op.type == "move" && (!op.source || !op.destination)) {
      return OpError(op, "move needs a source and a destination");
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

// The JSON form of a primitive type's values: 'b'oolean, 'n'umber or 's'tring.
char JsonForm(std::string_view primitive) {
  if (primitive == "boolean") return 'b';
  if (primitive == "integer" || primitive == "positiveInt" || primitive == "unsignedInt" ||
      primitive == "decimal" || primitive == "integer64") {
    return 'n';
  }
  return 's';
}

// Where a node lives in the document.
struct Location {
  json::Value* parent = nullptr;  // the object holding the member; nullptr for the root
  std::string key;                // JSON key without '_' ("valueQuantity", "given")
  int64_t index = -1;             // position in the array, -1 for a single value
  const ChildDef* def = nullptr;  // the element's definition (nullptr when unknown)
  const TypeNode* type = nullptr;
};

// The child of `type` stored under JSON `key`; sets *child_type.
const ChildDef* ChildForKey(const TypeNode* type, std::string_view key,
                            const TypeNode** child_type) {
  *child_type = nullptr;
  if (type == nullptr) return nullptr;
  if (const ChildDef* def = type->FindChild(key); def != nullptr && !def->is_choice) {
    *child_type = def->type;
    return def;
  }
  for (const ChildDef* def : type->ordered_children()) {
    if (!def->is_choice) continue;
    for (const auto& c : def->choices) {
      if (c.key == key) {
        *child_type = c.type;
        return def;
      }
    }
  }
  return nullptr;
}

class Patcher {
 public:
  Patcher(const Engine& engine, json::Document* doc) : engine_(engine), doc_(*doc) {}

  Status Apply(const Operation& op) {
    HESTIA_ASSIGN_OR_RETURN(Collection items, Evaluate(op, op.path));
    if (op.type == "add") return Add(op, items);
    if (op.type == "insert") return Insert(op, items);
    if (op.type == "delete") return Delete(op, items);
    if (op.type == "replace") return Replace(op, items);
    return Move(op, items);
  }

 private:
  Result<Collection> Evaluate(const Operation& op, const std::string& path) {
    auto expr = engine_.Compile(path);
    if (!expr.ok()) return OpError(op, "path '" + path + "': " + expr.status().message());
    auto items = engine_.Evaluate(*expr.value(), doc_);
    if (!items.ok()) {
      return Status(items.status().code() == StatusCode::kTooLarge ? StatusCode::kTooLarge
                                                                   : StatusCode::kInvalid,
                    Prefix(op) + ": path '" + path + "': " + items.status().message());
    }
    for (const Item& item : items.value()) {
      if (item.kind != ItemKind::kNode || (item.json == nullptr && item.ext == nullptr)) {
        return OpError(op, "path '" + path + "' selects a value that is not an element");
      }
    }
    return items;
  }

  const TypeNode* TypeOfObject(const TypeNode* declared, const json::Value& v) const {
    if (v.IsObject() && (declared == nullptr || declared->is_resource()) &&
        json::Member(v, "resourceType") != nullptr) {
      if (const TypeNode* t = engine_.model().ResourceTypeOf(v)) return t;
    }
    return declared;
  }

  // Finds `target` (a node's json or ext pointer) below `obj` of FHIR type `type`.
  bool Locate(json::Value& obj, const TypeNode* type, const json::Value* target, Location* out,
              int depth) {
    if (depth > 200) return false;
    for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
      std::string_view key = json::AsStringView(m->name);
      if (key == "resourceType") continue;
      const bool underscore = !key.empty() && key[0] == '_';
      if (underscore) key.remove_prefix(1);
      const TypeNode* child_type = nullptr;
      const ChildDef* def = ChildForKey(type, key, &child_type);
      auto found = [&](int64_t index) {
        out->parent = &obj;
        out->key = std::string(key);
        out->index = index;
        out->def = def;
        out->type = child_type;
        return true;
      };
      if (m->value.IsArray()) {
        for (SizeType i = 0; i < m->value.Size(); ++i) {
          json::Value& elt = m->value[i];
          if (&elt == target) return found(i);
          if (elt.IsObject() &&
              Locate(elt, TypeOfObject(child_type, elt), target, out, depth + 1)) {
            return true;
          }
        }
      } else {
        if (&m->value == target) return found(-1);
        if (m->value.IsObject() &&
            Locate(m->value, TypeOfObject(child_type, m->value), target, out, depth + 1)) {
          return true;
        }
      }
    }
    return false;
  }

  Result<Location> Find(const Operation& op, const Item& item) {
    const json::Value* target = item.json != nullptr ? item.json : item.ext;
    Location loc;
    if (target == &doc_) return loc;  // the resource itself
    if (!Locate(doc_, engine_.model().ResourceTypeOf(doc_), target, &loc, 0)) {
      return OpError(op, "path '" + op.path + "' selects an element outside the resource");
    }
    return loc;
  }

  // Builds the JSON (value and "_" sibling) for element `def` from a `value` part. *key_out
  // is the JSON key ("valueString" for a choice named "value").
  Status BuildValue(const Operation& op, const json::Value& part, const std::string& name,
                    const ChildDef* def, const TypeNode* type, std::string* key_out,
                    json::Value* value, json::Value* ext, int depth) {
    if (depth > 50) return OpError(op, "the value is nested too deeply");
    auto& alloc = doc_.GetAllocator();
    if (const json::Value* r = json::Member(part, "resource"); r != nullptr) {
      if (type == nullptr || !type->is_resource() || !r->IsObject()) {
        return OpError(op, "'" + name + "' cannot hold a resource");
      }
      *key_out = name;
      value->CopyFrom(*r, alloc);
      return Status::Ok();
    }
    if (auto v = ValueX(part)) {
      const std::string suffix(v->key.substr(5));  // "Date", "Identifier"
      *key_out = def != nullptr && def->is_choice ? name + suffix : name;
      const std::string lower =
          std::string(1, static_cast<char>(std::tolower(static_cast<unsigned char>(suffix[0])))) +
          suffix.substr(1);
      const TypeNode* vt = engine_.model().Find(lower);
      if (vt == nullptr) vt = engine_.model().Find(suffix);
      if (def != nullptr && def->is_choice) {
        bool allowed = false;
        for (const auto& c : def->choices) allowed = allowed || c.key == *key_out;
        if (!allowed) return OpError(op, name + " cannot hold a value of type " + suffix);
      } else if (type != nullptr && vt != nullptr) {
        // Primitives of the same JSON form are interchangeable (valueString for a code).
        const bool both_primitive = type->is_primitive() && vt->is_primitive() &&
                                    JsonForm(type->name()) == JsonForm(vt->name());
        if (!both_primitive && !vt->IsA(type->name())) {
          return OpError(
              op, "element '" + name + "' is of type " + type->name() + ", not " + vt->name());
        }
      }
      if (v->value->IsObject() != (vt == nullptr || !vt->is_primitive())) {
        return OpError(op, "the value of type " + suffix + " has the wrong JSON form");
      }
      value->CopyFrom(*v->value, alloc);
      if (v->ext != nullptr) ext->CopyFrom(*v->ext, alloc);
      return Status::Ok();
    }
    // An anonymous value: its parts are the children of a BackboneElement (or any complex
    // type), each named and valued in turn.
    const json::Value* parts = json::Member(part, "part");
    if (parts == nullptr || !parts->IsArray()) {
      return OpError(op, "the value of '" + name + "' has neither value[x] nor parts");
    }
    if (def != nullptr && def->is_choice) {
      return OpError(op, "'" + name + "' is a choice element and needs a typed value");
    }
    if (type != nullptr && type->is_primitive()) {
      return OpError(op, "'" + name + "' is a primitive and needs a value[x]");
    }
    *key_out = name;
    value->SetObject();
    for (const json::Value& sub : parts->GetArray()) {
      if (!sub.IsObject()) return OpError(op, "a part must be an object");
      const std::string sub_name(json::StringMember(sub, "name"));
      if (sub_name.empty()) return OpError(op, "a part of the value has no name");
      const ChildDef* sub_def = type != nullptr ? type->FindChild(sub_name) : nullptr;
      if (type != nullptr && sub_def == nullptr) {
        return OpError(op, type->name() + " has no element '" + sub_name + "'");
      }
      std::string sub_key;
      json::Value sub_value;
      json::Value sub_ext;
      HESTIA_RETURN_IF_ERROR(BuildValue(op, sub, sub_name, sub_def,
                                        sub_def != nullptr ? sub_def->type : nullptr, &sub_key,
                                        &sub_value, &sub_ext, depth + 1));
      const bool array = sub_def != nullptr && sub_def->is_array;
      if (!array &&
          (value->HasMember(sub_key.c_str()) || value->HasMember(("_" + sub_key).c_str()))) {
        return OpError(op, "'" + sub_name + "' appears twice but is not a list");
      }
      const int64_t at = array ? ArrayLength(*value, sub_key) : -1;
      Put(value, sub_key, at, std::move(sub_value), std::move(sub_ext), array);
    }
    return Status::Ok();
  }

  static int64_t ArrayLength(const json::Value& obj, const std::string& key) {
    int64_t n = 0;
    if (const json::Value* a = json::Member(obj, key); a != nullptr && a->IsArray()) {
      n = a->Size();
    }
    if (const json::Value* a = json::Member(obj, "_" + key); a != nullptr && a->IsArray()) {
      n = std::max<int64_t>(n, a->Size());
    }
    return n;
  }

  // Stores value/ext under `key` of *obj: inserted at `index` of the lists when `array`,
  // otherwise as the single value. A null ext removes the "_" sibling (single) or leaves a
  // null slot (lists, dropped when the whole list is null).
  void Put(json::Value* obj, const std::string& key, int64_t index, json::Value value,
           json::Value ext, bool array) {
    auto& alloc = doc_.GetAllocator();
    const std::string ext_key = "_" + key;
    if (!array) {
      // In place when the member exists, so that the element keeps its position.
      auto set = [&](const std::string& k, json::Value v) {
        auto it = obj->FindMember(k.c_str());
        if (v.IsNull()) {
          if (it != obj->MemberEnd()) obj->EraseMember(it);
        } else if (it != obj->MemberEnd()) {
          it->value = std::move(v);
        } else {
          obj->AddMember(json::MakeString(k, alloc), v, alloc);
        }
      };
      set(key, std::move(value));
      set(ext_key, std::move(ext));
      return;
    }
    const int64_t len = ArrayLength(*obj, key);
    auto list = [&](const std::string& k) -> json::Value& {
      auto it = obj->FindMember(k.c_str());
      if (it == obj->MemberEnd() || !it->value.IsArray()) {
        obj->EraseMember(k.c_str());
        json::Value arr(rapidjson::kArrayType);
        obj->AddMember(json::MakeString(k, alloc), arr, alloc);
        it = obj->FindMember(k.c_str());
      }
      while (static_cast<int64_t>(it->value.Size()) < len) it->value.PushBack(json::Value(), alloc);
      return it->value;
    };
    const bool has_ext_list = obj->HasMember(ext_key.c_str());
    json::Value& values = list(key);
    InsertAt(values, index, std::move(value));
    if (!ext.IsNull() || has_ext_list) {
      json::Value& exts = list(ext_key);
      InsertAt(exts, index, std::move(ext));
    }
    DropAllNull(obj, key);
    DropAllNull(obj, ext_key);
  }

  void InsertAt(json::Value& arr, int64_t index, json::Value v) {
    auto& alloc = doc_.GetAllocator();
    while (static_cast<int64_t>(arr.Size()) < index) arr.PushBack(json::Value(), alloc);
    arr.PushBack(json::Value(), alloc);
    for (auto i = static_cast<SizeType>(arr.Size() - 1); i > static_cast<SizeType>(index); --i) {
      arr[i].Swap(arr[i - 1]);
    }
    arr[static_cast<SizeType>(index)] = std::move(v);
  }

  static void DropAllNull(json::Value* obj, const std::string& key) {
    auto it = obj->FindMember(key.c_str());
    if (it == obj->MemberEnd() || !it->value.IsArray()) return;
    for (const json::Value& v : it->value.GetArray()) {
      if (!v.IsNull()) return;
    }
    obj->EraseMember(key.c_str());
  }

  // Takes the value and "_" sibling at `loc` out of the document.
  void Remove(const Location& loc, json::Value* value, json::Value* ext) {
    json::Value* obj = loc.parent;
    const std::string ext_key = "_" + loc.key;
    if (loc.index < 0) {
      if (auto it = obj->FindMember(loc.key.c_str()); it != obj->MemberEnd()) {
        if (value != nullptr) *value = std::move(it->value);
        obj->EraseMember(it);
      }
      if (auto it = obj->FindMember(ext_key.c_str()); it != obj->MemberEnd()) {
        if (ext != nullptr) *ext = std::move(it->value);
        obj->EraseMember(it);
      }
      return;
    }
    for (const std::string* k : {&loc.key, &ext_key}) {
      auto it = obj->FindMember(k->c_str());
      if (it == obj->MemberEnd() || !it->value.IsArray() ||
          static_cast<int64_t>(it->value.Size()) <= loc.index) {
        continue;
      }
      json::Value* dest = k == &loc.key ? value : ext;
      if (dest != nullptr) *dest = std::move(it->value[static_cast<SizeType>(loc.index)]);
      it->value.Erase(it->value.Begin() + loc.index);
      if (it->value.Empty()) obj->EraseMember(k->c_str());
    }
    DropAllNull(obj, loc.key);
    DropAllNull(obj, ext_key);
  }

  // The single node a path must select.
  Result<Location> Single(const Operation& op, const Collection& items, const char* verb) {
    if (items.empty()) return OpError(op, "No content found at " + op.path + " when " + verb);
    if (items.size() > 1) {
      return OpError(op, "path '" + op.path + "' matches " + std::to_string(items.size()) +
                             " elements; " + verb + " needs exactly one");
    }
    return Find(op, items[0]);
  }

  // The list a path selects: all items must be the elements of one JSON array.
  Result<Location> List(const Operation& op, const Collection& items, int64_t* size) {
    HESTIA_ASSIGN_OR_RETURN(Location first, Find(op, items[0]));
    if (first.parent == nullptr || first.index != 0) {
      return OpError(op, "path '" + op.path + "' does not select a whole list");
    }
    *size = ArrayLength(*first.parent, first.key);
    if (static_cast<int64_t>(items.size()) != *size) {
      return OpError(op, "path '" + op.path + "' does not select a whole list");
    }
    // Item i must be slot i of the list (its value, or its "_" sibling when it has no value);
    // checked by address, without walking the document again.
    const json::Value* values = json::Member(*first.parent, first.key);
    const json::Value* exts = json::Member(*first.parent, "_" + first.key);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto at = static_cast<SizeType>(i);
      const bool in_values = values != nullptr && values->IsArray() && at < values->Size() &&
                             items[i].json == &(*values)[at];
      const bool in_exts = items[i].json == nullptr && exts != nullptr && exts->IsArray() &&
                           at < exts->Size() && items[i].ext == &(*exts)[at];
      if (!in_values && !in_exts) {
        return OpError(op, "path '" + op.path + "' does not select a whole list");
      }
    }
    return first;
  }

  // The "_name" object of the primitive at `loc`, created (with null padding in a list) when
  // absent. An object left empty is pruned at the end.
  json::Value* ExtObject(const Location& loc) {
    auto& alloc = doc_.GetAllocator();
    const std::string ext_key = "_" + loc.key;
    auto it = loc.parent->FindMember(ext_key.c_str());
    if (loc.index < 0) {
      if (it == loc.parent->MemberEnd()) {
        loc.parent->AddMember(json::MakeString(ext_key, alloc), json::Value(rapidjson::kObjectType),
                              alloc);
        it = loc.parent->FindMember(ext_key.c_str());
      }
      if (it->value.IsNull()) it->value.SetObject();
      return &it->value;
    }
    if (it == loc.parent->MemberEnd()) {
      loc.parent->AddMember(json::MakeString(ext_key, alloc), json::Value(rapidjson::kArrayType),
                            alloc);
      it = loc.parent->FindMember(ext_key.c_str());
    }
    if (!it->value.IsArray()) return nullptr;
    while (static_cast<int64_t>(it->value.Size()) <= loc.index) {
      it->value.PushBack(json::Value(), alloc);
    }
    json::Value& slot = it->value[static_cast<SizeType>(loc.index)];
    if (slot.IsNull()) slot.SetObject();
    return &slot;
  }

  Status Add(const Operation& op, const Collection& items) {
    if (items.empty()) return OpError(op, "No content found at " + op.path + " when adding");
    if (items.size() > 1) {
      return OpError(op, "path '" + op.path + "' matches " + std::to_string(items.size()) +
                             " elements; adding needs exactly one");
    }
    // The node borrows from the working document, which this Patcher owns.
    auto* container = const_cast<json::Value*>(items[0].json);
    if (items[0].type != nullptr && items[0].type->is_primitive()) {
      // A primitive's id and extensions live in its "_name" sibling.
      HESTIA_ASSIGN_OR_RETURN(Location loc, Find(op, items[0]));
      if (loc.parent == nullptr) return OpError(op, "path '" + op.path + "' is not an element");
      container = ExtObject(loc);
    }
    if (container == nullptr || !container->IsObject()) {
      return OpError(op, "path '" + op.path + "' does not select an element that has children");
    }
    const TypeNode* type = TypeOfObject(items[0].type, *container);
    const ChildDef* def = type != nullptr ? type->FindChild(op.name) : nullptr;
    if (type != nullptr && def == nullptr) {
      return OpError(op, type->name() + " has no element '" + op.name + "'");
    }
    std::string key;
    json::Value value;
    json::Value ext;
    HESTIA_RETURN_IF_ERROR(BuildValue(op, *op.part_value, op.name, def,
                                      def != nullptr ? def->type : nullptr, &key, &value, &ext, 0));
    const bool array = def != nullptr && def->is_array;
    if (!array) {
      bool present = container->HasMember(key.c_str()) || container->HasMember(("_" + key).c_str());
      if (def != nullptr && def->is_choice) {
        for (const auto& c : def->choices) {
          present = present || container->HasMember(c.key.c_str()) ||
                    container->HasMember(c.ext_key.c_str());
        }
      }
      if (present) {
        return OpError(op,
                       "'" + op.name + "' already has a value at " + op.path + " (use replace)");
      }
    }
    Put(container, key, array ? ArrayLength(*container, key) : -1, std::move(value), std::move(ext),
        array);
    return Status::Ok();
  }

  Status Insert(const Operation& op, const Collection& items) {
    Location loc;
    int64_t size = 0;
    if (items.empty()) {
      HESTIA_ASSIGN_OR_RETURN(loc, EmptyListParent(op));
    } else {
      HESTIA_ASSIGN_OR_RETURN(loc, List(op, items, &size));
    }
    if (*op.index < 0 || *op.index > size) {
      return OpError(op, "index " + std::to_string(*op.index) + " is outside the list (size " +
                             std::to_string(size) + ")");
    }
    const std::string name = loc.def != nullptr ? loc.def->name : loc.key;
    std::string key;
    json::Value value;
    json::Value ext;
    HESTIA_RETURN_IF_ERROR(
        BuildValue(op, *op.part_value, name, loc.def, loc.type, &key, &value, &ext, 0));
    Put(loc.parent, loc.key, *op.index, std::move(value), std::move(ext), true);
    return Status::Ok();
  }

  // For insert into a list that is still empty: `path` must end in `.name`; the parent
  // expression must select exactly one element whose `name` child is a list.
  Result<Location> EmptyListParent(const Operation& op) {
    const std::size_t dot = op.path.rfind('.');
    auto is_ident = [](std::string_view s) {
      if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])) != 0) return false;
      for (char c : s) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') return false;
      }
      return true;
    };
    if (dot == std::string::npos || !is_ident(std::string_view(op.path).substr(dot + 1))) {
      return OpError(op, "No content found at " + op.path + " when inserting");
    }
    const std::string name = op.path.substr(dot + 1);
    HESTIA_ASSIGN_OR_RETURN(Collection parents, Evaluate(op, op.path.substr(0, dot)));
    if (parents.size() != 1 || parents[0].json == nullptr || !parents[0].json->IsObject()) {
      return OpError(op, "No content found at " + op.path + " when inserting");
    }
    const TypeNode* type = TypeOfObject(parents[0].type, *parents[0].json);
    const ChildDef* def = type != nullptr ? type->FindChild(name) : nullptr;
    if (def == nullptr || !def->is_array || def->is_choice) {
      return OpError(op, "'" + name + "' is not a list");
    }
    Location loc;
    loc.parent = const_cast<json::Value*>(parents[0].json);
    loc.key = name;
    loc.index = 0;
    loc.def = def;
    loc.type = def->type;
    return loc;
  }

  Status Delete(const Operation& op, const Collection& items) {
    if (items.empty()) return Status::Ok();  // fhirpatch.html: deleting nothing is not an error
    HESTIA_ASSIGN_OR_RETURN(Location loc, Single(op, items, "deleting"));
    if (loc.parent == nullptr) return OpError(op, "cannot delete the resource itself");
    Remove(loc, nullptr, nullptr);
    return Status::Ok();
  }

  Status Replace(const Operation& op, const Collection& items) {
    HESTIA_ASSIGN_OR_RETURN(Location loc, Single(op, items, "replacing"));
    if (loc.parent == nullptr) return OpError(op, "cannot replace the resource itself");
    std::string name = loc.def != nullptr ? loc.def->name : loc.key;
    std::string key;
    json::Value value;
    json::Value ext;
    HESTIA_RETURN_IF_ERROR(
        BuildValue(op, *op.part_value, name, loc.def, loc.type, &key, &value, &ext, 0));
    if (loc.index >= 0) {
      if (key != loc.key) return OpError(op, "the value's type does not fit the list");
      Remove(loc, nullptr, nullptr);
      Put(loc.parent, loc.key, loc.index, std::move(value), std::move(ext), true);
      return Status::Ok();
    }
    if (key != loc.key) Remove(loc, nullptr, nullptr);  // a choice changing its type
    Put(loc.parent, key, -1, std::move(value), std::move(ext), false);
    return Status::Ok();
  }

  Status Move(const Operation& op, const Collection& items) {
    if (items.empty()) return OpError(op, "No content found at " + op.path + " when moving");
    int64_t size = 0;
    HESTIA_ASSIGN_OR_RETURN(Location loc, List(op, items, &size));
    if (*op.source < 0 || *op.source >= size || *op.destination < 0 || *op.destination >= size) {
      return OpError(op, "source " + std::to_string(*op.source) + " or destination " +
                             std::to_string(*op.destination) + " is outside the list (size " +
                             std::to_string(size) + ")");
    }
    loc.index = *op.source;
    json::Value value;
    json::Value ext;
    Remove(loc, &value, &ext);
    Put(loc.parent, loc.key, *op.destination, std::move(value), std::move(ext), true);
    return Status::Ok();
  }

  const Engine& engine_;
  json::Document& doc_;
};

// FHIR JSON has no empty objects or arrays: deleting the last child of an element deletes the
// element ("Delete Nested Primitive #2" of the official cases), up to the resource. In a "_"
// list an emptied slot becomes null (its position pairs with the primitive list).
void PruneEmpty(json::Value* v, int depth) {
  if (depth > 200 || !v->IsObject()) return;
  auto empty = [](const json::Value& x) {
    return (x.IsObject() && x.ObjectEmpty()) || (x.IsArray() && x.Empty());
  };
  for (auto m = v->MemberBegin(); m != v->MemberEnd();) {
    if (m->value.IsArray()) {
      const bool underscore = m->name.GetStringLength() > 0 && m->name.GetString()[0] == '_';
      bool all_null = true;
      for (auto it = m->value.Begin(); it != m->value.End();) {
        PruneEmpty(it, depth + 1);
        if (empty(*it)) {
          if (!underscore) {
            it = m->value.Erase(it);
            continue;
          }
          it->SetNull();
        }
        all_null = all_null && it->IsNull();
        ++it;
      }
      if (underscore && all_null) m->value.Clear();
    } else {
      PruneEmpty(&m->value, depth + 1);
    }
    if (empty(m->value)) {
      m = v->EraseMember(m);
    } else {
      ++m;
    }
  }
}

}  // namespace

bool IsFhirPathPatch(const json::Value& body) {
  return body.IsObject() && json::StringMember(body, "resourceType") == "Parameters";
}

Status ApplyFhirPathPatch(const Engine& engine, const json::Value& parameters,
                          json::Document* resource) {
  HESTIA_ASSIGN_OR_RETURN(std::vector<Operation> ops, ParseOperations(parameters));
  if (!resource->IsObject()) return InvalidError("the resource to patch is not a JSON object");
  json::Document work;
  work.CopyFrom(*resource, work.GetAllocator());
  Patcher patcher(engine, &work);
  for (const Operation& op : ops) HESTIA_RETURN_IF_ERROR(patcher.Apply(op));
  PruneEmpty(&work, 0);
  resource->Swap(work);
  return Status::Ok();
}

}  // namespace hestia::fhirpath
