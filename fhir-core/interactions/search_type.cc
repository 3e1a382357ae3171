// search-type: GET [base]/[type]?params — a searchset Bundle. At this stage the parameters
// are `_id`, `identifier` and `_lastUpdated` (search/criteria.h); everything else is a 400
// naming the parameter, or is ignored and reported under Prefer: handling=lenient.
// FHIR R4: http://hl7.org/fhir/R4/search.html, http://hl7.org/fhir/R4/http.html#search
#include <charconv>

#include "bundle_text.h"
#include "hestia/base/operation_outcome.h"
#include "hestia/search/criteria.h"
#include "interactions.h"

namespace hestia::interactions {

Response SearchType(const Context& ctx, const Request& req, const std::string& type) {
  const bool lenient = PreferLenient(req);
  auto criteria = search::ParseCriteria(type, req.query, *ctx.params, lenient);
  if (!criteria.ok()) return ErrorResponse(criteria.status());
  std::optional<int64_t> after;
  if (const std::string* cursor = req.QueryParam("_cursor"); cursor != nullptr) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(cursor->data(), cursor->data() + cursor->size(), v);
    if (ec != std::errc() || p != cursor->data() + cursor->size() || v < 0) {
      return ErrorResponse(InvalidError("_cursor is not a cursor this server issued", "_cursor"));
    }
    after = v;
  }
  int count = criteria->count.value_or(ctx.options.default_count);
  count = std::min(count, ctx.options.max_count);
  if (criteria->summary_count) count = 0;
  const bool with_total = !criteria->total_none || criteria->summary_count;
  auto page = ctx.store->Search(*criteria, count, after, with_total);
  if (!page.ok()) return ErrorResponse(page.status());

  BundleText bundle("searchset", page->total ? *page->total : -1);
  bundle.AddLink("self", SelfLink(req));
  if (page->next_after) {
    const std::string query = QueryWithout(req, "_cursor");
    const std::string next = req.base_url + "/" + type + "?" + (query.empty() ? "" : query + "&") +
                             "_cursor=" + std::to_string(*page->next_after);
    bundle.AddLink("next", next);
  }
  for (const auto& body : page->bodies) {
    // The id sits at a fixed place in stored text: "resourceType":"T","id":"…".
    const auto id_pos = body.find("\"id\":\"");
    const auto id_end = body.find('"', id_pos + 6);
    const std::string id = body.substr(id_pos + 6, id_end - id_pos - 6);
    bundle.AddEntry("{\"fullUrl\":" + JsonString(req.base_url + "/" + type + "/" + id) +
                    ",\"resource\":" + body + ",\"search\":{\"mode\":\"match\"}}");
  }
  if (!criteria->ignored.empty()) {
    std::string names;
    for (const auto& n : criteria->ignored) names += (names.empty() ? "" : ", ") + n;
    bundle.AddEntry("{\"resource\":" +
                    InformationOutcomeJson("ignored unsupported search parameters: " + names) +
                    ",\"search\":{\"mode\":\"outcome\"}}");
  }
  Response r;
  r.body = bundle.Finish();
  return r;
}

}  // namespace hestia::interactions
