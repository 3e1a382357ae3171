// HTTP/1.1 messages as the HTTP layer sees them, independent of Pistache.
//
// Owns: the request head parser (request line and header fields, order and duplicates kept)
// and the response serializer (status line, headers, framing). Pistache frames the body and
// enforces timeouts; this file decides what the head means and writes every byte we send,
// so that HEAD, 204 and 304 are framed as RFC 9112 requires.
// Used by: dispatcher.cc, connection_handler.cc. Thread-safety: value types, stateless
// functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hestia/base/status.h"

namespace hestia::rest {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct WireRequest {
  std::string method;     // "GET"
  std::string target;     // "/fhir/Patient?name=x", as sent
  int minor_version = 1;  // HTTP/1.x
  HeaderList headers;     // in order, duplicates kept, values trimmed
  std::string body;       // de-chunked
};

struct WireResponse {
  int status = 200;
  HeaderList headers;  // without Content-Length / Transfer-Encoding / Connection
  std::string body;
  bool head = false;  // answer to HEAD: Content-Length of the body, but no body bytes
};

// Parses the request head (everything before the empty line, without it). Fails with
// kStructure for a malformed request line or header field (RFC 9112 §3, §5; obsolete line
// folding is refused).
Result<WireRequest> ParseRequestHead(std::string_view head);

// How the body of a request is delimited (RFC 9112 §6.3).
struct BodyFraming {
  bool chunked = false;
  uint64_t length = 0;  // Content-Length; 0 when absent or chunked
};

// Validates Content-Length and Transfer-Encoding. Fails with kStructure for a Content-Length
// that is not 1*DIGIT or for both headers together (request smuggling), kNotSupported for a
// transfer coding other than "chunked".
Result<BodyFraming> FramingOf(const WireRequest& request);

// First value of header `name` (case-insensitive), or nullptr.
const std::string* FindHeader(const HeaderList& headers, std::string_view name);

// True when the connection may stay open after this request (HTTP/1.1 without
// "Connection: close", or HTTP/1.0 with "Connection: keep-alive").
bool WantsKeepAlive(const WireRequest& request);

// Serializes `response`. `keep_alive` false adds "Connection: close". 1xx, 204 and 304 get
// neither body nor Content-Length; HEAD gets the Content-Length of the body it omits.
std::string SerializeResponse(const WireResponse& response, int minor_version, bool keep_alive);

// Standard reason phrase ("Not Found"), or a generic one for the status class.
const char* ReasonPhrase(int status);

}  // namespace hestia::rest
