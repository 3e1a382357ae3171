// The scheduling plug-in's logic (IHE ITI Scheduling / Argonaut semantics on R4): finding
// proposals, holds, bookings, requests with approval, cancellation, rescheduling, the
// waitlist, Slot materialisation from Schedule availability, Slot status upkeep, and the
// Appointment status rules. docs/scheduling.md describes it for users, ADR 0010 the decisions.
//
// What it does not do itself: refuse double bookings. PostgreSQL does that (migration 5 of
// fhir-core/storage: a seat table per Slot and an exclusion constraint on busy periods), for
// every way an Appointment is written; a refused write reaches the plug-in as a 409 from the
// host, which the operations pass on. Slot.status is kept in step after each change
// (Reconcile) and is informative: the seat table is the truth.
//
// Used by: plugin.cc, which registers each public member as an operation, interceptor, job or
// event handler. Thread-safety: every member may run on several threads at once; the object
// holds immutable settings and a thread-safe SettledVersions.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fhir.h"
#include "settled.h"

namespace hestia::scheduling {

struct Settings {
  int hold_ttl_seconds = 600;  // how long a $hold keeps its Slots
  int horizon_days = 60;       // how far ahead Slots are materialised
  int materialize_every_seconds = 3600;
  int expire_every_seconds = 10;  // how often expired holds are cancelled
  int find_default_count = 20;    // proposals $find returns by default
  int find_max_count = 100;
  int find_max_days = 31;  // longest $find window
};

class Scheduler {
 public:
  Scheduler(Settings settings, const sdk::Host* host) : settings_(settings), host_(host) {}

  // ---- Operations (each responds through call.Respond or throws sdk::Error) ------------------
  void Find(sdk::Call& call, const sdk::OperationRequest& req) const;
  void Hold(sdk::Call& call, const sdk::OperationRequest& req) const;
  void Book(sdk::Call& call, const sdk::OperationRequest& req) const;
  void Request(sdk::Call& call, const sdk::OperationRequest& req) const;
  void Confirm(sdk::Call& call, const sdk::OperationRequest& req) const;
  void Approve(sdk::Call& call, const sdk::OperationRequest& req) const;
  void Decline(sdk::Call& call, const sdk::OperationRequest& req) const;
  void Cancel(sdk::Call& call, const sdk::OperationRequest& req) const;
  void Reschedule(sdk::Call& call, const sdk::OperationRequest& req) const;
  void Waitlist(sdk::Call& call, const sdk::OperationRequest& req) const;
  void Materialize(sdk::Call& call, const sdk::OperationRequest& req) const;

  // ---- Interceptor: Appointment status rules for every write (REST, Bundles, operations) ---
  void CheckTransition(sdk::Call& call, const sdk::Write& write) const;

  // ---- Jobs ----------------------------------------------------------------------------------
  void ExpireHolds(sdk::Call& call) const;
  void MaterializeAll(sdk::Call& call) const;
  void InstallDefinitions(sdk::Call& call) const;

  // ---- Events: keep Slot.status in step, offer freed Slots to the waitlist -----------------
  void OnAppointmentChange(sdk::Call& call, const sdk::Event& event) const;
  void OnSlotChange(sdk::Call& call, const sdk::Event& event) const;

  // The Slot ids an Appointment references ("Slot/x" → "x").
  static std::vector<std::string> SlotIds(const Value& appointment);
  // Whether a status change of an Appointment is allowed (equal statuses always are).
  static bool TransitionAllowed(const std::string& from, const std::string& to);

  // Materialises the Slots of one Schedule for [now, now + days); returns {created, removed}.
  std::pair<int, int> MaterializeSchedule(sdk::Call& call, const Value& schedule, int days) const;

 private:
  int64_t Now() const { return host_->NowMicros(); }
  // The present rounded down to a whole second (what goes into stored instants).
  int64_t NowSeconds() const {
    const int64_t now = Now();
    return now - now % 1000000;
  }
  // Active (non-lapsed) Appointments holding Slot `slot_id`; *pending counts the pending ones.
  int ActiveBookings(const sdk::Call& call, const std::string& slot_id, int* pending) const;
  // Free Slots of the Schedule of `slot` that follow it back to back until `minutes` are
  // covered, `slot` first; empty when they do not cover it.
  std::vector<Document> RunFrom(const sdk::Call& call, const Value& slot, int minutes) const;
  // Builds a new Appointment of `status` over `slot_ids` for `patient` ("" = none), copying
  // descriptive fields of `proposal` (may be null). Reads the Slots and their Schedules.
  Document BuildAppointment(const sdk::Call& call, const std::vector<std::string>& slot_ids,
                            const std::string& patient, const Value* proposal,
                            const std::string& status) const;
  // The Slot ids and patient of a $hold/$book/$request/$reschedule call.
  void SlotsAndPatient(const Parameters& params, std::vector<std::string>* slot_ids,
                       std::string* patient) const;
  // Creates `appointment` and answers 201 with it, after reconciling its Slots.
  void CreateAndRespond(sdk::Call& call, const Document& appointment) const;
  // Writes `entries` as one transaction, reconciles `slots`, and answers with the resource of
  // the first entry.
  void CommitAndRespond(sdk::Call& call, const std::vector<Entry>& entries,
                        const std::vector<std::string>& slots) const;
  // Sets Slot.status from its active Appointments (free / busy / busy-tentative), and offers
  // a Slot that is free again to the first matching waitlist entry. False when the status
  // could not be written (the next change event recounts).
  bool Reconcile(const sdk::Call& call, const std::string& slot_id) const;
  // Reconciles `slots` after the Appointments of `written` (stored resources) were written;
  // when every Slot was settled, their change events need no recount.
  void ReconcileAfter(const sdk::Call& call, const std::vector<const Value*>& written,
                      const std::vector<std::string>& slots) const;
  void OfferToWaitlist(const sdk::Call& call, const Value& slot) const;
  // The Appointment of an instance-level call, with its version for If-Match.
  Document LoadAppointment(const sdk::Call& call, const sdk::OperationRequest& req) const;
  // The pending request of an instance-level $approve/$decline (409 otherwise), and who
  // answers it (*actor: the practitioner parameter, else the first practitioner taking part).
  Document LoadRequest(const sdk::Call& call, const sdk::OperationRequest& req,
                       const Parameters& params, std::string* actor) const;
  // Calls `fn` for every Schedule that is not inactive, page by page.
  void ForEachActiveSchedule(const sdk::Call& call,
                             const std::function<void(const Value& schedule)>& fn) const;
  void ExpireOne(const sdk::Call& call, const Value& appointment) const;

  Settings settings_;
  const sdk::Host* host_;
  // Versions this plug-in wrote and settled itself: their change events are skipped.
  mutable SettledVersions settled_;
};

}  // namespace hestia::scheduling
