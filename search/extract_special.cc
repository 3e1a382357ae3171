// The special and full-text parts of extraction: Location.position for `near`, the narrative's
// text for `_text`, every string of the resource for `_content`. See extract_internal.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html#text, http://hl7.org/fhir/R4/search.html#content,
// http://hl7.org/fhir/R4/location.html#positional
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <unordered_set>

#include "extract_internal.h"

namespace hestia::search::internal {
namespace {

// Appends code point `cp` as UTF-8 (nothing for invalid code points).
void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes the entity starting at s[i] == '&' into *out; returns the characters consumed (0
// when it is not an entity we know, so the '&' is kept as text).
std::size_t DecodeEntity(std::string_view s, std::size_t i, std::string* out) {
  const auto semi = s.find(';', i);
  if (semi == std::string_view::npos || semi - i > 10) return 0;
  const std::string_view name = s.substr(i + 1, semi - i - 1);
  static constexpr struct {
    std::string_view name;
    const char* text;
  } kNamed[] = {{"amp", "&"},   {"lt", "<"},   {"gt", ">"},
                {"quot", "\""}, {"apos", "'"}, {"nbsp", " "}};
  for (const auto& e : kNamed) {
    if (name == e.name) {
      *out += e.text;
      return semi - i + 1;
    }
  }
  if (name.size() >= 2 && name[0] == '#') {
    const bool hex = name[1] == 'x' || name[1] == 'X';
    const std::string digits(name.substr(hex ? 2 : 1));
    if (digits.empty()) return 0;
    char* end = nullptr;
    const unsigned long cp = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
    if (*end != '\0') return 0;
    AppendUtf8(static_cast<uint32_t>(std::min<unsigned long>(cp, 0x110000)), out);
    return semi - i + 1;
  }
  return 0;
}

// Collapses whitespace runs into single spaces, trimmed.
std::string CollapseSpace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

bool IsSkippedKey(std::string_view key) {
  // The narrative is _text's; base64 data, ids, the resource's own type and the URIs that
  // name code systems, profiles and references are not words anyone searches for.
  return key == "div" || key == "data" || key == "resourceType" || key == "id" || key == "system" ||
         key == "url" || key == "reference" || key == "profile" || key == "fullUrl";
}

bool IsUri(std::string_view s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0 || s.rfind("urn:", 0) == 0;
}

// Depth-first collection of string values, each distinct value once (code.text often repeats
// coding.display), stopping at `limit` bytes.
void CollectStrings(const json::Value& v, std::size_t limit,
                    std::unordered_set<std::string_view>* seen, std::string* out) {
  if (out->size() >= limit) return;
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (IsSkippedKey(json::AsStringView(m.name))) continue;
      CollectStrings(m.value, limit, seen, out);
    }
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) CollectStrings(e, limit, seen, out);
  } else if (json::IsText(v)) {
    const std::string_view s = json::AsStringView(v);
    if (s.empty() || IsUri(s) || !seen->insert(s).second) return;
    if (!out->empty()) out->push_back(' ');
    out->append(s);
  }
}

bool Coordinate(const json::Value& object, std::string_view name, double* out) {
  const json::Value* v = json::Member(object, name);
  if (v == nullptr || !json::IsNumber(*v)) return false;
  *out = json::NumberAsDouble(*v);
  return std::isfinite(*out);
}

}  // namespace

void AddGeo(const fhirpath::Item& item, const Sink& sink) {
  if (item.kind != fhirpath::ItemKind::kNode || item.json == nullptr || !item.json->IsObject()) {
    return;
  }
  double latitude = 0;
  double longitude = 0;
  if (!Coordinate(*item.json, "latitude", &latitude) ||
      !Coordinate(*item.json, "longitude", &longitude)) {
    return;
  }
  if (latitude < -90 || latitude > 90 || longitude < -180 || longitude > 180) return;
  sink.rows->geo.push_back({sink.hash, latitude, longitude});
}

std::string NarrativeText(const json::Value& resource, std::size_t limit) {
  const json::Value* text = json::Member(resource, "text");
  if (text == nullptr || !text->IsObject()) return "";
  const json::Value* div = json::Member(*text, "div");
  if (div == nullptr || !json::IsText(*div)) return "";
  const std::string_view xhtml = json::AsStringView(*div);
  std::string out;
  out.reserve(xhtml.size());
  for (std::size_t i = 0; i < xhtml.size();) {
    const char c = xhtml[i];
    if (c == '<') {
      // A tag separates words ("<td>a</td><td>b</td>" is "a b").
      const auto close = xhtml.find('>', i);
      if (close == std::string_view::npos) break;
      out.push_back(' ');
      i = close + 1;
    } else if (c == '&') {
      const std::size_t used = DecodeEntity(xhtml, i, &out);
      if (used == 0) {
        out.push_back('&');
        ++i;
      } else {
        i += used;
      }
    } else {
      out.push_back(c);
      ++i;
    }
  }
  std::string words = CollapseSpace(out);
  CutUtf8(&words, limit);
  return words;
}

std::string ContentText(const json::Value& resource, std::size_t limit) {
  std::string out;
  std::unordered_set<std::string_view> seen;
  CollectStrings(resource, limit, &seen, &out);
  CutUtf8(&out, limit);
  return out;
}

}  // namespace hestia::search::internal
