// Headers and Request helpers. See http_types.h and service.h.
#include "hestia/interactions/http_types.h"

#include <strings.h>

#include "hestia/base/operation_outcome.h"
#include "hestia/interactions/service.h"

namespace hestia::interactions {

const std::string* Headers::Find(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return &v;
  }
  return nullptr;
}

const std::string* Request::QueryParam(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return &v;
  }
  return nullptr;
}

Response ErrorResponse(const Status& status) {
  Response r;
  r.status = HttpStatusFor(status.code());
  r.body = OperationOutcomeJson(status);
  if (r.status == 503) r.headers.Add("Retry-After", "5");
  return r;
}

}  // namespace hestia::interactions
