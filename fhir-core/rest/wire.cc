// HTTP/1.1 head parsing and response serialization. See wire.h.
#include "wire.h"

#include <strings.h>

namespace hestia::rest {
namespace {

bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsFieldValueChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// True when the comma-separated header value lists `token` (case-insensitive).
bool ListContains(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    if (EqualsIgnoreCase(TrimOws(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

Result<WireRequest> ParseRequestHead(std::string_view head) {
  WireRequest req;
  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  head = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);

  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return StructureError("malformed HTTP request line");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (method.empty()) return StructureError("malformed HTTP request line: no method");
  for (unsigned char c : method) {
    if (!IsTokenChar(c)) return StructureError("malformed HTTP request line: bad method");
  }
  if (target.empty()) return StructureError("malformed HTTP request line: no target");
  for (unsigned char c : target) {
    if (c <= 0x20 || c >= 0x7f) {
      return StructureError("the request target contains a character that must be encoded");
    }
  }
  if (version == "HTTP/1.1") {
    req.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    req.minor_version = 0;
  } else {
    return StructureError("unsupported HTTP version; use HTTP/1.1");
  }
  req.method = std::string(method);
  req.target = std::string(target);

  while (!head.empty()) {
    eol = head.find("\r\n");
    line = head.substr(0, eol);
    head = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      return StructureError("obsolete line folding in a header field is not accepted");
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return StructureError("malformed HTTP header field");
    }
    std::string_view name = line.substr(0, colon);
    for (unsigned char c : name) {
      if (!IsTokenChar(c)) return StructureError("malformed HTTP header field name");
    }
    std::string_view value = TrimOws(line.substr(colon + 1));
    for (unsigned char c : value) {
      if (!IsFieldValueChar(c)) return StructureError("control character in an HTTP header field");
    }
    if (EqualsIgnoreCase(name, "Content-Length") && FindHeader(req.headers, name) != nullptr) {
      return StructureError("more than one Content-Length header field");
    }
    req.headers.emplace_back(std::string(name), std::string(value));
  }
  return req;
}

Result<BodyFraming> FramingOf(const WireRequest& request) {
  BodyFraming framing;
  const std::string* length = FindHeader(request.headers, "Content-Length");
  const std::string* coding = FindHeader(request.headers, "Transfer-Encoding");
  if (length != nullptr && coding != nullptr) {
    return StructureError("a request must not have both Content-Length and Transfer-Encoding");
  }
  if (coding != nullptr) {
    if (!EqualsIgnoreCase(*coding, "chunked")) {
      return NotSupportedError("Transfer-Encoding '" + coding->substr(0, 40) +
                               "' is not supported; use chunked");
    }
    framing.chunked = true;
  }
  if (length != nullptr) {
    if (length->empty() || length->size() > 18) return StructureError("malformed Content-Length");
    for (char c : *length) {
      if (c < '0' || c > '9') return StructureError("malformed Content-Length");
      framing.length = framing.length * 10 + static_cast<uint64_t>(c - '0');
    }
  }
  return framing;
}

const std::string* FindHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return &v;
  }
  return nullptr;
}

bool WantsKeepAlive(const WireRequest& request) {
  bool close = false;
  bool keep_alive = false;
  for (const auto& [k, v] : request.headers) {
    if (!EqualsIgnoreCase(k, "Connection")) continue;
    close = close || ListContains(v, "close");
    keep_alive = keep_alive || ListContains(v, "keep-alive");
  }
  if (close) return false;
  return request.minor_version >= 1 || keep_alive;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      break;
  }
  if (status < 200) return "Informational";
  if (status < 300) return "Success";
  if (status < 400) return "Redirection";
  if (status < 500) return "Client Error";
  return "Server Error";
}

std::string SerializeResponse(const WireResponse& response, int minor_version, bool keep_alive) {
  std::string out;
  out.reserve(256 + response.body.size());
  out.append(minor_version == 0 ? "HTTP/1.0 " : "HTTP/1.1 ");
  out.append(std::to_string(response.status));
  out.push_back(' ');
  out.append(ReasonPhrase(response.status));
  out.append("\r\n");
  for (const auto& [k, v] : response.headers) {
    out.append(k);
    out.append(": ");
    out.append(v);
    out.append("\r\n");
  }
  bool bodiless = response.status < 200 || response.status == 204 || response.status == 304;
  if (!bodiless) out.append("Content-Length: " + std::to_string(response.body.size()) + "\r\n");
  if (!keep_alive) {
    out.append("Connection: close\r\n");
  } else if (minor_version == 0) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  if (!bodiless && !response.head) out.append(response.body);
  return out;
}

}  // namespace hestia::rest
