// Demo data loader. See demo_loader.h.
#include "demo_loader.h"

#include <fstream>
#include <sstream>

#include "hestia/base/json.h"
#include "hestia/base/log.h"

namespace hestia::server {

Status LoadDemoData(const std::string& file, storage::Store& store, interactions::Service& service,
                    const std::string& base_url) {
  storage::HistoryQuery any;
  any.count = 1;
  HESTIA_ASSIGN_OR_RETURN(auto existing, store.History(any));
  if (!existing.empty()) {
    log::Info("demo data not loaded: the database already holds resources");
    return Status::Ok();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return InvalidError("cannot read demo data " + file);
  std::ostringstream text;
  text << in.rdbuf();
  json::Document doc;
  HESTIA_RETURN_IF_ERROR(json::Parse(text.str(), json::Limits{}, &doc));
  const json::Value* entries = json::Member(doc, "entry");
  if (entries == nullptr || !entries->IsArray()) return InvalidError(file + " is not a Bundle");
  int loaded = 0;
  for (const auto& entry : entries->GetArray()) {
    const json::Value* resource = json::Member(entry, "resource");
    if (resource == nullptr) continue;
    interactions::Request req;
    req.method = "PUT";
    req.path = {std::string(json::StringMember(*resource, "resourceType")),
                std::string(json::StringMember(*resource, "id"))};
    req.body = json::Write(*resource);
    req.base_url = base_url;
    req.request_id = "demo-load";
    interactions::Response r = service.Handle(req);
    if (r.status >= 300) {
      return InvalidError("demo data: PUT " + req.path[0] + "/" + req.path[1] + " failed with " +
                          std::to_string(r.status) + ": " + r.body);
    }
    ++loaded;
  }
  log::Info("demo data loaded", {{"resources", loaded}, {"file", file}});
  return Status::Ok();
}

}  // namespace hestia::server
