// The host function table (hestia_host_api) plug-ins call. See plugin.h for each function's
// contract. Every function here is noexcept in effect: errors become status codes (R5).
#include <cstring>
#include <exception>

#include "hestia/base/json.h"
#include "hestia/base/log.h"
#include "hestia/base/operation_outcome.h"
#include "hestia/base/time.h"
#include "host_internal.h"

namespace hestia::plugins {
namespace {

constexpr int kMaxDepth = 8;  // plug-in → FHIR → plug-in nesting before we call it a loop

// FHIR calls a plug-in makes run on the calling thread, so nesting is counted per thread.
thread_local int call_depth = 0;

struct DepthGuard {
  DepthGuard() { ++call_depth; }
  ~DepthGuard() { --call_depth; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;
};

std::string Text(hestia_string_view v) {
  return v.data == nullptr ? std::string() : std::string(v.data, v.len);
}

hestia_buffer* NewBuffer(std::string text) {
  auto* b = new (std::nothrow) hestia_buffer();
  if (b != nullptr) b->text = std::move(text);
  return b;
}

hestia_status Fail(hestia_buffer** out, hestia_status code, const std::string& message) {
  if (out != nullptr) {
    *out = NewBuffer(OperationOutcomeJson(Status(StatusCodeFromAbi(code), message)));
  }
  return code;
}

bool ValidType(std::string_view type) {
  if (type.empty() || type.size() > 64 || !(type[0] >= 'A' && type[0] <= 'Z')) return false;
  for (char c : type) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Sends one FHIR request through the server's gateway as the call's user.
hestia_status Forward(hestia_call* call, hestia_buffer** out, const char* method, std::string path,
                      std::string query, std::string body) {
  if (out == nullptr) return HESTIA_ERR_INVALID;
  *out = nullptr;
  if (call == nullptr || call->impl == nullptr) return HESTIA_ERR_INVALID;
  if (!call->impl->gateway) {
    return Fail(out, HESTIA_ERR_STATE,
                "FHIR calls are available once the server has started, "
                "not during init");
  }
  if (call_depth >= kMaxDepth) {
    return Fail(out, HESTIA_ERR_INTERNAL,
                "plug-in " + call->plugin->name + " nested FHIR calls " +
                    std::to_string(kMaxDepth) + " deep; refusing what looks like a loop");
  }
  GatewayRequest req;
  req.method = method;
  req.path = std::move(path);
  req.query = std::move(query);
  req.body = std::move(body);
  req.caller = call->caller;
  const DepthGuard depth;
  try {
    GatewayResponse r = call->impl->gateway(req);
    *out = NewBuffer(std::move(r.body));
    if (*out == nullptr) return HESTIA_ERR_INTERNAL;
    return AbiStatusFromHttp(r.status);
  } catch (const std::exception& e) {
    return Fail(out, HESTIA_ERR_INTERNAL, std::string("internal error: ") + e.what());
  }
}

void Log(hestia_host* host, int32_t level, hestia_string_view message) {
  if (host == nullptr || host->plugin == nullptr) return;
  const log::Level l = level <= HESTIA_LOG_DEBUG  ? log::Level::kDebug
                       : level == HESTIA_LOG_INFO ? log::Level::kInfo
                       : level == HESTIA_LOG_WARN ? log::Level::kWarn
                                                  : log::Level::kError;
  log::Log(l, Text(message), {{"plugin", host->plugin->name}});
}

void SetError(hestia_call* call, hestia_status code, hestia_string_view diagnostics,
              hestia_string_view expression) {
  if (call == nullptr) return;
  call->has_error = true;
  call->error_code = code == HESTIA_OK ? HESTIA_ERR_INTERNAL : code;
  call->diagnostics = Text(diagnostics);
  call->expression = Text(expression);
}

hestia_status Respond(hestia_call* call, int32_t http_status, hestia_string_view resource) {
  if (call == nullptr || !call->operation) return HESTIA_ERR_STATE;
  if (http_status < 200 || http_status > 299) return HESTIA_ERR_INVALID;
  call->responded = true;
  call->http_status = http_status;
  call->body = Text(resource);
  return HESTIA_OK;
}

hestia_string_view BufferData(const hestia_buffer* buffer) {
  if (buffer == nullptr) return {nullptr, 0};
  return {buffer->text.data(), buffer->text.size()};
}

void BufferRelease(hestia_buffer* buffer) { delete buffer; }

hestia_status Read(hestia_call* call, hestia_string_view type, hestia_string_view id,
                   hestia_buffer** out) {
  if (!ValidType(Text(type)) || !ValidId(Text(id))) {
    if (out != nullptr) *out = nullptr;
    return HESTIA_ERR_INVALID;
  }
  return Forward(call, out, "GET", Text(type) + "/" + Text(id), "", "");
}

hestia_status Search(hestia_call* call, hestia_string_view type, hestia_string_view query,
                     hestia_buffer** out) {
  if (!ValidType(Text(type))) {
    if (out != nullptr) *out = nullptr;
    return HESTIA_ERR_INVALID;
  }
  return Forward(call, out, "GET", Text(type), Text(query), "");
}

hestia_status Create(hestia_call* call, hestia_string_view type, hestia_string_view resource,
                     hestia_buffer** out) {
  if (!ValidType(Text(type))) {
    if (out != nullptr) *out = nullptr;
    return HESTIA_ERR_INVALID;
  }
  return Forward(call, out, "POST", Text(type), "", Text(resource));
}

hestia_status Update(hestia_call* call, hestia_string_view type, hestia_string_view id,
                     hestia_string_view resource, hestia_buffer** out) {
  if (!ValidType(Text(type)) || !ValidId(Text(id))) {
    if (out != nullptr) *out = nullptr;
    return HESTIA_ERR_INVALID;
  }
  return Forward(call, out, "PUT", Text(type) + "/" + Text(id), "", Text(resource));
}

hestia_status DeleteResource(hestia_call* call, hestia_string_view type, hestia_string_view id,
                             hestia_buffer** out) {
  if (!ValidType(Text(type)) || !ValidId(Text(id))) {
    if (out != nullptr) *out = nullptr;
    return HESTIA_ERR_INVALID;
  }
  // Prefer: return=OperationOutcome is implied: *out gets an informational outcome.
  return Forward(call, out, "DELETE", Text(type) + "/" + Text(id), "", "");
}

hestia_status Transaction(hestia_call* call, hestia_string_view bundle, hestia_buffer** out) {
  return Forward(call, out, "POST", "", "", Text(bundle));
}

hestia_status ConfigGet(hestia_host* host, hestia_string_view key, hestia_buffer** out) {
  if (out == nullptr) return HESTIA_ERR_INVALID;
  *out = nullptr;
  if (host == nullptr || host->plugin == nullptr) return HESTIA_ERR_INVALID;
  const std::string k = Text(key);
  if (k.empty()) {
    *out = NewBuffer(host->plugin->config_json);
  } else {
    auto it = host->plugin->config_flat.find(k);
    if (it == host->plugin->config_flat.end()) return HESTIA_ERR_NOT_FOUND;
    *out = NewBuffer(it->second);
  }
  return *out == nullptr ? HESTIA_ERR_INTERNAL : HESTIA_OK;
}

int64_t Now(hestia_host* /*host*/) { return NowMicros(); }

// Copies a definition struct the plug-in passed: its fields up to its struct_size, the rest
// zero (R1: a newer plug-in's extra fields are ignored, an older one's missing ones are 0).
template <typename T>
bool CopyDef(const T* in, std::size_t v10_size, T* out) {
  std::memset(static_cast<void*>(out), 0, sizeof(T));
  if (in == nullptr || in->struct_size < v10_size) return false;
  std::memcpy(static_cast<void*>(out), in, std::min<std::size_t>(in->struct_size, sizeof(T)));
  return true;
}

bool Registering(hestia_host* host) {
  if (host == nullptr || host->impl == nullptr) return false;
  if (host->impl->initializing != host->plugin) {
    log::Error("plug-in registered outside init; refused",
               {{"plugin", host->plugin != nullptr ? host->plugin->name : ""}});
    return false;
  }
  return true;
}

hestia_status Refuse(hestia_host* host, const std::string& why) {
  log::Error("plug-in registration refused", {{"plugin", host->plugin->name}, {"reason", why}});
  return HESTIA_ERR_INVALID;
}

hestia_status RegisterOperation(hestia_host* host, const hestia_operation_def* in) {
  if (!Registering(host)) return HESTIA_ERR_STATE;
  hestia_operation_def def;
  if (!CopyDef(in, offsetof(hestia_operation_def, user_data) + sizeof(void*), &def)) {
    return Refuse(host, "operation definition struct is too small");
  }
  RegisteredOperation op;
  op.plugin = host->plugin;
  op.info.plugin = host->plugin->name;
  op.info.name = Text(def.name);
  op.info.levels = def.levels;
  op.info.type = Text(def.type);
  op.info.affects_state = def.affects_state != 0;
  op.handler = def.handler;
  op.user_data = def.user_data;
  if (op.info.name.empty() || op.info.name.size() > 64) return Refuse(host, "operation name");
  for (char c : op.info.name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return Refuse(host, "operation name '" + op.info.name + "' has a bad character");
  }
  if (def.levels == 0 ||
      (def.levels & ~(HESTIA_OP_SYSTEM | HESTIA_OP_TYPE | HESTIA_OP_INSTANCE)) != 0) {
    return Refuse(host, "operation $" + op.info.name + " has no valid levels");
  }
  if (!op.info.type.empty() && !ValidType(op.info.type)) {
    return Refuse(host, "operation $" + op.info.name + " names an invalid type");
  }
  if (op.handler == nullptr) return Refuse(host, "operation $" + op.info.name + " has no handler");
  // The OperationDefinition must be one and carry its canonical url.
  const std::string definition = Text(def.definition);
  const std::size_t url_at = definition.find("\"url\"");
  if (definition.find("\"OperationDefinition\"") == std::string::npos ||
      url_at == std::string::npos) {
    return Refuse(host, "operation $" + op.info.name + " needs an OperationDefinition with a url");
  }
  const std::size_t q1 = definition.find('"', definition.find(':', url_at) + 1);
  const std::size_t q2 = q1 == std::string::npos ? q1 : definition.find('"', q1 + 1);
  if (q2 == std::string::npos) return Refuse(host, "operation $" + op.info.name + ": bad url");
  op.info.definition_url = definition.substr(q1 + 1, q2 - q1 - 1);
  for (const auto& other : host->impl->operations) {
    if (other.info.name == op.info.name && (other.info.levels & op.info.levels) != 0 &&
        (other.info.type.empty() || op.info.type.empty() || other.info.type == op.info.type)) {
      return Refuse(
          host, "operation $" + op.info.name + " is already registered by " + other.info.plugin);
    }
  }
  host->impl->operations.push_back(std::move(op));
  return HESTIA_OK;
}

hestia_status RegisterInterceptor(hestia_host* host, const hestia_interceptor_def* in) {
  if (!Registering(host)) return HESTIA_ERR_STATE;
  hestia_interceptor_def def;
  if (!CopyDef(in, offsetof(hestia_interceptor_def, user_data) + sizeof(void*), &def)) {
    return Refuse(host, "interceptor definition struct is too small");
  }
  RegisteredInterceptor icp;
  icp.plugin = host->plugin;
  icp.phase = def.phase;
  icp.interactions = def.interactions;
  icp.type = Text(def.type);
  icp.handler = def.handler;
  icp.user_data = def.user_data;
  if (icp.phase != HESTIA_PHASE_BEFORE && icp.phase != HESTIA_PHASE_AFTER) {
    return Refuse(host, "interceptor phase must be HESTIA_PHASE_BEFORE or _AFTER");
  }
  if (icp.interactions == 0 ||
      (icp.interactions & ~(HESTIA_WRITE_CREATE | HESTIA_WRITE_UPDATE | HESTIA_WRITE_DELETE))) {
    return Refuse(host, "interceptor interactions must be HESTIA_WRITE_* flags");
  }
  if (!icp.type.empty() && !ValidType(icp.type)) return Refuse(host, "interceptor type");
  if (icp.handler == nullptr) return Refuse(host, "interceptor has no handler");
  host->impl->interceptors.push_back(std::move(icp));
  return HESTIA_OK;
}

hestia_status RegisterJob(hestia_host* host, const hestia_job_def* in) {
  if (!Registering(host)) return HESTIA_ERR_STATE;
  hestia_job_def def;
  if (!CopyDef(in, offsetof(hestia_job_def, user_data) + sizeof(void*), &def)) {
    return Refuse(host, "job definition struct is too small");
  }
  RegisteredJob job;
  job.plugin = host->plugin;
  const std::string name = Text(def.name);
  job.name = host->plugin->name + "/" + name;
  job.schedule = def.schedule;
  job.seconds = def.seconds;
  job.handler = def.handler;
  job.user_data = def.user_data;
  if (name.empty() || name.size() > 64) return Refuse(host, "job name");
  if (job.schedule == HESTIA_JOB_EVERY) {
    if (job.seconds < 1) return Refuse(host, "job " + name + ": interval must be >= 1 s");
  } else if (job.schedule == HESTIA_JOB_DAILY) {
    if (job.seconds >= 86400) return Refuse(host, "job " + name + ": time of day >= 24 h");
  } else {
    return Refuse(host, "job " + name + ": schedule must be HESTIA_JOB_EVERY or _DAILY");
  }
  if (job.handler == nullptr) return Refuse(host, "job " + name + " has no handler");
  for (const auto& other : host->impl->jobs) {
    if (other.name == job.name) return Refuse(host, "job " + name + " is already registered");
  }
  host->impl->jobs.push_back(std::move(job));
  return HESTIA_OK;
}

hestia_status Subscribe(hestia_host* host, const hestia_subscription_def* in) {
  if (!Registering(host)) return HESTIA_ERR_STATE;
  hestia_subscription_def def;
  if (!CopyDef(in, offsetof(hestia_subscription_def, user_data) + sizeof(void*), &def)) {
    return Refuse(host, "subscription definition struct is too small");
  }
  RegisteredSubscription sub;
  sub.plugin = host->plugin;
  const std::string name = Text(def.name);
  sub.subscriber = host->plugin->name + "/" + name;
  sub.interactions = def.interactions == 0
                         ? (HESTIA_WRITE_CREATE | HESTIA_WRITE_UPDATE | HESTIA_WRITE_DELETE)
                         : def.interactions;
  sub.type = Text(def.type);
  sub.handler = def.handler;
  sub.user_data = def.user_data;
  if (name.empty() || name.size() > 64) return Refuse(host, "subscription name");
  if (!sub.type.empty() && !ValidType(sub.type)) return Refuse(host, "subscription type");
  if (sub.handler == nullptr) return Refuse(host, "subscription " + name + " has no handler");
  for (const auto& other : host->impl->subscriptions) {
    if (other.subscriber == sub.subscriber) {
      return Refuse(host, "subscription " + name + " is already registered");
    }
  }
  host->impl->subscriptions.push_back(std::move(sub));
  return HESTIA_OK;
}

hestia_host_api MakeApi() {
  hestia_host_api api;
  std::memset(static_cast<void*>(&api), 0, sizeof api);
  api.struct_size = sizeof api;
  api.abi_major = HESTIA_PLUGIN_ABI_MAJOR;
  api.abi_minor = HESTIA_PLUGIN_ABI_MINOR;
  api.log_message = &Log;
  api.set_error = &SetError;
  api.respond = &Respond;
  api.buffer_data = &BufferData;
  api.buffer_release = &BufferRelease;
  api.read = &Read;
  api.search = &Search;
  api.create = &Create;
  api.update = &Update;
  api.delete_resource = &DeleteResource;
  api.transaction = &Transaction;
  api.config_get = &ConfigGet;
  api.now_micros = &Now;
  api.register_operation = &RegisterOperation;
  api.register_interceptor = &RegisterInterceptor;
  api.register_job = &RegisterJob;
  api.subscribe = &Subscribe;
  return api;
}

}  // namespace

const hestia_host_api* HostApi() {
  static const hestia_host_api kApi = MakeApi();
  return &kApi;
}

StatusCode StatusCodeFromAbi(hestia_status code) {
  switch (code) {
    case HESTIA_OK:
      return StatusCode::kOk;
    case HESTIA_ERR_INVALID:
      return StatusCode::kInvalid;
    case HESTIA_ERR_NOT_FOUND:
      return StatusCode::kNotFound;
    case HESTIA_ERR_CONFLICT:
      return StatusCode::kConflict;
    case HESTIA_ERR_GONE:
      return StatusCode::kDeleted;
    case HESTIA_ERR_PRECONDITION:
      return StatusCode::kPreconditionFailed;
    case HESTIA_ERR_NOT_SUPPORTED:
      return StatusCode::kNotSupported;
    case HESTIA_ERR_UNAVAILABLE:
      return StatusCode::kUnavailable;
    default:
      return StatusCode::kInternal;
  }
}

hestia_status AbiStatusFromHttp(int http_status) {
  if (http_status >= 200 && http_status <= 299) return HESTIA_OK;
  switch (http_status) {
    case 404:
      return HESTIA_ERR_NOT_FOUND;
    case 409:
      return HESTIA_ERR_CONFLICT;
    case 410:
      return HESTIA_ERR_GONE;
    case 412:
      return HESTIA_ERR_PRECONDITION;
    case 503:
      return HESTIA_ERR_UNAVAILABLE;
    default:
      return http_status >= 400 && http_status <= 499 ? HESTIA_ERR_INVALID : HESTIA_ERR_INTERNAL;
  }
}

Status CallbackError(const hestia_call& call, hestia_status code, const std::string& what) {
  if (call.has_error) {
    return Status(StatusCodeFromAbi(call.error_code), call.diagnostics, call.expression);
  }
  log::Error("plug-in failed without reporting an error",
             {{"plugin", call.plugin->name}, {"what", what}, {"code", static_cast<int>(code)}});
  return InternalError("plug-in " + call.plugin->name + " failed " + what +
                       " without reporting an error (code " + std::to_string(code) + ")");
}

std::string JsonQuote(std::string_view s) { return json::Quote(s); }

}  // namespace hestia::plugins
