// Date extraction: date/dateTime/instant values, Period and Timing, as the half-open ranges
// their precision covers. See extract_internal.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html#date (implicit ranges, Period, Timing)
#include "extract_internal.h"

namespace hestia::search::internal {
namespace {

using fhirpath::Item;

void AddRange(const Sink& sink, Micros low, Micros high) {
  if (high < low) return;  // a Period ending before it starts says nothing searchable
  sink.rows->dates.push_back({sink.hash, sink.grp, low, high});
}

// The range of one date/dateTime/instant text. A dateTime with a time but no zone is not
// valid FHIR and is not indexed (base/time.h).
bool ParseText(const json::Value* value, TimeRange* out) {
  std::string text;
  if (!JsonText(value, &text) || text.empty()) return false;
  auto range = ParseFhirDateTime(text);
  if (!range.ok()) return false;
  *out = *range;
  return true;
}

// Period: from the start of `start` to the end of `end`; a missing end is open.
void AddPeriod(const Sink& sink, const json::Value& period) {
  if (!period.IsObject()) return;
  const json::Value* start = json::Member(period, "start");
  const json::Value* end = json::Member(period, "end");
  TimeRange s{kMinMicros, kMinMicros};
  TimeRange e{kMaxMicros, kMaxMicros};
  const bool has_start = ParseText(start, &s);
  const bool has_end = ParseText(end, &e);
  if (!has_start && !has_end) return;
  AddRange(sink, s.low, e.high);
}

// Timing: each event, and the repeat bounds when they are a Period.
void AddTiming(const Sink& sink, const json::Value& timing) {
  if (!timing.IsObject()) return;
  if (const json::Value* events = json::Member(timing, "event");
      events != nullptr && events->IsArray()) {
    for (const auto& event : events->GetArray()) {
      TimeRange r;
      if (ParseText(&event, &r)) AddRange(sink, r.low, r.high);
    }
  }
  const json::Value* repeat = json::Member(timing, "repeat");
  if (repeat == nullptr || !repeat->IsObject()) return;
  if (const json::Value* bounds = json::Member(*repeat, "boundsPeriod"); bounds != nullptr) {
    AddPeriod(sink, *bounds);
  }
}

}  // namespace

void AddDate(const Item& item, const Sink& sink) {
  if (item.kind != fhirpath::ItemKind::kNode || (item.json != nullptr && !item.json->IsObject())) {
    std::string text;
    if (!PrimitiveText(item, &text)) return;
    auto range = ParseFhirDateTime(text);
    if (!range.ok()) return;
    // An instant is precise to the second at least; a coarser one ("2026-12-07") is not a
    // valid instant and is not indexed, so that every instant row is at most 1 s wide (the
    // ordered sort relies on it: parameter_registry.h, single_instant).
    if (FhirType(item) == "instant" && range->high - range->low > kMaxInstantWidth) return;
    AddRange(sink, range->low, range->high);
    return;
  }
  if (item.json == nullptr) return;
  if (IsA(item, "Period")) {
    AddPeriod(sink, *item.json);
  } else if (IsA(item, "Timing")) {
    AddTiming(sink, *item.json);
  } else if (item.type == nullptr && (json::Member(*item.json, "start") != nullptr ||
                                      json::Member(*item.json, "end") != nullptr)) {
    AddPeriod(sink, *item.json);
  }
}

}  // namespace hestia::search::internal
