// Slot upkeep of the scheduling plug-in: Slot.status from the active Appointments
// (Reconcile), offering freed Slots to the waitlist, cancelling expired holds, and
// materialising Slots from Schedule availability ($materialize and the hourly job).
// See scheduler.h. FHIR R4: http://hl7.org/fhir/R4/slot.html, http://hl7.org/fhir/R4/schedule.html
#include <algorithm>
#include <map>
#include <set>

#include "availability.h"
#include "scheduler.h"

namespace hestia::scheduling {
namespace {

using sdk::Error;

constexpr int64_t kMicrosPerDay = 86400LL * 1000000;
constexpr const char* kActiveStatuses = "pending,booked,arrived,checked-in,fulfilled";
constexpr const char* kGeneratedPrefix = "gen-";

int Capacity(const Value& slot) {
  const Value* ext = Extension(slot, kSlotCapacityUrl);
  const Value* v = ext == nullptr ? nullptr : Member(*ext, "valuePositiveInt");
  return v != nullptr && v->IsInt() && v->GetInt() > 0 ? v->GetInt() : 1;
}

bool HoldExpired(const Value& appointment, int64_t now) {
  if (String(appointment, "status") != "pending") return false;
  const Value* ext = Extension(appointment, kHoldExpiresUrl);
  if (ext == nullptr) return false;
  const auto at = ParseInstant(String(*ext, "valueInstant"));
  return at && *at <= now;
}

// A stable id for the Slot a Schedule's availability puts at `start`: materialising again
// finds the same ids, so PUT with If-None-Match: * creates each Slot once.
std::string GeneratedSlotId(const std::string& schedule_id, int64_t start_micros) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : schedule_id) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  static const char* kHex = "0123456789abcdef";
  std::string out = kGeneratedPrefix;
  for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(h >> shift) & 15];
  out += '-';
  out += std::to_string(start_micros / 60000000);  // minutes since the epoch
  return out;
}

}  // namespace

int Scheduler::ActiveBookings(const sdk::Call& call, const std::string& slot_id,
                              int* pending) const {
  Document found = SearchBundle(
      call, "Appointment",
      "slot=Slot/" + UrlEncode(slot_id) + "&status=" + kActiveStatuses + "&_count=1000");
  int active = 0;
  *pending = 0;
  const int64_t now = Now();
  for (const Value* appt : BundleResources(found, "match")) {
    if (HoldExpired(*appt, now)) continue;
    ++active;
    if (String(*appt, "status") == "pending") ++*pending;
  }
  return active;
}

bool Scheduler::Reconcile(const sdk::Call& call, const std::string& slot_id) const {
  for (int attempt = 0; attempt < 5; ++attempt) {
    const sdk::FhirResult read = call.Read("Slot", slot_id);
    if (!read.ok()) return true;  // deleted or never there: nothing to keep in step
    Document slot = ParseObject(read.body, "Slot/" + slot_id);
    const std::string status = String(slot, "status");
    if (status != "free" && status != "busy" && status != "busy-tentative") return true;
    int pending = 0;
    const int active = ActiveBookings(call, slot_id, &pending);
    const std::string wanted = active < Capacity(slot) ? "free"
                               : pending > 0           ? "busy-tentative"
                                                       : "busy";
    if (wanted != status) {
      const std::string etag = VersionETag(slot);
      SetString(slot, "status", wanted, slot.GetAllocator());
      const sdk::FhirResult r = call.Transaction(
          MakeBundle("transaction", {{"PUT", "Slot/" + slot_id, ToJson(slot), etag, false}}));
      if (r.status == HESTIA_ERR_PRECONDITION || r.status == HESTIA_ERR_CONFLICT) continue;
      if (!r.ok()) {
        host_->Log(HESTIA_LOG_WARN, "cannot update Slot/" + slot_id + ": " + Diagnostics(r.body));
        return false;
      }
      // This version's own change event would only count again what was just counted.
      const Document response = ParseObject(r.body, "the Slot update response");
      for (const Value* written : BundleResources(response, "")) {
        settled_.Remember("Slot", slot_id, VersionNumber(*written));
      }
    }
    const auto start = ParseInstant(String(slot, "start"));
    if (wanted == "free" && start && *start > Now()) OfferToWaitlist(call, slot);
    return true;
  }
  return false;
}

void Scheduler::ReconcileAfter(const sdk::Call& call, const std::vector<const Value*>& written,
                               const std::vector<std::string>& slots) const {
  bool settled = true;
  for (const std::string& slot : slots) settled = Reconcile(call, slot) && settled;
  if (!settled) return;
  for (const Value* resource : written) {
    if (String(*resource, "resourceType") == "Appointment") {
      settled_.Remember("Appointment", String(*resource, "id"), VersionNumber(*resource));
    }
  }
}

std::vector<Document> Scheduler::RunFrom(const sdk::Call& call, const Value& slot,
                                         int minutes) const {
  std::vector<Document> run;
  Document first;
  first.CopyFrom(slot, first.GetAllocator());
  run.push_back(std::move(first));
  const int64_t start = *ParseInstant(String(slot, "start"));
  int64_t end = ParseInstant(String(slot, "end")).value_or(start);
  const int64_t wanted = start + int64_t{minutes} * 60000000;
  if (end >= wanted) return run;
  const Value* schedule = Member(slot, "schedule");
  if (schedule == nullptr) return {};
  Document next = SearchBundle(
      call, "Slot",
      "schedule=" + UrlEncode(ReferenceKey(String(*schedule, "reference"), "Schedule")) +
          "&status=free&start=ge" + UrlEncode(FormatInstant(end)) + "&start=lt" +
          UrlEncode(FormatInstant(wanted)) + "&_sort=start&_count=16");
  for (const Value* s : BundleResources(next, "match")) {
    const auto s_start = ParseInstant(String(*s, "start"));
    const auto s_end = ParseInstant(String(*s, "end"));
    if (!s_start || !s_end || *s_start != end) break;  // not back to back
    Document copy;
    copy.CopyFrom(*s, copy.GetAllocator());
    run.push_back(std::move(copy));
    end = *s_end;
    if (end >= wanted) return run;
  }
  return {};
}

void Scheduler::OfferToWaitlist(const sdk::Call& call, const Value& slot) const {
  const Value* schedule_ref = Member(slot, "schedule");
  const std::string schedule_key =
      schedule_ref == nullptr ? "" : ReferenceKey(String(*schedule_ref, "reference"), "Schedule");
  if (schedule_key.empty()) return;
  const sdk::FhirResult read = call.Read("Schedule", schedule_key.substr(9));
  if (!read.ok()) return;
  Document schedule = ParseObject(read.body, schedule_key);
  const int64_t slot_start = *ParseInstant(String(slot, "start"));
  const std::string slot_id = String(slot, "id");
  for (const auto& actor : Array(schedule, "actor").GetArray()) {
    const std::string key = ReferenceKey(String(actor, "reference"));
    if (key.empty() || key.rfind("Location/", 0) == 0) continue;
    Document waiting =
        SearchBundle(call, "Appointment",
                     "status=waitlist&actor=" + UrlEncode(key) + "&_sort=_lastUpdated&_count=50");
    for (const Value* entry : BundleResources(waiting, "match")) {
      const Value& periods = Array(*entry, "requestedPeriod");
      bool fits = periods.Empty();
      for (const auto& p : periods.GetArray()) {
        const auto from = ParseInstant(String(p, "start"));
        const auto to = ParseInstant(String(p, "end"));
        if ((!from || *from <= slot_start) && (!to || slot_start < *to)) fits = true;
      }
      if (!fits) continue;
      bool passed = false;  // this entry let an offer of this Slot lapse before
      for (const auto& e : Array(*entry, "extension").GetArray()) {
        const Value* ref = Member(e, "valueReference");
        passed = passed || (String(e, "url") == kWaitlistPassedUrl && ref != nullptr &&
                            ReferenceKey(String(*ref, "reference"), "Slot") == "Slot/" + slot_id);
      }
      if (passed) continue;
      // The offer is as long as the visit it replaces: enough back-to-back free Slots.
      const Value* minutes = Member(*entry, "minutesDuration");
      const std::vector<Document> run =
          RunFrom(call, slot, minutes != nullptr && minutes->IsInt() ? minutes->GetInt() : 0);
      if (run.empty()) continue;
      Document offer;
      offer.CopyFrom(*entry, offer.GetAllocator());
      Allocator& a = offer.GetAllocator();
      const std::string etag = VersionETag(offer);
      SetString(offer, "status", "pending", a);
      SetString(offer, "start", String(run.front(), "start"), a);
      SetString(offer, "end", String(run.back(), "end"), a);
      Value slots(rapidjson::kArrayType);
      for (const Document& s : run) {
        Value ref(rapidjson::kObjectType);
        SetString(ref, "reference", "Slot/" + String(s, "id"), a);
        slots.PushBack(std::move(ref), a);
      }
      Set(offer, "slot", std::move(slots), a);
      const int64_t expires = NowSeconds() + int64_t{settings_.hold_ttl_seconds} * 1000000;
      RemoveExtension(offer, kHoldExpiresUrl, a);
      AddExtension(offer, kHoldExpiresUrl, "valueInstant", FormatInstant(expires), a);
      AddTag(offer, "hold", a);
      const std::string id = String(offer, "id");
      const sdk::FhirResult r = call.Transaction(
          MakeBundle("transaction", {{"PUT", "Appointment/" + id, ToJson(offer), etag, false}}));
      if (r.ok()) {
        host_->Log(HESTIA_LOG_INFO, "waitlist: Appointment/" + id + " holds Slot/" + slot_id +
                                        " until " + FormatInstant(expires));
        // Now held: its Slots turn busy-tentative (a reconcile that finds them taken stops).
        for (const Document& s : run) Reconcile(call, String(s, "id"));
        return;
      }
      // A conflict is the Slot taken meanwhile — then stop — or this patient being busy at
      // that time; a failed precondition is the entry changed meanwhile. Try the next one.
      if (r.status == HESTIA_ERR_CONFLICT) {
        int pending = 0;
        const sdk::FhirResult now_slot = call.Read("Slot", slot_id);
        if (!now_slot.ok()) return;
        const Document current = ParseObject(now_slot.body, "Slot/" + slot_id);
        if (ActiveBookings(call, slot_id, &pending) >= Capacity(current)) return;
      }
    }
  }
}

void Scheduler::ExpireOne(const sdk::Call& call, const Value& appointment) const {
  Document appt;
  appt.CopyFrom(appointment, appt.GetAllocator());
  Allocator& a = appt.GetAllocator();
  const std::string etag = VersionETag(appt);
  const std::vector<std::string> slots = SlotIds(appt);
  if (Extension(appt, kWaitlistForUrl) != nullptr) {
    // A lapsed waitlist offer goes back to waiting (now at the end of the line), keeping the
    // booking it wants to move; the Slots it let lapse are noted and not offered to it again.
    for (const std::string& slot : slots) {
      AddReferenceExtension(appt, kWaitlistPassedUrl, "Slot/" + slot, a);
    }
    SetString(appt, "status", "waitlist", a);
    for (const char* field : {"slot", "start", "end"}) Remove(appt, field);
    RemoveExtension(appt, kHoldExpiresUrl, a);
    RemoveTag(appt, "hold", a);
  } else {
    SetString(appt, "status", "cancelled", a);
    Value reason(rapidjson::kObjectType);
    SetString(reason, "text", "hold expired", a);
    Set(appt, "cancelationReason", std::move(reason), a);
  }
  const std::string id = String(appt, "id");
  const sdk::FhirResult r = call.Transaction(
      MakeBundle("transaction", {{"PUT", "Appointment/" + id, ToJson(appt), etag, false}}));
  if (!r.ok()) return;  // confirmed or changed meanwhile: the next round looks again
  host_->Log(HESTIA_LOG_INFO, "hold Appointment/" + id + " expired");
  for (const std::string& slot : slots) Reconcile(call, slot);
}

void Scheduler::ExpireHolds(sdk::Call& call) const {
  Document holds = SearchBundle(
      call, "Appointment",
      std::string("status=pending&_tag=") + UrlEncode(kTagSystem) + "%7Chold&_count=200");
  const int64_t now = Now();
  for (const Value* appt : BundleResources(holds, "match")) {
    if (HoldExpired(*appt, now)) ExpireOne(call, *appt);
  }
}

void Scheduler::OnAppointmentChange(sdk::Call& call, const sdk::Event& event) const {
  if (event.resource.empty()) return;
  if (settled_.Take("Appointment", event.id, event.version)) return;  // written and settled here
  Document appt = ParseObject(event.resource, "Appointment/" + std::string(event.id));
  for (const std::string& slot : SlotIds(appt)) Reconcile(call, slot);
}

void Scheduler::OnSlotChange(sdk::Call& call, const sdk::Event& event) const {
  if (event.resource.empty()) return;
  if (settled_.Take("Slot", event.id, event.version)) return;  // Reconcile's own update
  Reconcile(call, std::string(event.id));
}

std::pair<int, int> Scheduler::MaterializeSchedule(sdk::Call& call, const Value& schedule,
                                                   int days) const {
  AvailabilityRules rules;
  std::string error;
  const std::string schedule_id = String(schedule, "id");
  if (!ParseAvailability(schedule, &rules, &error)) {
    if (!error.empty()) throw Error(HESTIA_ERR_INVALID, "Schedule/" + schedule_id + ": " + error);
    return {0, 0};
  }
  const int64_t now = Now();
  const int64_t from = now - now % 60000000;
  const int64_t to = from + int64_t{days} * kMicrosPerDay;
  std::vector<SlotTime> wanted;
  if (!ExpandAvailability(rules, from, to, &wanted, &error)) {
    throw Error(HESTIA_ERR_INVALID, "Schedule/" + schedule_id + ": " + error);
  }
  // What is there: every Slot of the Schedule starting in the window.
  std::map<std::string, std::string> existing;  // id → status
  std::string query = "schedule=Schedule/" + UrlEncode(schedule_id) + "&start=ge" +
                      UrlEncode(FormatInstant(from)) + "&start=lt" + UrlEncode(FormatInstant(to)) +
                      "&_count=1000&_elements=status";
  while (!query.empty()) {
    Document page = SearchBundle(call, "Slot", query);
    for (const Value* slot : BundleResources(page, "match")) {
      existing[String(*slot, "id")] = String(*slot, "status");
    }
    query = NextQuery(page);
  }
  // Slots to create: descriptive fields from the Schedule, seats from the rules.
  std::string common;
  for (const char* field : {"serviceCategory", "serviceType", "specialty"}) {
    if (const Value* v = Member(schedule, field)) common += "," + Quote(field) + ":" + ToJson(*v);
  }
  if (rules.capacity > 1) {
    common += R"(,"extension":[{"url":)" + Quote(kSlotCapacityUrl) + R"(,"valuePositiveInt":)" +
              std::to_string(rules.capacity) + "}]";
  }
  std::vector<Entry> entries;
  std::set<std::string> wanted_ids;
  for (const SlotTime& t : wanted) {
    const std::string id = GeneratedSlotId(schedule_id, t.start_micros);
    wanted_ids.insert(id);
    if (existing.count(id) != 0) continue;
    entries.push_back({"PUT", "Slot/" + id,
                       R"({"resourceType":"Slot","id":)" + Quote(id) +
                           R"(,"meta":{"tag":[{"system":)" + Quote(kTagSystem) +
                           R"(,"code":"generated"}]},"schedule":{"reference":)" +
                           Quote("Schedule/" + schedule_id) + R"(},"status":"free","start":)" +
                           Quote(FormatInstant(t.start_micros)) + R"(,"end":)" +
                           Quote(FormatInstant(t.end_micros)) + common + "}",
                       "", true});
  }
  const int created = static_cast<int>(entries.size());
  // Generated Slots the rules no longer produce (a new holiday, changed hours) go when free.
  int removed = 0;
  for (const auto& [id, status] : existing) {
    if (id.rfind(kGeneratedPrefix, 0) == 0 && wanted_ids.count(id) == 0 && status == "free") {
      entries.push_back({"DELETE", "Slot/" + id, "", "", false});
      ++removed;
    }
  }
  // Each chunk as one transaction (one commit for hundreds of Slots). If a Slot was created
  // meanwhile by another run (412) or one to remove was booked meanwhile (409), the chunk is
  // sent again as a batch, where each entry stands alone, so the rest still gets written.
  constexpr std::size_t kChunk = 500;
  for (std::size_t i = 0; i < entries.size(); i += kChunk) {
    const std::vector<Entry> chunk(
        entries.begin() + static_cast<std::ptrdiff_t>(i),
        entries.begin() + static_cast<std::ptrdiff_t>(std::min(entries.size(), i + kChunk)));
    sdk::FhirResult r = call.Transaction(MakeBundle("transaction", chunk));
    if (r.status == HESTIA_ERR_PRECONDITION || r.status == HESTIA_ERR_CONFLICT) {
      r = call.Transaction(MakeBundle("batch", chunk));
    }
    if (!r.ok()) {
      throw Error(r.status, "materialising Schedule/" + schedule_id + ": " + Diagnostics(r.body));
    }
  }
  return {created, removed};
}

void Scheduler::Materialize(sdk::Call& call, const sdk::OperationRequest& req) const {
  const Parameters params(req.parameters);
  int days = settings_.horizon_days;
  if (auto d = params.Text("days")) {
    try {
      days = std::stoi(*d);
    } catch (const std::exception&) {
      days = -1;
    }
    if (days < 1 || days > 366) throw Error(HESTIA_ERR_INVALID, "days must be 1 to 366", "days");
  }
  int schedules = 0;
  int created = 0;
  int removed = 0;
  if (!req.id.empty()) {
    Document schedule = ReadResource(call, "Schedule", req.id);
    std::tie(created, removed) = MaterializeSchedule(call, schedule, days);
    schedules = 1;
  } else {
    ForEachActiveSchedule(call, [&](const Value& schedule) {
      const auto [c, r] = MaterializeSchedule(call, schedule, days);
      created += c;
      removed += r;
      ++schedules;
    });
  }
  call.Respond(200,
               R"({"resourceType":"Parameters","parameter":[{"name":"schedules","valueInteger":)" +
                   std::to_string(schedules) + R"(},{"name":"created","valueInteger":)" +
                   std::to_string(created) + R"(},{"name":"removed","valueInteger":)" +
                   std::to_string(removed) + "}]}");
}

void Scheduler::ForEachActiveSchedule(const sdk::Call& call,
                                      const std::function<void(const Value&)>& fn) const {
  std::string query = "_count=200";
  while (!query.empty()) {
    Document page = SearchBundle(call, "Schedule", query);
    for (const Value* schedule : BundleResources(page, "match")) {
      const Value* active = Member(*schedule, "active");
      if (active == nullptr || !active->IsFalse()) fn(*schedule);
    }
    query = NextQuery(page);
  }
}

void Scheduler::MaterializeAll(sdk::Call& call) const {
  int created = 0;
  ForEachActiveSchedule(call, [&](const Value& schedule) {
    try {
      created += MaterializeSchedule(call, schedule, settings_.horizon_days).first;
    } catch (const Error& e) {
      host_->Log(HESTIA_LOG_WARN, e.diagnostics());  // one bad Schedule does not stop the rest
    }
  });
  host_->Log(HESTIA_LOG_INFO, "materialised " + std::to_string(created) + " Slots");
}

}  // namespace hestia::scheduling
