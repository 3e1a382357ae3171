// Appointment/$find: proposals for free time (IHE ITI Scheduling "Find Potential
// Appointments"). Free Slots in the window, filtered by practitioner, location, specialty and
// service type through the search engine, are combined into proposed Appointments long
// enough for the visit, ordered by time. Proposals are not stored; $hold or $book takes one.
// See scheduler.h. FHIR R4: http://hl7.org/fhir/R4/appointment.html
#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "availability.h"
#include "scheduler.h"

namespace hestia::scheduling {
namespace {

using sdk::Error;

struct FreeSlot {
  std::string id;
  std::string schedule;  // "Schedule/x"
  int64_t start = 0;
  int64_t end = 0;
  const Value* resource = nullptr;
};

int64_t RequiredInstant(const Parameters& params, const char* name) {
  const auto text = params.Text(name);
  if (!text) throw Error(HESTIA_ERR_INVALID, std::string("$find needs ") + name, name);
  // A date means its start in UTC; clients wanting local days send instants with offsets.
  auto at = ParseDateOrInstant(*text, "UTC", false);
  if (!at) {
    throw Error(HESTIA_ERR_INVALID, std::string(name) + " must be a date or an instant: " + *text,
                name);
  }
  return *at;
}

int IntParameter(const Parameters& params, const char* name, int fallback, int low, int high) {
  const auto text = params.Text(name);
  if (!text) return fallback;
  int value = 0;
  try {
    std::size_t used = 0;
    value = std::stoi(*text, &used);
    if (used != text->size()) value = low - 1;
  } catch (const std::exception&) {
    value = low - 1;
  }
  if (value < low || value > high) {
    throw Error(HESTIA_ERR_INVALID,
                std::string(name) + " must be a whole number from " + std::to_string(low) + " to " +
                    std::to_string(high),
                name);
  }
  return value;
}

// Proposals: one Slot, or a run of back-to-back Slots of one Schedule covering `needed`,
// lying wholly before `end` (IHE's $find period).
std::vector<std::vector<const FreeSlot*>> Proposals(const std::vector<FreeSlot>& slots,
                                                    int64_t needed, int64_t end) {
  std::map<std::string, std::vector<const FreeSlot*>> by_schedule;
  for (const FreeSlot& f : slots) by_schedule[f.schedule].push_back(&f);
  std::vector<std::vector<const FreeSlot*>> out;
  for (auto& [schedule, list] : by_schedule) {
    std::sort(list.begin(), list.end(),
              [](const FreeSlot* x, const FreeSlot* y) { return x->start < y->start; });
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::vector<const FreeSlot*> run = {list[i]};
      std::size_t j = i;
      while (list[j]->end - list[i]->start < needed && j + 1 < list.size() &&
             list[j + 1]->start == list[j]->end && run.size() < 16) {
        run.push_back(list[++j]);
      }
      if (run.back()->end - run.front()->start >= needed && run.back()->end <= end) {
        out.push_back(std::move(run));
      }
    }
  }
  return out;
}

}  // namespace

void Scheduler::Find(sdk::Call& call, const sdk::OperationRequest& req) const {
  const Parameters params(req.parameters);
  const int64_t start = std::max(RequiredInstant(params, "start"), Now());
  const int64_t end = RequiredInstant(params, "end");
  if (end <= start)
    throw Error(HESTIA_ERR_INVALID, "end must be after start (and the present)", "end");
  if (end - start > int64_t{settings_.find_max_days} * 86400 * 1000000) {
    throw Error(HESTIA_ERR_INVALID,
                "the $find window is at most " + std::to_string(settings_.find_max_days) + " days",
                "end");
  }
  const int count =
      IntParameter(params, "count", settings_.find_default_count, 1, settings_.find_max_count);
  const int visit_minutes = IntParameter(params, "visit-length", 0, 0, 24 * 60);
  std::string patient;
  if (auto p = params.Text("patient")) {
    patient = ReferenceKey(*p, "Patient");
    if (patient.empty())
      throw Error(HESTIA_ERR_INVALID, "patient must reference a Patient", "patient");
  }

  std::string filters;  // everything but the time window
  for (const auto& [param, search] :
       std::vector<std::pair<const char*, const char*>>{{"practitioner", "schedule.actor"},
                                                        {"location", "schedule.actor"},
                                                        {"schedule", "schedule"}}) {
    for (const std::string& ref : params.Texts(param)) {
      const std::string key = ReferenceKey(ref);
      if (key.empty()) {
        throw Error(HESTIA_ERR_INVALID, std::string(param) + " must be a reference", param);
      }
      filters += std::string("&") + search + "=" + UrlEncode(key);
    }
  }
  for (const auto& [param, search] : std::vector<std::pair<const char*, const char*>>{
           {"specialty", "specialty"}, {"service-type", "service-type"}}) {
    for (const std::string& token : params.Texts(param)) {
      filters += std::string("&") + search + "=" + UrlEncode(token);
    }
  }
  // Enough Slots for `count` proposals when a visit spans several of them.
  const int fetch = std::min(1000, std::max(count * 4, visit_minutes > 0 ? count * 8 : count));
  const int64_t needed = int64_t{visit_minutes} * 60000000;

  // Free Slots in time order, page after page, until `count` proposals are settled (none
  // still unread could come before them). The search reads an ascending sort on Slot.start
  // in index order from the window's start (search/executor.cc), so a page costs about the
  // Slots it passes over, not the whole window.
  std::vector<Document> pages;                    // the Slots below point into these
  std::map<std::string, const Value*> schedules;  // "Schedule/x" → Schedule
  std::vector<FreeSlot> slots;
  std::set<std::string> seen;
  std::vector<std::vector<const FreeSlot*>> proposals;
  std::string query = "status=free&start=ge" + UrlEncode(FormatInstant(start)) + "&start=lt" +
                      UrlEncode(FormatInstant(end)) + filters +
                      "&_sort=start&_count=" + std::to_string(fetch) + "&_include=Slot:schedule";
  for (int round = 0; round < 200 && !query.empty(); ++round) {
    pages.push_back(SearchBundle(call, "Slot", query));
    const Document& page = pages.back();
    for (const Value* s : BundleResources(page, "include")) {
      if (String(*s, "resourceType") == "Schedule") schedules["Schedule/" + String(*s, "id")] = s;
    }
    int64_t last_start = start;
    for (const Value* s : BundleResources(page, "match")) {
      FreeSlot f;
      f.id = String(*s, "id");
      const Value* sched = Member(*s, "schedule");
      f.schedule = sched == nullptr ? "" : ReferenceKey(String(*sched, "reference"), "Schedule");
      const auto a = ParseInstant(String(*s, "start"));
      const auto b = ParseInstant(String(*s, "end"));
      // (A Slot moved in time between two page reads may come twice; keep it once.)
      if (!a || !b || f.schedule.empty() || !seen.insert(f.id).second) continue;
      f.start = *a;
      f.end = *b;
      f.resource = s;
      last_start = std::max(last_start, f.start);
      slots.push_back(std::move(f));
    }
    query = NextQuery(page);  // "" on the last page
    // Every Slot starting before `frontier` has been read, and a proposal starting before
    // frontier - needed cannot be preceded by one still unread. A one-Slot proposal (no visit
    // length) is settled as soon as it is read: the Slots still unread come after it in the
    // search's order (start, then creation), which is the order of the answer.
    const int64_t frontier = query.empty() ? end : last_start;
    proposals = Proposals(slots, needed, end);
    const auto settled = std::count_if(proposals.begin(), proposals.end(), [&](const auto& run) {
      return needed == 0 || run.front()->start < frontier - needed;
    });
    if (settled >= count) break;
  }
  // By time, then in the order the search read them (`slots` holds the Slots in that order).
  std::sort(proposals.begin(), proposals.end(), [](const auto& x, const auto& y) {
    return x.front()->start != y.front()->start
               ? x.front()->start < y.front()->start
               : std::less<const FreeSlot*>()(x.front(), y.front());
  });
  if (proposals.size() > static_cast<std::size_t>(count)) proposals.resize(count);

  std::string out = R"({"resourceType":"Bundle","type":"searchset","total":)" +
                    std::to_string(proposals.size()) + R"(,"entry":[)";
  for (std::size_t i = 0; i < proposals.size(); ++i) {
    const auto& run = proposals[i];
    const Value& first = *run.front()->resource;
    std::string appt = R"({"resourceType":"Appointment","status":"proposed")";
    for (const char* field : {"serviceCategory", "serviceType", "specialty", "appointmentType"}) {
      if (const Value* v = Member(first, field)) appt += "," + Quote(field) + ":" + ToJson(*v);
    }
    appt += R"(,"start":)" + Quote(FormatInstant(run.front()->start)) + R"(,"end":)" +
            Quote(FormatInstant(run.back()->end)) + R"(,"minutesDuration":)" +
            std::to_string((run.back()->end - run.front()->start) / 60000000) + R"(,"slot":[)";
    for (std::size_t k = 0; k < run.size(); ++k) {
      appt +=
          (k > 0 ? "," : "") + std::string(R"({"reference":)") + Quote("Slot/" + run[k]->id) + "}";
    }
    appt += R"(],"participant":[)";
    bool any = false;
    if (auto it = schedules.find(run.front()->schedule); it != schedules.end()) {
      for (const auto& actor : Array(*it->second, "actor").GetArray()) {
        const std::string key = ReferenceKey(String(actor, "reference"));
        if (key.empty()) continue;
        appt += std::string(any ? "," : "") + R"({"actor":{"reference":)" + Quote(key) +
                R"(},"required":"required","status":"needs-action"})";
        any = true;
      }
    }
    if (!patient.empty()) {
      appt += std::string(any ? "," : "") + R"({"actor":{"reference":)" + Quote(patient) +
              R"(},"required":"required","status":"needs-action"})";
    }
    appt += "]}";
    out += (i > 0 ? "," : "") + std::string(R"({"resource":)") + appt +
           R"(,"search":{"mode":"match"}})";
  }
  call.Respond(200, out + "]}");
}

}  // namespace hestia::scheduling
