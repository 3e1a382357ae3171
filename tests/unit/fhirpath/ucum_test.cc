// UCUM parsing and conversion (hestia/fhirpath/ucum.h).
// UCUM: https://ucum.org/ucum
#include "hestia/fhirpath/ucum.h"

#include <gtest/gtest.h>

namespace hestia::fhirpath::ucum {
namespace {

double Conv(double v, const char* from, const char* to) {
  auto r = Convert(v, from, to);
  EXPECT_TRUE(r.has_value()) << from << " -> " << to;
  return r.value_or(-1);
}

TEST(Ucum, ConvertsMetricPrefixesAndDerivedUnits) {
  EXPECT_NEAR(Conv(4, "g", "mg"), 4000, 1e-9);
  EXPECT_NEAR(Conv(1, "L", "mL"), 1000, 1e-9);
  EXPECT_NEAR(Conv(1, "m2", "cm2"), 10000, 1e-6);
  EXPECT_NEAR(Conv(1, "[lb_av]", "kg"), 0.45359237, 1e-12);
  EXPECT_NEAR(Conv(1, "[in_i]", "cm"), 2.54, 1e-12);
  EXPECT_NEAR(Conv(1, "wk", "d"), 7, 1e-12);
  EXPECT_NEAR(Conv(1, "mm[Hg]", "kPa"), 0.133322, 1e-9);
  EXPECT_NEAR(Conv(1, "mmol/L", "umol/mL"), 1, 1e-12);
  EXPECT_NEAR(Conv(50, "%", "1"), 0.5, 1e-12);
  EXPECT_NEAR(Conv(1, "10*3/uL", "10*9/L"), 1, 1e-9);
}

TEST(Ucum, ConvertsTemperaturesWithOffsets) {
  EXPECT_NEAR(Conv(100, "Cel", "K"), 373.15, 1e-9);
  EXPECT_NEAR(Conv(212, "[degF]", "Cel"), 100, 1e-9);
}

TEST(Ucum, RefusesIncompatibleOrUnknownUnits) {
  EXPECT_FALSE(Convert(1, "cm", "s").has_value());
  EXPECT_FALSE(Convert(1, "cm", "[s]").has_value());
  EXPECT_FALSE(Parse("foo").has_value());
  EXPECT_FALSE(Parse("Cel/s").has_value());
  EXPECT_TRUE(Parse("mL/min/{1.73_m2}").has_value());
}

TEST(Ucum, MapsCalendarKeywords) {
  EXPECT_EQ(CalendarToUcum("weeks"), "wk");
  EXPECT_EQ(CalendarToUcum("millisecond"), "ms");
  EXPECT_TRUE(IsCalendarYearOrMonth("months"));
  EXPECT_FALSE(IsCalendarWord("wk"));
}

}  // namespace
}  // namespace hestia::fhirpath::ucum
