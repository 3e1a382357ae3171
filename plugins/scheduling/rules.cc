// The Appointment status rules of the scheduling plug-in, applied by a before-write
// interceptor to every write of an Appointment (REST, Bundles, patch, the plug-in's own
// operations), with the version being replaced (ABI v1.1 hestia_write.previous):
//   proposed   → pending, booked, cancelled, waitlist
//   pending    → booked, cancelled, waitlist
//   waitlist   → pending, booked, cancelled
//   booked     → arrived, checked-in, cancelled, noshow
//   checked-in → arrived, fulfilled, cancelled, noshow
//   arrived    → fulfilled
//   any        → entered-in-error; cancelled, noshow, fulfilled and entered-in-error are final.
// An Appointment that holds time (pending, booked, checked-in, arrived) is cancelled, not
// deleted. A create may carry any status (imports of past appointments).
// FHIR R4: http://hl7.org/fhir/R4/appointment.html#statuses
#include <map>
#include <set>

#include "scheduler.h"

namespace hestia::scheduling {

bool Scheduler::TransitionAllowed(const std::string& from, const std::string& to) {
  static const std::map<std::string, std::set<std::string>> kAllowed = {
      {"proposed", {"pending", "booked", "cancelled", "waitlist"}},
      {"pending", {"booked", "cancelled", "waitlist"}},
      {"waitlist", {"pending", "booked", "cancelled"}},
      {"booked", {"arrived", "checked-in", "cancelled", "noshow"}},
      {"checked-in", {"arrived", "fulfilled", "cancelled", "noshow"}},
      {"arrived", {"fulfilled"}},
  };
  if (from == to || to == "entered-in-error") return true;
  const auto it = kAllowed.find(from);
  return it != kAllowed.end() && it->second.count(to) != 0;
}

void Scheduler::CheckTransition(sdk::Call& /*call*/, const sdk::Write& write) const {
  if (write.previous.empty()) return;  // a create, or the re-creation of a deleted one
  const Document previous = ParseObject(write.previous, "the current Appointment");
  const std::string from = String(previous, "status");
  const std::string id = "Appointment/" + std::string(write.id);
  if (write.interaction == HESTIA_WRITE_DELETE) {
    if (from == "pending" || from == "booked" || from == "checked-in" || from == "arrived") {
      throw sdk::Error(HESTIA_ERR_CONFLICT,
                       id + " is " + from + "; cancel it ($cancel) instead of deleting it");
    }
    return;
  }
  const Document next = ParseObject(write.resource, "the Appointment");
  const std::string to = String(next, "status");
  if (!TransitionAllowed(from, to)) {
    throw sdk::Error(HESTIA_ERR_CONFLICT,
                     id + ": the status cannot change from " + from + " to " + to,
                     "Appointment.status");
  }
}

}  // namespace hestia::scheduling
