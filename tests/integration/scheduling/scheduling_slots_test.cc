// Slots over real HTTP with the scheduling plug-in (plugins/scheduling): materialising a
// Schedule's availability into Slots ($materialize, per Schedule and for all), idempotently,
// at the right UTC instants, and dropping the free Slots of a day that becomes unavailable;
// then finding proposals for free time ($find) by practitioner and by specialty, in order,
// inside the window, combined for longer visits, and refusing bad input.
// FHIR R4: http://hl7.org/fhir/R4/schedule.html, http://hl7.org/fhir/R4/slot.html,
// http://hl7.org/fhir/R4/appointment.html, http://hl7.org/fhir/R4/operations.html
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "scheduling_test_support.h"

namespace hestia::testing::scheduling {
namespace {

// ---- Materialisation ------------------------------------------------------------------------

constexpr int kMaterializeDays = 14;
constexpr int kSlotsPerDay = 6;  // 09:00-12:00 in 30-minute Slots

std::string Date(int64_t days) {
  int y = 0, m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

// Schedule/<id> of Practitioner/<practitioner>: Europe/Berlin, Mon-Fri 09:00-12:00, 30-minute
// Slots, and nothing on local date `closed_day` when it is not empty.
std::string BerlinSchedule(const std::string& id, const std::string& practitioner,
                           const std::string& closed_day = "") {
  std::string rules = R"({"url":"timeZone","valueCode":"Europe/Berlin"},)"
                      R"({"url":"slotMinutes","valuePositiveInt":30},)"
                      R"({"url":"availableTime","extension":[)";
  for (const char* day : {"mon", "tue", "wed", "thu", "fri"}) {
    rules += R"({"url":"daysOfWeek","valueCode":")" + std::string(day) + R"("},)";
  }
  rules += R"({"url":"availableStartTime","valueTime":"09:00:00"},)"
           R"({"url":"availableEndTime","valueTime":"12:00:00"}]})";
  if (!closed_day.empty()) {
    rules += R"(,{"url":"notAvailable","extension":[{"url":"description","valueString":"closed"},)"
             R"({"url":"during","valuePeriod":{"start":")" +
             closed_day + R"(","end":")" + closed_day + R"("}}]})";
  }
  return R"({"resourceType":"Schedule","id":")" + id + R"(","active":true,"actor":[)" +
         R"({"reference":"Practitioner/)" + practitioner + R"("}],"extension":[{"url":")" +
         kAvailabilityUrl + R"(","extension":[)" + rules + "]}]}";
}

// The local 09:00..11:30 Slot starts of weekdays in Berlin that lie in [from, to).
int SlotStartsIn(int64_t from, int64_t to) {
  int count = 0;
  for (int64_t day = BerlinDate(from) - 1; day <= BerlinDate(to) + 1; ++day) {
    if (IsoWeekday(day) > 5) continue;
    for (int k = 0; k < kSlotsPerDay; ++k) {
      const int64_t start = BerlinToUtc(day, 9 * 3600 + k * 1800);
      if (start >= from && start < to) ++count;
    }
  }
  return count;
}

// $materialize works on [now floored to the minute, + days).
int64_t WindowStart(int64_t now) { return now - now % kMicrosPerMinute; }
int64_t WindowEnd(int64_t now) { return WindowStart(now) + kMaterializeDays * kMicrosPerDay; }

HttpResponse Materialize(const std::string& schedule) {
  return Operation("Schedule/" + schedule + "/$materialize", {IntParam("days", kMaterializeDays)});
}

// The Slots of Schedule/<schedule>.
std::vector<json::Document> SlotsOf(const std::string& schedule) {
  HttpResponse r = Send("GET", "/fhir/Slot?schedule=Schedule/" + schedule + "&_count=1000");
  EXPECT_EQ(r.status, 200) << r.body;
  json::Document bundle = Parse(r.body);
  std::vector<json::Document> out;
  for (const json::Value* s : Resources(bundle)) {
    json::Document copy;
    copy.CopyFrom(*s, copy.GetAllocator());
    out.push_back(std::move(copy));
  }
  return out;
}

TEST(Materialize, CreatesTheAvailabilitySlotsOnceInUtc) {
  const std::string practitioner = Unique("mat-pr");
  const std::string schedule = Unique("mat-s");
  Put("Practitioner", practitioner, R"({"resourceType":"Practitioner"})");
  Put("Schedule", schedule, BerlinSchedule(schedule, practitioner));

  const int64_t before = NowMicros();
  HttpResponse first = Materialize(schedule);
  const int64_t after = NowMicros();
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(IntOutput(first, "schedules"), 1);
  EXPECT_EQ(IntOutput(first, "removed"), 0);
  const int created = IntOutput(first, "created");
  const int expected_before = SlotStartsIn(WindowStart(before), WindowEnd(before));
  const int expected_after = SlotStartsIn(WindowStart(after), WindowEnd(after));
  EXPECT_GE(expected_before, (kMaterializeDays / 7 - 1) * 5 * kSlotsPerDay);
  EXPECT_TRUE(created == expected_before || created == expected_after)
      << "created " << created << ", expected " << expected_before;

  // Every Slot is free, 30 minutes, at a Berlin weekday 09:00..11:30 inside the window.
  const std::vector<json::Document> slots = SlotsOf(schedule);
  EXPECT_EQ(static_cast<int>(slots.size()), created);
  for (const auto& slot : slots) {
    const int64_t start = ParseInstant(Str(slot, "start"));
    const int64_t end = ParseInstant(Str(slot, "end"));
    EXPECT_EQ(Str(slot, "status"), "free");
    EXPECT_EQ(end - start, 30 * kMicrosPerMinute) << Str(slot, "start");
    EXPECT_GE(start, WindowStart(before));
    EXPECT_LT(start, WindowEnd(after));
    const int64_t day = BerlinDate(start);
    EXPECT_LE(IsoWeekday(day), 5) << Str(slot, "start");
    bool on_grid = false;
    for (int k = 0; k < kSlotsPerDay; ++k) {
      on_grid |= start == BerlinToUtc(day, 9 * 3600 + k * 1800);
    }
    EXPECT_TRUE(on_grid) << Str(slot, "start") << " is not a 09:00..11:30 Berlin start";
  }

  // A Slot at 09:00 Berlin time on the first weekday after today: 08:00Z in winter (CET,
  // UTC+1), 07:00Z in summer.
  int64_t day = BerlinDate(before) + 1;
  while (IsoWeekday(day) > 5) ++day;
  const std::string nine = Instant(BerlinToUtc(day, 9 * 3600));
  int y = 0, m = 0, d = 0;
  CivilFromDays(day, &y, &m, &d);
  if (m == 12 || m == 1 || m == 2) {
    EXPECT_EQ(nine, Date(day) + "T08:00:00Z");
  }
  HttpResponse at_nine = Send("GET", "/fhir/Slot?schedule=Schedule/" + schedule + "&start=" + nine);
  ASSERT_EQ(at_nine.status, 200) << at_nine.body;
  json::Document found = Parse(at_nine.body);
  ASSERT_EQ(Resources(found).size(), 1u) << "no Slot at " << nine << ": " << at_nine.body;
  EXPECT_EQ(Str(*Resources(found)[0], "start"), nine);

  // Again: nothing new, except Slots that entered the window since (usually none).
  const int64_t before_again = NowMicros();
  HttpResponse again = Materialize(schedule);
  const int64_t after_again = NowMicros();
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_GE(IntOutput(again, "created"),
            SlotStartsIn(WindowEnd(after), std::max(WindowEnd(after), WindowEnd(before_again))));
  EXPECT_LE(IntOutput(again, "created"), SlotStartsIn(WindowEnd(before), WindowEnd(after_again)));
  EXPECT_EQ(IntOutput(again, "removed"), 0);

  // The type-level form runs every Schedule; this one stays as it is.
  HttpResponse all = Operation("Schedule/$materialize", {IntParam("days", kMaterializeDays)});
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_GE(IntOutput(all, "schedules"), 1);
  EXPECT_EQ(IntOutput(all, "removed"), 0);
  EXPECT_LE(IntOutput(all, "created"), 1);

  for (int days : {0, 367}) {
    HttpResponse bad =
        Operation("Schedule/" + schedule + "/$materialize", {IntParam("days", days)});
    EXPECT_EQ(bad.status, 400) << days << ": " << bad.body;
    EXPECT_TRUE(IsOperationOutcome(bad)) << bad.body;
  }
}

TEST(Materialize, ANotAvailableDayRemovesThatDaysFreeSlots) {
  const std::string practitioner = Unique("mat-pr");
  const std::string schedule = Unique("mat-s");
  const std::string patient = Unique("mat-pat");
  Put("Practitioner", practitioner, R"({"resourceType":"Practitioner"})");
  MakePatient(patient);
  Put("Schedule", schedule, BerlinSchedule(schedule, practitioner));
  ASSERT_EQ(Materialize(schedule).status, 200);

  // A weekday well inside the window, so that all its Slots exist.
  int64_t closed = BerlinDate(NowMicros()) + 2;
  while (IsoWeekday(closed) > 5) ++closed;
  std::vector<std::string> that_day;
  int total = 0;
  for (const auto& slot : SlotsOf(schedule)) {
    ++total;
    if (BerlinDate(ParseInstant(Str(slot, "start"))) == closed) that_day.push_back(Str(slot, "id"));
  }
  ASSERT_EQ(static_cast<int>(that_day.size()), kSlotsPerDay) << Date(closed);
  std::sort(that_day.begin(), that_day.end());
  // A booked Slot of that day is not removed: only free ones go.
  HttpResponse booked = Operation("Appointment/$book", {RefParam("slot", "Slot/" + that_day[0]),
                                                        RefParam("patient", "Patient/" + patient)});
  ASSERT_EQ(booked.status, 201) << booked.body;

  Put("Schedule", schedule, BerlinSchedule(schedule, practitioner, Date(closed)));
  HttpResponse r = Materialize(schedule);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(IntOutput(r, "removed"), kSlotsPerDay - 1);
  EXPECT_LE(IntOutput(r, "created"), 1);  // a Slot that entered the window meanwhile, if any
  std::vector<std::string> left;
  int now_total = 0;
  for (const auto& slot : SlotsOf(schedule)) {
    ++now_total;
    if (BerlinDate(ParseInstant(Str(slot, "start"))) == closed) left.push_back(Str(slot, "id"));
  }
  EXPECT_EQ(left, std::vector<std::string>{that_day[0]});
  EXPECT_EQ(SlotStatus(that_day[0]), "busy");
  EXPECT_EQ(now_total, total - (kSlotsPerDay - 1) + IntOutput(r, "created"));
}

// ---- $find ----------------------------------------------------------------------------------

class FindTest : public ::testing::Test {
 protected:
  void SetUp() override {
    practitioner_ = Unique("find-pr");
    schedule_ = Unique("find-s");
    specialty_ = Unique("spec");
    MakeSchedule(schedule_, practitioner_);
    day_ = UtcMidnightIn(3);
    // s0..s5: 08:00, 08:30, ... 10:30 UTC, back to back.
    for (int k = 0; k < 6; ++k) {
      slots_.push_back(Unique("find-slot"));
      MakeSlot(slots_[k], schedule_, At(8 * 60 + 30 * k), 30, 1, Specialty(specialty_));
    }
    // Another practitioner's Slot at the same time, of another specialty.
    other_schedule_ = Unique("find-s");
    MakeSchedule(other_schedule_, Unique("find-pr"));
    other_slot_ = Unique("find-slot");
    MakeSlot(other_slot_, other_schedule_, At(8 * 60), 30, 1, Specialty(Unique("spec")));
    // s2 is taken.
    const std::string patient = Unique("find-pat");
    MakePatient(patient);
    HttpResponse r = Operation("Appointment/$book", {RefParam("slot", "Slot/" + slots_[2]),
                                                     RefParam("patient", "Patient/" + patient)});
    ASSERT_EQ(r.status, 201) << r.body;
  }

  static std::string Specialty(const std::string& code) {
    return R"(,"specialty":[{"coding":[{"system":"urn:test:specialty","code":")" + code +
           R"("}]}])";
  }
  int64_t At(int minutes) const { return day_ + minutes * kMicrosPerMinute; }

  // The proposals of a $find searchset: start, end and the Slot references of each.
  struct Proposal {
    std::string start, end;
    std::vector<std::string> slots;
    bool operator==(const Proposal& o) const {
      return start == o.start && end == o.end && slots == o.slots;
    }
  };
  std::vector<Proposal> Proposals(const HttpResponse& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    json::Document bundle = Parse(r.body);
    EXPECT_EQ(Str(bundle, "type"), "searchset");
    std::vector<Proposal> out;
    for (const json::Value* a : Resources(bundle)) {
      EXPECT_EQ(Str(*a, "resourceType"), "Appointment");
      EXPECT_EQ(Str(*a, "status"), "proposed");
      out.push_back({Str(*a, "start"), Str(*a, "end"), SlotRefs(*a)});
    }
    return out;
  }
  Proposal One(int k) {
    return {Instant(At(8 * 60 + 30 * k)), Instant(At(8 * 60 + 30 * k + 30)), {"Slot/" + slots_[k]}};
  }
  Proposal Two(int k) {
    return {Instant(At(8 * 60 + 30 * k)),
            Instant(At(8 * 60 + 30 * k + 60)),
            {"Slot/" + slots_[k], "Slot/" + slots_[k + 1]}};
  }

  std::string practitioner_, schedule_, specialty_, other_schedule_, other_slot_;
  std::vector<std::string> slots_;
  int64_t day_ = 0;
};

TEST_F(FindTest, ByPractitionerProposesTheFreeSlotsInTheWindowInOrder) {
  HttpResponse r = Send("GET", "/fhir/Appointment/$find?start=" + Instant(At(7 * 60 + 45)) +
                                   "&end=" + Instant(At(12 * 60)) + "&practitioner=Practitioner/" +
                                   practitioner_);
  EXPECT_EQ(Proposals(r), (std::vector<Proposal>{One(0), One(1), One(3), One(4), One(5)}));
  json::Document bundle = Parse(r.body);
  for (const json::Value* a : Resources(bundle)) {
    EXPECT_EQ(ParticipantStatus(*a, "Practitioner/" + practitioner_), "needs-action");
  }

  // A narrower window, [08:15, 10:15): a proposal lies wholly inside it, so 08:00 (starts
  // before) and 10:00 (ends after 10:15) are left out.
  HttpResponse narrow = Send("GET", "/fhir/Appointment/$find?start=" + Instant(At(8 * 60 + 15)) +
                                        "&end=" + Instant(At(10 * 60 + 15)) +
                                        "&practitioner=Practitioner/" + practitioner_);
  EXPECT_EQ(Proposals(narrow), (std::vector<Proposal>{One(1), One(3)}));
}

TEST_F(FindTest, BySpecialtyGetAndPost) {
  const std::string token = "urn:test:specialty|" + specialty_;
  HttpResponse get = Send("GET", "/fhir/Appointment/$find?start=" + Instant(At(0)) +
                                     "&end=" + Instant(At(24 * 60)) + "&specialty=" + token);
  EXPECT_EQ(Proposals(get), (std::vector<Proposal>{One(0), One(1), One(3), One(4), One(5)}));

  const std::string patient = Unique("find-pat");
  HttpResponse post =
      Operation("Appointment/$find",
                {R"({"name":"start","valueDateTime":")" + Instant(At(0)) + R"("})",
                 R"({"name":"end","valueDateTime":")" + Instant(At(24 * 60)) + R"("})",
                 R"({"name":"specialty","valueCoding":{"system":"urn:test:specialty","code":")" +
                     specialty_ + R"("}})",
                 RefParam("patient", "Patient/" + patient), IntParam("count", 2)});
  EXPECT_EQ(Proposals(post), (std::vector<Proposal>{One(0), One(1)}));
  json::Document bundle = Parse(post.body);
  for (const json::Value* a : Resources(bundle)) {
    EXPECT_EQ(ParticipantStatus(*a, "Patient/" + patient), "needs-action");
    EXPECT_EQ(ParticipantStatus(*a, "Practitioner/" + practitioner_), "needs-action");
  }
}

TEST_F(FindTest, AVisitLengthCombinesBackToBackSlots) {
  HttpResponse r = Operation(
      "Appointment/$find",
      {StringParam("start", Instant(At(7 * 60 + 45))), StringParam("end", Instant(At(12 * 60))),
       RefParam("practitioner", "Practitioner/" + practitioner_), IntParam("visit-length", 60)});
  // s1 and s3 are not back to back (s2 is taken).
  EXPECT_EQ(Proposals(r), (std::vector<Proposal>{Two(0), Two(3), Two(4)}));
  json::Document bundle = Parse(r.body);
  for (const json::Value* a : Resources(bundle)) {
    const json::Value* minutes = json::Member(*a, "minutesDuration");
    ASSERT_NE(minutes, nullptr);
    EXPECT_EQ(minutes->GetInt(), 60);
  }

  // A proposal books as it is.
  const std::string patient = Unique("find-pat");
  MakePatient(patient);
  ASSERT_FALSE(Resources(bundle).empty());
  HttpResponse booked =
      Operation("Appointment/$book",
                {R"({"name":"appointment","resource":)" + json::Write(*Resources(bundle)[0]) + "}",
                 RefParam("patient", "Patient/" + patient)});
  ASSERT_EQ(booked.status, 201) << booked.body;
  json::Document appt = Parse(booked.body);
  std::vector<std::string> taken = SlotRefs(appt);
  std::vector<std::string> wanted = {"Slot/" + slots_[0], "Slot/" + slots_[1]};
  std::sort(taken.begin(), taken.end());  // the order of Appointment.slot carries no meaning
  std::sort(wanted.begin(), wanted.end());
  EXPECT_EQ(taken, wanted);
  EXPECT_EQ(Str(appt, "start"), Instant(At(8 * 60)));
  EXPECT_EQ(Str(appt, "end"), Instant(At(9 * 60)));
  EXPECT_EQ(SlotStatus(slots_[0]), "busy");
  EXPECT_EQ(SlotStatus(slots_[1]), "busy");
}

TEST_F(FindTest, BadInputIs400) {
  const std::string practitioner = "&practitioner=Practitioner/" + practitioner_;
  for (const std::string& query :
       {"end=" + Instant(At(12 * 60)) + practitioner,
        "start=" + Instant(At(12 * 60)) + "&end=" + Instant(At(8 * 60)) + practitioner,
        "start=" + Instant(At(0)) + "&end=" + Instant(At(0) + 32 * kMicrosPerDay) + practitioner}) {
    HttpResponse r = Send("GET", "/fhir/Appointment/$find?" + query);
    EXPECT_EQ(r.status, 400) << query << "\n" << r.body;
    EXPECT_TRUE(IsOperationOutcome(r)) << r.body;
    EXPECT_FALSE(Diagnostics(r).empty()) << r.body;
  }
  HttpResponse post = Operation("Appointment/$find", {StringParam("end", Instant(At(60)))});
  EXPECT_EQ(post.status, 400) << post.body;
  EXPECT_TRUE(IsOperationOutcome(post)) << post.body;
}

}  // namespace
}  // namespace hestia::testing::scheduling
