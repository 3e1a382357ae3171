// batch: POST [base] with a Bundle of type batch → batch-response.
//
// Entries are independent: each write runs in its own database transaction (retried alone
// when it loses a race) and gets its own status, or its own OperationOutcome when it fails;
// a failing entry never affects another. Entries run in request order. Conditional
// references are resolved per entry; fullUrls are not mapped between entries, since a batch
// must not have interdependencies (http.html#brules), so references are otherwise stored as
// sent. GET entries are answered through the URL dispatcher.
// FHIR R4: http://hl7.org/fhir/R4/http.html#transaction (batch), #brules
// Thread-safety: stateless; one request per call.
#include "bundle_entries.h"
#include "bundle_text.h"
#include "plugin_operations.h"

namespace hestia::interactions {
namespace {

// One write entry in its own transaction; the response entry's JSON text.
std::string RunWrite(const Context& ctx, const Request& req, const BundleEntry& e) {
  Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto outcome = [&]() -> Result<EntryResult> {
      HESTIA_ASSIGN_OR_RETURN(auto txn, ctx.store->Begin());
      std::string_view condition;
      if (e.method == EntryMethod::kPost && e.if_none_exist) condition = *e.if_none_exist;
      if (e.conditional) condition = e.raw_query;
      HESTIA_ASSIGN_OR_RETURN(WriteTarget target, ResolveTarget(ctx, *txn, e, condition));
      ConditionalReferences conditional_refs(ctx, *txn);
      const ReferenceResolver resolve = [&](std::string_view reference) {
        return conditional_refs.Resolve(reference);
      };
      HESTIA_ASSIGN_OR_RETURN(EntryResult result, ExecuteWrite(ctx, *txn, e, target, resolve));
      HESTIA_RETURN_IF_ERROR(txn->Commit());
      PluginAfterWrite(result);
      return result;
    }();
    if (outcome.ok()) return ResultEntryJson(req, *outcome);
    last = outcome.status();
    if (last.code() != StatusCode::kAborted) break;
  }
  return ErrorEntryJson(EntryError(&e, e.index, last));
}

}  // namespace

Response Batch(const Context& ctx, const Request& req, const json::Value& bundle) {
  BundleText out("batch-response", -1);
  if (const json::Value* list = json::Member(bundle, "entry"); list != nullptr) {
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      const int index = static_cast<int>(i);
      auto entry = ParseEntry(ctx, req, (*list)[i], index);
      if (!entry.ok()) {
        out.AddEntry(ErrorEntryJson(EntryError(nullptr, index, entry.status())));
      } else if (entry->method == EntryMethod::kGet) {
        out.AddEntry(ResponseEntryJson(RunGetEntry(ctx, req, *entry)));
      } else {
        out.AddEntry(RunWrite(ctx, req, *entry));
      }
    }
  }
  Response r;
  r.body = out.Finish();
  return r;
}

}  // namespace hestia::interactions
