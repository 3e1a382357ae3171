// FHIR JSON helpers of the scheduling plug-in. See fhir.h.
#include "fhir.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>

namespace hestia::scheduling {
namespace {

const Value& EmptyArray() {
  static const Value kEmpty(rapidjson::kArrayType);
  return kEmpty;
}

Value Str(std::string_view text, Allocator& alloc) {
  return Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), alloc);
}

Value& EnsureArray(Value& object, const char* name, Allocator& alloc) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsArray()) {
    Set(object, name, Value(rapidjson::kArrayType), alloc);
    it = object.FindMember(name);
  }
  return it->value;
}

Document Checked(const sdk::FhirResult& r, std::string_view what) {
  if (!r.ok()) throw sdk::Error(r.status, std::string(what) + ": " + Diagnostics(r.body));
  return ParseObject(r.body, what);
}

}  // namespace

Document ParseObject(std::string_view text, std::string_view what) {
  Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    throw sdk::Error(HESTIA_ERR_INVALID, std::string(what) + " is not a JSON object");
  }
  return doc;
}

std::string ToJson(const Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

const Value* Member(const Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string String(const Value& object, const char* name) {
  const Value* v = Member(object, name);
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength())
                                       : std::string();
}

const Value& Array(const Value& object, const char* name) {
  const Value* v = Member(object, name);
  return v != nullptr && v->IsArray() ? *v : EmptyArray();
}

void Set(Value& object, const char* name, Value value, Allocator& alloc) {
  auto it = object.FindMember(name);
  if (it != object.MemberEnd()) {
    it->value = std::move(value);
  } else {
    object.AddMember(Value(name, alloc), std::move(value), alloc);
  }
}

void SetString(Value& object, const char* name, std::string_view text, Allocator& alloc) {
  Set(object, name, Str(text, alloc), alloc);
}

void Remove(Value& object, const char* name) {
  if (object.IsObject()) object.RemoveMember(name);
}

const Value* Extension(const Value& resource, const char* url) {
  for (const auto& e : Array(resource, "extension").GetArray()) {
    if (String(e, "url") == url) return &e;
  }
  return nullptr;
}

void RemoveExtension(Value& resource, const char* url, Allocator& alloc) {
  auto it = resource.FindMember("extension");
  if (it == resource.MemberEnd() || !it->value.IsArray()) return;
  Value kept(rapidjson::kArrayType);
  for (auto& e : it->value.GetArray()) {
    if (String(e, "url") != url) kept.PushBack(Value(e, alloc), alloc);
  }
  if (kept.Empty()) {
    resource.RemoveMember("extension");
  } else {
    it->value = std::move(kept);
  }
}

namespace {
void AddExtensionValue(Value& resource, const char* url, const char* value_key, Value value,
                       Allocator& alloc) {
  Value e(rapidjson::kObjectType);
  e.AddMember("url", Value(url, alloc), alloc);
  e.AddMember(Value(value_key, alloc), std::move(value), alloc);
  EnsureArray(resource, "extension", alloc).PushBack(std::move(e), alloc);
}
}  // namespace

void AddExtension(Value& resource, const char* url, const char* value_key, std::string_view value,
                  Allocator& alloc) {
  AddExtensionValue(resource, url, value_key, Str(value, alloc), alloc);
}

void AddReferenceExtension(Value& resource, const char* url, std::string_view reference,
                           Allocator& alloc) {
  Value ref(rapidjson::kObjectType);
  ref.AddMember("reference", Str(reference, alloc), alloc);
  AddExtensionValue(resource, url, "valueReference", std::move(ref), alloc);
}

bool HasTag(const Value& resource, std::string_view code) {
  const Value* meta = Member(resource, "meta");
  if (meta == nullptr) return false;
  for (const auto& t : Array(*meta, "tag").GetArray()) {
    if (String(t, "system") == kTagSystem && String(t, "code") == code) return true;
  }
  return false;
}

void AddTag(Value& resource, std::string_view code, Allocator& alloc) {
  if (HasTag(resource, code)) return;
  auto meta = resource.FindMember("meta");
  if (meta == resource.MemberEnd() || !meta->value.IsObject()) {
    Set(resource, "meta", Value(rapidjson::kObjectType), alloc);
    meta = resource.FindMember("meta");
  }
  Value tag(rapidjson::kObjectType);
  tag.AddMember("system", Value(kTagSystem, alloc), alloc);
  tag.AddMember("code", Str(code, alloc), alloc);
  EnsureArray(meta->value, "tag", alloc).PushBack(std::move(tag), alloc);
}

void RemoveTag(Value& resource, std::string_view code, Allocator& alloc) {
  auto meta = resource.FindMember("meta");
  if (meta == resource.MemberEnd() || !meta->value.IsObject()) return;
  auto tags = meta->value.FindMember("tag");
  if (tags == meta->value.MemberEnd() || !tags->value.IsArray()) return;
  Value kept(rapidjson::kArrayType);
  for (auto& t : tags->value.GetArray()) {
    if (!(String(t, "system") == kTagSystem && String(t, "code") == code)) {
      kept.PushBack(Value(t, alloc), alloc);
    }
  }
  if (kept.Empty()) {
    meta->value.RemoveMember("tag");
  } else {
    tags->value = std::move(kept);
  }
}

std::string ReferenceKey(std::string_view reference, std::string_view type) {
  // [base/]Type/id[/_history/vid]: drop the version, then take the last two segments.
  if (const std::size_t h = reference.find("/_history/"); h != std::string_view::npos) {
    reference = reference.substr(0, h);
  }
  const std::size_t slash = reference.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return "";
  const std::string_view id = reference.substr(slash + 1);
  const std::size_t before = reference.rfind('/', slash - 1);
  const std::string_view found =
      reference.substr(before == std::string_view::npos ? 0 : before + 1,
                       slash - (before == std::string_view::npos ? 0 : before + 1));
  if (id.empty() || id.size() > 64 || found.size() < 2 || found.size() > 64) return "";
  for (char c : id) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '.') return "";
  }
  if (std::isupper(static_cast<unsigned char>(found[0])) == 0) return "";
  for (char c : found) {
    if (std::isalpha(static_cast<unsigned char>(c)) == 0) return "";
  }
  if (!type.empty() && found != type) return "";
  return std::string(found) + "/" + std::string(id);
}

Parameters::Parameters(std::string_view text) {
  doc_ = ParseObject(text.empty() ? std::string_view(R"({"resourceType":"Parameters"})") : text,
                     "the operation's Parameters");
  if (String(doc_, "resourceType") != "Parameters") {
    throw sdk::Error(HESTIA_ERR_INVALID, "the operation expects a Parameters resource");
  }
}

std::vector<const Value*> Parameters::All(std::string_view name) const {
  std::vector<const Value*> out;
  for (const auto& p : Array(doc_, "parameter").GetArray()) {
    if (String(p, "name") == name) out.push_back(&p);
  }
  return out;
}

std::optional<std::string> ParameterText(const Value& p) {
  if (!p.IsObject()) return std::nullopt;
  for (auto it = p.MemberBegin(); it != p.MemberEnd(); ++it) {
    const std::string_view key(it->name.GetString(), it->name.GetStringLength());
    if (key.rfind("value", 0) != 0) continue;
    const Value& v = it->value;
    if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
    if (v.IsInt64()) return std::to_string(v.GetInt64());
    if (v.IsBool()) return v.GetBool() ? "true" : "false";
    if (key == "valueReference") return String(v, "reference");
    if (key == "valueCoding") return String(v, "system") + "|" + String(v, "code");
    if (key == "valueCodeableConcept") {
      const Value& codings = Array(v, "coding");
      if (!codings.Empty()) return String(codings[0], "system") + "|" + String(codings[0], "code");
    }
  }
  return std::nullopt;
}

std::optional<std::string> Parameters::Text(std::string_view name) const {
  for (const Value* p : All(name)) {
    if (auto t = ParameterText(*p)) return t;
  }
  return std::nullopt;
}

std::vector<std::string> Parameters::Texts(std::string_view name) const {
  std::vector<std::string> out;
  for (const Value* p : All(name)) {
    if (auto t = ParameterText(*p)) out.push_back(*t);
  }
  return out;
}

const Value* Parameters::Resource(std::string_view name) const {
  for (const Value* p : All(name)) {
    if (const Value* r = Member(*p, "resource"); r != nullptr && r->IsObject()) return r;
  }
  return nullptr;
}

std::string Diagnostics(std::string_view outcome) {
  Document doc;
  doc.Parse(outcome.data(), outcome.size());
  if (!doc.HasParseError() && doc.IsObject() && String(doc, "resourceType") == "OperationOutcome") {
    const Value& issues = Array(doc, "issue");
    if (!issues.Empty()) {
      std::string d = String(issues[0], "diagnostics");
      if (!d.empty()) return d;
    }
  }
  return std::string(outcome.substr(0, 500));
}

Document ReadResource(const sdk::Call& call, std::string_view type, std::string_view id) {
  return Checked(call.Read(type, id), std::string(type) + "/" + std::string(id));
}

Document SearchBundle(const sdk::Call& call, std::string_view type, std::string_view query) {
  return Checked(call.Search(type, query), "searching " + std::string(type));
}

Document RunTransaction(const sdk::Call& call, std::string_view bundle) {
  const sdk::FhirResult r = call.Transaction(bundle);
  if (!r.ok()) throw sdk::Error(r.status, Diagnostics(r.body));
  return ParseObject(r.body, "the transaction response");
}

std::vector<const Value*> BundleResources(const Value& bundle, std::string_view mode) {
  std::vector<const Value*> out;
  for (const auto& e : Array(bundle, "entry").GetArray()) {
    const Value* r = Member(e, "resource");
    if (r == nullptr || !r->IsObject()) continue;
    if (!mode.empty()) {
      const Value* search = Member(e, "search");
      if (search == nullptr || String(*search, "mode") != mode) continue;
    }
    out.push_back(r);
  }
  return out;
}

std::string NextQuery(const Value& bundle) {
  for (const auto& link : Array(bundle, "link").GetArray()) {
    if (String(link, "relation") != "next") continue;
    const std::string url = String(link, "url");
    const std::size_t q = url.find('?');
    return q == std::string::npos ? "" : url.substr(q + 1);
  }
  return "";
}

std::string UrlEncode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Quote(std::string_view text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string VersionETag(const Value& resource) {
  const Value* meta = Member(resource, "meta");
  const std::string v = meta == nullptr ? std::string() : String(*meta, "versionId");
  return v.empty() ? std::string() : "W/\"" + v + "\"";
}

int64_t VersionNumber(const Value& resource) {
  const Value* meta = Member(resource, "meta");
  const std::string v = meta == nullptr ? std::string() : String(*meta, "versionId");
  if (v.empty() || v.size() > 18 ||
      !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  return std::stoll(v);
}

std::string MakeBundle(std::string_view type, const std::vector<Entry>& entries) {
  std::string out = R"({"resourceType":"Bundle","type":)" + Quote(type) + R"(,"entry":[)";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (i > 0) out += ',';
    out += '{';
    if (!e.resource.empty()) out += R"("resource":)" + e.resource + ',';
    out += R"("request":{"method":)" + Quote(e.method) + R"(,"url":)" + Quote(e.url);
    if (!e.if_match.empty()) out += R"(,"ifMatch":)" + Quote(e.if_match);
    if (e.if_none_match) out += R"(,"ifNoneMatch":"*")";
    out += "}}";
  }
  return out + "]}";
}

}  // namespace hestia::scheduling
