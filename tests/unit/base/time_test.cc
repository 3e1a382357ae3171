// Tests for instants and FHIR date/time parsing (hestia/base/time.h).
// FHIR R4: http://hl7.org/fhir/R4/datatypes.html#dateTime, search.html#date
#include "hestia/base/time.h"

#include <gtest/gtest.h>

namespace hestia {
namespace {

constexpr Micros kSecond = 1'000'000;
constexpr Micros kDay = 86'400 * kSecond;

TEST(TimeTest, FormatInstant) {
  EXPECT_EQ(FormatInstant(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatInstant(1'700'000'000'123'456), "2023-11-14T22:13:20.123Z");
}

TEST(TimeTest, PrecisionBecomesARange) {
  auto y = ParseFhirDateTime("2024");
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->high - y->low, 366 * kDay);  // leap year
  auto m = ParseFhirDateTime("2023-02");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->high - m->low, 28 * kDay);
  auto d = ParseFhirDateTime("2023-11-14");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->low, 1'699'920'000 * kSecond);
  EXPECT_EQ(d->high - d->low, kDay);
  auto s = ParseFhirDateTime("2023-11-14T22:13:20Z");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->low, 1'700'000'000 * kSecond);
  EXPECT_EQ(s->high - s->low, kSecond);
  auto ms = ParseFhirDateTime("2023-11-14T22:13:20.123Z");
  ASSERT_TRUE(ms.ok());
  EXPECT_EQ(ms->low, 1'700'000'000'123'000);
  EXPECT_EQ(ms->high - ms->low, 1000);
}

TEST(TimeTest, TimeZonesAreApplied) {
  auto plus = ParseFhirDateTime("2023-11-15T00:13:20+02:00");
  ASSERT_TRUE(plus.ok());
  EXPECT_EQ(plus->low, 1'700'000'000 * kSecond);
  auto minus = ParseFhirDateTime("2023-11-14T17:13:20-05:00");
  ASSERT_TRUE(minus.ok());
  EXPECT_EQ(minus->low, 1'700'000'000 * kSecond);
}

TEST(TimeTest, RejectsMalformedDates) {
  for (const char* bad : {"", "20", "2023-13", "2023-02-30", "2023-11-14T25:00:00Z",
                          "2023-11-14T10:00:00", "2023-11-14T10:00:00+2", "2023-11-14X",
                          "2023-11-14T10:00:00.Z", "abcd", "2023-11-14T10:00:00Zjunk"}) {
    EXPECT_FALSE(ParseFhirDateTime(bad).ok()) << bad;
  }
}

TEST(TimeTest, HttpDates) {
  EXPECT_EQ(FormatHttpDate(784'111'777 * kSecond), "Sun, 06 Nov 1994 08:49:37 GMT");
  auto t = ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 784'111'777 * kSecond);
  EXPECT_FALSE(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT").ok());
  EXPECT_FALSE(ParseHttpDate("Sun, 31 Feb 1994 08:49:37 GMT").ok());
  EXPECT_FALSE(ParseHttpDate("").ok());
}

TEST(TimeTest, TruncateToMillis) {
  EXPECT_EQ(TruncateToMillis(1'234'567), 1'234'000);
  EXPECT_EQ(TruncateToMillis(-1), -1000);
}

}  // namespace
}  // namespace hestia
