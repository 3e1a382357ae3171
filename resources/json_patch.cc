// JSON Patch (RFC 6902) and JSON Pointer (RFC 6901). See json_patch.h.
#include "hestia/resources/json_patch.h"

#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hestia::resources {
namespace {

using Tokens = std::vector<std::string>;

// RFC 6901 §3/§4: "" is the whole document; otherwise "/"-separated tokens where "~1" is "/"
// and "~0" is "~" (decoded in that order, so "~01" is "~1").
Result<Tokens> ParsePointer(std::string_view pointer) {
  Tokens tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') {
    return InvalidError("JSON Pointer '" + std::string(pointer) + "' must start with '/'");
  }
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (pointer[i] == '~') {
      if (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1')) {
        return InvalidError("JSON Pointer '" + std::string(pointer) +
                            "' has a '~' not followed by 0 or 1");
      }
      token += pointer[i + 1] == '0' ? '~' : '/';
      ++i;
      continue;
    }
    token += pointer[i];
  }
  return tokens;
}

// An array index token: "0" or digits without a leading zero; -1 when it is not one.
long ArrayIndex(const std::string& token) {
  if (token.empty() || token.size() > 9) return -1;
  if (token.size() > 1 && token[0] == '0') return -1;
  long v = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string Join(const Tokens& tokens, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += "/" + tokens[i];
  return out;
}

// The value at the first `n` tokens, or nullptr when it does not exist.
json::Value* Find(json::Value& root, const Tokens& tokens, std::size_t n) {
  json::Value* v = &root;
  for (std::size_t i = 0; i < n; ++i) {
    if (v->IsObject()) {
      auto it = v->FindMember(json::Value(rapidjson::StringRef(
          tokens[i].data(), static_cast<rapidjson::SizeType>(tokens[i].size()))));
      if (it == v->MemberEnd()) return nullptr;
      v = &it->value;
    } else if (v->IsArray()) {
      const long idx = ArrayIndex(tokens[i]);
      if (idx < 0 || static_cast<std::size_t>(idx) >= v->Size()) return nullptr;
      v = &(*v)[static_cast<rapidjson::SizeType>(idx)];
    } else {
      return nullptr;
    }
  }
  return v;
}

json::Value::MemberIterator FindMember(json::Value& object, const std::string& name) {
  return object.FindMember(json::Value(
      rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
}

Status Add(json::Document& doc, const Tokens& path, json::Value value) {
  auto& a = doc.GetAllocator();
  if (path.empty()) {
    static_cast<json::Value&>(doc) = std::move(value);
    return Status::Ok();
  }
  json::Value* parent = Find(doc, path, path.size() - 1);
  if (parent == nullptr) {
    return InvalidError("path " + Join(path, path.size() - 1) +
                        " does not exist (add does not create parents)");
  }
  const std::string& last = path.back();
  if (parent->IsObject()) {
    auto it = FindMember(*parent, last);
    if (it != parent->MemberEnd()) {
      it->value = std::move(value);
    } else {
      parent->AddMember(json::MakeString(last, a), value, a);
    }
    return Status::Ok();
  }
  if (parent->IsArray()) {
    const std::size_t size = parent->Size();
    const long idx = last == "-" ? static_cast<long>(size) : ArrayIndex(last);
    if (idx < 0 || static_cast<std::size_t>(idx) > size) {
      return InvalidError("array index '" + last + "' is out of range for " +
                          Join(path, path.size() - 1));
    }
    parent->PushBack(value, a);
    for (auto i = static_cast<rapidjson::SizeType>(size); i > static_cast<rapidjson::SizeType>(idx);
         --i) {
      (*parent)[i].Swap((*parent)[i - 1]);
    }
    return Status::Ok();
  }
  return InvalidError("path " + Join(path, path.size() - 1) + " is not an object or array");
}

// Removes the value at `path` and hands it to *removed (when not null).
Status Remove(json::Document& doc, const Tokens& path, json::Value* removed) {
  if (path.empty()) return InvalidError("the whole document cannot be removed");
  json::Value* parent = Find(doc, path, path.size() - 1);
  const std::string& last = path.back();
  if (parent != nullptr && parent->IsObject()) {
    auto it = FindMember(*parent, last);
    if (it != parent->MemberEnd()) {
      if (removed != nullptr) *removed = std::move(it->value);
      parent->EraseMember(it);  // keeps the order of the other members
      return Status::Ok();
    }
  } else if (parent != nullptr && parent->IsArray()) {
    const long idx = ArrayIndex(last);
    if (idx >= 0 && static_cast<std::size_t>(idx) < parent->Size()) {
      auto it = parent->Begin() + idx;
      if (removed != nullptr) *removed = std::move(*it);
      parent->Erase(it);
      return Status::Ok();
    }
  }
  return InvalidError("path " + Join(path, path.size()) + " does not exist");
}

Status ApplyOne(const json::Value& op, json::Document& doc) {
  if (!op.IsObject()) return InvalidError("the operation is not a JSON object");
  const std::string_view name = json::StringMember(op, "op");
  const json::Value* path_v = json::Member(op, "path");
  if (path_v == nullptr || !json::IsText(*path_v)) {
    return InvalidError("the operation has no \"path\" string");
  }
  HESTIA_ASSIGN_OR_RETURN(Tokens path, ParsePointer(json::AsStringView(*path_v)));
  const json::Value* value = json::Member(op, "value");
  auto& a = doc.GetAllocator();
  auto need_value = [&]() -> Status {
    if (value == nullptr) {
      return InvalidError("operation '" + std::string(name) + "' needs a \"value\"");
    }
    return Status::Ok();
  };
  auto from = [&]() -> Result<std::pair<std::string, Tokens>> {
    const json::Value* f = json::Member(op, "from");
    if (f == nullptr || !json::IsText(*f)) {
      return InvalidError("operation '" + std::string(name) + "' needs a \"from\" string");
    }
    std::string text(json::AsStringView(*f));
    HESTIA_ASSIGN_OR_RETURN(Tokens tokens, ParsePointer(text));
    return std::make_pair(std::move(text), std::move(tokens));
  };

  if (name == "add") {
    HESTIA_RETURN_IF_ERROR(need_value());
    return Add(doc, path, json::Value(*value, a));
  }
  if (name == "remove") return Remove(doc, path, nullptr);
  if (name == "replace") {
    HESTIA_RETURN_IF_ERROR(need_value());
    json::Value* target = Find(doc, path, path.size());
    if (target == nullptr)
      return InvalidError("path " + Join(path, path.size()) + " does not exist");
    *target = json::Value(*value, a);
    return Status::Ok();
  }
  if (name == "move") {
    HESTIA_ASSIGN_OR_RETURN(auto source, from());
    const std::string target_text(json::AsStringView(*path_v));
    if (source.first == target_text) {
      if (Find(doc, path, path.size()) == nullptr) {
        return InvalidError("path " + source.first + " does not exist");
      }
      return Status::Ok();
    }
    if (target_text.compare(0, source.first.size() + 1, source.first + "/") == 0) {
      return InvalidError("a value cannot be moved into one of its own children");
    }
    json::Value moved;
    HESTIA_RETURN_IF_ERROR(Remove(doc, source.second, &moved));
    return Add(doc, path, std::move(moved));
  }
  if (name == "copy") {
    HESTIA_ASSIGN_OR_RETURN(auto source, from());
    json::Value* src = Find(doc, source.second, source.second.size());
    if (src == nullptr) return InvalidError("path " + source.first + " does not exist");
    json::Value copied(*src, a);
    return Add(doc, path, std::move(copied));
  }
  if (name == "test") {
    HESTIA_RETURN_IF_ERROR(need_value());
    json::Value* target = Find(doc, path, path.size());
    if (target == nullptr)
      return InvalidError("path " + Join(path, path.size()) + " does not exist");
    if (!JsonEqual(*target, *value)) {
      return InvalidError("test failed: the value at " + Join(path, path.size()) +
                          " differs from the expected value");
    }
    return Status::Ok();
  }
  if (name.empty()) return InvalidError("the operation has no \"op\" string");
  return InvalidError("unknown operation '" + std::string(name) + "'");
}

}  // namespace

bool JsonEqual(const json::Value& a, const json::Value& b) {
  if (json::IsNumber(a) || json::IsNumber(b)) {
    if (!json::IsNumber(a) || !json::IsNumber(b)) return false;
    if (json::NumberText(a) == json::NumberText(b)) return true;
    const double x = json::NumberAsDouble(a);
    const double y = json::NumberAsDouble(b);
    return !(x < y) && !(y < x);
  }
  if (a.IsString() && b.IsString()) {
    return a.GetStringLength() == b.GetStringLength() &&
           std::memcmp(a.GetString(), b.GetString(), a.GetStringLength()) == 0;
  }
  if (a.IsBool() && b.IsBool()) return a.GetBool() == b.GetBool();
  if (a.IsNull() && b.IsNull()) return true;
  if (a.IsArray() && b.IsArray()) {
    if (a.Size() != b.Size()) return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      if (!JsonEqual(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.IsObject() && b.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) return false;
    for (const auto& m : a.GetObject()) {
      auto it = b.FindMember(m.name);
      if (it == b.MemberEnd() || !JsonEqual(m.value, it->value)) return false;
    }
    return true;
  }
  return false;
}

Status ApplyJsonPatch(const json::Value& patch, json::Document* doc) {
  if (!patch.IsArray()) return InvalidError("a JSON Patch document must be a JSON array");
  json::Document work;
  work.CopyFrom(*doc, work.GetAllocator());
  for (rapidjson::SizeType i = 0; i < patch.Size(); ++i) {
    Status s = ApplyOne(patch[i], work);
    if (!s.ok()) {
      return InvalidError("JSON Patch operation " + std::to_string(i) + ": " + s.message(),
                          "[" + std::to_string(i) + "]");
    }
  }
  doc->Swap(work);
  return Status::Ok();
}

}  // namespace hestia::resources
