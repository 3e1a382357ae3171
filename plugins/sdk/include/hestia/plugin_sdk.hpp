// The C++ SDK for Hestia plug-ins: a header-only layer over hestia/plugin.h.
//
// Owns: the trampolines between the C ABI and C++ handlers. Every function the host calls
// (init, shutdown, operations, interceptors, jobs, events) goes through a trampoline that
// catches every exception (R5): an sdk::Error becomes that error code with its
// OperationOutcome detail; any other exception becomes HESTIA_ERR_INTERNAL naming the plug-in.
// A plug-in writes a class derived from sdk::Plugin, registers handlers in Init(), and names
// it once with HESTIA_PLUGIN(Class, "name", "version").
//
// Used by: C++ plug-ins (plugins/scheduling, …, tests/unit/plugins/fixtures). It includes only
// plugin.h and the standard library, so it builds outside the tree against the installed
// headers. Nothing here is exported from the plug-in: build with -fvisibility=hidden and
// HESTIA_PLUGIN marks only the entry point.
//
// Thread-safety: handlers run on several host threads at once and must be thread-safe
// themselves; the SDK adds no locking. Registration happens in Init(), on one thread.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hestia/plugin.h"

namespace hestia::sdk {

inline std::string_view View(hestia_string_view v) {
  return v.data == nullptr ? std::string_view() : std::string_view(v.data, v.len);
}
inline hestia_string_view ToC(std::string_view s) { return {s.data(), s.size()}; }

// Thrown by handlers to fail with a chosen code and OperationOutcome detail; the trampoline
// turns it into set_error + that code. Also thrown by Host registration helpers.
class Error : public std::exception {
 public:
  Error(hestia_status code, std::string diagnostics, std::string expression = {})
      : code_(code), diagnostics_(std::move(diagnostics)), expression_(std::move(expression)) {}
  const char* what() const noexcept override { return diagnostics_.c_str(); }
  hestia_status code() const { return code_; }
  const std::string& diagnostics() const { return diagnostics_; }
  const std::string& expression() const { return expression_; }

 private:
  hestia_status code_;
  std::string diagnostics_;
  std::string expression_;
};

// The copied result of a FHIR call: a resource or Bundle when ok(), else an OperationOutcome.
struct FhirResult {
  hestia_status status = HESTIA_ERR_INTERNAL;
  std::string body;
  bool ok() const { return status == HESTIA_OK; }
};

// One callback's context (hestia_call): FHIR calls as the calling user, errors, responses.
// Valid only inside the handler it is passed to.
class Call {
 public:
  Call(const hestia_host_api* api, hestia_call* call) : api_(api), call_(call) {}

  FhirResult Read(std::string_view type, std::string_view id) const {
    return Take([&](hestia_buffer** out) { return api_->read(call_, ToC(type), ToC(id), out); });
  }
  FhirResult Search(std::string_view type, std::string_view query) const {
    return Take(
        [&](hestia_buffer** out) { return api_->search(call_, ToC(type), ToC(query), out); });
  }
  FhirResult Create(std::string_view type, std::string_view resource) const {
    return Take(
        [&](hestia_buffer** out) { return api_->create(call_, ToC(type), ToC(resource), out); });
  }
  FhirResult Update(std::string_view type, std::string_view id, std::string_view resource) const {
    return Take([&](hestia_buffer** out) {
      return api_->update(call_, ToC(type), ToC(id), ToC(resource), out);
    });
  }
  FhirResult Delete(std::string_view type, std::string_view id) const {
    return Take(
        [&](hestia_buffer** out) { return api_->delete_resource(call_, ToC(type), ToC(id), out); });
  }
  FhirResult Transaction(std::string_view bundle) const {
    return Take([&](hestia_buffer** out) { return api_->transaction(call_, ToC(bundle), out); });
  }
  // The operation's response (operation handlers only).
  void Respond(int http_status, std::string_view resource) const {
    const hestia_status s = api_->respond(call_, http_status, ToC(resource));
    if (s != HESTIA_OK) throw Error(s, "respond is only allowed in an operation handler");
  }
  hestia_call* raw() const { return call_; }
  const hestia_host_api* api() const { return api_; }

 private:
  template <typename Fn>
  FhirResult Take(Fn&& fn) const {
    hestia_buffer* out = nullptr;
    FhirResult r;
    r.status = fn(&out);
    if (out != nullptr) {
      r.body = std::string(View(api_->buffer_data(out)));
      api_->buffer_release(out);
    }
    return r;
  }

  const hestia_host_api* api_;
  hestia_call* call_;
};

// Copies of the borrowed ABI structs, for handlers.
struct OperationRequest {
  uint32_t level = 0;
  std::string_view name, method, type, id, parameters;
};
struct Write {
  uint32_t interaction = 0;
  std::string_view type, id, resource;
  int64_t version = 0;
  std::string_view previous;  // ABI v1.1: the version a before-phase write replaces ("" if none)
};
struct Event {
  uint32_t interaction = 0;
  int64_t sequence = 0;
  std::string_view type, id, resource;
  int64_t version = 0;
  int64_t last_updated_micros = 0;
};

using OperationHandler = std::function<void(Call&, const OperationRequest&)>;
using InterceptorHandler = std::function<void(Call&, const Write&)>;  // throw Error to reject
using JobHandler = std::function<void(Call&)>;
using EventHandler = std::function<void(Call&, const Event&)>;

namespace internal {

inline const char*& PluginName() {
  static const char* name = "plug-in";
  return name;
}

// Runs `fn` and maps every exception to an error code (R5). Never throws.
template <typename Fn>
hestia_status Guard(const hestia_host_api* api, hestia_call* call, Fn&& fn) noexcept {
  try {
    fn();
    return HESTIA_OK;
  } catch (const Error& e) {
    if (call != nullptr) {
      api->set_error(call, e.code(), ToC(e.diagnostics()), ToC(e.expression()));
    }
    return e.code() == HESTIA_OK ? HESTIA_ERR_INTERNAL : e.code();
  } catch (const std::exception& e) {
    if (call != nullptr) {
      const std::string message = std::string(PluginName()) + " failed: " + e.what();
      api->set_error(call, HESTIA_ERR_INTERNAL, ToC(message), {});
    }
    return HESTIA_ERR_INTERNAL;
  } catch (...) {
    if (call != nullptr) {
      const std::string message = std::string(PluginName()) +
                                  " failed with a non-standard "
                                  "exception";
      api->set_error(call, HESTIA_ERR_INTERNAL, ToC(message), {});
    }
    return HESTIA_ERR_INTERNAL;
  }
}

// One registered handler; its address is the ABI user_data.
struct Slot {
  const hestia_host_api* api = nullptr;
  OperationHandler operation;
  InterceptorHandler interceptor;
  JobHandler job;
  EventHandler event;
};

inline hestia_status OperationTrampoline(void* user_data, hestia_call* call,
                                         const hestia_operation_request* r) {
  auto* slot = static_cast<Slot*>(user_data);
  return Guard(slot->api, call, [&] {
    Call c(slot->api, call);
    OperationRequest req;
    req.level = r->level;
    req.name = View(r->name);
    req.method = View(r->method);
    req.type = View(r->type);
    req.id = View(r->id);
    req.parameters = View(r->parameters);
    slot->operation(c, req);
  });
}

inline hestia_status InterceptorTrampoline(void* user_data, hestia_call* call,
                                           const hestia_write* w) {
  auto* slot = static_cast<Slot*>(user_data);
  return Guard(slot->api, call, [&] {
    Call c(slot->api, call);
    Write write;
    write.interaction = w->interaction;
    write.type = View(w->type);
    write.id = View(w->id);
    write.resource = View(w->resource);
    write.version = w->version;
    if (w->struct_size >= offsetof(hestia_write, previous) + sizeof(hestia_string_view)) {
      write.previous = View(w->previous);  // a v1.0 host does not send it
    }
    slot->interceptor(c, write);
  });
}

inline hestia_status JobTrampoline(void* user_data, hestia_call* call) {
  auto* slot = static_cast<Slot*>(user_data);
  return Guard(slot->api, call, [&] {
    Call c(slot->api, call);
    slot->job(c);
  });
}

inline hestia_status EventTrampoline(void* user_data, hestia_call* call, const hestia_event* e) {
  auto* slot = static_cast<Slot*>(user_data);
  return Guard(slot->api, call, [&] {
    Call c(slot->api, call);
    Event event;
    event.interaction = e->interaction;
    event.sequence = e->sequence;
    event.type = View(e->type);
    event.id = View(e->id);
    event.resource = View(e->resource);
    event.version = e->version;
    event.last_updated_micros = e->last_updated_micros;
    slot->event(c, event);
  });
}

}  // namespace internal

// The plug-in's view of the host (hestia_host + the function table): logging, configuration,
// the clock, and registration. Owns the registered handlers until shutdown.
class Host {
 public:
  Host(const hestia_host_api* api, hestia_host* host) : api_(api), host_(host) {}
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  void Log(int32_t level, std::string_view message) const {
    api_->log_message(host_, level, ToC(message));
  }
  // The value of `key` in the plug-in's configuration; nullopt when absent. "" gives the
  // whole configuration as a JSON object.
  std::optional<std::string> Config(std::string_view key) const {
    hestia_buffer* out = nullptr;
    if (api_->config_get(host_, ToC(key), &out) != HESTIA_OK || out == nullptr) {
      return std::nullopt;
    }
    std::string value(View(api_->buffer_data(out)));
    api_->buffer_release(out);
    return value;
  }
  int64_t NowMicros() const { return api_->now_micros(host_); }

  // Registers $name at `levels` (HESTIA_OP_* flags) for `type` ("" = any type) described by
  // the OperationDefinition JSON `definition`. Throws Error when the host refuses.
  void Operation(std::string_view name, uint32_t levels, std::string_view type,
                 std::string_view definition, bool affects_state, OperationHandler handler) {
    internal::Slot* slot = NewSlot();
    slot->operation = std::move(handler);
    hestia_operation_def def{};
    def.struct_size = sizeof def;
    def.levels = levels;
    def.name = ToC(name);
    def.type = ToC(type);
    def.definition = ToC(definition);
    def.affects_state = affects_state ? 1 : 0;
    def.handler = &internal::OperationTrampoline;
    def.user_data = slot;
    Check(api_->register_operation(host_, &def), "operation $" + std::string(name));
  }

  // Registers an interceptor for `interactions` (HESTIA_WRITE_* flags) on `type` ("" = all)
  // in `phase` (HESTIA_PHASE_*). A before-phase handler rejects the write by throwing Error.
  void Interceptor(uint32_t phase, uint32_t interactions, std::string_view type,
                   InterceptorHandler handler) {
    internal::Slot* slot = NewSlot();
    slot->interceptor = std::move(handler);
    hestia_interceptor_def def{};
    def.struct_size = sizeof def;
    def.phase = phase;
    def.interactions = interactions;
    def.type = ToC(type);
    def.handler = &internal::InterceptorTrampoline;
    def.user_data = slot;
    Check(api_->register_interceptor(host_, &def), "interceptor");
  }

  // Registers a job: schedule HESTIA_JOB_EVERY (seconds = interval) or HESTIA_JOB_DAILY
  // (seconds after midnight UTC).
  void Job(std::string_view name, uint32_t schedule, uint32_t seconds, JobHandler handler) {
    internal::Slot* slot = NewSlot();
    slot->job = std::move(handler);
    hestia_job_def def{};
    def.struct_size = sizeof def;
    def.schedule = schedule;
    def.seconds = seconds;
    def.name = ToC(name);
    def.handler = &internal::JobTrampoline;
    def.user_data = slot;
    Check(api_->register_job(host_, &def), "job " + std::string(name));
  }

  // Subscribes to committed changes of `type` ("" = all) for `interactions` (0 = all).
  void Subscribe(std::string_view name, std::string_view type, uint32_t interactions,
                 EventHandler handler) {
    internal::Slot* slot = NewSlot();
    slot->event = std::move(handler);
    hestia_subscription_def def{};
    def.struct_size = sizeof def;
    def.interactions = interactions;
    def.type = ToC(type);
    def.name = ToC(name);
    def.handler = &internal::EventTrampoline;
    def.user_data = slot;
    Check(api_->subscribe(host_, &def), "subscription " + std::string(name));
  }

  const hestia_host_api* api() const { return api_; }
  hestia_host* raw() const { return host_; }

 private:
  internal::Slot* NewSlot() {
    slots_.push_back(std::make_unique<internal::Slot>());
    slots_.back()->api = api_;
    return slots_.back().get();
  }
  static void Check(hestia_status s, const std::string& what) {
    if (s != HESTIA_OK) throw Error(s, "the host refused " + what);
  }

  const hestia_host_api* api_;
  hestia_host* host_;
  std::vector<std::unique_ptr<internal::Slot>> slots_;
};

// Base class of a C++ plug-in. Init registers handlers (throw to refuse loading); the object
// lives until shutdown.
class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual void Init(Host& host) = 0;
};

namespace internal {

struct State {
  std::unique_ptr<Host> host;
  std::unique_ptr<Plugin> plugin;
};

template <typename P>
hestia_status InitTrampoline(const hestia_host_api* api, hestia_host* host, void** state) {
  *state = nullptr;
  if (api == nullptr || api->struct_size < offsetof(hestia_host_api, subscribe) + sizeof(void*)) {
    return HESTIA_ERR_STATE;  // a host older than v1.0: nothing we can call safely
  }
  auto* s = new (std::nothrow) State();
  if (s == nullptr) return HESTIA_ERR_INTERNAL;
  const hestia_status status = [&]() noexcept -> hestia_status {
    try {
      s->host = std::make_unique<Host>(api, host);
      s->plugin = std::make_unique<P>();
      s->plugin->Init(*s->host);
      return HESTIA_OK;
    } catch (const Error& e) {
      api->log_message(host, HESTIA_LOG_ERROR, ToC("init failed: " + e.diagnostics()));
      return e.code() == HESTIA_OK ? HESTIA_ERR_INTERNAL : e.code();
    } catch (const std::exception& e) {
      api->log_message(host, HESTIA_LOG_ERROR, ToC(std::string("init failed: ") + e.what()));
      return HESTIA_ERR_INTERNAL;
    } catch (...) {
      api->log_message(host, HESTIA_LOG_ERROR, ToC("init failed with a non-standard exception"));
      return HESTIA_ERR_INTERNAL;
    }
  }();
  if (status != HESTIA_OK) {
    delete s;
    return status;
  }
  *state = s;
  return HESTIA_OK;
}

inline void ShutdownTrampoline(void* state) {
  try {
    delete static_cast<State*>(state);
  } catch (...) {  // a throwing destructor must still not unwind into the host (R5)
  }
}

template <typename P>
const hestia_plugin_descriptor* Descriptor(const char* name, const char* version) {
  static const hestia_plugin_descriptor descriptor = [&] {
    hestia_plugin_descriptor d{};
    d.struct_size = sizeof d;
    d.magic = HESTIA_PLUGIN_MAGIC;
    d.abi_major = HESTIA_PLUGIN_ABI_MAJOR;
    d.abi_minor_required = 0;
    d.name = name;
    d.version = version;
    d.init = &InitTrampoline<P>;
    d.shutdown = &ShutdownTrampoline;
    return d;
  }();
  PluginName() = name;
  return &descriptor;
}

}  // namespace internal
}  // namespace hestia::sdk

// Defines the plug-in's entry point for class `plugin_class` (derived from sdk::Plugin).
// `name` and `version` must be string literals.
#define HESTIA_PLUGIN(plugin_class, name, version)                                               \
  extern "C" HESTIA_PLUGIN_EXPORT const hestia_plugin_descriptor* hestia_plugin_entry_v1(void) { \
    return ::hestia::sdk::internal::Descriptor<plugin_class>((name), (version));                 \
  }
