// Bulk import planning. See import_plan.h.
#include "import_plan.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "hestia/base/json.h"

namespace hestia::server {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxFileBytes = std::size_t{1} << 30;

json::Limits ScanLimits() {
  json::Limits limits;
  limits.max_bytes = kMaxFileBytes;
  return limits;
}

bool IsImportable(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".json" || ext == ".ndjson" || ext == ".jsonl";
}

bool IsNdjson(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  return ext == ".ndjson" || ext == ".jsonl";
}

std::string Fnv1a(std::string_view text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

// True when `v` is a Patient or refers into a patient compartment.
bool TouchesPatients(const json::Value& v) {
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (json::IsText(m.value)) {
        const std::string_view s = json::AsStringView(m.value);
        if (m.name == "resourceType" && s == "Patient") return true;
        if (m.name == "reference" && (s.rfind("Patient/", 0) == 0 || s.rfind("Patient?", 0) == 0)) {
          return true;
        }
      } else if (TouchesPatients(m.value)) {
        return true;
      }
    }
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) {
      if (TouchesPatients(e)) return true;
    }
  }
  return false;
}

// Calls fn(line_number, line) for each non-blank line.
template <typename Fn>
void ForEachLine(std::string_view text, Fn fn) {
  std::size_t start = 0;
  std::size_t number = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    ++number;
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) fn(number, line);
    start = end + 1;
  }
}

void StartBundle(std::string* out) {
  *out = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
}

// Appends one entry that writes `resource` (PUT with an id, POST without).
Status AppendEntry(const json::Value& resource, const json::Value* full_url, bool first,
                   std::string* out) {
  if (!resource.IsObject()) return InvalidError("a resource is not a JSON object");
  const std::string_view type = json::StringMember(resource, "resourceType");
  if (type.empty()) return InvalidError("a resource has no resourceType");
  const std::string_view id = json::StringMember(resource, "id");
  if (!first) out->push_back(',');
  out->append("{");
  if (full_url != nullptr && json::IsText(*full_url)) {
    out->append("\"fullUrl\":").append(json::Write(*full_url)).append(",");
  }
  out->append("\"resource\":").append(json::Write(resource));
  if (id.empty()) {
    out->append(R"(,"request":{"method":"POST","url":")").append(type).append("\"}}");
  } else {
    out->append(R"(,"request":{"method":"PUT","url":")")
        .append(type)
        .append("/")
        .append(id)
        .append("\"}}");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidError("cannot open " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return InvalidError("cannot read " + path);
  return text.str();
}

Result<std::vector<std::string>> FindImportFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    const fs::path abs = fs::absolute(p, ec);
    if (ec || !fs::exists(abs, ec)) return InvalidError(p + ": no such file or folder");
    if (fs::is_directory(abs, ec)) {
      for (auto it = fs::recursive_directory_iterator(
               abs, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (it->is_regular_file(ec) && IsImportable(it->path()) && name[0] != '.') {
          out.push_back(it->path().lexically_normal().string());
        }
      }
      if (ec) return InvalidError(p + ": " + ec.message());
    } else {
      out.push_back(abs.lexically_normal().string());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

ImportFile ScanFile(const std::string& path) {
  ImportFile f;
  f.path = path;
  std::error_code ec;
  f.size = fs::file_size(path, ec);
  const auto mtime = fs::last_write_time(path, ec);
  f.mtime = std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::file_clock::to_sys(mtime).time_since_epoch())
                .count();
  auto text = ReadWholeFile(path);
  if (!text.ok()) {
    f.error = text.status().message();
    return f;
  }
  if (text->size() > kMaxFileBytes) {
    f.error = "larger than 1 GiB";
    return f;
  }
  f.fingerprint = Fnv1a(*text);
  const std::string name = fs::path(path).filename().string();
  const bool shared_by_name =
      name.rfind("hospitalInformation", 0) == 0 || name.rfind("practitionerInformation", 0) == 0;
  bool touches_patients = false;
  if (IsNdjson(path)) {
    std::string error;
    ForEachLine(*text, [&](std::size_t number, std::string_view line) {
      if (!error.empty()) return;
      json::Document doc;
      if (Status s = json::Parse(line, ScanLimits(), &doc); !s.ok()) {
        error = "line " + std::to_string(number) + ": " + s.message();
        return;
      }
      if (!doc.IsObject() || json::StringMember(doc, "resourceType").empty()) {
        error = "line " + std::to_string(number) + ": not a FHIR resource";
        return;
      }
      ++f.resources;
      touches_patients = touches_patients || TouchesPatients(doc);
    });
    if (!error.empty()) {
      f.error = error;
      return f;
    }
    f.kind = ImportKind::kResources;
  } else {
    json::Document doc;
    if (Status s = json::Parse(*text, ScanLimits(), &doc); !s.ok()) {
      f.error = "malformed JSON: " + s.message();
      return f;
    }
    const std::string_view type = doc.IsObject() ? json::StringMember(doc, "resourceType") : "";
    if (type.empty()) {
      f.error = "not a FHIR resource (no resourceType)";
      return f;
    }
    touches_patients = TouchesPatients(doc);
    if (type == "Bundle") {
      const std::string_view bundle_type = json::StringMember(doc, "type");
      const json::Value* entries = json::Member(doc, "entry");
      f.resources = entries != nullptr && entries->IsArray() ? entries->Size() : 0;
      if (bundle_type == "transaction") {
        f.kind = ImportKind::kTransaction;
      } else if (bundle_type == "batch") {
        f.kind = ImportKind::kBatch;
      } else {
        f.kind = ImportKind::kResources;
      }
    } else {
      f.kind = ImportKind::kResources;
      f.resources = 1;
    }
  }
  const bool shared_kind = f.kind != ImportKind::kTransaction;
  f.phase = shared_by_name || (shared_kind && !touches_patients) ? 1 : 2;
  return f;
}

Status BuildRequests(const ImportFile& file, std::size_t chunk, int batch_slices,
                     std::vector<std::string>* bodies, std::vector<std::size_t>* entries) {
  bodies->clear();
  entries->clear();
  HESTIA_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(file.path));
  if (file.kind == ImportKind::kBatch && batch_slices > 1 && file.resources > 1) {
    json::Document doc;
    HESTIA_RETURN_IF_ERROR(json::Parse(text, ScanLimits(), &doc));
    const json::Value* list = json::Member(doc, "entry");
    if (list == nullptr || !list->IsArray()) return InvalidError("a batch Bundle without entries");
    const std::size_t n = list->Size();
    const std::size_t slices = std::min(n, static_cast<std::size_t>(batch_slices));
    for (std::size_t s = 0; s < slices; ++s) {
      const std::size_t begin = n * s / slices;
      const std::size_t end = n * (s + 1) / slices;
      std::string body = R"({"resourceType":"Bundle","type":"batch","entry":[)";
      for (std::size_t i = begin; i < end; ++i) {
        if (i > begin) body.push_back(',');
        body.append(json::Write((*list)[static_cast<rapidjson::SizeType>(i)]));
      }
      body.append("]}");
      bodies->push_back(std::move(body));
      entries->push_back(end - begin);
    }
    return Status::Ok();
  }
  if (file.kind == ImportKind::kTransaction || file.kind == ImportKind::kBatch) {
    bodies->push_back(std::move(text));
    entries->push_back(file.resources);
    return Status::Ok();
  }
  if (file.kind != ImportKind::kResources) return InvalidError(file.error);
  std::string body;
  std::size_t in_body = 0;
  auto add = [&](const json::Value& resource, const json::Value* full_url) -> Status {
    if (in_body == 0) StartBundle(&body);
    HESTIA_RETURN_IF_ERROR(AppendEntry(resource, full_url, in_body == 0, &body));
    if (++in_body == chunk) {
      body.append("]}");
      bodies->push_back(std::move(body));
      entries->push_back(in_body);
      body.clear();
      in_body = 0;
    }
    return Status::Ok();
  };
  Status status = Status::Ok();
  if (IsNdjson(file.path)) {
    ForEachLine(text, [&](std::size_t number, std::string_view line) {
      if (!status.ok()) return;
      json::Document doc;
      status = json::Parse(line, ScanLimits(), &doc);
      if (status.ok()) status = add(doc, nullptr);
      if (!status.ok())
        status = InvalidError("line " + std::to_string(number) + ": " + status.message());
    });
  } else {
    json::Document doc;
    HESTIA_RETURN_IF_ERROR(json::Parse(text, ScanLimits(), &doc));
    if (json::StringMember(doc, "resourceType") == "Bundle") {
      const json::Value* list = json::Member(doc, "entry");
      if (list != nullptr && list->IsArray()) {
        for (const auto& e : list->GetArray()) {
          const json::Value* resource = json::Member(e, "resource");
          if (resource == nullptr) continue;
          status = add(*resource, json::Member(e, "fullUrl"));
          if (!status.ok()) break;
        }
      }
    } else {
      status = add(doc, nullptr);
    }
  }
  HESTIA_RETURN_IF_ERROR(status);
  if (in_body > 0) {
    body.append("]}");
    bodies->push_back(std::move(body));
    entries->push_back(in_body);
  }
  return Status::Ok();
}

}  // namespace hestia::server
