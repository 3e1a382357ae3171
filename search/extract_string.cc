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

// The parts of each datatype indexed on their own rows (StringPartBit reads these too).
struct Part {
  std::string_view name;
  uint32_t bit;
  bool list = false;  // 0..* strings (Address.line), else one
};
constexpr Part kHumanNameParts[] = {
    {"text", kPartText},           {"family", kPartFamily},       {"given", kPartGiven, true},
    {"prefix", kPartPrefix, true}, {"suffix", kPartSuffix, true},
};
constexpr Part kAddressParts[] = {
    {"line", kPartLine, true},
    {"city", kPartCity},
    {"district", kPartDistrict},
    {"state", kPartState},
    {"postalCode", kPartPostalCode},
    {"country", kPartCountry},
    {"text", kPartText},
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
  for (const Part& part : kAddressParts) {
    if (part.list) {
      for (const auto& text : Texts(address, part.name)) add(part.bit, text);
    } else {
      add(part.bit, Text(address, part.name));
    }
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
  auto find = [&](const auto& parts) -> uint32_t {
    for (const internal::Part& p : parts) {
      if (p.name == part) return p.bit;
    }
    return 0;
  };
  if (datatype == "HumanName") return find(internal::kHumanNameParts);
  if (datatype == "Address") return find(internal::kAddressParts);
  return 0;
}

}  // namespace hestia::search
