// create: POST [base]/[type], and conditional create (If-None-Exist).
// FHIR R4: http://hl7.org/fhir/R4/http.html#create, http://hl7.org/fhir/R4/http.html#ccreate
#include "conditional.h"
#include "hestia/base/id.h"
#include "hestia/search/criteria.h"
#include "interactions.h"

namespace hestia::interactions {

Response Create(const Context& ctx, const Request& req, const std::string& type) {
  json::Document doc;
  if (Status s = ParseResource(ctx, req, type, &doc); !s.ok()) return ErrorResponse(s);
  const std::string* if_none_exist = req.headers.Find("If-None-Exist");
  // The id a client puts in a create is ignored (http.html#create); the server assigns one.
  const search::IndexRows index = search::ExtractIndex(type, doc, *ctx.params);

  return RetryOnConflict([&]() -> Result<Response> {
    HESTIA_ASSIGN_OR_RETURN(auto txn, ctx.store->Begin());
    if (if_none_exist != nullptr) {
      HESTIA_ASSIGN_OR_RETURN(auto matches, LockAndMatch(ctx, *txn, type, *if_none_exist));
      if (matches.size() > 1) {
        return Status(StatusCode::kMultipleMatches,
                      "If-None-Exist '" + *if_none_exist + "' matches more than one " + type);
      }
      if (matches.size() == 1) {
        // Nothing is written: answer with the existing resource (http.html#ccreate).
        HESTIA_ASSIGN_OR_RETURN(auto rec, ctx.store->ReadCurrent(type, matches[0].id));
        return WriteResponse(req, 200, type, rec.id, rec.version, rec.last_updated, rec.body,
                             "a matching resource exists; nothing was created");
      }
    }
    json::Document copy;
    copy.CopyFrom(doc, copy.GetAllocator());
    storage::NewVersion v;
    v.type = type;
    v.id = NewId();
    v.version = 1;
    v.last_updated = NextLastUpdated(0);
    v.method = "POST";
    v.body = StampResource(&copy, v.id, 1, v.last_updated);
    v.index = index;
    HESTIA_RETURN_IF_ERROR(txn->Write(v));
    HESTIA_RETURN_IF_ERROR(txn->Commit());
    return WriteResponse(req, 201, type, v.id, 1, v.last_updated, v.body,
                         "created " + type + "/" + v.id);
  });
}

}  // namespace hestia::interactions
