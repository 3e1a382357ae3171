// The format-neutral request and response every interaction takes and returns.
//
// Owns: the contract between the HTTP layer (hestia_rest, the only code that sees Pistache)
// and the interactions. The HTTP layer fills a Request from the wire (path split after the
// FHIR base, query decoded, headers) and renders a Response (status, headers, JSON body) —
// including _pretty and the Content-Type it negotiated. Interactions never see sockets.
// Thread-safety: value types.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hestia::interactions {

// Header names compare case-insensitively (RFC 7230).
class Headers {
 public:
  void Add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  // First value of `name`, or nullptr.
  const std::string* Find(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct Request {
  std::string method;                                      // GET, POST, PUT, DELETE, PATCH, HEAD
  std::vector<std::string> path;                           // segments after the base, decoded
  std::vector<std::pair<std::string, std::string>> query;  // in order, percent-decoded
  std::string raw_query;                                   // as received, for self links
  Headers headers;
  std::string body;
  std::string base_url;  // "http://localhost:8080/fhir" — for fullUrl, Location, links
  std::string request_id;

  // First value of query parameter `name`, or nullptr.
  const std::string* QueryParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;   // ETag, Location, Last-Modified, Retry-After …; not Content-Type
  std::string body;  // compact FHIR JSON, or empty
  std::string interaction = "unknown";  // for metrics and logs: "read", "create", …
};

}  // namespace hestia::interactions
