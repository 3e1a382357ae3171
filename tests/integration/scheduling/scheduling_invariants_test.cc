// The booking invariants that PostgreSQL enforces (fhir-core/storage migration 5, ADR 0010)
// for every way an Appointment is written: through plain REST (overlaps per Practitioner,
// Location and Patient, declined participants, Slot capacity, Slots with bookings, pending
// Appointments without times), and under concurrency (50 clients booking one Slot at once, 100
// times), followed by a check of the database tables and of the stored resources themselves.
// FHIR R4: http://hl7.org/fhir/R4/appointment.html (app-3, participant.status),
// http://hl7.org/fhir/R4/slot.html, http://hl7.org/fhir/R4/http.html#create
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "scheduling_test_support.h"

namespace hestia::testing::scheduling {
namespace {

// ---- Plain REST -----------------------------------------------------------------------------

class InvariantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    practitioner_ = "Practitioner/" + Unique("inv-pr");
    location_ = "Location/" + Unique("inv-loc");
    Put("Practitioner", practitioner_.substr(13), R"({"resourceType":"Practitioner"})");
    Put("Location", location_.substr(9), R"({"resourceType":"Location"})");
    for (int k = 0; k < 5; ++k) {
      patients_.push_back(Unique("inv-pat"));
      MakePatient(patients_[k]);
    }
    day_ = UtcMidnightIn(9);
  }

  std::string At(int minutes) const { return Instant(day_ + minutes * kMicrosPerMinute); }
  std::string Patient(int k) const { return "Patient/" + patients_[k]; }

  // An Appointment of `status` over [from, to) minutes of the test day ("" times are left
  // out). Participants are {reference, participant status}.
  static std::string Appointment(const std::string& status, const std::string& start,
                                 const std::string& end,
                                 const std::vector<std::pair<std::string, std::string>>& actors,
                                 const std::vector<std::string>& slots = {}) {
    std::string out = R"({"resourceType":"Appointment","status":)" + json::Quote(status);
    if (!start.empty()) out += R"(,"start":)" + json::Quote(start);
    if (!end.empty()) out += R"(,"end":)" + json::Quote(end);
    if (!slots.empty()) {
      out += R"(,"slot":[)";
      for (std::size_t i = 0; i < slots.size(); ++i) {
        out += std::string(i > 0 ? "," : "") + R"({"reference":)" + json::Quote(slots[i]) + "}";
      }
      out += "]";
    }
    out += R"(,"participant":[)";
    for (std::size_t i = 0; i < actors.size(); ++i) {
      out += std::string(i > 0 ? "," : "") + R"({"actor":{"reference":)" +
             json::Quote(actors[i].first) + R"(},"status":)" + json::Quote(actors[i].second) + "}";
    }
    return out + "]}";
  }
  static HttpResponse Create(const std::string& body) {
    return Send("POST", "/fhir/Appointment", body);
  }

  std::string practitioner_, location_;
  std::vector<std::string> patients_;
  int64_t day_ = 0;
};

TEST_F(InvariantTest, OverlappingBookingsOfAPractitionerConflict) {
  ASSERT_EQ(Create(Appointment("booked", At(600), At(630),
                               {{practitioner_, "accepted"}, {Patient(0), "accepted"}}))
                .status,
            201);
  HttpResponse overlap = Create(Appointment(
      "booked", At(615), At(645), {{practitioner_, "accepted"}, {Patient(1), "accepted"}}));
  EXPECT_EQ(overlap.status, 409) << overlap.body;
  EXPECT_TRUE(IsOperationOutcome(overlap));
  EXPECT_NE(Diagnostics(overlap).find(practitioner_), std::string::npos) << overlap.body;
  // Periods are half-open: the next half hour is free.
  HttpResponse adjacent = Create(Appointment(
      "booked", At(630), At(660), {{practitioner_, "accepted"}, {Patient(1), "accepted"}}));
  EXPECT_EQ(adjacent.status, 201) << adjacent.body;
  // A pending request holds the time too.
  HttpResponse pending = Create(Appointment(
      "pending", At(640), At(650), {{practitioner_, "needs-action"}, {Patient(2), "accepted"}}));
  EXPECT_EQ(pending.status, 409) << pending.body;
}

TEST_F(InvariantTest, OverlappingBookingsOfALocationConflict) {
  ASSERT_EQ(Create(Appointment("booked", At(600), At(630),
                               {{location_, "accepted"}, {Patient(0), "accepted"}}))
                .status,
            201);
  HttpResponse overlap = Create(
      Appointment("booked", At(600), At(630), {{location_, "accepted"}, {Patient(1), "accepted"}}));
  EXPECT_EQ(overlap.status, 409) << overlap.body;
  EXPECT_NE(Diagnostics(overlap).find(location_), std::string::npos) << overlap.body;
}

TEST_F(InvariantTest, OverlappingBookingsOfAPatientConflict) {
  // booking.patient_exclusive defaults to true.
  ASSERT_EQ(Create(Appointment("booked", At(700), At(730), {{Patient(3), "accepted"}})).status,
            201);
  HttpResponse overlap =
      Create(Appointment("booked", At(710), At(720), {{Patient(3), "accepted"}}));
  EXPECT_EQ(overlap.status, 409) << overlap.body;
  EXPECT_NE(Diagnostics(overlap).find(Patient(3)), std::string::npos) << overlap.body;
}

TEST_F(InvariantTest, ADeclinedParticipantDoesNotBlock) {
  ASSERT_EQ(Create(Appointment("booked", At(800), At(830),
                               {{practitioner_, "accepted"}, {Patient(0), "accepted"}}))
                .status,
            201);
  HttpResponse declined = Create(Appointment(
      "booked", At(800), At(830), {{practitioner_, "declined"}, {Patient(1), "accepted"}}));
  EXPECT_EQ(declined.status, 201) << declined.body;
  // ...but accepting it afterwards is refused, and the stored version stays.
  json::Document appt = Parse(declined.body);
  const std::string id = Str(appt, "id");
  appt["participant"][0]["status"].SetString("accepted", appt.GetAllocator());
  HttpResponse accepted = Send("PUT", "/fhir/Appointment/" + id, json::Write(appt));
  EXPECT_EQ(accepted.status, 409) << accepted.body;
  EXPECT_EQ(ParticipantStatus(Read("Appointment", id), practitioner_), "declined");
}

TEST_F(InvariantTest, ACancelledAppointmentReleasesItsTime) {
  HttpResponse first = Create(Appointment("booked", At(900), At(930),
                                          {{practitioner_, "accepted"}, {Patient(0), "accepted"}}));
  ASSERT_EQ(first.status, 201) << first.body;
  json::Document appt = Parse(first.body);
  appt["status"].SetString("cancelled", appt.GetAllocator());
  ASSERT_EQ(Send("PUT", "/fhir/Appointment/" + Str(appt, "id"), json::Write(appt)).status, 200);
  HttpResponse again = Create(Appointment("booked", At(900), At(930),
                                          {{practitioner_, "accepted"}, {Patient(1), "accepted"}}));
  EXPECT_EQ(again.status, 201) << again.body;
}

TEST_F(InvariantTest, ASlotWithCapacityThreeTakesThreeBookings) {
  const std::string schedule = Unique("inv-s");
  Put("Schedule", schedule,
      R"({"resourceType":"Schedule","actor":[{"reference":)" + json::Quote(practitioner_) + "}]}");
  const std::string slot = Unique("inv-slot");
  MakeSlot(slot, schedule, day_ + 1000 * kMicrosPerMinute, 30, 3);
  const std::string start = At(1000);
  const std::string end = At(1030);
  std::vector<std::string> ids;
  for (int k = 0; k < 3; ++k) {
    HttpResponse r = Create(Appointment("booked", start, end,
                                        {{practitioner_, "accepted"}, {Patient(k), "accepted"}},
                                        {"Slot/" + slot}));
    ASSERT_EQ(r.status, 201) << "booking " << k + 1 << ": " << r.body;
    ids.push_back(Str(Parse(r.body), "id"));
  }
  HttpResponse fourth = Create(Appointment("booked", start, end,
                                           {{practitioner_, "accepted"}, {Patient(3), "accepted"}},
                                           {"Slot/" + slot}));
  EXPECT_EQ(fourth.status, 409) << fourth.body;
  EXPECT_TRUE(IsOperationOutcome(fourth));
  EXPECT_NE(Diagnostics(fourth).find("Slot/" + slot), std::string::npos) << fourth.body;
  // Slot.status follows the REST writes (through the plug-in's event handler).
  EXPECT_TRUE(WaitFor([&] { return SlotStatus(slot) == "busy"; })) << SlotStatus(slot);

  // A Slot with active bookings cannot be deleted.
  HttpResponse deleted = Send("DELETE", "/fhir/Slot/" + slot);
  EXPECT_EQ(deleted.status, 409) << deleted.body;
  EXPECT_TRUE(IsOperationOutcome(deleted));
  EXPECT_NE(Diagnostics(deleted).find("Slot/" + slot), std::string::npos) << deleted.body;
  EXPECT_EQ(Send("GET", "/fhir/Slot/" + slot).status, 200);
  // Nor lose seats that are taken: fewer seats, or no longer bookable.
  json::Document fewer = Read("Slot", slot);
  fewer["extension"][0]["valuePositiveInt"].SetInt(2);
  HttpResponse lowered = Send("PUT", "/fhir/Slot/" + slot, json::Write(fewer));
  EXPECT_EQ(lowered.status, 409) << lowered.body;
  json::Document closed = Read("Slot", slot);
  closed["status"].SetString("busy-unavailable", closed.GetAllocator());
  HttpResponse unavailable = Send("PUT", "/fhir/Slot/" + slot, json::Write(closed));
  EXPECT_EQ(unavailable.status, 409) << unavailable.body;

  // Cancelling one frees one seat.
  ASSERT_EQ(Operation("Appointment/" + ids[0] + "/$cancel", {}).status, 200);
  HttpResponse retry = Create(Appointment("booked", start, end,
                                          {{practitioner_, "accepted"}, {Patient(3), "accepted"}},
                                          {"Slot/" + slot}));
  EXPECT_EQ(retry.status, 201) << retry.body;
}

TEST_F(InvariantTest, APendingAppointmentNeedsStartAndEnd) {
  HttpResponse r = Create(Appointment("pending", "", "", {{Patient(4), "accepted"}}));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(IsOperationOutcome(r));
  HttpResponse inverted = Create(Appointment("booked", At(30), At(0), {{Patient(4), "accepted"}}));
  EXPECT_EQ(inverted.status, 400) << inverted.body;
}

// ---- Concurrency ----------------------------------------------------------------------------

constexpr int kClients = 50;
constexpr int kRounds = 100;

// The last two segments of a reference ("Practitioner/x"), or "".
std::string Key(const std::string& reference) {
  const std::size_t slash = reference.rfind('/');
  if (slash == std::string::npos || slash == 0) return "";
  const std::size_t before = reference.rfind('/', slash - 1);
  return reference.substr(before == std::string::npos ? 0 : before + 1);
}

// The current version of every resource of `type`, parsed.
std::vector<json::Document> CurrentVersions(const std::string& type) {
  const std::string out = Sql(
      "SELECT v.body FROM resource r JOIN resource_version v ON v.res_pk = r.pk AND v.version = "
      "r.version WHERE r.res_type = '" +
      type + "' AND NOT r.deleted");
  std::vector<json::Document> docs;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) docs.push_back(Parse(line));
  }
  return docs;
}

// A write racing with another write of the same Appointment is still checked against the
// version it replaces: a forbidden transition or deleting an active Appointment is refused
// whichever write comes first.
TEST(Concurrency, RacingWritesStillObeyTheStatusRules) {
  constexpr int kTrials = 20;
  const std::string patient = Unique("race-pat");
  MakePatient(patient);
  const int64_t base = UtcMidnightIn(150);
  std::map<std::string, int> outcomes;  // "arrived 200, proposed 409" → trials
  for (int t = 0; t < 2 * kTrials; ++t) {
    const bool with_delete = t >= kTrials;
    const int64_t start = base + t * 60 * kMicrosPerMinute;
    HttpResponse created = Send("POST", "/fhir/Appointment",
                                R"({"resourceType":"Appointment","status":"booked","start":)" +
                                    json::Quote(Instant(start)) + R"(,"end":)" +
                                    json::Quote(Instant(start + 30 * kMicrosPerMinute)) +
                                    R"(,"participant":[{"actor":{"reference":"Patient/)" + patient +
                                    R"("},"status":"accepted"}]})");
    ASSERT_EQ(created.status, 201) << created.body;
    json::Document appt = Parse(created.body);
    const std::string id = Str(appt, "id");
    appt["status"].SetString("arrived", appt.GetAllocator());
    const std::string arrived = json::Write(appt);
    appt["status"].SetString("proposed", appt.GetAllocator());
    const std::string proposed = json::Write(appt);

    std::barrier together(2);
    int arrived_status = 0;
    int other_status = 0;
    std::thread first([&] {
      together.arrive_and_wait();
      arrived_status = Send("PUT", "/fhir/Appointment/" + id, arrived).status;
    });
    std::thread second([&] {
      together.arrive_and_wait();
      other_status = with_delete ? Send("DELETE", "/fhir/Appointment/" + id).status
                                 : Send("PUT", "/fhir/Appointment/" + id, proposed).status;
    });
    first.join();
    second.join();
    HttpResponse now = Send("GET", "/fhir/Appointment/" + id);
    const std::string key = std::string("arrived ") + std::to_string(arrived_status) +
                            (with_delete ? ", delete " : ", proposed ") +
                            std::to_string(other_status) + ", then " +
                            (now.status == 200 ? Str(Parse(now.body), "status") : "gone");
    ++outcomes[key];
    EXPECT_EQ(arrived_status, 200) << id;
    EXPECT_EQ(other_status, 409) << (with_delete ? "DELETE" : "PUT proposed") << " of Appointment/"
                                 << id << " was not refused";
    EXPECT_EQ(now.status, 200) << "Appointment/" << id << " was deleted while active";
  }
  for (const auto& [outcome, trials] : outcomes) {
    std::printf("[ outcome  ] %s: %d\n", outcome.c_str(), trials);
  }
}

TEST(Concurrency, FiftyClientsBookOneSlotAtOnceAHundredTimes) {
  const auto began = std::chrono::steady_clock::now();
  const std::string practitioner = Unique("cc-pr");
  const std::string schedule = Unique("cc-s");
  MakeSchedule(schedule, practitioner);
  std::vector<std::string> patients;
  for (int i = 0; i < kClients; ++i) {
    patients.push_back(Unique("cc-pat"));
    MakePatient(patients[i]);
  }
  // One Slot per round, an hour apart: a patient's bookings of different rounds never overlap.
  const int64_t base = UtcMidnightIn(200);
  std::vector<std::string> slots;
  for (int r = 0; r < kRounds; ++r) {
    slots.push_back(Unique("cc-slot"));
    MakeSlot(slots[r], schedule, base + r * 60 * kMicrosPerMinute, 30);
  }
  ASSERT_FALSE(::testing::Test::HasFailure());
  const auto prepared = std::chrono::steady_clock::now();

  std::vector<std::vector<int>> status(kRounds, std::vector<int>(kClients, 0));
  std::vector<std::vector<std::string>> body(kRounds, std::vector<std::string>(kClients));
  std::barrier start(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      HttpClient client("127.0.0.1", Server().port(), 120000);
      const std::vector<std::pair<std::string, std::string>> headers = {
          {"Content-Type", "application/fhir+json"}};
      for (int r = 0; r < kRounds; ++r) {
        const std::string params = R"({"resourceType":"Parameters","parameter":[)" +
                                   RefParam("slot", "Slot/" + slots[r]) + "," +
                                   RefParam("patient", "Patient/" + patients[i]) + "]}";
        start.arrive_and_wait();
        auto response = client.Send("POST", "/fhir/Appointment/$book", headers, params);
        if (!response.ok()) {
          status[r][i] = -1;
          body[r][i] = response.status().ToString();
          client.Close();
          continue;
        }
        status[r][i] = response->status;
        if (response->status != 409) body[r][i] = response->body;
      }
    });
  }
  for (auto& t : clients) t.join();
  const auto raced = std::chrono::steady_clock::now();

  int rounds_ok = 0;
  std::map<int, int> unexpected;        // status → responses (-1: no response)
  std::map<int, std::string> first_of;  // status → the first such response
  std::vector<std::string> winners(kRounds);
  for (int r = 0; r < kRounds; ++r) {
    int created = 0;
    int conflicts = 0;
    for (int i = 0; i < kClients; ++i) {
      if (status[r][i] == 201) {
        ++created;
        winners[r] = Str(Parse(body[r][i]), "id");
      } else if (status[r][i] == 409) {
        ++conflicts;
      } else if (unexpected[status[r][i]]++ == 0) {
        first_of[status[r][i]] =
            "round " + std::to_string(r) + ", client " + std::to_string(i) + ": " + body[r][i];
      }
    }
    EXPECT_EQ(created, 1) << "round " << r;
    if (created == 1 && conflicts == kClients - 1) ++rounds_ok;
  }
  EXPECT_EQ(rounds_ok, kRounds) << "rounds with one 201 and " << kClients - 1 << " 409s";
  for (const auto& [code, count] : unexpected) {
    ADD_FAILURE() << count << " responses with status " << code
                  << " (neither 201 nor 409); first: " << first_of[code];
  }

  // The database: no two busy periods of one actor overlap across groups.
  EXPECT_EQ(Sql("SELECT count(*) FROM booking_busy a JOIN booking_busy b ON a.actor = b.actor AND "
                "a.period && b.period AND a.grp <> b.grp AND a.ctid < b.ctid"),
            "0");

  // The resources themselves: the current version of every Appointment that holds time.
  std::map<std::string, int> capacity;  // "Slot/x" → seats
  for (const auto& slot : CurrentVersions("Slot")) {
    int seats = 1;
    if (const json::Value* list = json::Member(slot, "extension"); list && list->IsArray()) {
      for (const auto& e : list->GetArray()) {
        const json::Value* v = json::Member(e, "valuePositiveInt");
        if (Str(e, "url") == kSlotCapacityUrl && v != nullptr && v->IsInt()) seats = v->GetInt();
      }
    }
    capacity["Slot/" + Str(slot, "id")] = seats;
  }
  struct Busy {
    int64_t start, end;
    std::string group, appointment;
  };
  std::map<std::string, std::vector<Busy>> busy;          // actor → periods
  std::map<std::string, std::vector<std::string>> seats;  // "Slot/x" → Appointments
  const std::set<std::string> kHoldsTime = {"pending", "booked", "arrived", "checked-in",
                                            "fulfilled"};
  const int64_t now = NowMicros();
  int active = 0;
  for (const auto& appt : CurrentVersions("Appointment")) {
    const std::string id = "Appointment/" + Str(appt, "id");
    if (kHoldsTime.count(Str(appt, "status")) == 0) continue;
    const std::string expires = ExtensionValue(appt, kHoldExpiresUrl);
    if (Str(appt, "status") == "pending" && !expires.empty() && ParseInstant(expires) <= now) {
      continue;  // an expired hold holds nothing
    }
    ++active;
    const int64_t start = ParseInstant(Str(appt, "start"));
    const int64_t end = ParseInstant(Str(appt, "end"));
    EXPECT_TRUE(start >= 0 && end > start) << json::Write(appt);
    std::set<std::string> slot_keys;
    for (const std::string& ref : SlotRefs(appt)) slot_keys.insert(Key(ref));
    std::string group = id;  // Appointments sharing a multi-seat Slot may overlap
    for (const std::string& key : slot_keys) {
      seats[key].push_back(id);
      if (capacity.count(key) != 0 && capacity[key] > 1) group = key;
    }
    std::set<std::string> actors;
    if (const json::Value* list = json::Member(appt, "participant"); list && list->IsArray()) {
      for (const auto& p : list->GetArray()) {
        if (Str(p, "status") == "declined" || Str(p, "required") == "information-only") continue;
        const json::Value* actor = json::Member(p, "actor");
        const std::string key = actor == nullptr ? "" : Key(Str(*actor, "reference"));
        const std::string type = key.substr(0, key.find('/'));
        if (type == "Practitioner" || type == "PractitionerRole" || type == "Location" ||
            type == "Device" || type == "Patient") {
          actors.insert(key);
        }
      }
    }
    for (const std::string& actor : actors) busy[actor].push_back({start, end, group, id});
  }
  EXPECT_GE(active, kRounds);
  int overlaps = 0;
  for (auto& [actor, periods] : busy) {
    std::sort(periods.begin(), periods.end(),
              [](const Busy& a, const Busy& b) { return a.start < b.start; });
    for (std::size_t i = 0; i < periods.size(); ++i) {
      for (std::size_t j = i + 1; j < periods.size() && periods[j].start < periods[i].end; ++j) {
        if (periods[i].group == periods[j].group) continue;
        if (overlaps++ < 10) {
          ADD_FAILURE() << actor << " is busy twice: " << periods[i].appointment << " and "
                        << periods[j].appointment;
        }
      }
    }
  }
  EXPECT_EQ(overlaps, 0);
  for (const auto& [slot, holders] : seats) {
    const int seats_of = capacity.count(slot) != 0 ? capacity[slot] : 1;
    EXPECT_LE(static_cast<int>(holders.size()), seats_of) << slot << " is over capacity";
  }
  // Each round's Slot is held by exactly its winner.
  for (int r = 0; r < kRounds; ++r) {
    const auto& holders = seats["Slot/" + slots[r]];
    EXPECT_EQ(holders.size(), 1u) << "Slot/" << slots[r];
    if (!winners[r].empty() && holders.size() == 1) {
      EXPECT_EQ(holders[0], "Appointment/" + winners[r]);
    }
  }

  const auto ended = std::chrono::steady_clock::now();
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  std::printf("[ timing   ] setup %lld ms, %d rounds x %d $book %lld ms, checks %lld ms\n",
              static_cast<long long>(duration_cast<milliseconds>(prepared - began).count()),
              kRounds, kClients,
              static_cast<long long>(duration_cast<milliseconds>(raced - prepared).count()),
              static_cast<long long>(duration_cast<milliseconds>(ended - raced).count()));
}

}  // namespace
}  // namespace hestia::testing::scheduling
