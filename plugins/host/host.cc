// PluginHost: operations, interceptors, the job scheduler and the event dispatcher. See host.h.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "hestia/base/log.h"
#include "host_internal.h"

namespace hestia::plugins {
namespace {

constexpr int kEventBatch = 100;
constexpr Micros kSecond = 1000000;
constexpr Micros kDay = 86400 * kSecond;
constexpr Micros kEventRetention = 7 * kDay;  // delivered outbox rows older than this go
constexpr Micros kPruneEvery = 3600 * kSecond;

hestia_string_view C(std::string_view s) { return {s.data(), s.size()}; }

hestia_call NewCall(PluginHost::Impl* impl, const LoadedPlugin* plugin, const Caller& caller) {
  hestia_call call;
  call.impl = impl;
  call.plugin = plugin;
  call.caller = caller;
  return call;
}

uint32_t WriteFlag(WriteKind kind) {
  switch (kind) {
    case WriteKind::kCreate:
      return HESTIA_WRITE_CREATE;
    case WriteKind::kUpdate:
      return HESTIA_WRITE_UPDATE;
    case WriteKind::kDelete:
      return HESTIA_WRITE_DELETE;
  }
  return 0;
}

// FNV-1a: a stable 64-bit advisory-lock key for a job name, the same on every node.
int64_t LockKey(const std::string& name) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : "hestia.job:" + name) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<int64_t>(h);
}

Caller SystemCaller(const std::string& what) {
  Caller c;
  c.request_id = what;
  return c;
}

}  // namespace

PluginHost::PluginHost(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<PluginHost>> PluginHost::Load(const HostOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  Status first = Status::Ok();
  for (const auto& config : options.plugins) {
    Status s = LoadPlugin(impl.get(), config);
    if (!s.ok()) {
      log::Error("plug-in refused", {{"plugin", config.name}, {"reason", s.message()}});
      if (first.ok()) first = s;
    }
  }
  if (!first.ok()) {
    UnloadAll(impl.get());
    return first;
  }
  return std::unique_ptr<PluginHost>(new PluginHost(std::move(impl)));
}

Result<std::unique_ptr<PluginHost>> PluginHost::LoadConfigured(const std::string& dir,
                                                               const std::string& list_file,
                                                               const std::string& inline_list) {
  HostOptions options;
  options.dir = dir;
  if (!inline_list.empty() && !list_file.empty()) {
    return InvalidError("plugins.list and plugins.config both name plug-ins; use one");
  }
  if (!inline_list.empty()) {
    auto list = ParsePluginList("plugins: " + inline_list);
    if (!list.ok()) return InvalidError("plugins.list: " + list.status().message());
    options.plugins = std::move(list).value();
  }
  if (!list_file.empty()) {
    std::ifstream in(list_file);
    if (!in) return InvalidError("plugins.config: cannot read '" + list_file + "'");
    std::stringstream text;
    text << in.rdbuf();
    auto list = ParsePluginList(text.str());
    if (!list.ok()) return InvalidError(list_file + ": " + list.status().message());
    options.plugins = std::move(list).value();
  }
  if (!options.plugins.empty() && dir.empty()) {
    return InvalidError("plug-ins are listed but plugins.dir is not set");
  }
  return Load(options);
}

PluginHost::~PluginHost() {
  Stop();
  UnloadAll(impl_.get());
}

Status PluginHost::Start(Gateway gateway, std::unique_ptr<storage::PluginStore> store) {
  impl_->gateway = std::move(gateway);
  if (store == nullptr) return Status::Ok();
  impl_->store = std::move(store);
  for (const auto& sub : impl_->subscriptions) {
    HESTIA_RETURN_IF_ERROR(impl_->store->EnsureSubscriber(sub.subscriber));
  }
  impl_->scheduler = std::thread([impl = impl_.get()] { impl->RunScheduler(); });
  impl_->dispatcher = std::thread([impl = impl_.get()] { impl->RunDispatcher(); });
  return Status::Ok();
}

void PluginHost::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->scheduler.joinable()) impl_->scheduler.join();
  if (impl_->dispatcher.joinable()) impl_->dispatcher.join();
}

std::vector<OperationInfo> PluginHost::Operations() const {
  std::vector<OperationInfo> out;
  for (const auto& op : impl_->operations) out.push_back(op.info);
  return out;
}

std::vector<std::pair<std::string, std::string>> PluginHost::Loaded() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : impl_->plugins) out.emplace_back(p->name, p->version);
  return out;
}

namespace {

const RegisteredOperation* Find(const std::vector<RegisteredOperation>& ops, uint32_t level,
                                std::string_view type, std::string_view name) {
  for (const auto& op : ops) {
    if (op.info.name != name || (op.info.levels & level) == 0) continue;
    if (level != HESTIA_OP_SYSTEM && !op.info.type.empty() && op.info.type != type) continue;
    return &op;
  }
  return nullptr;
}

}  // namespace

bool PluginHost::HasOperation(uint32_t level, std::string_view type, std::string_view name) const {
  return Find(impl_->operations, level, type, name) != nullptr;
}

Result<OperationResult> PluginHost::InvokeOperation(const Caller& caller,
                                                    const OperationCall& call) {
  const RegisteredOperation* op = Find(impl_->operations, call.level, call.type, call.name);
  if (op == nullptr) {
    return NotSupportedError("operation $" + std::string(call.name) + " is not supported");
  }
  if (op->info.affects_state && call.method != "POST") {
    return Status(StatusCode::kMethodNotAllowed,
                  "operation $" + op->info.name + " changes state; use POST");
  }
  hestia_call c = NewCall(impl_.get(), op->plugin, caller);
  c.operation = true;
  hestia_operation_request req;
  req.struct_size = sizeof req;
  req.level = call.level;
  req.name = C(call.name);
  req.method = C(call.method);
  req.type = C(call.type);
  req.id = C(call.id);
  req.parameters = C(call.parameters);
  const hestia_status s = op->handler(op->user_data, &c, &req);
  const std::string what = "in $" + op->info.name;
  if (s != HESTIA_OK) return CallbackError(c, s, what);
  if (!c.responded) {
    log::Error("plug-in operation returned without a response",
               {{"plugin", op->plugin->name}, {"operation", op->info.name}});
    return InternalError("plug-in " + op->plugin->name + " returned from $" + op->info.name +
                         " without a response");
  }
  return OperationResult{c.http_status, std::move(c.body)};
}

namespace {

// The ABI view of a write; borrows the strings of `write` (R3).
hestia_write WriteView(const WriteInfo& write, uint32_t flag) {
  hestia_write w;
  w.struct_size = sizeof w;
  w.interaction = flag;
  w.type = C(write.type);
  w.id = C(write.id);
  w.version = write.version;
  w.resource = C(write.resource);
  w.previous = C(write.previous);
  return w;
}

}  // namespace

bool PluginHost::HasInterceptors() const { return !impl_->interceptors.empty(); }

Status PluginHost::BeforeWrite(const Caller& caller, const WriteInfo& write) {
  const uint32_t flag = WriteFlag(write.kind);
  for (const auto& icp : impl_->interceptors) {
    if (icp.phase != HESTIA_PHASE_BEFORE || (icp.interactions & flag) == 0) continue;
    if (!icp.type.empty() && icp.type != write.type) continue;
    hestia_call c = NewCall(impl_.get(), icp.plugin, caller);
    hestia_write w = WriteView(write, flag);
    const hestia_status s = icp.handler(icp.user_data, &c, &w);
    if (s != HESTIA_OK) {
      return CallbackError(c, s, "before a write of " + std::string(write.type));
    }
  }
  return Status::Ok();
}

void PluginHost::AfterWrite(const Caller& caller, const WriteInfo& write) {
  const uint32_t flag = WriteFlag(write.kind);
  for (const auto& icp : impl_->interceptors) {
    if (icp.phase != HESTIA_PHASE_AFTER || (icp.interactions & flag) == 0) continue;
    if (!icp.type.empty() && icp.type != write.type) continue;
    hestia_call c = NewCall(impl_.get(), icp.plugin, caller);
    hestia_write w = WriteView(write, flag);
    const hestia_status s = icp.handler(icp.user_data, &c, &w);
    if (s != HESTIA_OK) {
      const Status e = CallbackError(c, s, "after a write of " + std::string(write.type));
      log::Warn("after-write interceptor failed", {{"plugin", icp.plugin->name},
                                                   {"request_id", caller.request_id},
                                                   {"error", e.ToString()}});
    }
  }
}

// ---- Background work --------------------------------------------------------------------

void PluginHost::Impl::RunScheduler() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu);
      if (cv.wait_for(lock, std::chrono::seconds(1), [&] { return stopping; })) return;
    }
    for (auto& job : jobs) {
      const Micros now = NowMicros();
      if (now < job.next_check) continue;
      Micros since = 0;
      Micros next = 0;
      if (job.schedule == HESTIA_JOB_EVERY) {
        const Micros interval = static_cast<Micros>(job.seconds) * kSecond;
        since = now - interval + 1;  // a run recorded less than one interval ago → not due
        next = now + std::min(interval, 30 * kSecond);
      } else {
        const Micros midnight = now - now % kDay;
        const Micros today = midnight + static_cast<Micros>(job.seconds) * kSecond;
        if (now < today) {
          job.next_check = today;
          continue;
        }
        since = today;
        next = std::min(today + kDay, now + 30 * kSecond);
      }
      job.next_check = next;
      auto claimed = store->ClaimJobRun(job.name, LockKey(job.name), since, now);
      if (!claimed.ok()) {
        log::Warn("cannot claim plug-in job",
                  {{"job", job.name}, {"error", claimed.status().ToString()}});
        continue;
      }
      if (!*claimed) continue;
      if (job.schedule == HESTIA_JOB_EVERY) {
        job.next_check = now + static_cast<Micros>(job.seconds) * kSecond;
      }
      hestia_call c = NewCall(this, job.plugin, SystemCaller("job:" + job.name));
      const hestia_status s = job.handler(job.user_data, &c);
      if (s != HESTIA_OK) {
        log::Warn(
            "plug-in job failed",
            {{"job", job.name}, {"error", CallbackError(c, s, "in job " + job.name).ToString()}});
      } else {
        log::Debug("plug-in job ran", {{"job", job.name}});
      }
    }
  }
}

void PluginHost::Impl::RunDispatcher() {
  Micros next_prune = NowMicros() + kPruneEvery;
  for (;;) {
    bool more = false;
    for (const auto& sub : subscriptions) {
      auto offered =
          store->DeliverEvents(sub.subscriber, kEventBatch, [&](const storage::OutboxEvent& e) {
            uint32_t flag = HESTIA_WRITE_UPDATE;
            if (e.deleted) {
              flag = HESTIA_WRITE_DELETE;
            } else if (e.version == 1) {
              flag = HESTIA_WRITE_CREATE;
            }
            if ((sub.interactions & flag) == 0) return storage::Delivery::kDone;
            if (!sub.type.empty() && sub.type != e.type) return storage::Delivery::kDone;
            hestia_call c = NewCall(this, sub.plugin, SystemCaller("event:" + sub.subscriber));
            hestia_event ev;
            ev.struct_size = sizeof ev;
            ev.interaction = flag;
            ev.sequence = e.seq;
            ev.type = C(e.type);
            ev.id = C(e.id);
            ev.version = e.version;
            ev.last_updated_micros = e.last_updated;
            ev.resource = C(e.body);
            const hestia_status s = sub.handler(sub.user_data, &c, &ev);
            if (s == HESTIA_OK) return storage::Delivery::kDone;
            if (s == HESTIA_ERR_UNAVAILABLE) return storage::Delivery::kRetry;
            log::Warn("plug-in event handler failed; event skipped",
                      {{"subscriber", sub.subscriber},
                       {"event", e.type + "/" + e.id + "/_history/" + std::to_string(e.version)},
                       {"error", CallbackError(c, s, "on an event").ToString()}});
            return storage::Delivery::kDone;
          });
      if (!offered.ok()) {
        log::Warn("plug-in event delivery failed",
                  {{"subscriber", sub.subscriber}, {"error", offered.status().ToString()}});
      } else if (*offered == kEventBatch) {
        more = true;
      }
    }
    if (NowMicros() >= next_prune) {
      next_prune = NowMicros() + kPruneEvery;
      auto pruned = store->PruneEvents(NowMicros() - kEventRetention);
      if (!pruned.ok()) {
        log::Warn("outbox pruning failed", {{"error", pruned.status().ToString()}});
      }
    }
    std::unique_lock<std::mutex> lock(mu);
    const auto wait =
        more ? std::chrono::milliseconds(0) : std::chrono::milliseconds(options.event_poll_ms);
    if (cv.wait_for(lock, wait, [&] { return stopping; })) return;
  }
}

}  // namespace hestia::plugins
