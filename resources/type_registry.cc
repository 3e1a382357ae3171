// Builds the TypeRegistry from the definitions package. See type_registry.h.
#include "hestia/resources/type_registry.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <future>
#include <optional>
#include <vector>

#include "hestia/base/json.h"

namespace hestia::resources {
namespace {

TypeInfo ToTypeInfo(const json::Value& sd) {
  TypeInfo t;
  t.name = std::string(json::StringMember(sd, "id"));
  t.kind = std::string(json::StringMember(sd, "kind"));
  const json::Value* abstract = json::Member(sd, "abstract");
  t.is_abstract = abstract != nullptr && abstract->IsBool() && abstract->GetBool();
  std::string_view base = json::StringMember(sd, "baseDefinition");
  if (auto slash = base.rfind('/'); slash != std::string_view::npos) base = base.substr(slash + 1);
  t.base = std::string(base);
  const json::Value* snapshot = json::Member(sd, "snapshot");
  const json::Value* elements = snapshot ? json::Member(*snapshot, "element") : nullptr;
  if (elements == nullptr || !elements->IsArray()) return t;
  for (const auto& e : elements->GetArray()) {
    ElementInfo info;
    info.path = std::string(json::StringMember(e, "path"));
    if (info.path.empty()) continue;
    std::string_view last = info.path;
    if (auto dot = last.rfind('.'); dot != std::string_view::npos) last = last.substr(dot + 1);
    info.is_choice = last.size() > 3 && last.substr(last.size() - 3) == "[x]";
    info.name = std::string(info.is_choice ? last.substr(0, last.size() - 3) : last);
    if (const json::Value* min = json::Member(e, "min"); min != nullptr && min->IsInt()) {
      info.min = min->GetInt();
    }
    const std::string_view max = json::StringMember(e, "max");
    info.is_array = max == "*" || (!max.empty() && max != "0" && max != "1");
    info.content_reference = std::string(json::StringMember(e, "contentReference"));
    if (const json::Value* summary = json::Member(e, "isSummary");
        summary != nullptr && summary->IsBool()) {
      info.is_summary = summary->GetBool();
    }
    if (const json::Value* types = json::Member(e, "type"); types != nullptr && types->IsArray()) {
      for (const auto& ty : types->GetArray()) {
        const std::string_view code = json::StringMember(ty, "code");
        if (!code.empty()) info.types.emplace_back(code);
      }
    }
    t.elements.push_back(std::move(info));
  }
  return t;
}

bool EqualsIgnoringFirstCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  return std::tolower(static_cast<unsigned char>(a[0])) ==
             std::tolower(static_cast<unsigned char>(b[0])) &&
         a.substr(1) == b.substr(1);
}

Status ReadJsonFile(const std::string& path, json::Document* doc) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return InternalError("cannot read definitions file " + path);
  // Read straight into one buffer of the file's size: the resources file is 35 MB.
  std::string text(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  if (!in.read(text.data(), static_cast<std::streamsize>(text.size()))) {
    return InternalError("cannot read definitions file " + path);
  }
  json::Limits limits;
  limits.max_bytes = 256u << 20;
  Status s = json::Parse(text, limits, doc);
  if (!s.ok()) return InternalError(path + ": " + s.message());
  return Status::Ok();
}

// The base (non-profile) StructureDefinitions of one definitions Bundle, in file order.
Result<std::vector<TypeInfo>> LoadTypes(const std::string& path) {
  json::Document doc;
  HESTIA_RETURN_IF_ERROR(ReadJsonFile(path, &doc));
  const json::Value* entries = json::Member(doc, "entry");
  if (entries == nullptr || !entries->IsArray()) {
    return InternalError(path + " is not a Bundle with entries");
  }
  std::vector<TypeInfo> types;
  for (const auto& entry : entries->GetArray()) {
    const json::Value* res = json::Member(entry, "resource");
    if (res == nullptr || json::StringMember(*res, "resourceType") != "StructureDefinition") {
      continue;
    }
    // Profiles (SimpleQuantity, MoneyQuantity, vitalsigns…) constrain a type; the registry
    // holds the base types only.
    if (json::StringMember(*res, "derivation") == "constraint") continue;
    TypeInfo info = ToTypeInfo(*res);
    if (!info.name.empty()) types.push_back(std::move(info));
  }
  return types;
}

// The derived registry is cached beside the package (itself a cache folder, ARCHITECTURE §2):
// parsing the 35 MB resources file dominates start-up — a restart after a crash should not
// pay it again. The cache is keyed by the sources' sizes and modification times and by its own
// format version; anything unexpected in it means "no cache" and the sources are parsed.
constexpr const char* kCacheFile = ".hestia-type-registry.cache";
constexpr const char* kCacheFormat = "hestia-type-registry 2";

std::string SourcesKey(const std::vector<std::string>& paths) {
  std::string key = kCacheFormat;
  for (const std::string& path : paths) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return {};
    key += "\t" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec);
  }
  return key;
}

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> fields;
  for (;;) {
    const auto tab = line.find('\t');
    fields.push_back(line.substr(0, tab));
    if (tab == std::string_view::npos) return fields;
    line.remove_prefix(tab + 1);
  }
}

std::optional<std::vector<TypeInfo>> ReadCache(const std::string& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line) || line != key) return std::nullopt;
  std::vector<TypeInfo> types;
  bool complete = false;
  while (std::getline(in, line)) {
    const auto f = SplitTabs(line);
    if (f.size() == 1 && f[0] == "end") {
      complete = true;
      break;
    }
    if (f.size() == 5 && f[0] == "T") {
      TypeInfo t;
      t.name = f[1];
      t.kind = f[2];
      t.base = f[3];
      t.is_abstract = f[4] == "1";
      types.push_back(std::move(t));
    } else if (f.size() >= 8 && f[0] == "E" && !types.empty()) {
      ElementInfo e;
      e.path = f[1];
      e.name = f[2];
      e.min = std::atoi(std::string(f[3]).c_str());
      e.is_array = f[4] == "1";
      e.is_choice = f[5] == "1";
      e.content_reference = f[6];
      e.is_summary = f[7] == "1";
      for (std::size_t i = 8; i < f.size(); ++i) e.types.emplace_back(f[i]);
      types.back().elements.push_back(std::move(e));
    } else {
      return std::nullopt;
    }
  }
  if (!complete || types.empty()) return std::nullopt;
  return types;
}

// Best effort: a read-only package folder simply has no cache. Written to a temporary file
// and renamed, so that servers starting at the same time never read half a cache.
void WriteCache(const std::string& path, const std::string& key,
                const std::vector<TypeInfo>& types) {
  auto clean = [](const std::string& text) {
    return text.find_first_of("\t\n") == std::string::npos;
  };
  std::string out = key + "\n";
  for (const TypeInfo& t : types) {
    if (!clean(t.name) || !clean(t.kind) || !clean(t.base)) return;
    out +=
        "T\t" + t.name + "\t" + t.kind + "\t" + t.base + "\t" + (t.is_abstract ? "1" : "0") + "\n";
    for (const ElementInfo& e : t.elements) {
      if (!clean(e.path) || !clean(e.name) || !clean(e.content_reference)) return;
      out += "E\t" + e.path + "\t" + e.name + "\t" + std::to_string(e.min) + "\t" +
             (e.is_array ? "1" : "0") + "\t" + (e.is_choice ? "1" : "0") + "\t" +
             e.content_reference + "\t" + (e.is_summary ? "1" : "0");
      for (const std::string& code : e.types) {
        if (code.empty() || !clean(code)) return;
        out += "\t" + code;
      }
      out += "\n";
    }
  }
  out += "end\n";
  std::string temp = path + ".XXXXXX";
  const int fd = mkstemp(temp.data());
  if (fd < 0) return;
  bool written = true;
  for (std::size_t done = 0; written && done < out.size();) {
    const ssize_t n = write(fd, out.data() + done, out.size() - done);
    written = n > 0;
    if (written) done += static_cast<std::size_t>(n);
  }
  fchmod(fd, 0644);
  if (close(fd) != 0) written = false;
  if (!written || rename(temp.c_str(), path.c_str()) != 0) unlink(temp.c_str());
}

// Both definition files, in precedence order (a later definition of a name replaces an
// earlier one): from the cache when it matches the sources, else parsed and then cached.
Result<std::vector<TypeInfo>> LoadAllTypes(const std::string& package_dir) {
  const std::string types_path = package_dir + "/Bundle-types.json";
  const std::string resources_path = package_dir + "/Bundle-resources.json";
  const std::string cache_path = package_dir + "/" + kCacheFile;
  const std::string key = SourcesKey({types_path, resources_path});
  if (!key.empty()) {
    if (auto cached = ReadCache(cache_path, key)) return std::move(*cached);
  }
  // The two files parse independently; the 35 MB resources file dominates, so the small types
  // file is parsed on a second thread beside it.
  auto types_file = std::async(std::launch::async, LoadTypes, types_path);
  Result<std::vector<TypeInfo>> resource_file = LoadTypes(resources_path);
  Result<std::vector<TypeInfo>> data_types = types_file.get();
  HESTIA_RETURN_IF_ERROR(data_types.status());
  HESTIA_RETURN_IF_ERROR(resource_file.status());
  std::vector<TypeInfo> all = std::move(*data_types);
  for (TypeInfo& t : *resource_file) all.push_back(std::move(t));
  if (!key.empty() && key == SourcesKey({types_path, resources_path})) {
    WriteCache(cache_path, key, all);
  }
  return all;
}

}  // namespace

Result<std::shared_ptr<const TypeRegistry>> TypeRegistry::LoadFromPackage(
    const std::string& package_dir) {
  auto registry = std::make_shared<TypeRegistry>();
  HESTIA_ASSIGN_OR_RETURN(std::vector<TypeInfo> all, LoadAllTypes(package_dir));
  for (TypeInfo& info : all) {
    if (info.name.empty()) continue;
    if (info.kind == "resource" && !info.is_abstract)
      registry->resource_types_.push_back(info.name);
    std::string name = info.name;
    registry->types_[name] = std::move(info);
  }
  std::sort(registry->resource_types_.begin(), registry->resource_types_.end());
  for (const auto& [name, type] : registry->types_) {
    for (const auto& e : type.elements) registry->elements_by_path_[e.path] = &e;
  }
  if (registry->resource_types_.empty()) {
    return InternalError("no resource StructureDefinitions in " + package_dir);
  }
  return std::shared_ptr<const TypeRegistry>(std::move(registry));
}

bool TypeRegistry::IsResourceType(std::string_view name) const {
  return std::binary_search(resource_types_.begin(), resource_types_.end(), name);
}

const TypeInfo* TypeRegistry::FindType(std::string_view name) const {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : &it->second;
}

const ElementInfo* TypeRegistry::FindElement(std::string_view path) const {
  auto it = elements_by_path_.find(path);
  return it == elements_by_path_.end() ? nullptr : it->second;
}

const ElementInfo* TypeRegistry::ChildElement(std::string_view parent_path, std::string_view name,
                                              std::string* choice_type) const {
  for (int hops = 0; hops < 8; ++hops) {
    const std::string prefix = std::string(parent_path) + ".";
    if (const ElementInfo* direct = FindElement(prefix + std::string(name))) {
      if (choice_type != nullptr) choice_type->clear();
      return direct;
    }
    // Choice type: "valueQuantity" → "value[x]" with type "Quantity". The element name may
    // itself contain capitals ("multipleBirthInteger" → "multipleBirth[x]"), so every capital
    // is a candidate split.
    for (std::size_t i = 1; i < name.size(); ++i) {
      if (!std::isupper(static_cast<unsigned char>(name[i]))) continue;
      const ElementInfo* choice = FindElement(prefix + std::string(name.substr(0, i)) + "[x]");
      if (choice == nullptr) continue;
      const std::string_view suffix = name.substr(i);
      for (const auto& t : choice->types) {
        if (EqualsIgnoringFirstCase(t, suffix)) {
          if (choice_type != nullptr) *choice_type = t;
          return choice;
        }
      }
      break;
    }
    // Not defined inline: follow the parent element's content reference or its data type.
    const ElementInfo* parent = FindElement(parent_path);
    if (parent == nullptr) return nullptr;
    if (!parent->content_reference.empty()) {
      parent_path = std::string_view(parent->content_reference).substr(1);
      continue;
    }
    if (parent->types.size() != 1 || parent->types[0] == "BackboneElement" ||
        parent->types[0] == "Element") {
      return nullptr;
    }
    parent_path = parent->types[0];
  }
  return nullptr;
}

}  // namespace hestia::resources
