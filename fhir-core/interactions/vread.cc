// vread: GET [base]/[type]/[id]/_history/[vid].
// FHIR R4: http://hl7.org/fhir/R4/http.html#vread
#include <charconv>

#include "hestia/base/id.h"
#include "interactions.h"

namespace hestia::interactions {

Response VRead(const Context& ctx, const Request&, const std::string& type, const std::string& id,
               const std::string& vid) {
  long version = 0;
  auto [p, ec] = std::from_chars(vid.data(), vid.data() + vid.size(), version);
  if (ec != std::errc() || p != vid.data() + vid.size() || version < 1 || !IsValidId(id)) {
    return ErrorResponse(NotFoundError(type + "/" + id + "/_history/" + vid + " is not known"));
  }
  auto rec = ctx.store->ReadVersion(type, id, version);
  if (!rec.ok()) return ErrorResponse(rec.status());
  if (rec->deleted) {
    Response r = ErrorResponse(
        {StatusCode::kDeleted, type + "/" + id + "/_history/" + vid + " is a deletion"});
    r.headers.Add("ETag", ETagFor(rec->version));
    return r;
  }
  return ReadResponse(rec->version, rec->last_updated, std::move(rec->body));
}

}  // namespace hestia::interactions
