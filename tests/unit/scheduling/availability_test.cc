// Tests for the scheduling plug-in's availability rules (plugins/scheduling/availability.h):
// reading the schedule-availability extension, expanding it into slot times across DST
// changes, and FHIR instant text. Expected instants come from the zones' published rules
// (Berlin: CET +01:00, CEST +02:00 from 2026-03-29 02:00 to 2026-10-25 03:00 local; New York:
// EST -05:00, EDT -04:00 from 2026-03-08 02:00 to 2026-11-01 02:00 local), not from the code.
// FHIR R4: http://hl7.org/fhir/R4/schedule.html, http://hl7.org/fhir/R4/datatypes.html#instant
#include "availability.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace hestia::scheduling {
namespace {

// gmock's HasSubstr would need libgmock; the test links only gtest_main.
::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

// UTC microseconds of a civil UTC time, computed with <chrono> independently of the code
// under test.
int64_t Utc(int y, unsigned m, unsigned d, int hh = 0, int mi = 0, int ss = 0) {
  using namespace std::chrono;
  const sys_seconds t =
      sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mi} + seconds{ss};
  return t.time_since_epoch().count() * 1'000'000;
}

constexpr int64_t kMinute = 60'000'000;

std::string Q(const std::string& s) { return "\"" + s + "\""; }

std::string Code(const std::string& url, const std::string& code) {
  return R"({"url":)" + Q(url) + R"(,"valueCode":)" + Q(code) + "}";
}

std::string Value(const std::string& url, const std::string& type, const std::string& json) {
  return R"({"url":)" + Q(url) + R"(,")" + type + R"(":)" + json + "}";
}

std::string Complex(const std::string& url, const std::vector<std::string>& subs) {
  std::string out = R"({"url":)" + Q(url) + R"(,"extension":[)";
  for (std::size_t i = 0; i < subs.size(); ++i) out += (i ? "," : "") + subs[i];
  return out + "]}";
}

std::string Window(const std::vector<std::string>& days, const std::string& start,
                   const std::string& end) {
  std::vector<std::string> subs;
  for (const std::string& d : days) subs.push_back(Code("daysOfWeek", d));
  subs.push_back(Value("availableStartTime", "valueTime", Q(start)));
  subs.push_back(Value("availableEndTime", "valueTime", Q(end)));
  return Complex("availableTime", subs);
}

const std::vector<std::string> kEveryDay = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
const std::vector<std::string> kWeekdays = {"mon", "tue", "wed", "thu", "fri"};

std::string Period(const std::string& start, const std::string& end) {
  std::string json = "{";
  if (!start.empty()) json += R"("start":)" + Q(start);
  if (!start.empty() && !end.empty()) json += ",";
  if (!end.empty()) json += R"("end":)" + Q(end);
  json += "}";
  return Complex("notAvailable", {Value("during", "valuePeriod", json)});
}

std::string Schedule(const std::vector<std::string>& subs) {
  return R"({"resourceType":"Schedule","extension":[)" + Complex(kAvailabilityUrl, subs) + "]}";
}

// The usual rules: a zone, a slot length and the given extra sub-extensions.
std::vector<std::string> Rules(const std::string& zone, int slot_minutes,
                               std::vector<std::string> extra) {
  extra.insert(extra.begin(), {Code("timeZone", zone), Value("slotMinutes", "valuePositiveInt",
                                                             std::to_string(slot_minutes))});
  return extra;
}

struct Parsed {
  bool ok = false;
  AvailabilityRules rules;
  std::string error;
};

Parsed Parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasParseError()) << json;
  Parsed p;
  p.ok = ParseAvailability(doc, &p.rules, &p.error);
  return p;
}

AvailabilityRules MustParse(const std::vector<std::string>& subs) {
  Parsed p = Parse(Schedule(subs));
  EXPECT_TRUE(p.ok) << p.error;
  return p.rules;
}

std::vector<int64_t> Starts(const AvailabilityRules& rules, int64_t from, int64_t to) {
  std::vector<SlotTime> slots;
  std::string error;
  EXPECT_TRUE(ExpandAvailability(rules, from, to, &slots, &error)) << error;
  std::vector<int64_t> starts;
  for (const SlotTime& s : slots) {
    EXPECT_EQ(s.end_micros - s.start_micros, rules.slot_minutes * kMinute);
    starts.push_back(s.start_micros);
  }
  return starts;
}

// Slots of `minutes` back to back from `first`.
std::vector<int64_t> Every(int64_t first, int count, int minutes) {
  std::vector<int64_t> out;
  for (int i = 0; i < count; ++i) out.push_back(first + i * minutes * kMinute);
  return out;
}

std::vector<int64_t> Concat(std::vector<int64_t> a, const std::vector<int64_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// --- ParseAvailability --------------------------------------------------------------------

TEST(ParseAvailabilityTest, ReadsEveryField) {
  const AvailabilityRules rules = MustParse(Rules(
      "Europe/Berlin", 20,
      {Value("bufferBeforeMinutes", "valueUnsignedInt", "5"),
       Value("bufferAfterMinutes", "valueUnsignedInt", "10"),
       Value("capacity", "valuePositiveInt", "3"), Window({"fri", "mon", "mon"}, "09:00", "12:30"),
       Window({"sun"}, "22:15:30", "24:00:00"),
       Complex("notAvailable",
               {Value("description", "valueString", Q("Christmas")),
                Value("during", "valuePeriod", R"({"start":"2026-12-25","end":"2026-12-25"})")}),
       Period("2026-01-12T10:15:00+01:00", "")}));
  EXPECT_EQ(rules.time_zone, "Europe/Berlin");
  EXPECT_EQ(rules.slot_minutes, 20);
  EXPECT_EQ(rules.buffer_before_minutes, 5);
  EXPECT_EQ(rules.buffer_after_minutes, 10);
  EXPECT_EQ(rules.capacity, 3);
  ASSERT_EQ(rules.windows.size(), 2u);
  EXPECT_EQ(rules.windows[0].days, (std::vector<int>{0, 4}));
  EXPECT_EQ(rules.windows[0].start_second, 9 * 3600);
  EXPECT_EQ(rules.windows[0].end_second, 12 * 3600 + 30 * 60);
  EXPECT_EQ(rules.windows[1].days, (std::vector<int>{6}));
  EXPECT_EQ(rules.windows[1].start_second, 22 * 3600 + 15 * 60 + 30);
  EXPECT_EQ(rules.windows[1].end_second, 86400);
  ASSERT_EQ(rules.not_available.size(), 2u);
  // The whole local day: CET midnight to CET midnight.
  EXPECT_EQ(rules.not_available[0].description, "Christmas");
  EXPECT_EQ(rules.not_available[0].start_micros, Utc(2026, 12, 24, 23));
  EXPECT_EQ(rules.not_available[0].end_micros, Utc(2026, 12, 25, 23));
  EXPECT_EQ(rules.not_available[1].description, "");
  EXPECT_EQ(rules.not_available[1].start_micros, Utc(2026, 1, 12, 9, 15));
  EXPECT_FALSE(rules.not_available[1].end_micros.has_value());
}

TEST(ParseAvailabilityTest, OptionalFieldsDefault) {
  const AvailabilityRules rules = MustParse(Rules("America/New_York", 15, {}));
  EXPECT_EQ(rules.time_zone, "America/New_York");
  EXPECT_EQ(rules.slot_minutes, 15);
  EXPECT_EQ(rules.buffer_before_minutes, 0);
  EXPECT_EQ(rules.buffer_after_minutes, 0);
  EXPECT_EQ(rules.capacity, 1);
  EXPECT_TRUE(rules.windows.empty());
  EXPECT_TRUE(rules.not_available.empty());
}

TEST(ParseAvailabilityTest, LimitsAreInclusive) {
  const AvailabilityRules rules = MustParse(
      Rules("UTC", 1440,
            {Value("bufferBeforeMinutes", "valueUnsignedInt", "1440"),
             Value("bufferAfterMinutes", "valueUnsignedInt", "0"),
             Value("capacity", "valuePositiveInt", "1000"), Window({"sat"}, "00:00", "23:59:59")}));
  EXPECT_EQ(rules.slot_minutes, 1440);
  EXPECT_EQ(rules.buffer_before_minutes, 1440);
  EXPECT_EQ(rules.capacity, 1000);
  EXPECT_EQ(rules.windows[0].end_second, 86399);
  EXPECT_EQ(MustParse(Rules("UTC", 1, {})).slot_minutes, 1);
}

TEST(ParseAvailabilityTest, NoExtensionIsFalseWithoutError) {
  for (const std::string& json : {
           std::string(R"({"resourceType":"Schedule"})"),
           std::string(R"({"resourceType":"Schedule","extension":[]})"),
           std::string(R"({"resourceType":"Schedule","extension":[{"url":"http://x.org/other",)"
                       R"("valueString":"a"}]})"),
           std::string("[]"),
       }) {
    const Parsed p = Parse(json);
    EXPECT_FALSE(p.ok) << json;
    EXPECT_EQ(p.error, "") << json;
  }
}

TEST(ParseAvailabilityTest, RulesAreUntouchedOnError) {
  rapidjson::Document doc;
  doc.Parse(Schedule(Rules("Europe/Berlin", 0, {})).c_str());
  AvailabilityRules rules;
  rules.time_zone = "before";
  std::string error;
  EXPECT_FALSE(ParseAvailability(doc, &rules, &error));
  EXPECT_EQ(rules.time_zone, "before");
}

struct BadCase {
  std::vector<std::string> subs;
  std::string expected;  // A substring of the error: the field it names.
};

TEST(ParseAvailabilityTest, MalformedInputNamesTheField) {
  const std::string zone = Code("timeZone", "Europe/Berlin");
  const std::string slot = Value("slotMinutes", "valuePositiveInt", "30");
  const std::string window = Window(kWeekdays, "09:00", "12:00");
  const auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), {zone, slot, window});
    return extra;
  };
  const std::string kSlotMessage =
      "schedule-availability.slotMinutes must be a positiveInt from 1 to 1440";
  const std::vector<BadCase> cases = {
      {{slot, window}, "schedule-availability.timeZone is required"},
      {{Code("timeZone", "Mars/Olympus"), slot}, "timeZone"},
      {{Code("timeZone", "GMT+05:00"), slot}, "timeZone"},
      {{Code("timeZone", "Etc/Unknown"), slot}, "timeZone"},
      {{Code("timeZone", ""), slot}, "timeZone"},
      {{Value("timeZone", "valueString", Q("Europe/Berlin")), slot}, "timeZone"},
      {{zone, window}, "schedule-availability.slotMinutes is required"},
      {{zone, Value("slotMinutes", "valuePositiveInt", "0")}, kSlotMessage},
      {{zone, Value("slotMinutes", "valuePositiveInt", "1441")}, kSlotMessage},
      {{zone, Value("slotMinutes", "valuePositiveInt", "-30")}, kSlotMessage},
      {{zone, Value("slotMinutes", "valuePositiveInt", "30.5")}, kSlotMessage},
      {{zone, Value("slotMinutes", "valuePositiveInt", "30.0")}, kSlotMessage},
      {{zone, Value("slotMinutes", "valuePositiveInt", Q("30"))}, kSlotMessage},
      {{zone, Value("slotMinutes", "valueInteger", "30")}, kSlotMessage},
      {{zone, slot, slot}, "schedule-availability.slotMinutes appears more than once"},
      {with({Value("bufferBeforeMinutes", "valueUnsignedInt", "-1")}), "bufferBeforeMinutes"},
      {with({Value("bufferBeforeMinutes", "valueUnsignedInt", "1441")}), "bufferBeforeMinutes"},
      {with({Value("bufferBeforeMinutes", "valuePositiveInt", "5")}), "bufferBeforeMinutes"},
      {with({Value("bufferAfterMinutes", "valueUnsignedInt", Q("10"))}), "bufferAfterMinutes"},
      {with({Value("capacity", "valuePositiveInt", "0")}), "capacity"},
      {with({Value("capacity", "valuePositiveInt", "1001")}), "capacity"},
      {with({Value("capacity", "valueString", Q("2"))}), "capacity"},
      {with({Complex("availableTime", {Value("availableStartTime", "valueTime", Q("09:00")),
                                       Value("availableEndTime", "valueTime", Q("10:00"))})}),
       "availableTime[1].daysOfWeek is required"},
      {with({Window({"monday"}, "09:00", "10:00")}), "availableTime[1].daysOfWeek"},
      {with({Window({"Mon"}, "09:00", "10:00")}), "daysOfWeek"},
      {with({Window({"mon"}, "9:00", "10:00")}), "availableStartTime"},
      {with({Window({"mon"}, "25:00", "26:00")}), "availableStartTime"},
      {with({Window({"mon"}, "09:60", "10:00")}), "availableStartTime"},
      {with({Window({"mon"}, "09:00:60", "10:00")}), "availableStartTime"},
      {with({Window({"mon"}, "09:00:00.5", "10:00")}), "availableStartTime"},
      {with({Window({"mon"}, "24:00", "24:00")}), "availableStartTime"},
      {with({Window({"mon"}, "09:00", "24:01")}), "availableEndTime"},
      {with({Window({"mon"}, "09:00", "25:00")}), "availableEndTime"},
      {with({Window({"mon"}, "10:00", "09:00")}),
       "availableEndTime must be after availableStartTime"},
      {with({Window({"mon"}, "10:00", "10:00")}), "availableEndTime"},
      {with({Complex("availableTime", {Code("daysOfWeek", "mon"),
                                       Value("availableStartTime", "valueTime", Q("09:00"))})}),
       "availableEndTime is required"},
      {with({Complex("availableTime", {Code("daysOfWeek", "mon"),
                                       Value("availableStartTime", "valueString", Q("09:00")),
                                       Value("availableEndTime", "valueTime", Q("10:00"))})}),
       "availableStartTime"},
      {with({Value("availableTime", "valueString", Q("mon 09:00-10:00"))}), "availableTime"},
      {with({Complex("notAvailable", {Value("description", "valueString", Q("x"))})}),
       "notAvailable[0].during is required"},
      {with({Period("2026-12-25T10:00:00", "")}), "notAvailable[0].during"},
      {with({Period("", "2026-12-25T10:00Z")}), "notAvailable[0].during"},
      {with({Period("2026-02-30", "")}), "notAvailable[0].during"},
      {with({Period("2026-12-26", "2026-12-25")}), "notAvailable[0].during must end after"},
      {with({Period("2026-12-27", "2026-12-25")}), "notAvailable[0].during must end after"},
      {with({Period("2026-12-25T10:00:00Z", "2026-12-25T10:00:00Z")}), "during must end after"},
      {with({Complex("notAvailable", {Value("during", "valueString", Q("2026-12-25"))})}),
       "during"},
      {with({Complex("notAvailable",
                     {Code("description", "closed"),
                      Value("during", "valuePeriod", R"({"start":"2026-12-25"})")})}),
       "notAvailable[0].description"},
      {with({Value("slotMinute", "valuePositiveInt", "30")}), "unknown sub-extension 'slotMinute'"},
      {with({Code("timeZone", "UTC")}), "timeZone appears more than once"},
  };
  for (const BadCase& c : cases) {
    const std::string json = Schedule(c.subs);
    const Parsed p = Parse(json);
    EXPECT_FALSE(p.ok) << json;
    EXPECT_TRUE(Contains(p.error, c.expected)) << json;
  }
}

TEST(ParseAvailabilityTest, MalformedExtensionItself) {
  const std::string url = Q(kAvailabilityUrl);
  Parsed p = Parse(R"({"resourceType":"Schedule","extension":[{"url":)" + url +
                   R"(,"valueString":"x"}]})");
  EXPECT_FALSE(p.ok);
  EXPECT_TRUE(Contains(p.error, "schedule-availability"));

  const std::string one = Complex(kAvailabilityUrl, Rules("UTC", 30, {}));
  p = Parse(R"({"resourceType":"Schedule","extension":[)" + one + "," + one + "]}");
  EXPECT_FALSE(p.ok);
  EXPECT_TRUE(Contains(p.error, "more than one schedule-availability"));
}

// --- ExpandAvailability --------------------------------------------------------------------

TEST(ExpandAvailabilityTest, WeekdayMorningsInBerlinWinter) {
  const AvailabilityRules rules =
      MustParse(Rules("Europe/Berlin", 30, {Window(kWeekdays, "09:00", "12:00")}));
  // Monday 2026-01-12 to Sunday 2026-01-18, local midnights (CET, +01:00).
  const std::vector<int64_t> starts = Starts(rules, Utc(2026, 1, 11, 23), Utc(2026, 1, 18, 23));
  std::vector<int64_t> expected;
  for (unsigned day = 12; day <= 16; ++day) {
    expected = Concat(expected, Every(Utc(2026, 1, day, 8), 6, 30));
  }
  EXPECT_EQ(starts, expected);
  ASSERT_EQ(starts.size(), 30u);
  EXPECT_EQ(FormatInstant(starts.front()), "2026-01-12T08:00:00Z");
  EXPECT_EQ(FormatInstant(starts.back()), "2026-01-16T10:30:00Z");
}

TEST(ExpandAvailabilityTest, WeekdayMorningsInBerlinSummer) {
  const AvailabilityRules rules =
      MustParse(Rules("Europe/Berlin", 30, {Window(kWeekdays, "09:00", "12:00")}));
  // Monday 2026-06-01 to Sunday 2026-06-07 (CEST, +02:00): 09:00 local is 07:00Z.
  const std::vector<int64_t> starts = Starts(rules, Utc(2026, 5, 31, 22), Utc(2026, 6, 7, 22));
  ASSERT_EQ(starts.size(), 30u);
  EXPECT_EQ(starts.front(), Utc(2026, 6, 1, 7));
  EXPECT_EQ(starts.back(), Utc(2026, 6, 5, 9, 30));
}

TEST(ExpandAvailabilityTest, BerlinSpringForwardDayIsShorter) {
  const AvailabilityRules rules =
      MustParse(Rules("Europe/Berlin", 30, {Window(kEveryDay, "01:00", "04:00")}));
  // 2026-03-29: 01:00 CET = 00:00Z, 04:00 CEST = 02:00Z; two real hours.
  EXPECT_EQ(Starts(rules, Utc(2026, 3, 28, 23), Utc(2026, 3, 29, 22)),
            Every(Utc(2026, 3, 29, 0), 4, 30));
  // The day before is a normal three hours, in CET.
  EXPECT_EQ(Starts(rules, Utc(2026, 3, 27, 23), Utc(2026, 3, 28, 23)),
            Every(Utc(2026, 3, 28, 0), 6, 30));
  // The day after, in CEST: 01:00 local = 23:00Z the day before.
  EXPECT_EQ(Starts(rules, Utc(2026, 3, 29, 22), Utc(2026, 3, 30, 22)),
            Every(Utc(2026, 3, 29, 23), 6, 30));
}

TEST(ExpandAvailabilityTest, BerlinFallBackDayIsLonger) {
  const AvailabilityRules rules =
      MustParse(Rules("Europe/Berlin", 30, {Window(kEveryDay, "01:00", "04:00")}));
  // 2026-10-25: 01:00 CEST = 23:00Z on the 24th, 04:00 CET = 03:00Z; four real hours.
  const std::vector<int64_t> starts = Starts(rules, Utc(2026, 10, 24, 22), Utc(2026, 10, 25, 23));
  EXPECT_EQ(starts, Every(Utc(2026, 10, 24, 23), 8, 30));
  EXPECT_EQ(FormatInstant(starts.back()), "2026-10-25T02:30:00Z");
}

TEST(ExpandAvailabilityTest, WindowStartingInBerlinGapStartsAfterIt) {
  // 02:00-03:00 does not exist on 2026-03-29: a 02:00 start becomes 03:00 CEST = 01:00Z and
  // 03:30 CEST is 01:30Z, so one 30-minute slot.
  AvailabilityRules rules =
      MustParse(Rules("Europe/Berlin", 30, {Window(kEveryDay, "02:00", "03:30")}));
  EXPECT_EQ(Starts(rules, Utc(2026, 3, 28, 23), Utc(2026, 3, 29, 22)),
            (std::vector<int64_t>{Utc(2026, 3, 29, 1)}));
  // The day before: 02:00 CET = 01:00Z to 03:30 CET = 02:30Z.
  EXPECT_EQ(Starts(rules, Utc(2026, 3, 27, 23), Utc(2026, 3, 28, 23)),
            Every(Utc(2026, 3, 28, 1), 3, 30));
  // A start in the middle of the gap moves to the gap's end (03:00 CEST), not 03:30.
  rules = MustParse(Rules("Europe/Berlin", 30, {Window(kEveryDay, "02:30", "04:00")}));
  EXPECT_EQ(Starts(rules, Utc(2026, 3, 28, 23), Utc(2026, 3, 29, 22)),
            Every(Utc(2026, 3, 29, 1), 2, 30));
  // A window wholly inside the gap has no real time.
  rules = MustParse(Rules("Europe/Berlin", 30, {Window(kEveryDay, "02:00", "02:59")}));
  EXPECT_TRUE(Starts(rules, Utc(2026, 3, 28, 23), Utc(2026, 3, 29, 22)).empty());
}

TEST(ExpandAvailabilityTest, AmbiguousBerlinTimeIsItsFirstOccurrence) {
  // 02:00-03:00 happens twice on 2026-10-25; 02:30 is taken in CEST (00:30Z), and 03:30 is
  // CET (02:30Z): two real hours.
  const AvailabilityRules rules =
      MustParse(Rules("Europe/Berlin", 30, {Window(kEveryDay, "02:30", "03:30")}));
  EXPECT_EQ(Starts(rules, Utc(2026, 10, 24, 22), Utc(2026, 10, 25, 23)),
            Every(Utc(2026, 10, 25, 0, 30), 4, 30));
}

TEST(ExpandAvailabilityTest, NewYorkAcrossDst) {
  AvailabilityRules rules =
      MustParse(Rules("America/New_York", 60, {Window(kEveryDay, "09:00", "10:00")}));
  // Saturday 2026-03-07 is EST (09:00 = 14:00Z); Monday 2026-03-09 is EDT (13:00Z).
  EXPECT_EQ(Starts(rules, Utc(2026, 3, 7, 5), Utc(2026, 3, 8, 5)),
            (std::vector<int64_t>{Utc(2026, 3, 7, 14)}));
  EXPECT_EQ(Starts(rules, Utc(2026, 3, 9, 4), Utc(2026, 3, 10, 4)),
            (std::vector<int64_t>{Utc(2026, 3, 9, 13)}));
  // Back to EST after 2026-11-01.
  EXPECT_EQ(
      Starts(rules, Utc(2026, 10, 31, 4), Utc(2026, 11, 3, 5)),
      (std::vector<int64_t>{Utc(2026, 10, 31, 13), Utc(2026, 11, 1, 14), Utc(2026, 11, 2, 14)}));

  rules = MustParse(Rules("America/New_York", 30, {Window(kEveryDay, "01:00", "04:00")}));
  // 2026-03-08: 01:00 EST = 06:00Z, 04:00 EDT = 08:00Z.
  EXPECT_EQ(Starts(rules, Utc(2026, 3, 8, 5), Utc(2026, 3, 9, 4)),
            Every(Utc(2026, 3, 8, 6), 4, 30));
  // 2026-11-01: 01:00 EDT (first) = 05:00Z, 04:00 EST = 09:00Z.
  EXPECT_EQ(Starts(rules, Utc(2026, 11, 1, 4), Utc(2026, 11, 2, 5)),
            Every(Utc(2026, 11, 1, 5), 8, 30));

  // 02:00 does not exist on 2026-03-08: 03:00 EDT = 07:00Z to 03:30 EDT = 07:30Z.
  rules = MustParse(Rules("America/New_York", 30, {Window(kEveryDay, "02:00", "03:30")}));
  EXPECT_EQ(Starts(rules, Utc(2026, 3, 8, 5), Utc(2026, 3, 9, 4)),
            (std::vector<int64_t>{Utc(2026, 3, 8, 7)}));
}

TEST(ExpandAvailabilityTest, BuffersSurroundEachSlot) {
  const AvailabilityRules rules = MustParse(Rules(
      "Europe/Berlin", 20,
      {Value("bufferBeforeMinutes", "valueUnsignedInt", "5"),
       Value("bufferAfterMinutes", "valueUnsignedInt", "10"), Window({"mon"}, "09:00", "12:00")}));
  // 09:05-09:25 (+10) 09:40-10:00 (+10) 10:15 ... 11:25-11:45, whose buffer ends at 11:55;
  // a sixth would start at 12:00. CET: minus one hour.
  std::vector<SlotTime> slots;
  std::string error;
  ASSERT_TRUE(
      ExpandAvailability(rules, Utc(2026, 1, 11, 23), Utc(2026, 1, 12, 23), &slots, &error));
  ASSERT_EQ(slots.size(), 5u);
  const int64_t first = Utc(2026, 1, 12, 8, 5);
  for (std::size_t i = 0; i < slots.size(); ++i) {
    EXPECT_EQ(slots[i].start_micros, first + static_cast<int64_t>(i) * 35 * kMinute);
    EXPECT_EQ(slots[i].end_micros, slots[i].start_micros + 20 * kMinute);
  }
  EXPECT_EQ(FormatInstant(slots[1].start_micros), "2026-01-12T08:40:00Z");
  EXPECT_EQ(FormatInstant(slots[4].end_micros), "2026-01-12T10:45:00Z");
}

TEST(ExpandAvailabilityTest, DateHolidayRemovesExactlyThatLocalDay) {
  const AvailabilityRules rules =
      MustParse(Rules("Europe/Berlin", 60,
                      {Window(kEveryDay, "00:00", "24:00"), Period("2026-12-25", "2026-12-25")}));
  // Local 24th, 25th and 26th December (CET): the 25th is 2026-12-24T23:00Z to 12-25T23:00Z.
  EXPECT_EQ(Starts(rules, Utc(2026, 12, 23, 23), Utc(2026, 12, 26, 23)),
            Concat(Every(Utc(2026, 12, 23, 23), 24, 60), Every(Utc(2026, 12, 25, 23), 24, 60)));
}

TEST(ExpandAvailabilityTest, DateTimeExceptionRemovesOnlyOverlappingSlots) {
  const AvailabilityRules rules =
      MustParse(Rules("Europe/Berlin", 30,
                      {Window({"mon"}, "09:00", "12:00"),
                       Period("2026-01-12T10:15:00+01:00", "2026-01-12T11:00:00+01:00")}));
  // 10:00-10:30 and 10:30-11:00 overlap; 11:00-11:30 only touches the end (half-open).
  EXPECT_EQ(Starts(rules, Utc(2026, 1, 11, 23), Utc(2026, 1, 12, 23)),
            (std::vector<int64_t>{Utc(2026, 1, 12, 8), Utc(2026, 1, 12, 8, 30),
                                  Utc(2026, 1, 12, 10), Utc(2026, 1, 12, 10, 30)}));
}

TEST(ExpandAvailabilityTest, OpenEndedExceptions) {
  const std::string window = Window(kWeekdays, "09:00", "12:00");
  // From Wednesday 2026-01-14 on: only Monday and Tuesday remain.
  AvailabilityRules rules =
      MustParse(Rules("Europe/Berlin", 30, {window, Period("2026-01-14", "")}));
  EXPECT_EQ(Starts(rules, Utc(2026, 1, 11, 23), Utc(2026, 1, 18, 23)),
            Concat(Every(Utc(2026, 1, 12, 8), 6, 30), Every(Utc(2026, 1, 13, 8), 6, 30)));
  // Up to the end of Tuesday 2026-01-13: Wednesday to Friday remain.
  rules = MustParse(Rules("Europe/Berlin", 30, {window, Period("", "2026-01-13")}));
  const std::vector<int64_t> starts = Starts(rules, Utc(2026, 1, 11, 23), Utc(2026, 1, 18, 23));
  ASSERT_EQ(starts.size(), 18u);
  EXPECT_EQ(starts.front(), Utc(2026, 1, 14, 8));
}

TEST(ExpandAvailabilityTest, RangeClipsOnSlotStart) {
  const AvailabilityRules rules =
      MustParse(Rules("Europe/Berlin", 30, {Window(kWeekdays, "09:00", "12:00")}));
  // The 08:00Z slot overlaps the range but starts before it; 10:00Z starts at its end.
  EXPECT_EQ(Starts(rules, Utc(2026, 1, 12, 8, 15), Utc(2026, 1, 12, 10)),
            Every(Utc(2026, 1, 12, 8, 30), 3, 30));
  EXPECT_EQ(Starts(rules, Utc(2026, 1, 12, 8, 30), Utc(2026, 1, 12, 8, 30) + 1),
            (std::vector<int64_t>{Utc(2026, 1, 12, 8, 30)}));
  EXPECT_TRUE(Starts(rules, Utc(2026, 1, 12, 10), Utc(2026, 1, 12, 8)).empty());
}

TEST(ExpandAvailabilityTest, OverlappingWindowsGiveEachStartOnce) {
  const AvailabilityRules rules = MustParse(Rules(
      "UTC", 30, {Window({"mon"}, "10:00", "12:00"), Window({"mon", "tue"}, "09:00", "11:00")}));
  EXPECT_EQ(Starts(rules, Utc(2026, 1, 12), Utc(2026, 1, 13)), Every(Utc(2026, 1, 12, 9), 6, 30));
}

TEST(ExpandAvailabilityTest, WindowToEndOfDay) {
  const AvailabilityRules rules =
      MustParse(Rules("Europe/Berlin", 30, {Window({"sun"}, "22:00", "24:00")}));
  // Sunday 2026-01-18 22:00 CET = 21:00Z; the last slot ends at local midnight, 23:00Z.
  EXPECT_EQ(Starts(rules, Utc(2026, 1, 11, 23), Utc(2026, 1, 18, 23)),
            Every(Utc(2026, 1, 18, 21), 4, 30));
}

TEST(ExpandAvailabilityTest, Errors) {
  AvailabilityRules rules =
      MustParse(Rules("Europe/Berlin", 30, {Window(kWeekdays, "09:00", "12:00")}));
  std::vector<SlotTime> slots = {{1, 2}};
  std::string error;

  AvailabilityRules bad = rules;
  bad.time_zone = "Nowhere/City";
  EXPECT_FALSE(ExpandAvailability(bad, Utc(2026, 1, 1), Utc(2026, 1, 2), &slots, &error));
  EXPECT_TRUE(Contains(error, "Nowhere/City"));
  EXPECT_TRUE(slots.empty());

  bad = rules;
  bad.slot_minutes = 0;
  EXPECT_FALSE(ExpandAvailability(bad, Utc(2026, 1, 1), Utc(2026, 1, 2), &slots, &error));
  EXPECT_TRUE(Contains(error, "slot_minutes"));

  bad = rules;
  bad.windows[0].end_second = bad.windows[0].start_second;
  EXPECT_FALSE(ExpandAvailability(bad, Utc(2026, 1, 1), Utc(2026, 1, 2), &slots, &error));

  bad = rules;
  bad.windows[0].days.push_back(7);
  EXPECT_FALSE(ExpandAvailability(bad, Utc(2026, 1, 1), Utc(2026, 1, 2), &slots, &error));

  EXPECT_FALSE(ExpandAvailability(rules, Utc(2026, 1, 1),
                                  Utc(2026, 1, 1) + (kMaxExpansionDays + 1) * 1440 * kMinute,
                                  &slots, &error));
  EXPECT_TRUE(Contains(error, "range"));
  EXPECT_FALSE(ExpandAvailability(rules, INT64_MIN, INT64_MAX, &slots, &error));

  // Extreme but short ranges at the ends of what FHIR can write work.
  EXPECT_TRUE(ExpandAvailability(rules, INT64_MAX - 1000, INT64_MAX, &slots, &error)) << error;
  EXPECT_TRUE(slots.empty());
  EXPECT_TRUE(ExpandAvailability(rules, INT64_MIN, INT64_MIN + 1000, &slots, &error)) << error;
  EXPECT_TRUE(slots.empty());
  EXPECT_TRUE(
      ExpandAvailability(rules, Utc(9999, 12, 20), Utc(9999, 12, 31, 23, 59, 59), &slots, &error))
      << error;
  EXPECT_FALSE(slots.empty());
}

// --- Instants ------------------------------------------------------------------------------

TEST(InstantTest, Format) {
  EXPECT_EQ(FormatInstant(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatInstant(Utc(2026, 3, 29, 7)), "2026-03-29T07:00:00Z");
  EXPECT_EQ(FormatInstant(Utc(2026, 3, 29, 7) + 123456), "2026-03-29T07:00:00.123456Z");
  EXPECT_EQ(FormatInstant(Utc(2026, 3, 29, 7) + 250000), "2026-03-29T07:00:00.25Z");
  EXPECT_EQ(FormatInstant(Utc(2026, 3, 29, 7) + 1), "2026-03-29T07:00:00.000001Z");
  EXPECT_EQ(FormatInstant(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatInstant(Utc(2024, 2, 29, 23, 59, 59)), "2024-02-29T23:59:59Z");
  EXPECT_EQ(FormatInstant(Utc(1, 1, 1)), "0001-01-01T00:00:00Z");
}

TEST(InstantTest, Parse) {
  EXPECT_EQ(ParseInstant("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseInstant("2026-01-01T00:00:00Z"), int64_t{1767225600} * 1'000'000);
  EXPECT_EQ(ParseInstant("2026-03-29T07:00:00Z"), Utc(2026, 3, 29, 7));
  EXPECT_EQ(ParseInstant("2026-03-29T12:30:00+05:30"), Utc(2026, 3, 29, 7));
  EXPECT_EQ(ParseInstant("2026-03-29T03:00:00-04:00"), Utc(2026, 3, 29, 7));
  EXPECT_EQ(ParseInstant("2026-03-29T07:00:00-00:00"), Utc(2026, 3, 29, 7));
  EXPECT_EQ(ParseInstant("2026-01-01T00:30:00+01:00"), Utc(2025, 12, 31, 23, 30));
  EXPECT_EQ(ParseInstant("2026-12-31T23:00:00-14:00"), Utc(2027, 1, 1, 13));
  EXPECT_EQ(ParseInstant("2026-03-29T07:00:00.5Z"), Utc(2026, 3, 29, 7) + 500000);
  EXPECT_EQ(ParseInstant("2026-03-29T07:00:00.123456789Z"), Utc(2026, 3, 29, 7) + 123456);
  EXPECT_EQ(ParseInstant("2024-02-29T00:00:00Z"), Utc(2024, 2, 29));
  EXPECT_EQ(ParseInstant("0001-01-01T00:00:00Z"), Utc(1, 1, 1));
}

TEST(InstantTest, ParseRejects) {
  for (const char* text : {"",
                           "garbage",
                           "2026-01-01",
                           "2026-01-01T10:00:00",
                           "2026-01-01T10:00Z",
                           "2026-13-01T00:00:00Z",
                           "2026-00-10T00:00:00Z",
                           "2026-02-30T00:00:00Z",
                           "2025-02-29T00:00:00Z",
                           "0000-01-01T00:00:00Z",
                           "2026-01-01T24:00:00Z",
                           "2026-01-01T10:60:00Z",
                           "2026-01-01T10:00:60Z",
                           "2026-01-01T10:00:00.Z",
                           "2026-01-01T10:00:00.1234567890Z",
                           "2026-01-01T10:00:00+15:00",
                           "2026-01-01T10:00:00+14:30",
                           "2026-01-01T10:00:00+01:60",
                           "2026-01-01T10:00:00+0100",
                           "2026-01-01T10:00:00+01",
                           "2026-01-01T10:00:00Z ",
                           " 2026-01-01T10:00:00Z",
                           "2026-01-01 10:00:00Z",
                           "2026-1-01T10:00:00Z",
                           "2026-01-01T10:00:00z",
                           "2026-01-01T10:00:00ZZ"}) {
    EXPECT_EQ(ParseInstant(text), std::nullopt) << text;
  }
}

TEST(InstantTest, RoundTrips) {
  for (const char* text :
       {"2026-03-29T07:00:00Z", "2026-10-25T01:30:00.5Z", "1999-12-31T23:59:59.999999Z",
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.000001Z", "1969-07-20T20:17:40Z"}) {
    const std::optional<int64_t> micros = ParseInstant(text);
    ASSERT_TRUE(micros.has_value()) << text;
    EXPECT_EQ(FormatInstant(*micros), text);
  }
  for (int64_t micros : {int64_t{0}, int64_t{-1}, Utc(2026, 3, 29, 7) + 1, Utc(2100, 2, 28) - 7,
                         Utc(1900, 3, 1) + 999'999}) {
    EXPECT_EQ(ParseInstant(FormatInstant(micros)), micros) << micros;
  }
}

TEST(InstantTest, ParseDateOrInstant) {
  // A date is local midnight; end_of_day the next local midnight.
  EXPECT_EQ(ParseDateOrInstant("2026-07-01", "Europe/Berlin", false), Utc(2026, 6, 30, 22));
  EXPECT_EQ(ParseDateOrInstant("2026-07-01", "Europe/Berlin", true), Utc(2026, 7, 1, 22));
  // The 23-hour and 25-hour days.
  EXPECT_EQ(ParseDateOrInstant("2026-03-29", "Europe/Berlin", false), Utc(2026, 3, 28, 23));
  EXPECT_EQ(ParseDateOrInstant("2026-03-29", "Europe/Berlin", true), Utc(2026, 3, 29, 22));
  EXPECT_EQ(ParseDateOrInstant("2026-10-25", "Europe/Berlin", false), Utc(2026, 10, 24, 22));
  EXPECT_EQ(ParseDateOrInstant("2026-10-25", "Europe/Berlin", true), Utc(2026, 10, 25, 23));
  EXPECT_EQ(ParseDateOrInstant("2026-11-01", "America/New_York", false), Utc(2026, 11, 1, 4));
  EXPECT_EQ(ParseDateOrInstant("2026-11-01", "America/New_York", true), Utc(2026, 11, 2, 5));
  EXPECT_EQ(ParseDateOrInstant("2026-12-31", "UTC", true), Utc(2027, 1, 1));
  EXPECT_EQ(ParseDateOrInstant("2024-02-29", "Asia/Kolkata", false), Utc(2024, 2, 28, 18, 30));
  // Proleptic Gregorian: no switch to the Julian calendar before 1582.
  EXPECT_EQ(ParseDateOrInstant("1500-03-01", "UTC", false), Utc(1500, 3, 1));
  // Instants ignore the zone and end_of_day.
  EXPECT_EQ(ParseDateOrInstant("2026-07-01T10:00:00+02:00", "America/New_York", true),
            Utc(2026, 7, 1, 8));
  EXPECT_EQ(ParseDateOrInstant("2026-07-01", "Nowhere/City", false), std::nullopt);
  EXPECT_EQ(ParseDateOrInstant("2026-07-01", "", false), std::nullopt);
  EXPECT_EQ(ParseDateOrInstant("2026-02-29", "UTC", false), std::nullopt);
  EXPECT_EQ(ParseDateOrInstant("2026-7-01", "UTC", false), std::nullopt);
  EXPECT_EQ(ParseDateOrInstant("2026-07", "UTC", false), std::nullopt);
  EXPECT_EQ(ParseDateOrInstant("2026-07-01T10:00:00", "UTC", false), std::nullopt);
}

}  // namespace
}  // namespace hestia::scheduling
