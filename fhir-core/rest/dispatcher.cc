// The request pipeline. See dispatcher.h.
// FHIR R4: http://hl7.org/fhir/R4/http.html (general, mime types, _format, _pretty)
#include "dispatcher.h"

#include <chrono>
#include <exception>

#include "hestia/base/id.h"
#include "hestia/base/json.h"
#include "hestia/base/log.h"
#include "hestia/base/operation_outcome.h"
#include "hestia/base/uri.h"
#include "negotiation.h"

namespace hestia::rest {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxRequestIdLength = 128;
constexpr const char* kJsonContentType = "application/json;charset=utf-8";
constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

bool IsSaneRequestId(const std::string& id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (unsigned char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool IsSaneHost(const std::string& host) {
  if (host.empty() || host.size() > 255) return false;
  for (unsigned char c : host) {
    bool ok = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '.' ||
              c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool IsTokenChar(unsigned char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsSafeHeader(const std::string& name, const std::string& value) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (!IsTokenChar(c)) return false;
  }
  for (unsigned char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  }
  return true;
}

// Headers this layer owns; a value the service sets for them is dropped.
bool IsFramingHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
         EqualsIgnoreCase(name, "Connection") || EqualsIgnoreCase(name, "Keep-Alive") ||
         EqualsIgnoreCase(name, "X-Request-Id");
}

// The error category closest to an HTTP status, for a service response that has a 4xx/5xx
// status but no body.
StatusCode CodeForHttpStatus(int status) {
  switch (status) {
    case 404:
      return StatusCode::kNotFound;
    case 405:
      return StatusCode::kMethodNotAllowed;
    case 406:
      return StatusCode::kNotAcceptable;
    case 409:
      return StatusCode::kConflict;
    case 410:
      return StatusCode::kDeleted;
    case 412:
      return StatusCode::kPreconditionFailed;
    case 413:
      return StatusCode::kTooLarge;
    case 415:
      return StatusCode::kUnsupportedMediaType;
    case 503:
      return StatusCode::kUnavailable;
    case 504:
      return StatusCode::kTimeout;
    default:
      return status < 500 ? StatusCode::kInvalid : StatusCode::kInternal;
  }
}

std::string MethodLabel(std::string_view method) {
  for (std::string_view m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == m) return std::string(m);
  }
  return "OTHER";
}

WireResponse FromServiceResponse(interactions::Response r) {
  WireResponse w;
  w.status = r.status;
  for (auto& [k, v] : r.headers.items()) w.headers.emplace_back(k, v);
  w.body = std::move(r.body);
  return w;
}

WireResponse Error(const Status& status) {
  return FromServiceResponse(interactions::ErrorResponse(status));
}

}  // namespace

struct Dispatcher::Outcome {
  WireResponse response;
  std::string interaction = "unknown";
  std::string request_id;
  std::string content_type;  // "" → the negotiated FHIR/JSON type
  ResponseFormat format = ResponseFormat::kFhirJson;
  bool pretty = false;
  Clock::time_point start = Clock::now();
};

Dispatcher::Dispatcher(HttpOptions options, std::shared_ptr<interactions::Service> service)
    : options_(std::move(options)), service_(std::move(service)) {
  base_path_ = options_.base_path;
  while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
  if (!base_path_.empty() && base_path_.front() != '/') base_path_.insert(0, "/");
  while (!options_.public_base_url.empty() && options_.public_base_url.back() == '/') {
    options_.public_base_url.pop_back();
  }
}

WireResponse Dispatcher::Handle(const WireRequest& request) noexcept {
  metrics_.RequestStarted();
  Outcome outcome;
  const std::string* id = FindHeader(request.headers, "X-Request-Id");
  outcome.request_id = id != nullptr && IsSaneRequestId(*id) ? *id : NewId();
  outcome.response.head = request.method == "HEAD";
  try {
    Route(request, &outcome);
  } catch (const std::exception& e) {
    log::Error("unhandled exception while handling a request",
               {{"request_id", outcome.request_id}, {"error", e.what()}});
    outcome.response = Error(InternalError("the server failed to handle the request"));
    outcome.content_type.clear();
  } catch (...) {
    log::Error("unhandled non-standard exception while handling a request",
               {{"request_id", outcome.request_id}});
    outcome.response = Error(InternalError("the server failed to handle the request"));
    outcome.content_type.clear();
  }
  outcome.response.head = request.method == "HEAD";
  return Finish(std::move(outcome), request.method, request.target);
}

WireResponse Dispatcher::Reject(const Status& status, std::string_view method,
                                std::string_view target) noexcept {
  metrics_.RequestStarted();
  Outcome outcome;
  try {
    outcome.request_id = NewId();
    outcome.response = Error(status);
  } catch (...) {
    outcome.response.status = 500;
  }
  return Finish(std::move(outcome), method, target);
}

void Dispatcher::Route(const WireRequest& request, Outcome* outcome) {
  std::string_view target = request.target;
  // Absolute-form targets (RFC 9112 §3.2.2) come from proxies; keep the path.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.substr(0, scheme.size()) == scheme) {
      std::size_t slash = target.find('/', scheme.size());
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  target = target.substr(0, target.find('#'));
  std::size_t qmark = target.find('?');
  std::string_view path = target.substr(0, qmark);
  std::string_view query =
      qmark == std::string_view::npos ? std::string_view() : target.substr(qmark + 1);
  if (path.empty() || path.front() != '/') {
    outcome->response = Error(InvalidError("the request target must be an absolute path"));
    return;
  }
  bool get_like = request.method == "GET" || request.method == "HEAD";
  auto not_allowed = [&]() {
    outcome->response = Error(
        Status(StatusCode::kMethodNotAllowed, std::string(path) + " supports GET and HEAD only"));
    outcome->response.headers.emplace_back("Allow", "GET, HEAD");
  };

  if (path == "/healthz") {
    outcome->interaction = "healthz";
    if (!get_like) return not_allowed();
    outcome->content_type = kJsonContentType;
    outcome->response.body = R"({"status":"up"})";
    return;
  }
  if (path == "/readyz") {
    outcome->interaction = "readyz";
    if (!get_like) return not_allowed();
    Status ready = service_->CheckReady();
    if (ready.ok()) {
      outcome->content_type = kJsonContentType;
      outcome->response.body = R"({"status":"ready"})";
    } else {
      outcome->response = Error(Status(StatusCode::kUnavailable, "not ready: " + ready.message()));
    }
    return;
  }
  if (path == "/metrics") {
    outcome->interaction = "metrics";
    if (!get_like) return not_allowed();
    std::string text;
    metrics_.Render(&text);
    service_->AppendMetrics(&text);
    outcome->content_type = kMetricsContentType;
    outcome->response.body = std::move(text);
    return;
  }
  if (base_path_.empty() || path == base_path_ ||
      (path.size() > base_path_.size() && path.substr(0, base_path_.size()) == base_path_ &&
       path[base_path_.size()] == '/')) {
    HandleFhir(request, path.substr(base_path_.size()), query, outcome);
    return;
  }
  outcome->response =
      Error(NotFoundError("there is nothing at " + std::string(path.substr(0, 200)) +
                          "; the FHIR base is " + (base_path_.empty() ? "/" : base_path_)));
}

void Dispatcher::HandleFhir(const WireRequest& request, std::string_view path,
                            std::string_view query, Outcome* outcome) {
  auto params = ParseQuery(query);
  if (!params.ok()) {
    outcome->response = Error(params.status());
    return;
  }
  interactions::Request req;
  req.query = std::move(params).value();
  req.raw_query = std::string(query);
  if (const std::string* pretty = req.QueryParam("_pretty")) outcome->pretty = *pretty == "true";

  std::vector<std::string_view> accept;
  for (const auto& [k, v] : request.headers) {
    if (EqualsIgnoreCase(k, "Accept")) accept.push_back(v);
  }
  auto format = NegotiateResponseFormat(req.QueryParam("_format"), accept);
  if (!format.ok()) {
    outcome->response = Error(format.status());
    return;
  }
  outcome->format = *format;

  auto segments = SplitPath(path);
  if (!segments.ok()) {
    outcome->response = Error(segments.status());
    return;
  }
  req.path = std::move(segments).value();

  const std::string& method = request.method;
  if (method != "GET" && method != "HEAD" && method != "POST" && method != "PUT" &&
      method != "PATCH" && method != "DELETE" && method != "OPTIONS") {
    outcome->response =
        Error(Status(StatusCode::kMethodNotAllowed, "HTTP method " + method.substr(0, 16) +
                                                        " is not part of the FHIR RESTful API"));
    return;
  }
  req.method = method == "HEAD" ? "GET" : method;

  if (request.body.size() > options_.max_request_bytes) {
    outcome->response = Error(
        Status(StatusCode::kTooLarge, "the request body exceeds the limit of " +
                                          std::to_string(options_.max_request_bytes) + " bytes"));
    return;
  }
  if (!request.body.empty() && (method == "POST" || method == "PUT" || method == "PATCH")) {
    BodyRules rules;
    rules.allow_json_patch = method == "PATCH";
    rules.allow_form = method == "POST" && !req.path.empty() && req.path.back() == "_search";
    auto body_format = CheckRequestContentType(FindHeader(request.headers, "Content-Type"), rules);
    if (!body_format.ok()) {
      outcome->response = Error(body_format.status());
      return;
    }
    if (*body_format == BodyFormat::kForm) {
      // FHIR search via POST: the form parameters join the URL's.
      auto form = ParseQuery(request.body);
      if (!form.ok()) {
        outcome->response = Error(form.status());
        return;
      }
      for (auto& p : form.value()) req.query.push_back(std::move(p));
    }
  }
  for (const auto& [k, v] : request.headers) req.headers.Add(k, v);
  req.body = request.body;
  req.base_url = BaseUrl(request);
  req.request_id = outcome->request_id;

  interactions::Response resp = service_->Handle(req);
  outcome->interaction = resp.interaction.empty() ? "unknown" : resp.interaction;
  outcome->response = FromServiceResponse(std::move(resp));
}

std::string Dispatcher::BaseUrl(const WireRequest& request) const {
  if (!options_.public_base_url.empty()) return options_.public_base_url;
  const std::string* host = FindHeader(request.headers, "Host");
  std::string authority =
      host != nullptr && IsSaneHost(*host)
          ? *host
          : "localhost:" + std::to_string(port_.load(std::memory_order_relaxed));
  return "http://" + authority + base_path_;
}

WireResponse Dispatcher::Finish(Outcome outcome, std::string_view method,
                                std::string_view target) noexcept {
  WireResponse& r = outcome.response;
  try {
    if (r.status < 100 || r.status > 599) {
      log::Error("the service returned an invalid HTTP status",
                 {{"request_id", outcome.request_id}, {"status", r.status}});
      r = Error(InternalError("the server produced an invalid response"));
      outcome.content_type.clear();
    }
    if (r.status >= 400 && r.body.empty()) {
      r.body = OperationOutcomeJson(Status(CodeForHttpStatus(r.status), ReasonPhrase(r.status)));
      outcome.content_type.clear();
    }
    if (r.status < 200 || r.status == 204 || r.status == 304) r.body.clear();
    if (outcome.pretty && outcome.content_type.empty() && !r.body.empty()) {
      json::Document doc;
      json::Limits limits;
      limits.max_bytes = options_.max_response_bytes;
      if (json::Parse(r.body, limits, &doc).ok()) r.body = json::Write(doc, /*pretty=*/true);
    }
    if (r.body.size() > options_.max_response_bytes) {
      log::Error(
          "response over the configured limit",
          {{"request_id", outcome.request_id}, {"bytes", static_cast<long long>(r.body.size())}});
      r = Error(InternalError("the response exceeds the configured size limit"));
      outcome.content_type.clear();
    }
    HeaderList headers;
    headers.reserve(r.headers.size() + 2);
    bool has_content_type = false;
    for (auto& [k, v] : r.headers) {
      if (IsFramingHeader(k)) continue;
      if (!IsSafeHeader(k, v)) {
        log::Warn("dropped an unsafe response header", {{"request_id", outcome.request_id}});
        continue;
      }
      has_content_type = has_content_type || EqualsIgnoreCase(k, "Content-Type");
      headers.emplace_back(std::move(k), std::move(v));
    }
    if (!r.body.empty() && !has_content_type) {
      headers.emplace_back("Content-Type", outcome.content_type.empty()
                                               ? ContentTypeFor(outcome.format)
                                               : outcome.content_type);
    }
    headers.emplace_back("X-Request-Id", outcome.request_id);
    r.headers = std::move(headers);

    double seconds = std::chrono::duration<double>(Clock::now() - outcome.start).count();
    metrics_.RequestFinished(outcome.interaction, MethodLabel(method), r.status, seconds);
    std::string_view path = target.substr(0, std::min<std::size_t>(target.find('?'), 512));
    log::Info("http request", {{"request_id", outcome.request_id},
                               {"method", method.substr(0, 16)},
                               {"path", path},
                               {"status", r.status},
                               {"interaction", outcome.interaction},
                               {"duration_ms", seconds * 1000.0},
                               {"bytes", static_cast<long long>(r.body.size())}});
  } catch (...) {
    // Only allocation failure gets here; answer with the smallest valid error.
    r = WireResponse();
    r.status = 500;
  }
  return std::move(r);
}

}  // namespace hestia::rest
