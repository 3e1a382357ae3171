// Quantity extraction: Quantity and its kinds (Age, Duration, Distance, Count,
// SimpleQuantity), Money and Range, each with its UCUM canonical form when it has one; and the
// canonical-unit key shared with the quantity query (canonical_unit.h).
// FHIR R4: http://hl7.org/fhir/R4/search.html#quantity
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <unordered_map>

#include "extract_internal.h"
#include "hestia/fhirpath/ucum.h"
#include "hestia/search/canonical_unit.h"

namespace hestia::search {
namespace {

// Base dimensions in key order (ucum::Dimensions is m, g, s, rad, K, C, cd).
struct Dimension {
  int index;
  const char* name;
};
constexpr Dimension kKeyOrder[] = {{1, "g"}, {0, "m"}, {2, "s"}, {3, "rad"},
                                   {4, "K"}, {5, "C"}, {6, "cd"}};

std::string KeyOf(const fhirpath::ucum::Dimensions& dims) {
  std::string key;
  for (const Dimension& d : kKeyOrder) {
    const auto exponent = dims[static_cast<std::size_t>(d.index)];  // int8_t
    if (exponent == 0) continue;
    if (!key.empty()) key += '.';
    key += d.name;
    if (exponent < 0) key += '-';
    if (exponent != 1) key += std::to_string(std::abs(exponent));
  }
  return key.empty() ? "1" : key;
}

// A parsed UCUM code: its factor and offset to base units, and their key.
struct ParsedUnit {
  double factor = 1;
  double offset = 0;
  std::string key;
};

// ucum::Parse of `code`, remembered per thread (a write extracts the same few units again and
// again); nullopt when the code is not UCUM. The memo is dropped when it grows past a bound.
const std::optional<ParsedUnit>& ParsedUcum(std::string_view code) {
  constexpr std::size_t kMaxRemembered = 4096;
  thread_local std::unordered_map<std::string, std::optional<ParsedUnit>> memo;
  if (auto it = memo.find(std::string(code)); it != memo.end()) return it->second;
  if (memo.size() >= kMaxRemembered) memo.clear();
  std::optional<ParsedUnit> parsed;
  if (const auto canonical = fhirpath::ucum::Parse(code); canonical) {
    parsed = ParsedUnit{canonical->factor, canonical->offset, KeyOf(canonical->dims)};
  }
  return memo.emplace(std::string(code), std::move(parsed)).first->second;
}

}  // namespace

std::optional<CanonicalQuantity> Canonicalize(std::string_view system, std::string_view code,
                                              double value) {
  if ((!system.empty() && system != kUcumSystem) || code.empty()) return std::nullopt;
  const std::optional<ParsedUnit>& unit = ParsedUcum(code);
  if (!unit) return std::nullopt;
  const double base = value * unit->factor + unit->offset;
  if (!std::isfinite(base)) return std::nullopt;
  return CanonicalQuantity{unit->key, base};
}

std::string CanonicalUnitKey(std::string_view code) {
  const auto canonical = fhirpath::ucum::Parse(code);
  return canonical ? KeyOf(canonical->dims) : std::string();
}

namespace internal {
namespace {

using fhirpath::Item;

constexpr std::string_view kCurrencySystem = "urn:iso:std:iso:4217";

struct Bound {
  bool present = false;
  std::string value;  // exact decimal text; "" when the bound has no value
  std::string system;
  std::string code;
};

std::string Text(const json::Value& object, std::string_view name) {
  std::string out;
  JsonText(json::Member(object, name), &out);
  return out;
}

// Quantity-shaped JSON (Quantity, Age, …, SimpleQuantity): value, system, code (else unit).
Bound QuantityBound(const json::Value& q) {
  Bound b;
  if (!q.IsObject()) return b;
  const json::Value* value = json::Member(q, "value");
  if (value != nullptr && json::IsNumber(*value)) b.value = json::NumberText(*value);
  b.system = Text(q, "system");
  b.code = Text(q, "code");
  if (b.code.empty()) b.code = Text(q, "unit");
  b.present = !b.value.empty() || !b.code.empty();
  return b;
}

Bound MoneyBound(const json::Value& m) {
  Bound b;
  if (!m.IsObject()) return b;
  const json::Value* value = json::Member(m, "value");
  if (value != nullptr && json::IsNumber(*value)) b.value = json::NumberText(*value);
  b.code = Text(m, "currency");
  if (!b.code.empty()) b.system = std::string(kCurrencySystem);
  b.present = !b.value.empty() || !b.code.empty();
  return b;
}

// The canonical value of one bound in `*key` units; false when it has none (or a different
// dimension than `*key` already holds).
bool CanonicalOf(const Bound& b, std::string* key, double* out) {
  if (b.value.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(b.value.c_str(), &end);
  if (end == b.value.c_str()) return false;
  auto canonical = Canonicalize(b.system, b.code, v);
  if (!canonical || (!key->empty() && *key != canonical->unit)) return false;
  *key = canonical->unit;
  *out = canonical->value;
  return true;
}

// One row for [low, high]; a point value has low == high.
void AddRow(const Sink& sink, const Bound& low, const Bound& high) {
  if (!low.present && !high.present) return;
  const Bound& unit = low.present ? low : high;
  if (unit.system.size() > kMaxKeyBytes || unit.code.size() > kMaxKeyBytes) return;
  QuantityRow row;
  row.param_hash = sink.hash;
  row.grp = sink.grp;
  row.system = unit.system;
  row.code = unit.code;
  row.low = low.value;
  row.high = high.value;
  // Canonical only when every present end converts to the same base units.
  std::string key;
  const bool low_ok = low.value.empty() || CanonicalOf(low, &key, &row.canon_low);
  const bool high_ok = high.value.empty() || CanonicalOf(high, &key, &row.canon_high);
  if (low_ok && high_ok && !key.empty()) row.canon_unit = std::move(key);
  if (row.canon_unit.empty()) row.canon_low = row.canon_high = 0;
  sink.rows->quantities.push_back(std::move(row));
}

}  // namespace

void AddQuantity(const Item& item, const Sink& sink) {
  using fhirpath::ItemKind;
  if (item.kind == ItemKind::kQuantity) {
    // A System quantity (from a FHIRPath expression): UCUM, or a calendar word.
    Bound b;
    b.present = true;
    b.value = fhirpath::FormatDecimal(item.decimal);
    const std::string_view ucum = fhirpath::ucum::CalendarToUcum(item.unit);
    b.code = ucum.empty() ? item.unit : std::string(ucum);
    b.system = std::string(kUcumSystem);
    AddRow(sink, b, b);
    return;
  }
  if (item.kind == ItemKind::kInteger || item.kind == ItemKind::kDecimal ||
      (item.kind == ItemKind::kNode && item.json != nullptr && json::IsNumber(*item.json))) {
    Bound b;
    b.present = PrimitiveText(item, &b.value);
    AddRow(sink, b, b);
    return;
  }
  if (item.kind != ItemKind::kNode || item.json == nullptr || !item.json->IsObject()) return;
  const json::Value& v = *item.json;
  if (IsA(item, "Range")) {
    Bound low;
    Bound high;
    if (const json::Value* l = json::Member(v, "low")) low = QuantityBound(*l);
    if (const json::Value* h = json::Member(v, "high")) high = QuantityBound(*h);
    // A bound without a value is open.
    if (low.value.empty()) low.present = false;
    if (high.value.empty()) high.present = false;
    AddRow(sink, low, high);
  } else if (IsA(item, "Money")) {
    const Bound b = MoneyBound(v);
    AddRow(sink, b, b);
  } else if (IsQuantity(item) || (item.type == nullptr && json::Member(v, "value") != nullptr)) {
    const Bound b = QuantityBound(v);
    AddRow(sink, b, b);
  }
}

}  // namespace internal
}  // namespace hestia::search
