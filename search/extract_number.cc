// Number extraction: integer/decimal/positiveInt/unsignedInt values (exact text, compared as
// PostgreSQL numeric), and Range or Quantity values of number parameters. See
// extract_internal.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html#number
#include "extract_internal.h"

namespace hestia::search::internal {
namespace {

using fhirpath::Item;

// The exact decimal text of a JSON number member ("" when absent or not a number).
std::string NumberOf(const json::Value* value) {
  return value != nullptr && json::IsNumber(*value) ? json::NumberText(*value) : std::string();
}

void AddRow(const Sink& sink, std::string low, std::string high) {
  if (low.empty() && high.empty()) return;
  sink.rows->numbers.push_back({sink.hash, sink.grp, std::move(low), std::move(high)});
}

}  // namespace

void AddNumber(const Item& item, const Sink& sink) {
  using fhirpath::ItemKind;
  if (item.kind == ItemKind::kInteger || item.kind == ItemKind::kDecimal) {
    std::string text;
    if (PrimitiveText(item, &text)) AddRow(sink, text, text);
    return;
  }
  if (item.kind != ItemKind::kNode || item.json == nullptr) return;
  const json::Value& v = *item.json;
  if (json::IsNumber(v)) {
    const std::string text = json::NumberText(v);
    AddRow(sink, text, text);
  } else if (!v.IsObject()) {
    return;
  } else if (IsA(item, "Range")) {
    const json::Value* low = json::Member(v, "low");
    const json::Value* high = json::Member(v, "high");
    AddRow(sink, low != nullptr ? NumberOf(json::Member(*low, "value")) : std::string(),
           high != nullptr ? NumberOf(json::Member(*high, "value")) : std::string());
  } else if (IsQuantity(item)) {
    const std::string text = NumberOf(json::Member(v, "value"));
    AddRow(sink, text, text);
  }
}

}  // namespace hestia::search::internal
