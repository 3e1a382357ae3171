// Every booking operation and Appointment status transition of the scheduling plug-in over
// real HTTP ($hold, $confirm, hold expiry, $book, $request, $approve, $decline, $cancel,
// $reschedule, $waitlist, and PUT and DELETE under the status rules), with the Slot status,
// the AppointmentResponses and the version history each one leaves.
// FHIR R4: http://hl7.org/fhir/R4/appointment.html#statuses,
// http://hl7.org/fhir/R4/appointmentresponse.html, http://hl7.org/fhir/R4/slot.html,
// http://hl7.org/fhir/R4/http.html#history
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "scheduling_test_support.h"

namespace hestia::testing::scheduling {
namespace {

class BookingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    practitioner_ = Unique("bk-pr");
    schedule_ = Unique("bk-s");
    MakeSchedule(schedule_, practitioner_);
    const int64_t day = UtcMidnightIn(5);
    for (int k = 0; k < 8; ++k) {  // 08:00 ... 11:30 UTC
      slots_.push_back(Unique("bk-slot"));
      MakeSlot(slots_[k], schedule_, day + (8 * 60 + 30 * k) * kMicrosPerMinute, 30);
    }
    for (int k = 0; k < 3; ++k) {
      patients_.push_back(Unique("bk-pat"));
      MakePatient(patients_[k]);
    }
  }

  // $hold/$book/$request of Slot k for patient p; returns the response.
  HttpResponse Take(const char* op, int k, int p, std::vector<std::string> extra = {}) {
    extra.push_back(RefParam("slot", "Slot/" + slots_[k]));
    extra.push_back(RefParam("patient", "Patient/" + patients_[p]));
    return Operation(std::string("Appointment/$") + op, extra);
  }
  // An instance operation on Appointment/<id>.
  HttpResponse On(const std::string& id, const char* op,
                  const std::vector<std::string>& params = {}) {
    return Operation("Appointment/" + id + "/$" + op, params);
  }
  // Statuses of the versions of Appointment/<id>, oldest first.
  std::vector<std::string> History(const std::string& id) {
    HttpResponse r = Send("GET", "/fhir/Appointment/" + id + "/_history");
    EXPECT_EQ(r.status, 200) << r.body;
    json::Document bundle = Parse(r.body);
    EXPECT_EQ(Str(bundle, "type"), "history");
    std::vector<std::pair<int, std::string>> versions;
    for (const json::Value* v : Resources(bundle)) {
      versions.emplace_back(std::stoi(Str((*v)["meta"], "versionId")), Str(*v, "status"));
    }
    std::sort(versions.begin(), versions.end());
    std::vector<std::string> out;
    for (std::size_t i = 0; i < versions.size(); ++i) {
      EXPECT_EQ(versions[i].first, static_cast<int>(i) + 1) << "versions are 1..n";
      out.push_back(versions[i].second);
    }
    return out;
  }
  // PUT of the current Appointment/<id> with `status`.
  HttpResponse PutStatus(const std::string& id, const std::string& status) {
    json::Document appt = Read("Appointment", id);
    appt["status"].SetString(status.c_str(), static_cast<rapidjson::SizeType>(status.size()),
                             appt.GetAllocator());
    return Send("PUT", "/fhir/Appointment/" + id, json::Write(appt));
  }
  std::string Practitioner() const { return "Practitioner/" + practitioner_; }
  std::string Patient(int p) const { return "Patient/" + patients_[p]; }

  std::string practitioner_, schedule_;
  std::vector<std::string> slots_, patients_;
};

TEST_F(BookingTest, HoldThenConfirmBooks) {
  const int64_t before = NowMicros();
  HttpResponse hold = Take("hold", 0, 0);
  ASSERT_EQ(hold.status, 201) << hold.body;
  json::Document appt = Parse(hold.body);
  const std::string id = Str(appt, "id");
  EXPECT_EQ(Str(appt, "status"), "pending");
  EXPECT_TRUE(HasTag(appt, "hold")) << hold.body;
  const int64_t expires = ParseInstant(ExtensionValue(appt, kHoldExpiresUrl));
  EXPECT_GE(expires, before + (kHoldTtlSeconds - 1) * 1000000LL) << hold.body;
  EXPECT_LE(expires, NowMicros() + (kHoldTtlSeconds + 1) * 1000000LL) << hold.body;
  EXPECT_EQ(SlotRefs(appt), std::vector<std::string>{"Slot/" + slots_[0]});
  EXPECT_EQ(ParticipantStatus(appt, Patient(0)), "accepted");
  EXPECT_FALSE(ParticipantStatus(appt, Practitioner()).empty());
  EXPECT_EQ(SlotStatus(slots_[0]), "busy-tentative");
  // Held: nobody else gets it.
  EXPECT_EQ(Take("book", 0, 1).status, 409);

  HttpResponse confirmed = On(id, "confirm");
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  json::Document booked = Parse(confirmed.body);
  EXPECT_EQ(Str(booked, "id"), id);
  EXPECT_EQ(Str(booked, "status"), "booked");
  EXPECT_FALSE(HasTag(booked, "hold"));
  EXPECT_EQ(ExtensionValue(booked, kHoldExpiresUrl), "");
  EXPECT_EQ(ParticipantStatus(booked, Practitioner()), "accepted");
  EXPECT_EQ(SlotStatus(slots_[0]), "busy");
  EXPECT_EQ(History(id), (std::vector<std::string>{"pending", "booked"}));
  // Confirming twice: no longer a hold.
  EXPECT_EQ(On(id, "confirm").status, 409);
}

TEST_F(BookingTest, AnExpiredHoldIsCancelledAndItsSlotFreed) {
  HttpResponse hold = Take("hold", 1, 0);
  ASSERT_EQ(hold.status, 201) << hold.body;
  const std::string id = Str(Parse(hold.body), "id");
  EXPECT_EQ(SlotStatus(slots_[1]), "busy-tentative");

  // hold_ttl_seconds 3, expire_every_seconds 1.
  EXPECT_TRUE(WaitFor([&] { return AppointmentStatus(id) == "cancelled"; }))
      << "the hold was not cancelled: " << Send("GET", "/fhir/Appointment/" + id).body;
  json::Document appt = Read("Appointment", id);
  EXPECT_EQ(Str(appt, "status"), "cancelled");
  ASSERT_NE(json::Member(appt, "cancelationReason"), nullptr);
  EXPECT_EQ(Str(appt["cancelationReason"], "text"), "hold expired");
  EXPECT_TRUE(WaitFor([&] { return SlotStatus(slots_[1]) == "free"; }));
  EXPECT_EQ(SlotStatus(slots_[1]), "free");

  HttpResponse late = On(id, "confirm");
  EXPECT_EQ(late.status, 409) << late.body;
  EXPECT_TRUE(IsOperationOutcome(late));
  EXPECT_EQ(AppointmentStatus(id), "cancelled");
  // The Slot is bookable again.
  EXPECT_EQ(Take("book", 1, 1).status, 201);
  EXPECT_EQ(History(id), (std::vector<std::string>{"pending", "cancelled"}));
}

TEST_F(BookingTest, BookTakesTheSlot) {
  HttpResponse r = Take("book", 2, 0);
  ASSERT_EQ(r.status, 201) << r.body;
  json::Document appt = Parse(r.body);
  EXPECT_EQ(Str(appt, "status"), "booked");
  EXPECT_FALSE(HasTag(appt, "hold"));
  EXPECT_EQ(ParticipantStatus(appt, Practitioner()), "accepted");
  EXPECT_EQ(ParticipantStatus(appt, Patient(0)), "accepted");
  EXPECT_EQ(Str(appt, "start"), Str(Read("Slot", slots_[2]), "start"));
  EXPECT_EQ(Str(appt, "end"), Str(Read("Slot", slots_[2]), "end"));
  EXPECT_EQ(SlotStatus(slots_[2]), "busy");
  HttpResponse second = Take("book", 2, 1);
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_NE(Diagnostics(second).find("Slot/" + slots_[2]), std::string::npos) << second.body;
}

// Slot.status is derived: a client that writes a stale status over REST (here "free" on a
// booked Slot) is corrected by the plug-in's Slot event handler, and one that frees a Slot
// by cancelling over REST gets it freed through the Appointment event handler. The handlers
// skip only the versions the plug-in wrote and settled itself (settled.h), never these.
// FHIR R4: http://hl7.org/fhir/R4/slot.html
TEST_F(BookingTest, RestWritesOfOthersAreBroughtInStepByTheEventHandlers) {
  HttpResponse booked = Take("book", 1, 0);
  ASSERT_EQ(booked.status, 201) << booked.body;
  ASSERT_EQ(SlotStatus(slots_[1]), "busy");
  json::Document slot = Read("Slot", slots_[1]);
  slot["status"].SetString("free", slot.GetAllocator());
  ASSERT_EQ(Send("PUT", "/fhir/Slot/" + slots_[1], json::Write(slot)).status, 200);
  EXPECT_TRUE(WaitFor([&] { return SlotStatus(slots_[1]) == "busy"; })) << SlotStatus(slots_[1]);
  ASSERT_EQ(PutStatus(Str(Parse(booked.body), "id"), "cancelled").status, 200);
  EXPECT_TRUE(WaitFor([&] { return SlotStatus(slots_[1]) == "free"; })) << SlotStatus(slots_[1]);
}

TEST_F(BookingTest, RequestThenApprove) {
  HttpResponse r = Take("request", 3, 0, {StringParam("message", "knee pain")});
  ASSERT_EQ(r.status, 201) << r.body;
  json::Document appt = Parse(r.body);
  const std::string id = Str(appt, "id");
  EXPECT_EQ(Str(appt, "status"), "pending");
  EXPECT_TRUE(HasTag(appt, "request"));
  EXPECT_EQ(Str(appt, "comment"), "knee pain");
  EXPECT_EQ(SlotStatus(slots_[3]), "busy-tentative");
  // A request is not a hold.
  EXPECT_EQ(On(id, "confirm").status, 409);

  HttpResponse approved = On(id, "approve");
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(Str(Parse(approved.body), "status"), "booked");
  EXPECT_FALSE(HasTag(Parse(approved.body), "request"));
  EXPECT_EQ(SlotStatus(slots_[3]), "busy");
  HttpResponse responses = Send("GET", "/fhir/AppointmentResponse?appointment=Appointment/" + id);
  ASSERT_EQ(responses.status, 200) << responses.body;
  json::Document bundle = Parse(responses.body);
  ASSERT_EQ(Resources(bundle).size(), 1u) << responses.body;
  EXPECT_EQ(Str(*Resources(bundle)[0], "participantStatus"), "accepted");
  EXPECT_EQ(Str((*Resources(bundle)[0])["actor"], "reference"), Practitioner());
  EXPECT_EQ(History(id), (std::vector<std::string>{"pending", "booked"}));
  // Approved once only.
  EXPECT_EQ(On(id, "approve").status, 409);
}

TEST_F(BookingTest, RequestThenDeclineNeedsAReason) {
  HttpResponse r = Take("request", 4, 0);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = Str(Parse(r.body), "id");

  HttpResponse bare = On(id, "decline");
  EXPECT_EQ(bare.status, 400) << bare.body;
  EXPECT_TRUE(IsOperationOutcome(bare));
  EXPECT_EQ(AppointmentStatus(id), "pending");

  HttpResponse declined = On(id, "decline", {StringParam("reason", "not my field")});
  ASSERT_EQ(declined.status, 200) << declined.body;
  json::Document appt = Parse(declined.body);
  EXPECT_EQ(Str(appt, "status"), "cancelled");
  EXPECT_EQ(Str(appt["cancelationReason"], "text"), "not my field");
  EXPECT_EQ(SlotStatus(slots_[4]), "free");
  HttpResponse responses = Send("GET", "/fhir/AppointmentResponse?appointment=Appointment/" + id);
  json::Document bundle = Parse(responses.body);
  ASSERT_EQ(Resources(bundle).size(), 1u) << responses.body;
  EXPECT_EQ(Str(*Resources(bundle)[0], "participantStatus"), "declined");
  EXPECT_EQ(Str(*Resources(bundle)[0], "comment"), "not my field");
  EXPECT_EQ(History(id), (std::vector<std::string>{"pending", "cancelled"}));
}

TEST_F(BookingTest, CancelFreesTheSlot) {
  HttpResponse r = Take("book", 5, 0);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = Str(Parse(r.body), "id");
  HttpResponse cancelled = On(id, "cancel", {StringParam("reason", "sick")});
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(Str(Parse(cancelled.body), "status"), "cancelled");
  EXPECT_EQ(Str(Parse(cancelled.body)["cancelationReason"], "text"), "sick");
  EXPECT_EQ(SlotStatus(slots_[5]), "free");
  EXPECT_EQ(On(id, "cancel").status, 409);  // cancelled is final
  EXPECT_EQ(Take("book", 5, 1).status, 201);
  // A cancelled Appointment holds no time and may be deleted.
  HttpResponse deleted = Send("DELETE", "/fhir/Appointment/" + id);
  EXPECT_TRUE(deleted.status == 200 || deleted.status == 204) << deleted.body;
}

TEST_F(BookingTest, RescheduleMovesAtomically) {
  HttpResponse r = Take("book", 0, 0);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = Str(Parse(r.body), "id");

  HttpResponse moved = On(id, "reschedule", {RefParam("slot", "Slot/" + slots_[6])});
  ASSERT_EQ(moved.status, 200) << moved.body;
  json::Document appt = Parse(moved.body);
  EXPECT_EQ(Str(appt, "id"), id);
  EXPECT_EQ(Str(appt, "status"), "booked");
  EXPECT_EQ(SlotRefs(appt), std::vector<std::string>{"Slot/" + slots_[6]});
  EXPECT_EQ(Str(appt, "start"), Str(Read("Slot", slots_[6]), "start"));
  EXPECT_EQ(ParticipantStatus(appt, Patient(0)), "accepted");
  EXPECT_EQ(SlotStatus(slots_[0]), "free");
  EXPECT_EQ(SlotStatus(slots_[6]), "busy");

  // Onto a taken Slot: 409, nothing changes.
  ASSERT_EQ(Take("book", 7, 1).status, 201);
  const json::Document before = Read("Appointment", id);
  HttpResponse refused = On(id, "reschedule", {RefParam("slot", "Slot/" + slots_[7])});
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_TRUE(IsOperationOutcome(refused));
  const json::Document after = Read("Appointment", id);
  EXPECT_EQ(json::Write(after), json::Write(before));
  EXPECT_EQ(SlotStatus(slots_[6]), "busy");
  EXPECT_EQ(SlotStatus(slots_[7]), "busy");
  EXPECT_EQ(History(id), (std::vector<std::string>{"booked", "booked"}));
}

TEST_F(BookingTest, StatusRulesForPutAndDelete) {
  HttpResponse r = Take("book", 1, 0);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = Str(Parse(r.body), "id");

  HttpResponse proposed = PutStatus(id, "proposed");
  EXPECT_EQ(proposed.status, 409) << proposed.body;
  EXPECT_TRUE(IsOperationOutcome(proposed));
  HttpResponse deleted = Send("DELETE", "/fhir/Appointment/" + id);
  EXPECT_EQ(deleted.status, 409) << deleted.body;
  EXPECT_TRUE(IsOperationOutcome(deleted));
  EXPECT_EQ(AppointmentStatus(id), "booked");

  // The rules hold for every way of writing: JSON Patch and transaction Bundles too.
  HttpResponse patched = Send("PATCH", "/fhir/Appointment/" + id,
                              R"([{"op":"replace","path":"/status","value":"proposed"}])",
                              "application/json-patch+json");
  EXPECT_EQ(patched.status, 409) << patched.body;
  json::Document current = Read("Appointment", id);
  current["status"].SetString("proposed", current.GetAllocator());
  for (const std::string& entry :
       {R"({"resource":)" + json::Write(current) + R"(,"request":{"method":"PUT","url":")",
        std::string(R"({"request":{"method":"DELETE","url":")")}) {
    HttpResponse bundled = Send("POST", "/fhir",
                                R"({"resourceType":"Bundle","type":"transaction","entry":[)" +
                                    entry + "Appointment/" + id + R"("}}]})");
    EXPECT_EQ(bundled.status, 409) << bundled.body;
  }
  EXPECT_EQ(AppointmentStatus(id), "booked");

  HttpResponse arrived = PutStatus(id, "arrived");
  EXPECT_EQ(arrived.status, 200) << arrived.body;
  EXPECT_EQ(PutStatus(id, "booked").status, 409);  // no way back
  HttpResponse fulfilled = PutStatus(id, "fulfilled");
  EXPECT_EQ(fulfilled.status, 200) << fulfilled.body;
  EXPECT_EQ(PutStatus(id, "booked").status, 409);  // fulfilled is final
  EXPECT_EQ(History(id), (std::vector<std::string>{"booked", "arrived", "fulfilled"}));
}

TEST_F(BookingTest, HistoryShowsEachTransition) {
  HttpResponse hold = Take("hold", 2, 1);
  ASSERT_EQ(hold.status, 201) << hold.body;
  const std::string id = Str(Parse(hold.body), "id");
  ASSERT_EQ(On(id, "confirm").status, 200);
  ASSERT_EQ(PutStatus(id, "arrived").status, 200);
  ASSERT_EQ(PutStatus(id, "fulfilled").status, 200);
  EXPECT_EQ(History(id), (std::vector<std::string>{"pending", "booked", "arrived", "fulfilled"}));
}

TEST_F(BookingTest, AWaitlistOfferReplacesTheLaterBooking) {
  // Patient 0 is booked late (Slot 7) and asks for earlier; patient 1 holds Slot 1.
  HttpResponse late = Take("book", 7, 0);
  ASSERT_EQ(late.status, 201) << late.body;
  const std::string original = Str(Parse(late.body), "id");
  HttpResponse wait = On(original, "waitlist");
  ASSERT_EQ(wait.status, 201) << wait.body;
  json::Document entry = Parse(wait.body);
  const std::string waiting = Str(entry, "id");
  EXPECT_EQ(Str(entry, "status"), "waitlist");
  EXPECT_EQ(ExtensionValue(entry, kWaitlistForUrl), "Appointment/" + original);
  ASSERT_NE(json::Member(entry, "requestedPeriod"), nullptr) << wait.body;
  EXPECT_EQ(Str(entry["requestedPeriod"][0], "end"), Str(Parse(late.body), "start"));
  EXPECT_FALSE(ParticipantStatus(entry, Patient(0)).empty());

  HttpResponse early = Take("book", 1, 1);
  ASSERT_EQ(early.status, 201) << early.body;
  const std::string other = Str(Parse(early.body), "id");
  // Only a Slot that frees up is offered: the earlier Slots that were free all along are not.
  EXPECT_EQ(AppointmentStatus(waiting), "waitlist");
  ASSERT_EQ(On(other, "cancel", {StringParam("reason", "sick")}).status, 200);

  // The freed Slot is offered to the waitlist entry as a hold (asynchronously).
  json::Document offer;
  const bool offered = WaitFor(
      [&] {
        offer = Read("Appointment", waiting);
        return Str(offer, "status") != "waitlist";
      },
      std::chrono::seconds(10));
  ASSERT_TRUE(offered) << "no offer: " << json::Write(offer);
  HttpResponse confirmed = On(waiting, "confirm");  // within hold_ttl_seconds of the offer
  EXPECT_EQ(Str(offer, "status"), "pending");
  EXPECT_TRUE(HasTag(offer, "hold"));
  EXPECT_FALSE(ExtensionValue(offer, kHoldExpiresUrl).empty());
  EXPECT_EQ(SlotRefs(offer), std::vector<std::string>{"Slot/" + slots_[1]});
  EXPECT_EQ(Str(offer, "start"), Str(Read("Slot", slots_[1]), "start"));

  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  EXPECT_EQ(Str(Parse(confirmed.body), "status"), "booked");
  EXPECT_EQ(AppointmentStatus(original), "cancelled");
  EXPECT_EQ(SlotStatus(slots_[1]), "busy");
  EXPECT_EQ(SlotStatus(slots_[7]), "free");
  EXPECT_EQ(History(waiting), (std::vector<std::string>{"waitlist", "pending", "booked"}));
  EXPECT_EQ(History(original), (std::vector<std::string>{"booked", "cancelled"}));
}

TEST_F(BookingTest, AFreedSlotGoesToTheNextWaitlistEntryWhenTheFirstPatientIsBusy) {
  // Two waitlist entries, patient 0's first (the offer goes to the oldest entry first), then
  // patient 1's. Patient 0 is busy elsewhere when Slot 1 frees up; patient 1 is not.
  HttpResponse late0 = Take("book", 7, 0);
  ASSERT_EQ(late0.status, 201) << late0.body;
  HttpResponse wait0 = On(Str(Parse(late0.body), "id"), "waitlist");
  ASSERT_EQ(wait0.status, 201) << wait0.body;
  HttpResponse late1 = Take("book", 6, 1);
  ASSERT_EQ(late1.status, 201) << late1.body;
  HttpResponse wait1 = On(Str(Parse(late1.body), "id"), "waitlist");
  ASSERT_EQ(wait1.status, 201) << wait1.body;
  const std::string first = Str(Parse(wait0.body), "id");
  const std::string second = Str(Parse(wait1.body), "id");

  const std::string elsewhere = Unique("bk-pr");
  Put("Practitioner", elsewhere, R"({"resourceType":"Practitioner"})");
  const json::Document slot1 = Read("Slot", slots_[1]);
  HttpResponse busy =
      Send("POST", "/fhir/Appointment",
           R"({"resourceType":"Appointment","status":"booked","start":)" +
               json::Quote(Str(slot1, "start")) + R"(,"end":)" + json::Quote(Str(slot1, "end")) +
               R"(,"participant":[{"actor":{"reference":"Practitioner/)" + elsewhere +
               R"("},"status":"accepted"},{"actor":{"reference":)" + json::Quote(Patient(0)) +
               R"(},"status":"accepted"}]})");
  ASSERT_EQ(busy.status, 201) << busy.body;

  HttpResponse early = Take("book", 1, 2);
  ASSERT_EQ(early.status, 201) << early.body;
  ASSERT_EQ(On(Str(Parse(early.body), "id"), "cancel").status, 200);

  // Patient 0 cannot take the Slot, so patient 1's entry gets it.
  const bool offered =
      WaitFor([&] { return AppointmentStatus(second) == "pending"; }, std::chrono::seconds(10));
  EXPECT_TRUE(offered) << "the freed Slot was not offered to the next waitlist entry; Slot/"
                       << slots_[1] << " is " << SlotStatus(slots_[1]) << ", Appointment/" << second
                       << " is " << AppointmentStatus(second);
  if (offered) {
    EXPECT_EQ(SlotRefs(Read("Appointment", second)), std::vector<std::string>{"Slot/" + slots_[1]});
    EXPECT_EQ(SlotStatus(slots_[1]), "busy-tentative");
  }
  EXPECT_EQ(AppointmentStatus(first), "waitlist");
}

TEST_F(BookingTest, ALapsedWaitlistOfferGoesBackToWaitingAndThatSlotIsNotOfferedAgain) {
  HttpResponse late = Take("book", 7, 0);
  ASSERT_EQ(late.status, 201) << late.body;
  const std::string original = Str(Parse(late.body), "id");
  HttpResponse wait = On(original, "waitlist");
  ASSERT_EQ(wait.status, 201) << wait.body;
  const std::string waiting = Str(Parse(wait.body), "id");
  HttpResponse early = Take("book", 1, 1);
  ASSERT_EQ(early.status, 201) << early.body;
  ASSERT_EQ(On(Str(Parse(early.body), "id"), "cancel").status, 200);
  ASSERT_TRUE(
      WaitFor([&] { return AppointmentStatus(waiting) == "pending"; }, std::chrono::seconds(10)))
      << "the freed Slot was not offered";

  // Nobody confirms: the hold lapses (3 s) and the entry waits again, without a time, with
  // the Slot it passed noted; the booking it wanted to move is untouched.
  ASSERT_TRUE(
      WaitFor([&] { return AppointmentStatus(waiting) == "waitlist"; }, std::chrono::seconds(15)))
      << "the lapsed offer did not return to the waitlist";
  const json::Document entry = Read("Appointment", waiting);
  EXPECT_TRUE(SlotRefs(entry).empty());
  EXPECT_EQ(json::Member(entry, "start"), nullptr);
  EXPECT_EQ(ExtensionValue(entry, kWaitlistPassedUrl), "Slot/" + slots_[1]);
  EXPECT_EQ(AppointmentStatus(original), "booked");
  EXPECT_TRUE(WaitFor([&] { return SlotStatus(slots_[1]) == "free"; }, std::chrono::seconds(5)));
  // Freed again later, the same Slot is not offered to the entry that let it lapse.
  HttpResponse again = Take("book", 1, 2);
  ASSERT_EQ(again.status, 201) << again.body;
  ASSERT_EQ(On(Str(Parse(again.body), "id"), "cancel").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(AppointmentStatus(waiting), "waitlist");
}

TEST_F(BookingTest, AWaitlistOfferCoversTheWholeVisit) {
  // Patient 0 has an hour (Slots 6 and 7) and waits for an earlier hour.
  HttpResponse late = Operation("Appointment/$book", {RefParam("slot", "Slot/" + slots_[6]),
                                                      RefParam("slot", "Slot/" + slots_[7]),
                                                      RefParam("patient", Patient(0))});
  ASSERT_EQ(late.status, 201) << late.body;
  const std::string original = Str(Parse(late.body), "id");
  HttpResponse wait = On(original, "waitlist");
  ASSERT_EQ(wait.status, 201) << wait.body;
  const std::string waiting = Str(Parse(wait.body), "id");
  HttpResponse one = Take("book", 1, 1);
  HttpResponse two = Take("book", 2, 2);
  ASSERT_EQ(one.status, 201) << one.body;
  ASSERT_EQ(two.status, 201) << two.body;

  // Slot 1 frees up, but Slot 2 after it is taken: half an hour is not offered.
  ASSERT_EQ(On(Str(Parse(one.body), "id"), "cancel").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(AppointmentStatus(waiting), "waitlist");

  // Slot 2 frees up and Slot 3 after it is free: the hour 2–3 is offered.
  ASSERT_EQ(On(Str(Parse(two.body), "id"), "cancel").status, 200);
  ASSERT_TRUE(
      WaitFor([&] { return AppointmentStatus(waiting) == "pending"; }, std::chrono::seconds(10)));
  const json::Document offer = Read("Appointment", waiting);
  EXPECT_EQ(SlotRefs(offer), (std::vector<std::string>{"Slot/" + slots_[2], "Slot/" + slots_[3]}));
  EXPECT_EQ(Str(offer, "start"), Str(Read("Slot", slots_[2]), "start"));
  EXPECT_EQ(Str(offer, "end"), Str(Read("Slot", slots_[3]), "end"));
}

}  // namespace
}  // namespace hestia::testing::scheduling
