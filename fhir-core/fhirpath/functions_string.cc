// FHIRPath string functions, with regular expressions through ICU under a time limit so a
// hostile pattern cannot backtrack for ever (the matcher fails with U_REGEX_TIME_OUT).
// FHIRPath N1: http://hl7.org/fhirpath/N1/#string-manipulation
// Thread-safety: stateless functions over one Evaluator; ICU objects are per call.
#include <memory>

#include <unicode/regex.h>
#include <unicode/unistr.h>

#include "functions.h"
#include "navigation.h"

namespace hestia::fhirpath {
namespace {

using F = FunctionId;

std::u32string ToU32(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + static_cast<std::size_t>(len) > s.size()) len = 1;
    char32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += static_cast<std::size_t>(len);
  }
  return out;
}

std::string FromU32(std::u32string_view s) {
  std::string out;
  for (char32_t cp : s) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

// The input as one String: string-like nodes (including dates) keep their JSON text.
Status InputString(const Evaluator& ev, const AstNode& node, const Collection& input,
                   std::optional<std::string>* out) {
  *out = std::nullopt;
  if (input.empty()) return Status::Ok();
  if (input.size() > 1) {
    return ev.Error(node, node.name + "() needs a single String, got " +
                              std::to_string(input.size()) + " items");
  }
  std::string_view text;
  if (NodeText(input[0], &text)) {
    *out = std::string(text);
    return Status::Ok();
  }
  Item v;
  if (!ev.ToSystem(input[0], &v)) {
    if (input[0].json != nullptr && input[0].json->IsObject()) {
      return ev.Error(node, node.name + "() needs a String, got " + TypeNameOf(input[0]));
    }
    return Status::Ok();
  }
  if (v.kind != ItemKind::kString) {
    return ev.Error(node, node.name + "() needs a String, got " + TypeNameOf(v));
  }
  *out = std::move(v.str);
  return Status::Ok();
}

Status StringArg(Evaluator& ev, const AstNode& node, std::size_t i,
                 std::optional<std::string>* out) {
  Collection c;
  HESTIA_RETURN_IF_ERROR(ev.EvalArg(*node.children[i], &c));
  return InputString(ev, node, c, out);
}

Status Regex(Evaluator& ev, const AstNode& node, const std::string& subject,
             const std::string& pattern, const std::string* replacement, bool full,
             Collection* out) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError parse_error;
  std::unique_ptr<icu::RegexPattern> re(icu::RegexPattern::compile(
      icu::UnicodeString::fromUTF8(pattern), UREGEX_DOTALL, parse_error, status));
  if (U_FAILURE(status) || re == nullptr) {
    return ev.Error(node, "invalid regular expression '" + pattern + "': " + u_errorName(status));
  }
  const icu::UnicodeString input = icu::UnicodeString::fromUTF8(subject);
  std::unique_ptr<icu::RegexMatcher> m(re->matcher(input, status));
  if (U_FAILURE(status) || m == nullptr) return ev.Error(node, "regular expression failed");
  m->setTimeLimit(ev.options().regex_time_limit, status);
  m->setStackLimit(1 << 20, status);
  if (replacement != nullptr) {
    icu::UnicodeString result = m->replaceAll(icu::UnicodeString::fromUTF8(*replacement), status);
    if (status == U_REGEX_TIME_OUT) return ev.Error(node, "regular expression ran too long");
    if (U_FAILURE(status))
      return ev.Error(node, std::string("replaceMatches failed: ") + u_errorName(status));
    std::string utf8;
    result.toUTF8String(utf8);
    out->push_back(Item::Str(std::move(utf8)));
    return Status::Ok();
  }
  const bool found = full ? m->matches(status) : m->find(status);
  if (status == U_REGEX_TIME_OUT) return ev.Error(node, "regular expression ran too long");
  if (U_FAILURE(status))
    return ev.Error(node, std::string("matches failed: ") + u_errorName(status));
  out->push_back(Item::Bool(found));
  return Status::Ok();
}

std::string CaseMap(const std::string& s, bool upper) {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(s);
  if (upper) {
    u.toUpper();
  } else {
    u.toLower();
  }
  std::string out;
  u.toUTF8String(out);
  return out;
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view in, bool url) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    const std::size_t chunk = std::min<std::size_t>(3, in.size() - i);
    for (std::size_t k = 0; k < 4; ++k) {
      if (k > chunk) {
        out.push_back('=');
        continue;
      }
      char c = kBase64[(n >> (18 - 6 * static_cast<int>(k))) & 63];
      if (url && c == '+') c = '-';
      if (url && c == '/') c = '_';
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (char c : in) {
    int v = -1;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else if (c == '=')
      break;
    else
      return std::nullopt;
    buf = (buf << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  return out;
}

std::string Escape(const std::string& s, bool html) {
  std::string out;
  for (char c : s) {
    if (html) {
      switch (c) {
        case '"':
          out += "&quot;";
          break;
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          out.push_back(c);
      }
    } else {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          out.push_back(c);
      }
    }
  }
  return out;
}

std::string Unescape(const std::string& s, bool html) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (html && s[i] == '&') {
      static constexpr std::pair<std::string_view, char> kEntities[] = {
          {"&quot;", '"'}, {"&amp;", '&'},  {"&lt;", '<'},
          {"&gt;", '>'},   {"&#39;", '\''}, {"&apos;", '\''}};
      bool done = false;
      for (const auto& [entity, c] : kEntities) {
        if (s.compare(i, entity.size(), entity) == 0) {
          out.push_back(c);
          i += entity.size() - 1;
          done = true;
          break;
        }
      }
      if (!done) out.push_back('&');
    } else if (!html && s[i] == '\\' && i + 1 < s.size()) {
      const char e = s[++i];
      out.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e);
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

Status CallStringFunction(Evaluator& ev, const AstNode& node, const Collection& input,
                          Collection* out) {
  if (node.fn == F::kJoin) {
    std::optional<std::string> sep;
    if (!node.children.empty()) HESTIA_RETURN_IF_ERROR(StringArg(ev, node, 0, &sep));
    std::string joined;
    for (std::size_t i = 0; i < input.size(); ++i) {
      std::optional<std::string> s;
      HESTIA_RETURN_IF_ERROR(InputString(ev, node, Collection{input[i]}, &s));
      if (i > 0) joined += sep.value_or("");
      joined += s.value_or("");
    }
    out->push_back(Item::Str(std::move(joined)));
    return Status::Ok();
  }
  std::optional<std::string> in;
  HESTIA_RETURN_IF_ERROR(InputString(ev, node, input, &in));
  if (!in) return Status::Ok();
  const std::string& s = *in;
  std::vector<std::optional<std::string>> args(node.children.size());
  std::optional<int64_t> int_args[2];
  const bool integer_args = node.fn == F::kSubstring;
  for (std::size_t i = 0; i < node.children.size(); ++i) {
    if (integer_args) {
      Collection c;
      HESTIA_RETURN_IF_ERROR(ev.EvalArg(*node.children[i], &c));
      HESTIA_RETURN_IF_ERROR(ev.SingleInteger(c, &int_args[i], "substring"));
    } else {
      HESTIA_RETURN_IF_ERROR(StringArg(ev, node, i, &args[i]));
      if (!args[i]) return Status::Ok();  // an empty argument gives an empty result
    }
  }
  switch (node.fn) {
    case F::kIndexOf:
    case F::kLastIndexOf: {
      const std::u32string hay = ToU32(s);
      const std::u32string needle = ToU32(*args[0]);
      const auto pos = node.fn == F::kIndexOf ? hay.find(needle) : hay.rfind(needle);
      out->push_back(Item::Int(pos == std::u32string::npos ? -1 : static_cast<int64_t>(pos)));
      break;
    }
    case F::kSubstring: {
      if (!int_args[0]) return Status::Ok();
      const std::u32string u = ToU32(s);
      const int64_t start = *int_args[0];
      if (start < 0 || start >= static_cast<int64_t>(u.size())) return Status::Ok();
      int64_t len = node.children.size() > 1 ? int_args[1].value_or(static_cast<int64_t>(u.size()))
                                             : static_cast<int64_t>(u.size());
      if (len < 0) len = 0;
      out->push_back(Item::Str(
          FromU32(u.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(len)))));
      break;
    }
    case F::kStartsWith:
      out->push_back(Item::Bool(s.rfind(*args[0], 0) == 0));
      break;
    case F::kEndsWith:
      out->push_back(
          Item::Bool(s.size() >= args[0]->size() &&
                     s.compare(s.size() - args[0]->size(), args[0]->size(), *args[0]) == 0));
      break;
    case F::kContains:
      out->push_back(Item::Bool(s.find(*args[0]) != std::string::npos));
      break;
    case F::kUpper:
      out->push_back(Item::Str(CaseMap(s, true)));
      break;
    case F::kLower:
      out->push_back(Item::Str(CaseMap(s, false)));
      break;
    case F::kReplace: {
      const std::string& from = *args[0];
      const std::string& to = *args[1];
      std::string r;
      if (from.empty()) {
        const std::u32string u = ToU32(s);
        r = to;
        for (char32_t c : u) r += FromU32(std::u32string(1, c)) + to;
      } else {
        std::size_t pos = 0;
        for (std::size_t hit; (hit = s.find(from, pos)) != std::string::npos;
             pos = hit + from.size()) {
          r.append(s, pos, hit - pos);
          r += to;
        }
        r.append(s, pos);
      }
      out->push_back(Item::Str(std::move(r)));
      break;
    }
    case F::kMatches:
    case F::kMatchesFull:
      return Regex(ev, node, s, *args[0], nullptr, node.fn == F::kMatchesFull, out);
    case F::kReplaceMatches:
      if (args[0]->empty()) {
        out->push_back(Item::Str(s));
        return Status::Ok();
      }
      return Regex(ev, node, s, *args[0], &*args[1], false, out);
    case F::kLength:
      out->push_back(Item::Int(static_cast<int64_t>(ToU32(s).size())));
      break;
    case F::kToChars:
      for (char32_t c : ToU32(s)) out->push_back(Item::Str(FromU32(std::u32string(1, c))));
      break;
    case F::kTrim: {
      const auto b = s.find_first_not_of(" \t\r\n\f\v");
      const auto e = s.find_last_not_of(" \t\r\n\f\v");
      out->push_back(Item::Str(b == std::string::npos ? "" : s.substr(b, e - b + 1)));
      break;
    }
    case F::kSplit: {
      const std::string& sep = *args[0];
      if (sep.empty()) {
        out->push_back(Item::Str(s));
        break;
      }
      std::size_t pos = 0;
      for (std::size_t hit; (hit = s.find(sep, pos)) != std::string::npos; pos = hit + sep.size()) {
        out->push_back(Item::Str(s.substr(pos, hit - pos)));
      }
      out->push_back(Item::Str(s.substr(pos)));
      break;
    }
    case F::kEncode:
    case F::kDecode: {
      const std::string& format = *args[0];
      const bool encode = node.fn == F::kEncode;
      if (format == "base64" || format == "urlbase64") {
        if (encode) {
          out->push_back(Item::Str(Base64Encode(s, format == "urlbase64")));
        } else if (auto d = Base64Decode(s)) {
          out->push_back(Item::Str(std::move(*d)));
        }
      } else if (format == "hex") {
        static constexpr char kHex[] = "0123456789abcdef";
        std::string r;
        if (encode) {
          for (unsigned char c : s) {
            r.push_back(kHex[c >> 4]);
            r.push_back(kHex[c & 15]);
          }
        } else {
          if (s.size() % 2 != 0) return Status::Ok();
          auto nibble = [](char c) {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
          };
          for (std::size_t i = 0; i < s.size(); i += 2) {
            const int hi = nibble(s[i]);
            const int lo = nibble(s[i + 1]);
            if (hi < 0 || lo < 0) return Status::Ok();
            r.push_back(static_cast<char>(hi * 16 + lo));
          }
        }
        out->push_back(Item::Str(std::move(r)));
      }
      break;
    }
    case F::kEscape:
    case F::kUnescape: {
      const bool html = *args[0] == "html";
      if (!html && *args[0] != "json") return Status::Ok();
      out->push_back(Item::Str(node.fn == F::kEscape ? Escape(s, html) : Unescape(s, html)));
      break;
    }
    default:
      return ev.Error(node, node.name + "() is not implemented");
  }
  return Status::Ok();
}

}  // namespace hestia::fhirpath
