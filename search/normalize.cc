// The keys and normal forms shared by index extraction and queries: ParamHash, IndexKeys,
// NormalizeString, TextLexemes, PhoneticKey. See index.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html#string (case- and accent-insensitive matching)
// Thread-safety: stateless; the ICU normalizer instances are process-wide and immutable.
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "hestia/search/index.h"

namespace hestia::search {
namespace {

bool IsAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

// std::isspace and std::isalnum of the "C" locale, without the locale lookup.
bool AsciiSpace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool AsciiAlnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Lower-cases ASCII letters and collapses runs of whitespace into one space, trimmed.
std::string AsciiFold(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (unsigned char c : s) {
    if (AsciiSpace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c));
  }
  return out;
}

// NFD, drop nonspacing marks (the accents NFD split off), case-fold, NFC; whitespace runs
// (any Unicode white space) become one space.
std::string UnicodeFold(std::string_view s) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return AsciiFold(s);
  const icu::UnicodeString input =
      icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  icu::UnicodeString decomposed = nfd->normalize(input, status);
  if (U_FAILURE(status)) return AsciiFold(s);
  icu::UnicodeString stripped;
  bool space = false;
  for (int32_t i = 0; i < decomposed.length();) {
    const UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) == U_NON_SPACING_MARK) continue;
    if (u_isUWhiteSpace(c)) {
      space = !stripped.isEmpty();
      continue;
    }
    if (space) stripped.append(static_cast<UChar>(' '));
    space = false;
    stripped.append(c);
  }
  stripped.foldCase();
  icu::UnicodeString composed = nfc->normalize(stripped, status);
  if (U_FAILURE(status)) return AsciiFold(s);
  std::string out;
  composed.toUTF8String(out);
  return out;
}

// American Soundex digit of a lower-case ASCII letter; '0' for vowels and y (they separate
// equal codes), '-' for h and w (they do not).
char SoundexDigit(char c) {
  switch (c) {
    case 'b':
    case 'f':
    case 'p':
    case 'v':
      return '1';
    case 'c':
    case 'g':
    case 'j':
    case 'k':
    case 'q':
    case 's':
    case 'x':
    case 'z':
      return '2';
    case 'd':
    case 't':
      return '3';
    case 'l':
      return '4';
    case 'm':
    case 'n':
      return '5';
    case 'r':
      return '6';
    case 'h':
    case 'w':
      return '-';
    default:
      return '0';
  }
}

// Soundex of one word's letters (a-z only, at least one): "Robert" → "R163".
std::string Soundex(std::string_view letters) {
  std::string key(1, static_cast<char>(std::toupper(static_cast<unsigned char>(letters[0]))));
  char last = SoundexDigit(letters[0]);
  for (std::size_t i = 1; i < letters.size() && key.size() < 4; ++i) {
    const char d = SoundexDigit(letters[i]);
    if (d == '-') continue;  // h, w: the letters either side count as adjacent
    if (d != '0' && d != last) key.push_back(d);
    last = d;
  }
  key.resize(4, '0');
  return key;
}

}  // namespace

int64_t ParamHash(std::string_view resource_type, std::string_view code) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a 64
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
  };
  mix(resource_type);
  mix("|");
  mix(code);
  return static_cast<int64_t>(h);
}

std::vector<int64_t> IndexKeys(const ParameterRegistry& registry, std::string_view resource_type,
                               std::string_view key) {
  // Codes are tokens without ':' or '#'; the suffix names a derived row kind (index.h).
  const std::size_t cut = key.find_first_of(":#");
  const std::string_view code = key.substr(0, cut);
  const std::string_view suffix = cut == std::string_view::npos ? "" : key.substr(cut);
  std::vector<int64_t> out;
  auto add = [&](std::string_view with_rows) {
    out.push_back(ParamHash(resource_type, std::string(with_rows) + std::string(suffix)));
    if (!suffix.empty()) return;
    for (const auto& part : registry.PartSources(resource_type, with_rows)) {
      out.push_back(ParamHash(resource_type, part.code));
    }
  };
  const std::vector<std::string>& sources = registry.RowSources(resource_type, code);
  if (sources.empty()) add(code);
  for (const std::string& source : sources) add(source);
  return out;
}

std::string NormalizeString(std::string_view text) {
  return IsAscii(text) ? AsciiFold(text) : UnicodeFold(text);
}

namespace {

// The distinct words of `normal` (a NormalizeString result) as TextLexemes defines them,
// sorted: views into `normal`.
std::vector<std::string_view> LexemeViews(const std::string& normal) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(normal.data());
  const auto length = static_cast<int32_t>(normal.size());
  auto digit_at = [&](int32_t i) { return i < length && bytes[i] >= '0' && bytes[i] <= '9'; };
  std::vector<std::string_view> out;
  int32_t word = -1;  // start of the word being read
  auto flush = [&](int32_t end) {
    if (word >= 0 && static_cast<std::size_t>(end - word) <= kMaxLexemeBytes) {
      out.emplace_back(normal.data() + word, static_cast<std::size_t>(end - word));
    }
    word = -1;
  };
  for (int32_t i = 0; i < length;) {
    const int32_t start = i;
    bool in_word = false;
    if (bytes[i] < 0x80) {
      const unsigned char c = bytes[i++];
      in_word = AsciiAlnum(c) ||
                ((c == '.' || c == ',') && word >= 0 && digit_at(start - 1) && digit_at(i));
    } else {
      UChar32 c = 0;
      U8_NEXT(bytes, i, length, c);
      in_word = c >= 0 && (u_isalnum(c) || (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0);
    }
    if (in_word) {
      if (word < 0) word = start;
    } else {
      flush(start);
    }
  }
  flush(length);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

std::vector<std::string> TextLexemes(std::string_view text) {
  const std::string normal = NormalizeString(text);
  const std::vector<std::string_view> views = LexemeViews(normal);
  return {views.begin(), views.end()};
}

std::string JoinedTextLexemes(std::string_view text) {
  const std::string normal = NormalizeString(text);
  std::string out;
  out.reserve(normal.size());
  for (std::string_view lexeme : LexemeViews(normal)) {
    if (!out.empty()) out.push_back(' ');
    out.append(lexeme);
  }
  return out;
}

std::string PhoneticKey(std::string_view text) {
  const std::string normal = NormalizeString(text);
  std::string out;
  std::string letters;
  auto flush = [&] {
    if (letters.empty()) return;
    if (!out.empty()) out.push_back(' ');
    out += Soundex(letters);
    letters.clear();
  };
  for (char c : normal) {
    if (c >= 'a' && c <= 'z') {
      letters.push_back(c);
    } else {
      flush();  // spaces, hyphens and other non-letters end a word
    }
  }
  flush();
  return out;
}

}  // namespace hestia::search
