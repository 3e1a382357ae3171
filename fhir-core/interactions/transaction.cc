// transaction: POST [base] with a Bundle of type transaction → transaction-response.
//
// All writes share one storage::Transaction: either every entry succeeds and one commit makes
// them visible together, or the first failing entry's status and OperationOutcome (naming
// Bundle.entry[i]) is the answer and nothing is committed. Processing order is DELETE, POST,
// PUT/PATCH, GET (http.html#trules); response entries keep the request order. Before any
// POST/PUT/PATCH runs, every write's target id is decided (ifNoneExist and conditional URLs
// matched under their locks) so that fullUrls — urn:uuid:, urn:oid: or any other — map to
// "Type/id"; then each resource's references (anywhere in it) and each conditional URL are
// rewritten, conditional references resolved, and the entry runs. A second write to the same
// resource, or two entries with the same fullUrl, is a 400. A lost race (kAborted) retries the
// whole transaction. GET entries run after the commit, against the committed state, each with
// its own status (docs/adr/0007-bundles-and-patch.md).
// FHIR R4: http://hl7.org/fhir/R4/http.html#transaction, #trules, #transaction-response
// Thread-safety: stateless; one request per call.
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bundle_entries.h"
#include "bundle_text.h"
#include "hestia/base/operation_outcome.h"
#include "plugin_operations.h"

namespace hestia::interactions {
namespace {

bool IsWrite(EntryMethod m) { return m != EntryMethod::kGet; }

// One attempt: everything inside one database transaction. Returns the finished Response.
Result<Response> Attempt(const Context& ctx, const Request& req,
                         const std::vector<BundleEntry>& entries) {
  HESTIA_ASSIGN_OR_RETURN(auto txn, ctx.store->Begin());
  const std::size_t n = entries.size();
  std::vector<std::optional<EntryResult>> results(n);
  std::vector<WriteTarget> targets(n);
  std::set<std::string> touched;           // "Type/id" written (or matched) by an entry
  std::map<std::string, std::string> ids;  // fullUrl → "Type/id"

  auto claim = [&](const BundleEntry& e, const std::string& id) -> Status {
    if (!touched.insert(e.type + "/" + id).second) {
      return EntryError(&e, e.index,
                        InvalidError(e.type + "/" + id +
                                     " is the target of more than one entry of this transaction"));
    }
    return Status::Ok();
  };

  // 1. DELETE.
  for (const BundleEntry& e : entries) {
    if (e.method != EntryMethod::kDelete) continue;
    auto target = ResolveTarget(ctx, *txn, e, e.raw_query);
    if (!target.ok()) return EntryError(&e, e.index, target.status());
    targets[e.index] = *target;
    if (!target->nothing_to_do) HESTIA_RETURN_IF_ERROR(claim(e, target->id));
    auto result = ExecuteWrite(ctx, *txn, e, *target, nullptr);
    if (!result.ok()) return EntryError(&e, e.index, result.status());
    results[e.index] = std::move(result).value();
  }

  // 2. Targets of POST, PUT and PATCH: unconditional ones first (their fullUrls may appear in
  // the conditions of the others), then the conditional ones.
  auto decide = [&](const BundleEntry& e) -> Status {
    std::string condition;
    if (e.method == EntryMethod::kPost && e.if_none_exist) {
      condition = RewriteQueryValues(ctx, e.type, *e.if_none_exist, ids);
    } else if (e.conditional) {
      condition = RewriteQueryValues(ctx, e.type, e.raw_query, ids);
    }
    auto target = ResolveTarget(ctx, *txn, e, condition);
    if (!target.ok()) return EntryError(&e, e.index, target.status());
    targets[e.index] = *target;
    HESTIA_RETURN_IF_ERROR(claim(e, target->id));
    if (!e.full_url.empty()) ids[e.full_url] = e.type + "/" + target->id;
    return Status::Ok();
  };
  for (int pass = 0; pass < 2; ++pass) {
    for (const BundleEntry& e : entries) {
      if (!IsWrite(e.method) || e.method == EntryMethod::kDelete) continue;
      const bool conditional = e.conditional || (e.method == EntryMethod::kPost && e.if_none_exist);
      if (conditional == (pass == 1)) HESTIA_RETURN_IF_ERROR(decide(e));
    }
  }

  // 3. POST, then PUT and PATCH, with references rewritten. The current rows of every PUT and
  // PATCH target, and of every POST that matched, are locked first with one statement
  // (storage::Transaction::PrefetchCurrent), not one per entry.
  std::vector<std::pair<std::string, std::string>> current;
  for (const BundleEntry& e : entries) {
    const WriteTarget& target = targets[e.index];
    const bool reads_current = e.method == EntryMethod::kPut || e.method == EntryMethod::kPatch ||
                               (e.method == EntryMethod::kPost && target.matched_existing);
    if (reads_current && !target.id.empty()) current.emplace_back(e.type, target.id);
  }
  HESTIA_RETURN_IF_ERROR(txn->PrefetchCurrent(current));
  ConditionalReferences conditional_refs(ctx, *txn);
  const ReferenceResolver resolve =
      [&](std::string_view reference) -> Result<std::optional<std::string>> {
    if (auto it = ids.find(std::string(reference)); it != ids.end()) {
      return std::optional<std::string>(it->second);
    }
    if (reference.rfind("urn:uuid:", 0) == 0 || reference.rfind("urn:oid:", 0) == 0) {
      return InvalidError("reference '" + std::string(reference) +
                          "' names no fullUrl of this transaction");
    }
    return conditional_refs.Resolve(reference);
  };
  for (EntryMethod phase : {EntryMethod::kPost, EntryMethod::kPut}) {
    for (const BundleEntry& e : entries) {
      const bool in_phase = phase == EntryMethod::kPost
                                ? e.method == EntryMethod::kPost
                                : e.method == EntryMethod::kPut || e.method == EntryMethod::kPatch;
      if (!in_phase) continue;
      auto result = ExecuteWrite(ctx, *txn, e, targets[e.index], resolve);
      if (!result.ok()) return EntryError(&e, e.index, result.status());
      results[e.index] = std::move(result).value();
    }
  }
  HESTIA_RETURN_IF_ERROR(txn->Commit());
  PluginAfterWrites(results);

  // 4. GET, after the commit; then the response in request order.
  BundleText bundle("transaction-response", -1);
  for (const BundleEntry& e : entries) {
    if (e.method == EntryMethod::kGet) {
      bundle.AddEntry(ResponseEntryJson(RunGetEntry(ctx, req, e)));
    } else {
      bundle.AddEntry(ResultEntryJson(req, *results[e.index]));
    }
  }
  Response r;
  r.body = bundle.Finish();
  return r;
}

}  // namespace

Response Transaction(const Context& ctx, const Request& req, const json::Value& bundle) {
  std::vector<BundleEntry> entries;
  std::set<std::string> full_urls;
  if (const json::Value* list = json::Member(bundle, "entry"); list != nullptr) {
    entries.reserve(list->Size());
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      const int index = static_cast<int>(i);
      auto entry = ParseEntry(ctx, req, (*list)[i], index);
      if (!entry.ok()) return ErrorResponse(EntryError(nullptr, index, entry.status()));
      if (!entry->full_url.empty() && entry->method != EntryMethod::kGet &&
          !full_urls.insert(entry->full_url).second) {
        return ErrorResponse(EntryError(
            &*entry, index,
            InvalidError("fullUrl '" + entry->full_url + "' appears in more than one entry")));
      }
      entries.push_back(std::move(entry).value());
    }
  }
  return RetryOnConflict([&]() { return Attempt(ctx, req, entries); });
}

}  // namespace hestia::interactions
