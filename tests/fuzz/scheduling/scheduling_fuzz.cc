// Fuzz target: the scheduling plug-in's parsers of user input — a Schedule's availability
// extension (then its expansion over two weeks), FHIR instants and dates, and operation
// Parameters. Anything may be refused; nothing may crash, hang or produce an unsorted or
// inverted slot list.
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "availability.h"
#include "fhir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using hestia::scheduling::ParseDateOrInstant;
  using hestia::scheduling::ParseInstant;
  if (const auto at = ParseInstant(text)) {
    // What parses formats back to an instant that parses to the same moment.
    const auto again = ParseInstant(hestia::scheduling::FormatInstant(*at));
    if (!again || *again != *at) std::abort();
  }
  (void)ParseDateOrInstant(text, "America/New_York", true);

  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseStopWhenDoneFlag>(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return 0;
  hestia::scheduling::AvailabilityRules rules;
  std::string error;
  if (hestia::scheduling::ParseAvailability(doc, &rules, &error)) {
    std::vector<hestia::scheduling::SlotTime> slots;
    const int64_t from = 1798761600LL * 1000000;  // 2027-01-01T00:00:00Z
    if (hestia::scheduling::ExpandAvailability(rules, from, from + 14LL * 86400 * 1000000, &slots,
                                               &error)) {
      for (std::size_t i = 0; i < slots.size(); ++i) {
        if (slots[i].end_micros <= slots[i].start_micros) std::abort();
        if (i > 0 && slots[i].start_micros <= slots[i - 1].start_micros) std::abort();
      }
    }
  }
  try {
    const hestia::scheduling::Parameters params(text);
    (void)params.Texts("slot");
    (void)params.Text("start");
    (void)params.Resource("appointment");
  } catch (const hestia::sdk::Error&) {
  }
  return 0;
}
