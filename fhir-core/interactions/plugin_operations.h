// Plug-ins in the interactions (private to hestia_interactions): custom operations routed to
// the plug-in host, and the write interceptors the write interactions call.
//
// Owns: the bridge from a Request to plugins::PluginHost. router.cc sends every $operation
// URL to PluginOperation (an operation no plug-in offers keeps answering not-supported) and
// opens a PluginScope per dispatched request; create/update/delete (and so patch, batch and
// transaction entries) call PluginBeforeWrite just before writing, and the single-request
// forms, batch and transaction call PluginAfterWrite after their commit.
// A plug-in that fails — by error, by an exception its SDK caught, or by failing without an
// error — fails that request only (its OperationOutcome, or 500).
// Thread-safety: the request scope is thread-local (a request runs on one thread; FHIR calls a
// plug-in makes run nested on that same thread), so the write hooks know the calling user and
// the Context without threading them through every in-transaction form.
#pragma once

#include <hestia/plugin.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hestia/conformance/capability_statement.h"
#include "hestia/plugins/host.h"
#include "interactions.h"

namespace hestia::interactions {

// Makes (ctx, req) the current request of this thread for the write hooks, restoring the
// previous one (a nested plug-in call) on destruction.
class PluginScope {
 public:
  PluginScope(const Context& ctx, const Request& req);
  ~PluginScope();
  PluginScope(const PluginScope&) = delete;
  PluginScope& operator=(const PluginScope&) = delete;

 private:
  const void* previous_ctx_;
  const void* previous_req_;
};

// $name at `level` (HESTIA_OP_SYSTEM/_TYPE/_INSTANCE); `name` includes the '$'. Answers
// not-supported when no plug-in offers it.
Response PluginOperation(const Context& ctx, const Request& req, uint32_t level,
                         const std::string& type, const std::string& id, const std::string& name);

// The before-phase interceptors for `version` (kind from it: deleted → delete, version 1 →
// create, else update). `previous` is the current version the write replaces ("" when none),
// borrowed for the call. OK when no scope or no plug-in; a rejection is the plug-in's Status.
Status PluginBeforeWrite(const storage::NewVersion& version, std::string_view previous = {});

// The after-phase interceptors for a committed write of `kind` (a create answered 200 wrote
// nothing and is skipped; an update answered 201 is reported as a create).
void PluginAfterWrite(plugins::WriteKind kind, const EntryResult& result);

// The same for a write whose kind follows from its result (Bundle entries): no Location →
// delete, 201 → create, else update.
void PluginAfterWrite(const EntryResult& result);

// After-phase interceptors for the writes of a committed transaction, in entry order.
void PluginAfterWrites(const std::vector<std::optional<EntryResult>>& results);

// The plug-ins' operations for the CapabilityStatement (empty without plug-ins).
std::vector<conformance::OperationEntry> PluginCapabilityOperations(const Context& ctx);

}  // namespace hestia::interactions
