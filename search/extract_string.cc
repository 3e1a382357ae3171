// String extraction: string/markdown primitives, HumanName and Address parts, with the
// normal form (or phonetic key) the string query compares. See extract_internal.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html#string
#include "extract_internal.h"

namespace hestia::search::internal {
namespace {

using fhirpath::Item;

std::string Text(const json::Value& object, std::string_view name) {
  std::string out;
  JsonText(json::Member(object, name), &out);
  return out;
}

// Every string of member `name` (a single value or an array).
std::vector<std::string> Texts(const json::Value& object, std::string_view name) {
  std::vector<std::string> out;
  const json::Value* v = json::Member(object, name);
  if (v == nullptr) return out;
  std::string text;
  if (v->IsArray()) {
    for (const auto& e : v->GetArray()) {
      if (JsonText(&e, &text)) out.push_back(std::move(text));
    }
  } else if (JsonText(v, &text)) {
    out.push_back(std::move(text));
  }
  return out;
}

// The part bits of StringPartBit, one per part name (HumanName and Address both have text).
enum PartBit : uint32_t {
  kPartText = 1u << 0,
  kPartFamily = 1u << 1,
  kPartGiven = 1u << 2,
  kPartPrefix = 1u << 3,
  kPartSuffix = 1u << 4,
  kPartLine = 1u << 5,
  kPartCity = 1u << 6,
  kPartDistrict = 1u << 7,
  kPartState = 1u << 8,
  kPartPostalCode = 1u << 9,
  kPartCountry = 1u << 10,
};

// Each part on its own, and the whole name: HumanName.text, else "given… family", so that
// `name=John Smi` matches as a prefix of the full name too. Parts in sink.skipped_parts are
// another parameter's rows already; the whole name is always this parameter's.
void AddHumanName(const Sink& sink, const json::Value& name) {
  auto add = [&](uint32_t part, std::string_view text) {
    if ((sink.skipped_parts & part) != 0) return;
    AddStringRow(sink.rows, sink.hash, sink.grp, sink.phonetic, text);
  };
  const std::string text = Text(name, "text");
  const std::string family = Text(name, "family");
  const std::vector<std::string> given = Texts(name, "given");
  add(kPartText, text);
  add(kPartFamily, family);
  for (const auto& g : given) add(kPartGiven, g);
  for (const auto& p : Texts(name, "prefix")) add(kPartPrefix, p);
  for (const auto& s : Texts(name, "suffix")) add(kPartSuffix, s);
  if (text.empty() && (given.size() > 1 || (!given.empty() && !family.empty()))) {
    std::string full;
    for (const auto& g : given) full += (full.empty() ? "" : " ") + g;
    if (!family.empty()) full += (full.empty() ? "" : " ") + family;
    add(0, full);
  }
}

void AddAddress(const Sink& sink, const json::Value& address) {
  auto add = [&](uint32_t part, std::string_view text) {
    if ((sink.skipped_parts & part) != 0) return;
    AddStringRow(sink.rows, sink.hash, sink.grp, sink.phonetic, text);
  };
  for (const auto& line : Texts(address, "line")) add(kPartLine, line);
  for (const char* part : {"city", "district", "state", "postalCode", "country", "text"}) {
    add(StringPartBit("Address", part), Text(address, part));
  }
}

}  // namespace

void CutUtf8(std::string* s, std::size_t limit) {
  if (s->size() <= limit) return;
  std::size_t n = limit;
  while (n > 0 && (static_cast<unsigned char>((*s)[n]) & 0xC0) == 0x80) --n;
  s->resize(n);
}

void AddStringRow(IndexRows* rows, int64_t hash, int32_t grp, bool phonetic,
                  std::string_view text) {
  if (text.empty()) return;
  std::string norm = phonetic ? PhoneticKey(text) : NormalizeString(text);
  if (norm.empty()) return;
  CutUtf8(&norm, kMaxKeyBytes);
  rows->strings.push_back({hash, grp, std::move(norm), std::string(text)});
}

void AddString(const Item& item, const Sink& sink) {
  std::string text;
  if (item.kind != fhirpath::ItemKind::kNode || (item.json != nullptr && !item.json->IsObject())) {
    if (PrimitiveText(item, &text)) {
      AddStringRow(sink.rows, sink.hash, sink.grp, sink.phonetic, text);
    }
    return;
  }
  if (item.json == nullptr) return;
  const json::Value& v = *item.json;
  if (IsA(item, "HumanName")) {
    AddHumanName(sink, v);
  } else if (IsA(item, "Address")) {
    AddAddress(sink, v);
  } else if (IsA(item, "CodeableConcept")) {
    AddStringRow(sink.rows, sink.hash, sink.grp, sink.phonetic, Text(v, "text"));
  } else if (IsA(item, "Coding")) {
    AddStringRow(sink.rows, sink.hash, sink.grp, sink.phonetic, Text(v, "display"));
  }
}

}  // namespace hestia::search::internal

namespace hestia::search {

uint32_t StringPartBit(std::string_view datatype, std::string_view part) {
  static constexpr std::pair<std::string_view, uint32_t> kHumanName[] = {
      {"text", internal::kPartText},     {"family", internal::kPartFamily},
      {"given", internal::kPartGiven},   {"prefix", internal::kPartPrefix},
      {"suffix", internal::kPartSuffix},
  };
  static constexpr std::pair<std::string_view, uint32_t> kAddress[] = {
      {"line", internal::kPartLine},
      {"city", internal::kPartCity},
      {"district", internal::kPartDistrict},
      {"state", internal::kPartState},
      {"postalCode", internal::kPartPostalCode},
      {"country", internal::kPartCountry},
      {"text", internal::kPartText},
  };
  if (datatype == "HumanName") {
    for (const auto& [name, bit] : kHumanName) {
      if (name == part) return bit;
    }
  } else if (datatype == "Address") {
    for (const auto& [name, bit] : kAddress) {
      if (name == part) return bit;
    }
  }
  return 0;
}

}  // namespace hestia::search
