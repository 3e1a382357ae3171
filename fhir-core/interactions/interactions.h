// The interaction entry points (private to hestia_interactions), one per file.
// Each takes the already-routed request parts and returns a complete Response; errors come
// back as ErrorResponse (an OperationOutcome). None throws.
#pragma once

#include <string>

#include "context.h"

namespace hestia::interactions {

Response Read(const Context& ctx, const Request& req, const std::string& type,
              const std::string& id);
Response VRead(const Context& ctx, const Request& req, const std::string& type,
               const std::string& id, const std::string& vid);
Response Create(const Context& ctx, const Request& req, const std::string& type);
Response Update(const Context& ctx, const Request& req, const std::string& type,
                const std::string& id);
Response ConditionalUpdate(const Context& ctx, const Request& req, const std::string& type);
Response Delete(const Context& ctx, const Request& req, const std::string& type,
                const std::string& id);
Response ConditionalDelete(const Context& ctx, const Request& req, const std::string& type);
// type and id may be empty: system / type / instance history.
Response History(const Context& ctx, const Request& req, const std::string& type,
                 const std::string& id);
Response SearchType(const Context& ctx, const Request& req, const std::string& type);
Response Capabilities(const Context& ctx, const Request& req);

// Shared by update and conditional update: writes `doc` as type/id inside `txn`.
// `created_status` is the HTTP status for a new resource (201).
Result<Response> UpdateInTransaction(const Context& ctx, const Request& req,
                                     storage::Transaction& txn, const std::string& type,
                                     const std::string& id, json::Document& doc);

}  // namespace hestia::interactions
