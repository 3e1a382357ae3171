// Content negotiation. See negotiation.h.
#include "negotiation.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace hestia::rest {
namespace {

constexpr std::string_view kFhirJson = "application/fhir+json";
constexpr std::string_view kJson = "application/json";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// One media type or range: lower-cased "type/subtype" and its parameters.
struct MediaRange {
  std::string type;                                         // "application"
  std::string subtype;                                      // "fhir+json"
  std::vector<std::pair<std::string, std::string>> params;  // names lower-cased
  double q = 1.0;
  bool valid = false;
};

MediaRange ParseMediaRange(std::string_view text) {
  MediaRange m;
  std::size_t semi = text.find(';');
  std::string essence = Lower(Trim(text.substr(0, semi)));
  std::size_t slash = essence.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == essence.size()) return m;
  m.type = essence.substr(0, slash);
  m.subtype = essence.substr(slash + 1);
  std::string_view rest =
      semi == std::string_view::npos ? std::string_view() : text.substr(semi + 1);
  while (!rest.empty()) {
    std::size_t next = rest.find(';');
    std::string_view param = Trim(rest.substr(0, next));
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    std::size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name = Lower(Trim(param.substr(0, eq)));
    std::string_view value = Trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (name == "q") {
      std::string v(value);
      char* end = nullptr;
      double q = std::strtod(v.c_str(), &end);
      if (v.empty() || end != v.c_str() + v.size() || !(q >= 0.0 && q <= 1.0)) return m;
      m.q = q;
    } else {
      m.params.emplace_back(std::move(name), std::string(value));
    }
  }
  m.valid = true;
  return m;
}

// The q-value the Accept list gives `type/subtype`: the most specific matching range wins
// (RFC 7231 §5.3.2); 0 when nothing matches.
double QualityOf(const std::vector<MediaRange>& ranges, std::string_view type,
                 std::string_view subtype) {
  int best_specificity = 0;
  double best_q = 0.0;
  for (const MediaRange& r : ranges) {
    int specificity = 0;
    if (r.type == "*" && r.subtype == "*") {
      specificity = 1;
    } else if (r.type == type && r.subtype == "*") {
      specificity = 2;
    } else if (r.type == type && r.subtype == subtype) {
      specificity = 3;
    }
    if (specificity == 0) continue;
    if (specificity > best_specificity) {
      best_specificity = specificity;
      best_q = r.q;
    } else if (specificity == best_specificity) {
      best_q = std::max(best_q, r.q);
    }
  }
  return best_q;
}

bool IsUtf8Charset(std::string_view value) {
  std::string v = Lower(value);
  return v == "utf-8" || v == "utf8";
}

}  // namespace

const char* ContentTypeFor(ResponseFormat format) {
  return format == ResponseFormat::kJson ? "application/json;charset=utf-8"
                                         : "application/fhir+json;charset=utf-8";
}

Result<ResponseFormat> NegotiateResponseFormat(const std::string* format_param,
                                               const std::vector<std::string_view>& accept) {
  if (format_param != nullptr) {
    // An unencoded '+' in the URL arrives as a space after form decoding.
    std::string f = Lower(Trim(std::string_view(*format_param).substr(0, format_param->find(';'))));
    std::replace(f.begin(), f.end(), ' ', '+');
    if (f == "json" || f == kFhirJson || f == "application/json+fhir" || f == "fhir+json") {
      return ResponseFormat::kFhirJson;
    }
    if (f == kJson) return ResponseFormat::kJson;
    return Status(StatusCode::kNotAcceptable,
                  "_format '" + std::string(format_param->substr(0, 64)) +
                      "' is not supported; this server produces json "
                      "(application/fhir+json, application/json)",
                  "_format");
  }
  std::vector<MediaRange> ranges;
  for (std::string_view header : accept) {
    while (!header.empty()) {
      std::size_t comma = header.find(',');
      std::string_view item = Trim(header.substr(0, comma));
      header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
      if (item.empty()) continue;
      MediaRange r = ParseMediaRange(item);
      if (!r.valid) continue;
      // The DSTU2 name of the FHIR JSON type still circulates.
      if (r.type == "application" && r.subtype == "json+fhir") r.subtype = "fhir+json";
      ranges.push_back(std::move(r));
    }
  }
  if (ranges.empty()) return ResponseFormat::kFhirJson;
  double q_fhir = QualityOf(ranges, "application", "fhir+json");
  double q_json = QualityOf(ranges, "application", "json");
  if (q_fhir > 0 && q_fhir >= q_json) return ResponseFormat::kFhirJson;
  if (q_json > 0) return ResponseFormat::kJson;
  return Status(StatusCode::kNotAcceptable,
                "none of the media types in Accept is supported; this server produces "
                "application/fhir+json and application/json");
}

Result<BodyFormat> CheckRequestContentType(const std::string* content_type,
                                           const BodyRules& rules) {
  if (content_type == nullptr || Trim(*content_type).empty()) {
    return Status(StatusCode::kUnsupportedMediaType,
                  "a request body needs a Content-Type (application/fhir+json)");
  }
  MediaRange m = ParseMediaRange(*content_type);
  std::string essence = m.type + "/" + m.subtype;
  auto unsupported = [&]() {
    return Status(StatusCode::kUnsupportedMediaType,
                  "Content-Type '" + content_type->substr(0, 100) +
                      "' is not supported; send application/fhir+json" +
                      (rules.allow_json_patch ? " or application/json-patch+json" : ""));
  };
  if (!m.valid) return unsupported();
  for (const auto& [name, value] : m.params) {
    if (name == "charset" && !IsUtf8Charset(value)) {
      return Status(StatusCode::kUnsupportedMediaType,
                    "charset '" + value.substr(0, 40) + "' is not supported; send UTF-8");
    }
  }
  if (essence == kFhirJson || essence == kJson || essence == "application/json+fhir") {
    return BodyFormat::kFhirJson;
  }
  if (rules.allow_json_patch && essence == "application/json-patch+json") {
    return BodyFormat::kJsonPatch;
  }
  if (rules.allow_form && essence == "application/x-www-form-urlencoded") return BodyFormat::kForm;
  return unsupported();
}

}  // namespace hestia::rest
