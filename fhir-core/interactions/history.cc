// history: GET [base]/_history, [base]/[type]/_history, [base]/[type]/[id]/_history —
// a Bundle of type history, newest first, paged by an opaque cursor (`_cursor`, the global
// write sequence), with _count, _since and _at.
// FHIR R4: http://hl7.org/fhir/R4/http.html#history
#include <charconv>

#include "bundle_text.h"
#include "hestia/base/id.h"
#include "hestia/base/time.h"
#include "interactions.h"

namespace hestia::interactions {
namespace {

Result<int64_t> ParseCursor(const std::string& text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0) {
    return InvalidError("_cursor is not a cursor this server issued", "_cursor");
  }
  return v;
}

}  // namespace

Response History(const Context& ctx, const Request& req, const std::string& type,
                 const std::string& id) {
  storage::HistoryQuery q;
  q.type = type;
  q.id = id;
  q.count = ctx.options.default_count;
  for (const auto& [name, value] : req.query) {
    if (name == "_count") {
      int n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size() || n < 0) {
        return ErrorResponse(InvalidError("_count must be a non-negative integer", "_count"));
      }
      q.count = std::min(n, ctx.options.max_count);
    } else if (name == "_since") {
      auto range = ParseFhirDateTime(value);
      if (!range.ok()) return ErrorResponse(InvalidError(range.status().message(), "_since"));
      q.since = range->low;
    } else if (name == "_at") {
      auto range = ParseFhirDateTime(value);
      if (!range.ok()) return ErrorResponse(InvalidError(range.status().message(), "_at"));
      q.at = *range;
    } else if (name == "_cursor") {
      auto cursor = ParseCursor(value);
      if (!cursor.ok()) return ErrorResponse(cursor.status());
      q.before_seq = *cursor;
    } else if (name == "_format" || name == "_pretty") {
      continue;
    } else if (!PreferLenient(req)) {
      return ErrorResponse(
          InvalidError("history does not support the parameter '" + name + "'", name));
    }
  }
  if (!id.empty()) {
    if (!IsValidId(id)) return ErrorResponse(NotFoundError(type + "/" + id + " is not known"));
    auto current = ctx.store->ReadCurrent(type, id);
    if (!current.ok()) return ErrorResponse(current.status());
  }
  auto records = ctx.store->History(q);
  if (!records.ok()) return ErrorResponse(records.status());

  BundleText bundle("history", -1);
  bundle.AddLink("self", SelfLink(req));
  const bool more = static_cast<int>(records->size()) > q.count;
  if (more) records->resize(static_cast<std::size_t>(q.count));
  if (more && !records->empty()) {
    std::string next = req.base_url;
    for (const auto& seg : req.path) next += "/" + seg;
    const std::string query = QueryWithout(req, "_cursor");
    next +=
        "?" + (query.empty() ? "" : query + "&") + "_cursor=" + std::to_string(records->back().seq);
    bundle.AddLink("next", next);
  }
  for (const auto& rec : *records) {
    const std::string full_url = req.base_url + "/" + rec.type + "/" + rec.id;
    std::string entry = "{\"fullUrl\":" + JsonString(full_url);
    if (!rec.deleted) entry += ",\"resource\":" + rec.body;
    const std::string url = rec.method == "POST" ? rec.type : rec.type + "/" + rec.id;
    entry += ",\"request\":{\"method\":" + JsonString(rec.method) + ",\"url\":" + JsonString(url) +
             "},\"response\":{\"status\":" +
             JsonString(rec.deleted ? "204"
                                    : (rec.method == "POST" || rec.version == 1 ? "201" : "200")) +
             ",\"etag\":" + JsonString(ETagFor(rec.version)) +
             ",\"lastModified\":" + JsonString(FormatInstant(rec.last_updated)) + "}}";
    bundle.AddEntry(entry);
  }
  Response r;
  r.body = bundle.Finish();
  return r;
}

}  // namespace hestia::interactions
