// The scheduling plug-in's Appointment status rules (rules.cc) and its FHIR JSON helpers
// (fhir.cc): which transitions the before-write interceptor accepts, what it refuses, and the
// reference, Parameters and Bundle handling the operations rely on.
// FHIR R4: http://hl7.org/fhir/R4/appointment.html#statuses,
// http://hl7.org/fhir/R4/references.html, http://hl7.org/fhir/R4/parameters.html
#include <gtest/gtest.h>

#include <string>

#include "fhir.h"
#include "scheduler.h"

namespace hestia::scheduling {
namespace {

std::string Appointment(const std::string& status) {
  return R"({"resourceType":"Appointment","id":"a1","status":")" + status + R"("})";
}

// Runs the interceptor for a write from `from` to `to` ("" = delete); returns the refusal's
// code, or HESTIA_OK.
hestia_status Check(const std::string& from, const std::string& to) {
  const Scheduler scheduler(Settings{}, nullptr);
  const std::string previous = from.empty() ? "" : Appointment(from);
  const std::string next = to.empty() ? "" : Appointment(to);
  sdk::Write w;
  w.interaction = to.empty()     ? HESTIA_WRITE_DELETE
                  : from.empty() ? HESTIA_WRITE_CREATE
                                 : HESTIA_WRITE_UPDATE;
  w.type = "Appointment";
  w.id = "a1";
  w.resource = next;
  w.previous = previous;
  sdk::Call call(nullptr, nullptr);
  try {
    scheduler.CheckTransition(call, w);
    return HESTIA_OK;
  } catch (const sdk::Error& e) {
    return e.code();
  }
}

TEST(AppointmentStatusRules, TheLifecycleOfTheIssueIsAllowed) {
  EXPECT_EQ(Check("proposed", "pending"), HESTIA_OK);
  EXPECT_EQ(Check("pending", "booked"), HESTIA_OK);
  EXPECT_EQ(Check("booked", "arrived"), HESTIA_OK);
  EXPECT_EQ(Check("arrived", "fulfilled"), HESTIA_OK);
  EXPECT_EQ(Check("booked", "cancelled"), HESTIA_OK);
  EXPECT_EQ(Check("booked", "noshow"), HESTIA_OK);
  EXPECT_EQ(Check("booked", "checked-in"), HESTIA_OK);
  EXPECT_EQ(Check("checked-in", "fulfilled"), HESTIA_OK);
  EXPECT_EQ(Check("waitlist", "pending"), HESTIA_OK);
  EXPECT_EQ(Check("pending", "cancelled"), HESTIA_OK);
}

TEST(AppointmentStatusRules, BackwardAndFinalStatesAreRefusedWithAConflict) {
  EXPECT_EQ(Check("booked", "proposed"), HESTIA_ERR_CONFLICT);
  EXPECT_EQ(Check("booked", "pending"), HESTIA_ERR_CONFLICT);
  EXPECT_EQ(Check("booked", "fulfilled"), HESTIA_ERR_CONFLICT);  // arrived comes first
  EXPECT_EQ(Check("arrived", "booked"), HESTIA_ERR_CONFLICT);
  EXPECT_EQ(Check("cancelled", "booked"), HESTIA_ERR_CONFLICT);
  EXPECT_EQ(Check("noshow", "arrived"), HESTIA_ERR_CONFLICT);
  EXPECT_EQ(Check("fulfilled", "cancelled"), HESTIA_ERR_CONFLICT);
  EXPECT_EQ(Check("entered-in-error", "booked"), HESTIA_ERR_CONFLICT);
}

TEST(AppointmentStatusRules, SameStatusCreatesAndEnteredInErrorAreAlwaysAllowed) {
  for (const char* s : {"proposed", "pending", "booked", "arrived", "fulfilled", "cancelled",
                        "noshow", "checked-in", "waitlist", "entered-in-error"}) {
    EXPECT_EQ(Check(s, s), HESTIA_OK) << s;
    EXPECT_EQ(Check("", s), HESTIA_OK) << "create as " << s;
    EXPECT_EQ(Check(s, "entered-in-error"), HESTIA_OK) << s;
  }
}

TEST(AppointmentStatusRules, ActiveAppointmentsAreCancelledNotDeleted) {
  for (const char* s : {"pending", "booked", "arrived", "checked-in"}) {
    EXPECT_EQ(Check(s, ""), HESTIA_ERR_CONFLICT) << s;
  }
  for (const char* s : {"proposed", "cancelled", "fulfilled", "noshow", "waitlist"}) {
    EXPECT_EQ(Check(s, ""), HESTIA_OK) << s;
  }
}

TEST(FhirHelpers, ReferenceKeyTakesRelativeAbsoluteAndVersionedReferences) {
  EXPECT_EQ(ReferenceKey("Slot/abc"), "Slot/abc");
  EXPECT_EQ(ReferenceKey("https://h.example/fhir/Slot/abc", "Slot"), "Slot/abc");
  EXPECT_EQ(ReferenceKey("Slot/abc/_history/3", "Slot"), "Slot/abc");
  EXPECT_EQ(ReferenceKey("Practitioner/p-1.2", "Slot"), "");
  EXPECT_EQ(ReferenceKey("#contained"), "");
  EXPECT_EQ(ReferenceKey("Slot/"), "");
  EXPECT_EQ(ReferenceKey("slot/abc"), "");
  EXPECT_EQ(ReferenceKey("Slot/a b"), "");
  EXPECT_EQ(ReferenceKey("Slot/" + std::string(65, 'a')), "");
}

TEST(FhirHelpers, ParametersReadEveryValueKind) {
  const Parameters p(R"({"resourceType":"Parameters","parameter":[
    {"name":"slot","valueReference":{"reference":"Slot/1"}},
    {"name":"slot","valueReference":{"reference":"Slot/2"}},
    {"name":"start","valueDateTime":"2026-12-07"},
    {"name":"count","valueInteger":5},
    {"name":"specialty","valueCoding":{"system":"http://snomed.info/sct","code":"394814009"}},
    {"name":"appointment","resource":{"resourceType":"Appointment","status":"proposed"}}]})");
  EXPECT_EQ(p.Texts("slot"), (std::vector<std::string>{"Slot/1", "Slot/2"}));
  EXPECT_EQ(p.Text("start"), "2026-12-07");
  EXPECT_EQ(p.Text("count"), "5");
  EXPECT_EQ(p.Text("specialty"), "http://snomed.info/sct|394814009");
  EXPECT_EQ(p.Text("missing"), std::nullopt);
  ASSERT_NE(p.Resource("appointment"), nullptr);
  EXPECT_EQ(String(*p.Resource("appointment"), "status"), "proposed");
  EXPECT_THROW(Parameters(R"({"resourceType":"Patient"})"), sdk::Error);
  EXPECT_THROW(Parameters("[1,2]"), sdk::Error);
}

TEST(FhirHelpers, BundlesQuoteWhatTheyCarry) {
  const std::string bundle = MakeBundle(
      "transaction", {{"PUT", "Slot/x\"y", R"({"resourceType":"Slot"})", "W/\"3\"", false},
                      {"PUT", "Slot/z", R"({"resourceType":"Slot"})", "", true}});
  const Document doc = ParseObject(bundle, "bundle");
  const Value& entries = Array(doc, "entry");
  ASSERT_EQ(entries.Size(), 2u);
  EXPECT_EQ(String(entries[0]["request"], "url"), "Slot/x\"y");
  EXPECT_EQ(String(entries[0]["request"], "ifMatch"), "W/\"3\"");
  EXPECT_EQ(String(entries[1]["request"], "ifNoneMatch"), "*");
  EXPECT_EQ(UrlEncode("http://snomed.info/sct|1 2"), "http%3A%2F%2Fsnomed.info%2Fsct%7C1%202");
}

TEST(FhirHelpers, TagsAndExtensionsAreAddedAndRemoved) {
  Document appt = ParseObject(Appointment("pending"), "appointment");
  AddTag(appt, "hold", appt.GetAllocator());
  AddExtension(appt, kHoldExpiresUrl, "valueInstant", "2026-12-07T10:00:00Z", appt.GetAllocator());
  EXPECT_TRUE(HasTag(appt, "hold"));
  ASSERT_NE(Extension(appt, kHoldExpiresUrl), nullptr);
  RemoveTag(appt, "hold", appt.GetAllocator());
  RemoveExtension(appt, kHoldExpiresUrl, appt.GetAllocator());
  EXPECT_FALSE(HasTag(appt, "hold"));
  EXPECT_EQ(Extension(appt, kHoldExpiresUrl), nullptr);
  EXPECT_EQ(Member(appt, "extension"), nullptr);
}

}  // namespace
}  // namespace hestia::scheduling

namespace hestia::scheduling {
namespace {

// SettledVersions (settled.h): an event is skipped only for the exact version remembered,
// once, and a full set forgets its oldest keys first.
TEST(SettledVersionsTest, SkipsOnlyTheRememberedVersionOnce) {
  SettledVersions settled(3);
  settled.Remember("Slot", "s1", 2);
  EXPECT_FALSE(settled.Take("Slot", "s1", 3));         // a later version: someone else's
  EXPECT_FALSE(settled.Take("Appointment", "s1", 2));  // another type
  EXPECT_TRUE(settled.Take("Slot", "s1", 2));
  EXPECT_FALSE(settled.Take("Slot", "s1", 2));  // redelivered: recounted
  settled.Remember("Slot", "s2", 0);            // no version: never remembered
  EXPECT_FALSE(settled.Take("Slot", "s2", 0));
}

TEST(SettledVersionsTest, ForgetsTheOldestWhenFull) {
  SettledVersions settled(2);
  settled.Remember("Slot", "a", 1);
  settled.Remember("Slot", "b", 1);
  settled.Remember("Slot", "c", 1);
  EXPECT_FALSE(settled.Take("Slot", "a", 1));
  EXPECT_TRUE(settled.Take("Slot", "b", 1));
  EXPECT_TRUE(settled.Take("Slot", "c", 1));
  SettledVersions none(0);
  none.Remember("Slot", "a", 1);
  EXPECT_FALSE(none.Take("Slot", "a", 1));
}

TEST(SettledVersionsTest, VersionNumberReadsMetaVersionId) {
  auto version = [](const std::string& text) {
    Document doc = ParseObject(text, "test");
    return VersionNumber(doc);
  };
  EXPECT_EQ(version(R"({"meta":{"versionId":"17"}})"), 17);
  EXPECT_EQ(version(R"({"meta":{"versionId":"x1"}})"), 0);
  EXPECT_EQ(version(R"({"meta":{}})"), 0);
  EXPECT_EQ(version(R"({"id":"a"})"), 0);
  EXPECT_EQ(version(R"({"meta":{"versionId":"99999999999999999999"}})"), 0);
}

}  // namespace
}  // namespace hestia::scheduling
