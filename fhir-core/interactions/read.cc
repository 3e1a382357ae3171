// read: GET [base]/[type]/[id], with conditional read (If-None-Match, If-Modified-Since).
// FHIR R4: http://hl7.org/fhir/R4/http.html#read, http://hl7.org/fhir/R4/http.html#cread
#include "hestia/base/id.h"
#include "hestia/base/time.h"
#include "interactions.h"

namespace hestia::interactions {

Response Read(const Context& ctx, const Request& req, const std::string& type,
              const std::string& id) {
  if (!IsValidId(id)) return ErrorResponse(NotFoundError(type + "/" + id + " is not known"));
  auto rec = ctx.store->ReadCurrent(type, id);
  if (!rec.ok()) return ErrorResponse(rec.status());
  if (rec->deleted) {
    Response r = ErrorResponse({StatusCode::kDeleted, type + "/" + id + " was deleted"});
    r.headers.Add("ETag", ETagFor(rec->version));
    return r;
  }
  if (const std::string* inm = req.headers.Find("If-None-Match"); inm != nullptr) {
    if (VersionFromETag(*inm) == rec->version || *inm == "*") {
      Response r;
      r.status = 304;
      r.headers.Add("ETag", ETagFor(rec->version));
      return r;
    }
  } else if (const std::string* ims = req.headers.Find("If-Modified-Since"); ims != nullptr) {
    auto since = ParseHttpDate(*ims);
    // An unparseable date is ignored, as RFC 7232 §3.3 requires.
    if (since.ok() && rec->last_updated / 1000000 <= *since / 1000000) {
      Response r;
      r.status = 304;
      r.headers.Add("ETag", ETagFor(rec->version));
      r.headers.Add("Last-Modified", FormatHttpDate(rec->last_updated));
      return r;
    }
  }
  return ReadResponse(rec->version, rec->last_updated, std::move(rec->body));
}

}  // namespace hestia::interactions
