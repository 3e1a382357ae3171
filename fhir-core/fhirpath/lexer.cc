// FHIRPath lexer. See lexer.h.
// Thread-safety: stateless function.
#include "lexer.h"

#include <cstdint>

namespace hestia::fhirpath {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }

Status Error(std::string_view what, std::size_t pos) {
  return InvalidError("FHIRPath syntax error at position " + std::to_string(pos) + ": " +
                      std::string(what));
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Reads a quoted string or delimited identifier starting at text[*i] == quote.
Status ReadQuoted(std::string_view text, std::size_t* i, char quote, std::string* out) {
  const std::size_t start = *i;
  ++*i;
  while (*i < text.size()) {
    const char c = text[*i];
    if (c == quote) {
      ++*i;
      return Status::Ok();
    }
    if (c != '\\') {
      out->push_back(c);
      ++*i;
      continue;
    }
    if (*i + 1 >= text.size()) break;
    const char e = text[*i + 1];
    *i += 2;
    switch (e) {
      case '\'':
      case '"':
      case '`':
      case '\\':
      case '/':
        out->push_back(e);
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'u': {
        if (*i + 4 > text.size()) return Error("bad \\u escape", *i);
        uint32_t cp = 0;
        for (int k = 0; k < 4; ++k) {
          const char h = text[*i + k];
          cp <<= 4;
          if (IsDigit(h)) {
            cp |= static_cast<uint32_t>(h - '0');
          } else if (h >= 'a' && h <= 'f') {
            cp |= static_cast<uint32_t>(h - 'a' + 10);
          } else if (h >= 'A' && h <= 'F') {
            cp |= static_cast<uint32_t>(h - 'A' + 10);
          } else {
            return Error("bad \\u escape", *i);
          }
        }
        *i += 4;
        AppendUtf8(out, cp);
        break;
      }
      default:
        return Error(std::string("invalid escape \\") + e, *i - 2);
    }
  }
  return Error("unterminated string or identifier", start);
}

bool DigitsAt(std::string_view t, std::size_t i, std::size_t n) {
  if (i + n > t.size()) return false;
  for (std::size_t k = 0; k < n; ++k) {
    if (!IsDigit(t[i + k])) return false;
  }
  return true;
}

// Length of a time part hh[:mm[:ss[.fff]]] at i (0 when absent).
std::size_t TimeLength(std::string_view t, std::size_t i) {
  if (!DigitsAt(t, i, 2)) return 0;
  std::size_t j = i + 2;
  if (j < t.size() && t[j] == ':' && DigitsAt(t, j + 1, 2)) {
    j += 3;
    if (j < t.size() && t[j] == ':' && DigitsAt(t, j + 1, 2)) {
      j += 3;
      if (j + 1 < t.size() && t[j] == '.' && IsDigit(t[j + 1])) {
        ++j;
        while (j < t.size() && IsDigit(t[j])) ++j;
      }
    }
  }
  return j - i;
}

// Length of a date/time literal body after '@' (not starting with 'T').
std::size_t DateTimeLength(std::string_view t, std::size_t i) {
  if (!DigitsAt(t, i, 4)) return 0;
  std::size_t j = i + 4;
  bool day = false;
  if (j < t.size() && t[j] == '-' && DigitsAt(t, j + 1, 2)) {
    j += 3;
    if (j < t.size() && t[j] == '-' && DigitsAt(t, j + 1, 2)) {
      j += 3;
      day = true;
    }
  }
  if (j < t.size() && t[j] == 'T') {
    ++j;
    const std::size_t tl = day ? TimeLength(t, j) : 0;
    j += tl;
    if (tl > 0 && j < t.size()) {
      if (t[j] == 'Z') {
        ++j;
      } else if ((t[j] == '+' || t[j] == '-') && DigitsAt(t, j + 1, 2) && j + 3 < t.size() &&
                 t[j + 3] == ':' && DigitsAt(t, j + 4, 2)) {
        j += 6;
      }
    }
  }
  return j - i;
}

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (true) {
    while (i < n) {
      const char c = text[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        ++i;
      } else if (c == '/' && i + 1 < n && text[i + 1] == '/') {
        while (i < n && text[i] != '\n') ++i;
      } else if (c == '/' && i + 1 < n && text[i + 1] == '*') {
        const auto end = text.find("*/", i + 2);
        if (end == std::string_view::npos) return Error("unterminated comment", i);
        i = end + 2;
      } else {
        break;
      }
    }
    Token tok;
    tok.pos = static_cast<int>(i);
    if (i >= n) {
      tokens.push_back(std::move(tok));
      return tokens;
    }
    const char c = text[i];
    if (IsIdentStart(c)) {
      const std::size_t start = i;
      while (i < n && IsIdentChar(text[i])) ++i;
      tok.kind = TokenKind::kIdentifier;
      tok.text = std::string(text.substr(start, i - start));
    } else if (c == '`') {
      tok.kind = TokenKind::kDelimited;
      HESTIA_RETURN_IF_ERROR(ReadQuoted(text, &i, '`', &tok.text));
    } else if (c == '\'') {
      tok.kind = TokenKind::kString;
      HESTIA_RETURN_IF_ERROR(ReadQuoted(text, &i, '\'', &tok.text));
    } else if (IsDigit(c)) {
      const std::size_t start = i;
      while (i < n && IsDigit(text[i])) ++i;
      if (i + 1 < n && text[i] == '.' && IsDigit(text[i + 1])) {
        ++i;
        while (i < n && IsDigit(text[i])) ++i;
      }
      tok.kind = TokenKind::kNumber;
      tok.text = std::string(text.substr(start, i - start));
    } else if (c == '@') {
      ++i;
      if (i < n && text[i] == 'T') {
        const std::size_t len = TimeLength(text, i + 1);
        if (len == 0) return Error("invalid time literal", tok.pos);
        tok.kind = TokenKind::kTime;
        tok.text = std::string(text.substr(i + 1, len));
        i += 1 + len;
      } else {
        const std::size_t len = DateTimeLength(text, i);
        if (len == 0) return Error("invalid date/time literal", tok.pos);
        tok.kind = TokenKind::kDateTime;
        tok.text = std::string(text.substr(i, len));
        i += len;
      }
    } else if (c == '%') {
      ++i;
      tok.kind = TokenKind::kVariable;
      if (i < n && text[i] == '`') {
        HESTIA_RETURN_IF_ERROR(ReadQuoted(text, &i, '`', &tok.text));
      } else if (i < n && text[i] == '\'') {
        HESTIA_RETURN_IF_ERROR(ReadQuoted(text, &i, '\'', &tok.text));
      } else if (i < n && IsIdentStart(text[i])) {
        const std::size_t start = i;
        while (i < n && (IsIdentChar(text[i]) || text[i] == '-')) ++i;
        tok.text = std::string(text.substr(start, i - start));
      } else {
        return Error("'%' must be followed by a variable name", tok.pos);
      }
    } else if (c == '$') {
      ++i;
      const std::size_t start = i;
      while (i < n && IsIdentChar(text[i])) ++i;
      tok.kind = TokenKind::kDollar;
      tok.text = std::string(text.substr(start, i - start));
      if (tok.text != "this" && tok.text != "index" && tok.text != "total") {
        return Error("unknown special variable $" + tok.text, tok.pos);
      }
    } else {
      tok.kind = TokenKind::kSymbol;
      const std::string_view two = text.substr(i, 2);
      if (two == "<=" || two == ">=" || two == "!=" || two == "!~") {
        tok.text = std::string(two);
        i += 2;
      } else if (std::string_view(".,()[]{}+-*/&|=~<>").find(c) != std::string_view::npos) {
        tok.text = std::string(1, c);
        ++i;
      } else {
        return Error(std::string("unexpected character '") + c + "'", i);
      }
    }
    tokens.push_back(std::move(tok));
  }
}

}  // namespace hestia::fhirpath
