// Shared fixture of the scheduling integration tests: one `hestia serve` (embedded PostgreSQL)
// loading the scheduling plug-in (plugins/scheduling) with short hold and expiry timers,
// started once per program by a gtest Environment, plus the HTTP, JSON, time and SQL helpers
// the tests share. Each test makes its own Practitioner, Schedule, Slots and Patients (ids
// from Unique()) so that tests do not meet each other's bookings, waitlists or Slots.
// FHIR R4: http://hl7.org/fhir/R4/appointment.html, http://hl7.org/fhir/R4/slot.html,
// http://hl7.org/fhir/R4/schedule.html, http://hl7.org/fhir/R4/operations.html
// Thread-safety: Send, Parse and the time helpers may be called from any thread; the server
// and Sql are used from the test thread only.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hestia/base/json.h"
#include "http_client.h"
#include "server_process.h"

namespace hestia::testing::scheduling {

// Plug-in settings of the shared server (hestia.yaml, plugins.list[].config).
inline constexpr int kHoldTtlSeconds = 3;
inline constexpr int kExpireEverySeconds = 1;

inline constexpr int64_t kMicrosPerMinute = 60LL * 1000000;
inline constexpr int64_t kMicrosPerDay = 86400LL * 1000000;

inline constexpr const char* kHoldExpiresUrl =
    "http://hestia.health/fhir/StructureDefinition/hold-expires";
inline constexpr const char* kWaitlistForUrl =
    "http://hestia.health/fhir/StructureDefinition/waitlist-for";
inline constexpr const char* kWaitlistPassedUrl =
    "http://hestia.health/fhir/StructureDefinition/waitlist-passed";
inline constexpr const char* kSlotCapacityUrl =
    "http://hestia.health/fhir/StructureDefinition/slot-capacity";
inline constexpr const char* kAvailabilityUrl =
    "http://hestia.health/fhir/StructureDefinition/schedule-availability";
inline constexpr const char* kTagSystem = "http://hestia.health/fhir/CodeSystem/scheduling";

// The shared server (started by the Environment in scheduling_test_support.cc).
ServerProcess& Server();

// ---- HTTP and JSON --------------------------------------------------------------------------

// Sends one request (a body of `content_type` when given) on a fresh connection; a transport
// failure fails the current test and returns status 0.
HttpResponse Send(std::string_view method, std::string_view target, std::string_view body = {},
                  std::string_view content_type = "application/fhir+json");
// POST of a Parameters body to /fhir/<path> (e.g. "Appointment/$book").
HttpResponse Operation(const std::string& path, const std::vector<std::string>& parameters);

// Parameter entries for Operation().
std::string RefParam(const std::string& name, const std::string& reference);
std::string StringParam(const std::string& name, const std::string& value);
std::string IntParam(const std::string& name, int value);

json::Document Parse(std::string_view text);
// The string member `name` of `object` ("" when absent).
std::string Str(const json::Value& object, const char* name);
// The first issue's diagnostics of an OperationOutcome body ("" when it is not one).
std::string Diagnostics(const HttpResponse& r);
bool IsOperationOutcome(const HttpResponse& r);
// The valueInteger of parameter `name` of a Parameters body (-1 when absent).
int IntOutput(const HttpResponse& r, const std::string& name);

// The resources of a Bundle's entries, in order.
std::vector<const json::Value*> Resources(const json::Value& bundle);
// "Type/id" references of Appointment.slot, in order.
std::vector<std::string> SlotRefs(const json::Value& appointment);
// The valueInstant/valueReference of the first extension with `url` ("" when absent).
std::string ExtensionValue(const json::Value& resource, const char* url);
bool HasTag(const json::Value& resource, const std::string& code);
// The participant status of `actor` ("" when not a participant).
std::string ParticipantStatus(const json::Value& appointment, const std::string& actor);

// A new id: prefix + "-" + 8 random hex characters.
std::string Unique(const std::string& prefix);

// PUT of `body` (its id set to `id`) to /fhir/<type>/<id>; fails the test unless 200 or 201.
void Put(const std::string& type, const std::string& id, const std::string& body);
// GET /fhir/<type>/<id> (fails the test unless 200) as JSON.
json::Document Read(const std::string& type, const std::string& id);
std::string SlotStatus(const std::string& slot_id);
std::string AppointmentStatus(const std::string& id);

// Creates Practitioner/<practitioner> and Schedule/<schedule> with it as the only actor.
void MakeSchedule(const std::string& schedule, const std::string& practitioner);
void MakePatient(const std::string& id);
// Creates Slot/<id> of Schedule/<schedule>, free, [start, start + minutes). `extra` is JSON
// members appended to the resource (",\"specialty\":[…]").
void MakeSlot(const std::string& id, const std::string& schedule, int64_t start_micros, int minutes,
              int capacity = 1, const std::string& extra = "");

// Polls `done` every 100 ms until it holds or `timeout` passes; returns its last value.
bool WaitFor(const std::function<bool()>& done,
             std::chrono::milliseconds timeout = std::chrono::seconds(20));

// ---- Time -----------------------------------------------------------------------------------

int64_t NowMicros();
// FHIR instant in UTC, whole seconds: "2026-12-07T08:00:00Z".
std::string Instant(int64_t micros);
// Parses "YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)" into UTC microseconds; -1 when malformed.
int64_t ParseInstant(std::string_view text);
// UTC midnight of the day `days` after today (UTC).
int64_t UtcMidnightIn(int days);

// Civil dates (proleptic Gregorian) as days since 1970-01-01.
int64_t DaysFromCivil(int y, int m, int d);
void CivilFromDays(int64_t days, int* y, int* m, int* d);
// 1 = Monday ... 7 = Sunday.
int IsoWeekday(int64_t days);
// The UTC instant of local wall-clock time `second_of_day` on local date `days` in
// Europe/Berlin (EU rule: CEST from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
// last Sunday of October). Only for wall times outside the changeover hours.
int64_t BerlinToUtc(int64_t days, int second_of_day);
// The local date (days since epoch) in Europe/Berlin of a UTC instant.
int64_t BerlinDate(int64_t utc_micros);

// ---- SQL ------------------------------------------------------------------------------------

// Runs `sql` with psql on the shared server's embedded cluster; fails the test on error and
// returns the unaligned, tuples-only output.
std::string Sql(const std::string& sql);

}  // namespace hestia::testing::scheduling
