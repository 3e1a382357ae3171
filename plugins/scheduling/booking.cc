// The booking operations of the scheduling plug-in: $hold, $book, $request, $confirm,
// $approve, $decline, $cancel, $reschedule and $waitlist. See scheduler.h; the parameters of
// each are in definitions.cc (their OperationDefinitions) and docs/scheduling.md.
// IHE ITI Scheduling: $hold and $book; R4 Appointment status codes and AppointmentResponse:
// FHIR R4: http://hl7.org/fhir/R4/appointment.html#statuses
#include <algorithm>
#include <set>

#include "availability.h"
#include "scheduler.h"

namespace hestia::scheduling {
namespace {

using sdk::Error;

bool IsActive(const std::string& status) {
  return status == "pending" || status == "booked" || status == "arrived" || status == "checked-in";
}

Value Reference(std::string_view key, Allocator& alloc) {
  Value r(rapidjson::kObjectType);
  r.AddMember("reference", Value(key.data(), static_cast<rapidjson::SizeType>(key.size()), alloc),
              alloc);
  return r;
}

Value Participant(std::string_view actor, const char* status, Allocator& alloc) {
  Value p(rapidjson::kObjectType);
  p.AddMember("actor", Reference(actor, alloc), alloc);
  p.AddMember("required", "required", alloc);
  p.AddMember("status", Value(status, alloc), alloc);
  return p;
}

// Sets every participant's status (the patient's stays as it is unless `patients_too`).
void SetParticipantStatus(Value& appointment, const char* status, Allocator& alloc) {
  auto it = appointment.FindMember("participant");
  if (it == appointment.MemberEnd() || !it->value.IsArray()) return;
  for (auto& p : it->value.GetArray()) {
    if (p.IsObject()) SetString(p, "status", status, alloc);
  }
}

std::string Id(const Value& resource) { return String(resource, "id"); }

// The first Practitioner (or PractitionerRole) taking part in `appointment`.
std::string FirstPractitioner(const Value& appointment) {
  for (const auto& p : Array(appointment, "participant").GetArray()) {
    const Value* actor = Member(p, "actor");
    if (actor == nullptr) continue;
    std::string key = ReferenceKey(String(*actor, "reference"));
    if (key.rfind("Practitioner/", 0) == 0 || key.rfind("PractitionerRole/", 0) == 0) return key;
  }
  return "";
}

std::string AppointmentResponse(const Value& appointment, const std::string& actor,
                                const char* participant_status, const std::string& comment) {
  std::string out = R"({"resourceType":"AppointmentResponse","appointment":{"reference":)" +
                    Quote("Appointment/" + Id(appointment)) + "}";
  if (!actor.empty()) out += R"(,"actor":{"reference":)" + Quote(actor) + "}";
  out += R"(,"participantStatus":)" + Quote(participant_status);
  if (!comment.empty()) out += R"(,"comment":)" + Quote(comment);
  return out + "}";
}

void SetCancelled(Value& appointment, const std::string& reason, Allocator& alloc) {
  SetString(appointment, "status", "cancelled", alloc);
  Value concept_value(rapidjson::kObjectType);
  SetString(concept_value, "text", reason, alloc);
  Set(appointment, "cancelationReason", std::move(concept_value), alloc);
}

}  // namespace

std::vector<std::string> Scheduler::SlotIds(const Value& appointment) {
  std::vector<std::string> out;
  for (const auto& s : Array(appointment, "slot").GetArray()) {
    const std::string key = ReferenceKey(String(s, "reference"), "Slot");
    if (!key.empty()) out.push_back(key.substr(5));
  }
  return out;
}

void Scheduler::SlotsAndPatient(const Parameters& params, std::vector<std::string>* slot_ids,
                                std::string* patient) const {
  const Value* proposal = params.Resource("appointment");
  if (proposal != nullptr) {
    if (String(*proposal, "resourceType") != "Appointment") {
      throw Error(HESTIA_ERR_INVALID, "parameter appointment must be an Appointment");
    }
    *slot_ids = SlotIds(*proposal);
    for (const auto& p : Array(*proposal, "participant").GetArray()) {
      const Value* actor = Member(p, "actor");
      if (actor == nullptr) continue;
      const std::string key = ReferenceKey(String(*actor, "reference"), "Patient");
      if (!key.empty() && patient->empty()) *patient = key;
    }
  }
  for (const std::string& s : params.Texts("slot")) {
    const std::string key = ReferenceKey(s, "Slot");
    if (key.empty()) throw Error(HESTIA_ERR_INVALID, "slot must reference a Slot: " + s, "slot");
    slot_ids->push_back(key.substr(5));
  }
  if (auto p = params.Text("patient")) {
    *patient = ReferenceKey(*p, "Patient");
    if (patient->empty()) {
      throw Error(HESTIA_ERR_INVALID, "patient must reference a Patient: " + *p, "patient");
    }
  }
  std::sort(slot_ids->begin(), slot_ids->end());
  slot_ids->erase(std::unique(slot_ids->begin(), slot_ids->end()), slot_ids->end());
  if (slot_ids->empty()) {
    throw Error(HESTIA_ERR_INVALID,
                "name the time to book: an appointment parameter (a proposal from $find) or "
                "one or more slot parameters");
  }
  if (slot_ids->size() > 16) throw Error(HESTIA_ERR_INVALID, "at most 16 slots per appointment");
}

Document Scheduler::BuildAppointment(const sdk::Call& call,
                                     const std::vector<std::string>& slot_ids,
                                     const std::string& patient, const Value* proposal,
                                     const std::string& status) const {
  Document appt(rapidjson::kObjectType);
  Allocator& a = appt.GetAllocator();
  appt.AddMember("resourceType", "Appointment", a);
  appt.AddMember("status", Value(status.c_str(), a), a);
  // Descriptive fields of the proposal travel; times, slots and actors come from the Slots.
  if (proposal != nullptr) {
    for (const char* field :
         {"serviceCategory", "serviceType", "specialty", "appointmentType", "reasonCode",
          "reasonReference", "priority", "description", "supportingInformation", "comment",
          "patientInstruction", "basedOn"}) {
      if (const Value* v = Member(*proposal, field))
        appt.AddMember(Value(field, a), Value(*v, a), a);
    }
  }
  int64_t start = INT64_MAX;
  int64_t end = INT64_MIN;
  std::set<std::string> schedules;
  Value slots(rapidjson::kArrayType);
  Document first_slot;
  for (const std::string& id : slot_ids) {
    Document slot = ReadResource(call, "Slot", id);
    const auto s = ParseInstant(String(slot, "start"));
    const auto e = ParseInstant(String(slot, "end"));
    if (!s || !e) throw Error(HESTIA_ERR_INVALID, "Slot/" + id + " has no usable start and end");
    start = std::min(start, *s);
    end = std::max(end, *e);
    if (const Value* sched = Member(slot, "schedule")) {
      const std::string key = ReferenceKey(String(*sched, "reference"), "Schedule");
      if (!key.empty()) schedules.insert(key.substr(9));
    }
    slots.PushBack(Reference("Slot/" + id, a), a);
    if (first_slot.IsNull()) first_slot.CopyFrom(slot, first_slot.GetAllocator());
  }
  for (const char* field : {"serviceCategory", "serviceType", "specialty", "appointmentType"}) {
    if (Member(appt, field) == nullptr) {
      if (const Value* v = Member(first_slot, field))
        appt.AddMember(Value(field, a), Value(*v, a), a);
    }
  }
  appt.AddMember("start", Value(FormatInstant(start).c_str(), a), a);
  appt.AddMember("end", Value(FormatInstant(end).c_str(), a), a);
  appt.AddMember("minutesDuration", static_cast<int>((end - start) / 60000000), a);
  appt.AddMember("slot", std::move(slots), a);
  const char* actor_status = status == "booked" ? "accepted" : "needs-action";
  Value participants(rapidjson::kArrayType);
  std::set<std::string> actors;
  for (const std::string& schedule_id : schedules) {
    Document schedule = ReadResource(call, "Schedule", schedule_id);
    for (const auto& actor : Array(schedule, "actor").GetArray()) {
      const std::string key = ReferenceKey(String(actor, "reference"));
      if (!key.empty() && actors.insert(key).second) {
        participants.PushBack(Participant(key, actor_status, a), a);
      }
    }
  }
  if (!patient.empty() && actors.insert(patient).second) {
    participants.PushBack(Participant(patient, "accepted", a), a);
  }
  if (participants.Empty()) {
    throw Error(HESTIA_ERR_INVALID, "the Slots' Schedules name no actor and no patient was given");
  }
  appt.AddMember("participant", std::move(participants), a);
  Value created(FormatInstant(NowSeconds()).c_str(), a);
  appt.AddMember("created", std::move(created), a);
  return appt;
}

void Scheduler::CreateAndRespond(sdk::Call& call, const Document& appointment) const {
  const sdk::FhirResult r = call.Create("Appointment", ToJson(appointment));
  if (!r.ok()) throw Error(r.status, Diagnostics(r.body));
  const Document created = ParseObject(r.body, "the created Appointment");
  ReconcileAfter(call, {&created}, SlotIds(appointment));
  call.Respond(201, r.body);
}

void Scheduler::CommitAndRespond(sdk::Call& call, const std::vector<Entry>& entries,
                                 const std::vector<std::string>& slots) const {
  Document response = RunTransaction(call, MakeBundle("transaction", entries));
  ReconcileAfter(call, BundleResources(response, ""), slots);
  const Value& entry = Array(response, "entry");
  if (!entry.Empty()) {
    if (const Value* resource = Member(entry[0], "resource")) {
      call.Respond(200, ToJson(*resource));
      return;
    }
  }
  throw Error(HESTIA_ERR_INTERNAL, "the transaction response has no resource");
}

Document Scheduler::LoadAppointment(const sdk::Call& call, const sdk::OperationRequest& req) const {
  if (req.type != "Appointment" || req.id.empty()) {
    throw Error(HESTIA_ERR_INVALID, "$" + std::string(req.name) + " is called on an Appointment");
  }
  return ReadResource(call, "Appointment", req.id);
}

void Scheduler::Hold(sdk::Call& call, const sdk::OperationRequest& req) const {
  const Parameters params(req.parameters);
  std::vector<std::string> slots;
  std::string patient;
  SlotsAndPatient(params, &slots, &patient);
  Document appt = BuildAppointment(call, slots, patient, params.Resource("appointment"), "pending");
  const int64_t expires = NowSeconds() + int64_t{settings_.hold_ttl_seconds} * 1000000;
  AddExtension(appt, kHoldExpiresUrl, "valueInstant", FormatInstant(expires), appt.GetAllocator());
  AddTag(appt, "hold", appt.GetAllocator());
  CreateAndRespond(call, appt);
}

void Scheduler::Book(sdk::Call& call, const sdk::OperationRequest& req) const {
  if (!req.id.empty()) {
    Confirm(call, req);  // Appointment/[id]/$book books that hold
    return;
  }
  const Parameters params(req.parameters);
  std::vector<std::string> slots;
  std::string patient;
  SlotsAndPatient(params, &slots, &patient);
  Document appt = BuildAppointment(call, slots, patient, params.Resource("appointment"), "booked");
  CreateAndRespond(call, appt);
}

void Scheduler::Request(sdk::Call& call, const sdk::OperationRequest& req) const {
  const Parameters params(req.parameters);
  std::vector<std::string> slots;
  std::string patient;
  SlotsAndPatient(params, &slots, &patient);
  if (patient.empty()) throw Error(HESTIA_ERR_INVALID, "a request names its patient", "patient");
  Document appt = BuildAppointment(call, slots, patient, params.Resource("appointment"), "pending");
  if (auto message = params.Text("message"))
    SetString(appt, "comment", *message, appt.GetAllocator());
  AddTag(appt, "request", appt.GetAllocator());
  CreateAndRespond(call, appt);
}

void Scheduler::Confirm(sdk::Call& call, const sdk::OperationRequest& req) const {
  Document appt = LoadAppointment(call, req);
  Allocator& a = appt.GetAllocator();
  if (String(appt, "status") != "pending" || !HasTag(appt, "hold")) {
    throw Error(HESTIA_ERR_CONFLICT, "Appointment/" + Id(appt) + " is not a hold (status " +
                                         String(appt, "status") + "); only holds are confirmed");
  }
  if (const Value* ext = Extension(appt, kHoldExpiresUrl)) {
    const auto expires = ParseInstant(String(*ext, "valueInstant"));
    if (expires && *expires <= Now()) {
      throw Error(HESTIA_ERR_CONFLICT, "the hold Appointment/" + Id(appt) + " expired at " +
                                           String(*ext, "valueInstant"));
    }
  }
  const std::string etag = VersionETag(appt);
  SetString(appt, "status", "booked", a);
  RemoveExtension(appt, kHoldExpiresUrl, a);
  RemoveTag(appt, "hold", a);
  SetParticipantStatus(appt, "accepted", a);
  std::vector<Entry> entries = {{"PUT", "Appointment/" + Id(appt), ToJson(appt), etag, false}};
  std::vector<std::string> slots = SlotIds(appt);
  // A waitlist offer replaces the booking it was asked for, in the same transaction.
  if (const Value* ext = Extension(appt, kWaitlistForUrl)) {
    const Value* ref = Member(*ext, "valueReference");
    const std::string key =
        ref == nullptr ? "" : ReferenceKey(String(*ref, "reference"), "Appointment");
    if (!key.empty()) {
      const sdk::FhirResult r = call.Read("Appointment", key.substr(12));
      if (r.ok()) {
        Document original = ParseObject(r.body, key);
        if (IsActive(String(original, "status"))) {
          const std::string original_etag = VersionETag(original);
          SetCancelled(original, "moved to an earlier time from the waitlist",
                       original.GetAllocator());
          entries.push_back({"PUT", key, ToJson(original), original_etag, false});
          for (const std::string& s : SlotIds(original)) slots.push_back(s);
        }
      }
    }
  }
  CommitAndRespond(call, entries, slots);
}

Document Scheduler::LoadRequest(const sdk::Call& call, const sdk::OperationRequest& req,
                                const Parameters& params, std::string* actor) const {
  Document appt = LoadAppointment(call, req);
  if (String(appt, "status") != "pending" || !HasTag(appt, "request")) {
    throw Error(HESTIA_ERR_CONFLICT, "Appointment/" + Id(appt) +
                                         " is not a pending request (status " +
                                         String(appt, "status") + ")");
  }
  *actor = FirstPractitioner(appt);
  if (auto p = params.Text("practitioner")) *actor = ReferenceKey(*p);
  return appt;
}

void Scheduler::Approve(sdk::Call& call, const sdk::OperationRequest& req) const {
  const Parameters params(req.parameters);
  std::string actor;
  Document appt = LoadRequest(call, req, params, &actor);
  Allocator& a = appt.GetAllocator();
  const std::string etag = VersionETag(appt);
  SetString(appt, "status", "booked", a);
  RemoveTag(appt, "request", a);
  SetParticipantStatus(appt, "accepted", a);
  const std::string response =
      AppointmentResponse(appt, actor, "accepted", params.Text("comment").value_or(""));
  CommitAndRespond(call,
                   {{"PUT", "Appointment/" + Id(appt), ToJson(appt), etag, false},
                    {"POST", "AppointmentResponse", response, "", false}},
                   SlotIds(appt));
}

void Scheduler::Decline(sdk::Call& call, const sdk::OperationRequest& req) const {
  const Parameters params(req.parameters);
  const std::string reason = params.Text("reason").value_or("");
  if (reason.empty()) throw Error(HESTIA_ERR_INVALID, "a decline gives its reason", "reason");
  std::string actor;
  Document appt = LoadRequest(call, req, params, &actor);
  const std::string etag = VersionETag(appt);
  SetCancelled(appt, reason, appt.GetAllocator());
  RemoveTag(appt, "request", appt.GetAllocator());
  const std::string response = AppointmentResponse(appt, actor, "declined", reason);
  CommitAndRespond(call,
                   {{"PUT", "Appointment/" + Id(appt), ToJson(appt), etag, false},
                    {"POST", "AppointmentResponse", response, "", false}},
                   SlotIds(appt));
}

void Scheduler::Cancel(sdk::Call& call, const sdk::OperationRequest& req) const {
  const Parameters params(req.parameters);
  Document appt = LoadAppointment(call, req);
  const std::string status = String(appt, "status");
  if (!IsActive(status) && status != "proposed" && status != "waitlist") {
    throw Error(HESTIA_ERR_CONFLICT,
                "Appointment/" + Id(appt) + " is " + status + " and cannot be cancelled");
  }
  const std::string etag = VersionETag(appt);
  SetCancelled(appt, params.Text("reason").value_or("cancelled"), appt.GetAllocator());
  CommitAndRespond(call, {{"PUT", "Appointment/" + Id(appt), ToJson(appt), etag, false}},
                   SlotIds(appt));
}

void Scheduler::Reschedule(sdk::Call& call, const sdk::OperationRequest& req) const {
  const Parameters params(req.parameters);
  Document appt = LoadAppointment(call, req);
  const std::string status = String(appt, "status");
  if (status != "booked" && status != "pending") {
    throw Error(HESTIA_ERR_CONFLICT, "Appointment/" + Id(appt) + " is " + status +
                                         "; only pending and booked appointments move");
  }
  std::vector<std::string> slots;
  std::string patient;
  SlotsAndPatient(params, &slots, &patient);
  // The new times, Slots and Schedule actors; everyone else (the patient, others) stays.
  Document moved = BuildAppointment(call, slots, "", nullptr, status);
  Allocator& a = appt.GetAllocator();
  std::vector<std::string> old_slots = SlotIds(appt);
  for (const char* field : {"start", "end", "minutesDuration", "slot"}) {
    Set(appt, field, Value(moved[field], a), a);
  }
  Value participants(rapidjson::kArrayType);
  std::set<std::string> seen;
  for (const auto& p : Array(moved, "participant").GetArray()) {
    seen.insert(ReferenceKey(String(p["actor"], "reference")));
    participants.PushBack(Value(p, a), a);
  }
  for (const auto& p : Array(appt, "participant").GetArray()) {
    const Value* actor = Member(p, "actor");
    const std::string key = actor == nullptr ? "" : ReferenceKey(String(*actor, "reference"));
    const bool schedule_actor =
        key.rfind("Patient/", 0) != 0 && key.rfind("RelatedPerson/", 0) != 0;
    if (!schedule_actor && seen.insert(key).second) participants.PushBack(Value(p, a), a);
  }
  Set(appt, "participant", std::move(participants), a);
  const std::string etag = VersionETag(appt);
  for (const std::string& s : slots) old_slots.push_back(s);
  // One write: the new Slots are taken and the old ones released in the same statement, so
  // the appointment is never without a time and never holds both.
  CommitAndRespond(call, {{"PUT", "Appointment/" + Id(appt), ToJson(appt), etag, false}},
                   old_slots);
}

void Scheduler::Waitlist(sdk::Call& call, const sdk::OperationRequest& req) const {
  Document original = LoadAppointment(call, req);
  const std::string status = String(original, "status");
  if (status != "booked" && status != "pending") {
    throw Error(HESTIA_ERR_CONFLICT,
                "only a booked or pending appointment can wait for an "
                "earlier time (Appointment/" +
                    Id(original) + " is " + status + ")");
  }
  Document entry(rapidjson::kObjectType);
  Allocator& a = entry.GetAllocator();
  entry.AddMember("resourceType", "Appointment", a);
  entry.AddMember("status", "waitlist", a);
  for (const char* field : {"serviceCategory", "serviceType", "specialty", "appointmentType",
                            "reasonCode", "reasonReference", "description", "minutesDuration"}) {
    if (const Value* v = Member(original, field)) entry.AddMember(Value(field, a), Value(*v, a), a);
  }
  Value participants(Array(original, "participant"), a);
  for (auto& p : participants.GetArray()) SetString(p, "status", "needs-action", a);
  entry.AddMember("participant", std::move(participants), a);
  Value period(rapidjson::kObjectType);
  SetString(period, "start", FormatInstant(NowSeconds()), a);
  SetString(period, "end", String(original, "start"), a);
  Value periods(rapidjson::kArrayType);
  periods.PushBack(std::move(period), a);
  entry.AddMember("requestedPeriod", std::move(periods), a);
  AddReferenceExtension(entry, kWaitlistForUrl, "Appointment/" + Id(original), a);
  const sdk::FhirResult r = call.Create("Appointment", ToJson(entry));
  if (!r.ok()) throw Error(r.status, Diagnostics(r.body));
  call.Respond(201, r.body);
}

}  // namespace hestia::scheduling
