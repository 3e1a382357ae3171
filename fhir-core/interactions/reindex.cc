// $reindex and the background Reindexer. See reindex.h.
#include "reindex.h"

#include <chrono>

#include "hestia/base/log.h"
#include "hestia/base/operation_outcome.h"
#include "hestia/search/executor.h"
#include "hestia/search/index.h"
#include "hestia/search/query.h"
#include "interactions.h"

namespace hestia::interactions {
namespace {

constexpr int kBatch = 200;

json::Value JobParameter(const storage::ReindexJob& job, const std::string& base_url,
                         json::Allocator& a) {
  json::Value p(rapidjson::kObjectType);
  p.AddMember("name", "job", a);
  json::Value parts(rapidjson::kArrayType);
  auto part = [&](const char* name, const char* kind, json::Value value) {
    json::Value x(rapidjson::kObjectType);
    x.AddMember("name", json::Value(name, a), a);
    x.AddMember(json::Value(kind, a), value, a);
    parts.PushBack(x, a);
  };
  part("id", "valueInteger", json::Value(static_cast<int64_t>(job.id)));
  part("state", "valueCode", json::MakeString(job.state, a));
  part("scope", "valueString",
       json::MakeString(
           job.type.empty() ? "*" : job.type + (job.id_in_type.empty() ? "" : "/" + job.id_in_type),
           a));
  part("done", "valueDecimal", json::Value(static_cast<int64_t>(job.done)));
  part("total", "valueDecimal", json::Value(static_cast<int64_t>(job.total)));
  part("progress", "valueString",
       json::MakeString(
           job.total == 0 ? std::string("100%")
                          : std::to_string(job.done * 100 / std::max<int64_t>(job.total, 1)) + "%",
           a));
  for (const auto& id : job.activated) {
    part("activated", "valueReference", [&] {
      json::Value r(rapidjson::kObjectType);
      r.AddMember("reference", json::MakeString("SearchParameter/" + id, a), a);
      return r;
    }());
  }
  if (!job.error.empty()) part("error", "valueString", json::MakeString(job.error, a));
  part("status-url", "valueUri", json::MakeString(base_url + "/$reindex", a));
  p.AddMember("part", parts, a);
  return p;
}

Response JobsResponse(int status, const std::vector<storage::ReindexJob>& jobs,
                      const std::string& base_url, const std::vector<std::string>& problems) {
  json::Document out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  out.AddMember("resourceType", "Parameters", a);
  json::Value params(rapidjson::kArrayType);
  for (const auto& job : jobs) params.PushBack(JobParameter(job, base_url, a), a);
  for (const auto& problem : problems) {
    json::Value p(rapidjson::kObjectType);
    p.AddMember("name", "skipped", a);
    p.AddMember("valueString", json::MakeString(problem, a), a);
    params.PushBack(p, a);
  }
  out.AddMember("parameter", params, a);
  Response r;
  r.status = status;
  if (status == 202) r.headers.Add("Content-Location", base_url + "/$reindex");
  r.body = json::Write(out);
  return r;
}

}  // namespace

Result<std::vector<search::SearchParameterDef>> LoadRuntimeParameters(
    const Context& ctx, const std::vector<std::string>* ids,
    std::vector<std::string>* activated_ids, std::vector<std::string>* problems) {
  std::vector<search::SearchParameterDef> defs;
  if (ids != nullptr && ids->empty()) return defs;
  std::vector<std::pair<std::string, std::string>> query = {{"_count", "500"}};
  if (ids != nullptr) {
    std::string list;
    for (const auto& id : *ids) list += (list.empty() ? "" : ",") + id;
    query.emplace_back("_id", list);
  }
  HESTIA_ASSIGN_OR_RETURN(search::Query q,
                          search::ParseSearch({"SearchParameter"}, false, query, *ctx.params, {}));
  search::PageRequest page;
  page.count = 500;
  for (;;) {
    HESTIA_ASSIGN_OR_RETURN(auto reader, ctx.store->Reader(ctx.options.search_timeout_ms));
    HESTIA_ASSIGN_OR_RETURN(auto result, search::ExecuteSearch(q, *ctx.params, page, *reader));
    for (const auto& hit : result.matches) {
      json::Document doc;
      json::Limits limits;
      limits.max_bytes = hit.body.size() + 1;
      if (!json::Parse(hit.body, limits, &doc).ok()) continue;
      auto def = search::ParameterRegistry::FromResource(doc);
      if (!def.ok()) {
        if (problems)
          problems->push_back("SearchParameter/" + hit.id + ": " + def.status().message());
        continue;
      }
      if (json::StringMember(doc, "status") == "retired") {
        if (problems) problems->push_back("SearchParameter/" + hit.id + " is retired");
        continue;
      }
      def->runtime = true;
      defs.push_back(std::move(def).value());
      if (activated_ids) activated_ids->push_back(hit.id);
    }
    if (!result.next_cursor) break;
    page.cursor = result.next_cursor;
  }
  return defs;
}

Reindexer::Reindexer(const Context* ctx) : ctx_(ctx) {}

Reindexer::~Reindexer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Reindexer::Start() {
  // SearchParameters that earlier jobs activated stay active across restarts.
  auto jobs = ctx_->store->ReindexJobs();
  if (jobs.ok()) {
    std::vector<std::string> ids;
    for (const auto& job : *jobs) ids.insert(ids.end(), job.activated.begin(), job.activated.end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (!ids.empty()) {
      auto defs = LoadRuntimeParameters(*ctx_, &ids, nullptr, nullptr);
      if (defs.ok()) {
        ctx_->registry_slot->Set(ctx_->params->WithAdded(*defs));
        log::Info("search parameters activated", {{"count", static_cast<long>(defs->size())}});
      } else {
        log::Error("cannot re-activate search parameters", {{"error", defs.status().ToString()}});
      }
    }
    pending_ = true;  // resume unfinished jobs
  }
  thread_ = std::thread([this] { Run(); });
}

void Reindexer::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_ = true;
  }
  cv_.notify_all();
}

void Reindexer::Run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(30), [&] { return stop_ || pending_; });
      if (stop_) return;
      pending_ = false;
    }
    auto jobs = ctx_->store->ReindexJobs();
    if (!jobs.ok()) continue;  // database away: try again on the next wake-up
    // Oldest first.
    for (auto it = jobs->rbegin(); it != jobs->rend(); ++it) {
      if (it->state != "queued" && it->state != "running") continue;
      Status s = RunJob(*it);
      if (!s.ok() && s.code() != StatusCode::kAborted) {
        if (s.code() == StatusCode::kUnavailable) break;  // resume later
        log::Error("reindex job failed",
                   {{"job", static_cast<long>(it->id)}, {"error", s.ToString()}});
        (void)ctx_->store->FailReindexJob(it->id, s.message());
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
  }
}

Status Reindexer::RunJob(storage::ReindexJob job) {
  log::Info("reindex job running", {{"job", static_cast<long>(job.id)},
                                    {"done", static_cast<long>(job.done)},
                                    {"total", static_cast<long>(job.total)}});
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return Status::Ok();
    }
    const auto registry = ctx_->Params();
    HESTIA_ASSIGN_OR_RETURN(auto txn, ctx_->store->Begin());
    HESTIA_ASSIGN_OR_RETURN(auto batch, txn->LockReindexBatch(job, kBatch));
    for (const auto& item : batch) {
      json::Document doc;
      json::Limits limits;
      limits.max_bytes = item.body.size() + 1;
      limits.max_depth = 1000;
      if (!json::Parse(item.body, limits, &doc).ok()) continue;
      HESTIA_ASSIGN_OR_RETURN(auto rows, ctx_->extractor->Extract(item.type, doc, *registry));
      HESTIA_RETURN_IF_ERROR(txn->ReplaceIndex(item.pk, rows));
    }
    const bool finished = static_cast<int>(batch.size()) < kBatch;
    const int64_t last = batch.empty() ? job.last_pk : batch.back().pk;
    HESTIA_RETURN_IF_ERROR(
        txn->AdvanceReindexJob(job.id, last, static_cast<int64_t>(batch.size()), finished));
    HESTIA_RETURN_IF_ERROR(txn->Commit());
    job.last_pk = last;
    job.done += static_cast<int64_t>(batch.size());
    log::Info("reindex progress", {{"job", static_cast<long>(job.id)},
                                   {"done", static_cast<long>(job.done)},
                                   {"total", static_cast<long>(job.total)}});
    if (finished) return Status::Ok();
  }
}

Response Reindex(const Context& ctx, const Request& req, const std::string& type,
                 const std::string& id) {
  if (req.method == "GET" || req.method == "HEAD") {
    if (!type.empty()) {
      return ErrorResponse({StatusCode::kMethodNotAllowed,
                            "GET $reindex (job progress) is served at the base URL only"});
    }
    auto jobs = ctx.store->ReindexJobs();
    if (!jobs.ok()) return ErrorResponse(jobs.status());
    return JobsResponse(200, *jobs, req.base_url, {});
  }
  if (req.method != "POST")
    return ErrorResponse(
        {StatusCode::kMethodNotAllowed, "$reindex takes POST (start) or GET (progress)"});
  if (!id.empty()) {
    auto current = ctx.store->ReadCurrent(type, id);
    if (!current.ok()) return ErrorResponse(current.status());
    if (current->deleted)
      return ErrorResponse({StatusCode::kDeleted, type + "/" + id + " is deleted"});
  }
  std::vector<std::string> activated;
  std::vector<std::string> problems;
  auto defs = LoadRuntimeParameters(ctx, nullptr, &activated, &problems);
  if (!defs.ok()) return ErrorResponse(defs.status());
  ctx.registry_slot->Set(ctx.params->WithAdded(*defs));
  auto job = ctx.store->CreateReindexJob(type, id, activated);
  if (!job.ok()) return ErrorResponse(job.status());
  log::Info("reindex job queued", {{"job", static_cast<long>(job->id)},
                                   {"scope", type.empty() ? std::string("*") : type + "/" + id},
                                   {"total", static_cast<long>(job->total)},
                                   {"search_parameters", static_cast<long>(defs->size())}});
  if (ctx.reindexer != nullptr) ctx.reindexer->Notify();
  return JobsResponse(202, {*job}, req.base_url, problems);
}

}  // namespace hestia::interactions
