// URL decoding. See hestia/base/uri.h.
#include "hestia/base/uri.h"

namespace hestia {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view in, bool plus_as_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      c = ' ';
    }
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return std::nullopt;
    out.push_back(c);
  }
  return out;
}

Result<std::vector<std::string>> SplitPath(std::string_view path) {
  std::vector<std::string> segments;
  if (path.empty() || path == "/") return segments;
  if (path.front() != '/') return InvalidError("the request path must start with '/'");
  path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  while (true) {
    std::size_t slash = path.find('/');
    std::string_view raw = path.substr(0, slash);
    if (raw.empty()) return InvalidError("the request path contains an empty segment");
    std::optional<std::string> seg = PercentDecode(raw, /*plus_as_space=*/false);
    if (!seg) return InvalidError("the request path contains a malformed percent-escape");
    if (*seg == "." || *seg == "..") {
      return InvalidError("the request path must not contain '.' or '..' segments");
    }
    if (seg->find_first_of("/\\") != std::string::npos) {
      return InvalidError("the request path must not contain an encoded '/' or '\\'");
    }
    segments.push_back(std::move(*seg));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view raw) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!raw.empty()) {
    std::size_t amp = raw.find('&');
    std::string_view piece = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
    if (piece.empty()) continue;
    std::size_t eq = piece.find('=');
    std::string_view key = piece.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    std::optional<std::string> k = PercentDecode(key, /*plus_as_space=*/true);
    std::optional<std::string> v = PercentDecode(value, /*plus_as_space=*/true);
    if (!k || !v) {
      return InvalidError("the query parameter '" + std::string(key.substr(0, 64)) +
                          "' contains a malformed percent-escape or a control character");
    }
    if (k->empty()) continue;
    out.emplace_back(std::move(*k), std::move(*v));
  }
  return out;
}

}  // namespace hestia
