// The scheduling plug-in: its entry point, settings, and the registration of its operations,
// interceptor, jobs and event subscriptions with the host. The logic is in scheduler.h.
//
// Settings (hestia.yaml, plugins.list[].config): hold_ttl_seconds (600), horizon_days (60),
// materialize_every_seconds (3600), expire_every_seconds (10), find_default_count (20),
// find_max_count (100), find_max_days (31). docs/scheduling.md lists the operations.
// Thread-safety: Init runs once; the registered handlers are thread-safe (scheduler.h).
#include <hestia/plugin_sdk.hpp>

#include <memory>

#include "definitions.h"
#include "scheduler.h"

namespace hestia::scheduling {
namespace {

using sdk::Call;
using sdk::Error;
using sdk::OperationRequest;

int Setting(const sdk::Host& host, const char* key, int fallback, int low, int high) {
  const auto text = host.Config(key);
  if (!text) return fallback;
  int value = low - 1;
  try {
    std::size_t used = 0;
    value = std::stoi(*text, &used);
    if (used != text->size()) value = low - 1;
  } catch (const std::exception&) {
  }
  if (value < low || value > high) {
    throw Error(HESTIA_ERR_INVALID, std::string("scheduling: ") + key + " must be from " +
                                        std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

class SchedulingPlugin final : public sdk::Plugin {
 public:
  void Init(sdk::Host& host) override {
    Settings s;
    s.hold_ttl_seconds = Setting(host, "hold_ttl_seconds", s.hold_ttl_seconds, 1, 86400);
    s.horizon_days = Setting(host, "horizon_days", s.horizon_days, 1, 366);
    s.materialize_every_seconds =
        Setting(host, "materialize_every_seconds", s.materialize_every_seconds, 1, 86400);
    s.expire_every_seconds = Setting(host, "expire_every_seconds", s.expire_every_seconds, 1, 3600);
    s.find_max_count = Setting(host, "find_max_count", s.find_max_count, 1, 1000);
    s.find_default_count =
        Setting(host, "find_default_count", s.find_default_count, 1, s.find_max_count);
    s.find_max_days = Setting(host, "find_max_days", s.find_max_days, 1, 366);
    scheduler_ = std::make_unique<Scheduler>(s, &host);
    const Scheduler* sc = scheduler_.get();

    using Handler = void (Scheduler::*)(Call&, const OperationRequest&) const;
    auto op = [&](const char* code, const char* type, uint32_t levels, bool affects_state,
                  const char* description, const std::vector<OperationParameter>& params,
                  Handler handler) {
      host.Operation(code, levels, type,
                     OperationDefinition(code, type, (levels & HESTIA_OP_TYPE) != 0,
                                         (levels & HESTIA_OP_INSTANCE) != 0, affects_state,
                                         description, params),
                     affects_state, [sc, handler](Call& call, const OperationRequest& req) {
                       (sc->*handler)(call, req);
                     });
    };
    const OperationParameter slot_in = {
        "slot", "in", 0, "16", "Reference", "A Slot to book (instead of appointment)."};
    const OperationParameter appointment_in = {
        "appointment", "in", 0, "1", "Appointment", "A proposed Appointment returned by $find."};
    const OperationParameter patient_in = {
        "patient", "in", 0, "1", "Reference", "The Patient the appointment is for."};
    const OperationParameter appointment_out = {
        "return", "out", 1, "1", "Appointment", "The Appointment as stored."};
    op("find", "Appointment", HESTIA_OP_TYPE, false,
       "Proposed appointments for free Slots in a window, ordered by time.",
       {{"start", "in", 1, "1", "dateTime", "Start of the period the appointment lies in."},
        {"end", "in", 1, "1", "dateTime", "End of that period (the appointment ends by then)."},
        {"practitioner", "in", 0, "*", "Reference", "Only Slots of this actor's Schedules."},
        {"location", "in", 0, "*", "Reference", "Only Slots of this Location's Schedules."},
        {"specialty", "in", 0, "*", "Coding", "system|code of Slot.specialty."},
        {"service-type", "in", 0, "*", "Coding", "system|code of Slot.serviceType."},
        {"visit-length", "in", 0, "1", "integer", "Minutes; back-to-back Slots are combined."},
        {"patient", "in", 0, "1", "Reference", "Added to each proposal as a participant."},
        {"count", "in", 0, "1", "integer", "Most proposals returned."},
        {"return", "out", 1, "1", "Bundle", "A searchset of proposed Appointments."}},
       &Scheduler::Find);
    op("hold", "Appointment", HESTIA_OP_TYPE, true,
       "Holds the Slots of a proposal for a limited time (status pending, extension "
       "hold-expires); $confirm books it.",
       {appointment_in, slot_in, patient_in, appointment_out}, &Scheduler::Hold);
    op("book", "Appointment", HESTIA_OP_TYPE | HESTIA_OP_INSTANCE, true,
       "Books a proposal or Slots directly; on an instance, books that hold (as $confirm).",
       {appointment_in, slot_in, patient_in, appointment_out}, &Scheduler::Book);
    op("request", "Appointment", HESTIA_OP_TYPE, true,
       "A patient's request for a time, holding its Slots until the practitioner approves or "
       "declines it.",
       {appointment_in,
        slot_in,
        patient_in,
        {"message", "in", 0, "1", "string", "The patient's message (Appointment.comment)."},
        appointment_out},
       &Scheduler::Request);
    op("confirm", "Appointment", HESTIA_OP_INSTANCE, true,
       "Turns an unexpired hold into a booking (and, for a waitlist offer, cancels the "
       "booking it replaces).",
       {appointment_out}, &Scheduler::Confirm);
    op("approve", "Appointment", HESTIA_OP_INSTANCE, true,
       "Approves a request: booked, with an accepting AppointmentResponse.",
       {{"practitioner", "in", 0, "1", "Reference", "Who approves (default: the first)."},
        {"comment", "in", 0, "1", "string", "AppointmentResponse.comment."},
        appointment_out},
       &Scheduler::Approve);
    op("decline", "Appointment", HESTIA_OP_INSTANCE, true,
       "Declines a request with a reason: cancelled, with a declining AppointmentResponse.",
       {{"reason", "in", 1, "1", "string", "Why (cancelationReason and the response's comment)."},
        {"practitioner", "in", 0, "1", "Reference", "Who declines (default: the first)."},
        appointment_out},
       &Scheduler::Decline);
    op("cancel", "Appointment", HESTIA_OP_INSTANCE, true,
       "Cancels an appointment and frees its Slots.",
       {{"reason", "in", 0, "1", "string", "Appointment.cancelationReason.text."}, appointment_out},
       &Scheduler::Cancel);
    op("reschedule", "Appointment", HESTIA_OP_INSTANCE, true,
       "Moves an appointment to other Slots in one write: the new time is taken and the old "
       "one freed atomically, or nothing changes.",
       {appointment_in, slot_in, appointment_out}, &Scheduler::Reschedule);
    op("waitlist", "Appointment", HESTIA_OP_INSTANCE, true,
       "Asks for an earlier time than a booked appointment; a freed Slot is offered as a hold.",
       {{"return", "out", 1, "1", "Appointment", "The waitlist entry (status waitlist)."}},
       &Scheduler::Waitlist);
    op("materialize", "Schedule", HESTIA_OP_TYPE | HESTIA_OP_INSTANCE, true,
       "Creates the free Slots of one or every Schedule's availability for the horizon now "
       "(the materialize job does it hourly).",
       {{"days", "in", 0, "1", "integer", "Horizon in days (default: horizon_days)."},
        {"return", "out", 1, "1", "Parameters", "schedules, created and removed counts."}},
       &Scheduler::Materialize);

    host.Interceptor(HESTIA_PHASE_BEFORE,
                     HESTIA_WRITE_CREATE | HESTIA_WRITE_UPDATE | HESTIA_WRITE_DELETE, "Appointment",
                     [sc](Call& call, const sdk::Write& w) { sc->CheckTransition(call, w); });
    host.Job("expire-holds", HESTIA_JOB_EVERY, static_cast<uint32_t>(s.expire_every_seconds),
             [sc](Call& call) { sc->ExpireHolds(call); });
    host.Job("materialize", HESTIA_JOB_EVERY, static_cast<uint32_t>(s.materialize_every_seconds),
             [sc](Call& call) { sc->MaterializeAll(call); });
    host.Job("install-definitions", HESTIA_JOB_EVERY, 3600,
             [sc](Call& call) { sc->InstallDefinitions(call); });
    host.Subscribe("appointments", "Appointment", 0,
                   [sc](Call& call, const sdk::Event& e) { sc->OnAppointmentChange(call, e); });
    host.Subscribe("slots", "Slot", HESTIA_WRITE_UPDATE,
                   [sc](Call& call, const sdk::Event& e) { sc->OnSlotChange(call, e); });
  }

 private:
  std::unique_ptr<Scheduler> scheduler_;
};

}  // namespace

void Scheduler::InstallDefinitions(sdk::Call& call) const {
  std::vector<Entry> entries;
  for (const std::string& sd : ExtensionDefinitions()) {
    const Document doc = ParseObject(sd, "a StructureDefinition");
    entries.push_back(
        {"PUT", "StructureDefinition?url=" + UrlEncode(String(doc, "url")), sd, "", false});
  }
  RunTransaction(call, MakeBundle("transaction", entries));
}

}  // namespace hestia::scheduling

HESTIA_PLUGIN(hestia::scheduling::SchedulingPlugin, "scheduling", "1.0.0")
