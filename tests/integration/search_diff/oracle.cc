// The differential test's model of FHIR search semantics. See oracle.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html
#include "oracle.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "hestia/base/json.h"
#include "hestia/fhirpath/model.h"

namespace hestia::testing::sdiff {
namespace {

std::string TypeName(const fhirpath::Item& item) {
  return item.type != nullptr ? item.type->name() : std::string();
}

bool IsQuantityType(const fhirpath::Item& item) {
  if (item.type != nullptr && item.type->is_quantity()) return true;
  const std::string n = TypeName(item);
  return n == "Quantity" || n == "Age" || n == "Duration" || n == "Distance" || n == "Count" ||
         n == "SimpleQuantity" || n == "MoneyQuantity";
}

std::string Text(const json::Value* v) {
  if (v == nullptr) return "";
  if (json::IsText(*v)) return std::string(json::AsStringView(*v));
  if (json::IsNumber(*v)) return json::NumberText(*v);
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  return "";
}

// The text of a primitive item ("" for complex nodes and nodes without a value).
std::string PrimitiveText(const fhirpath::Item& item) {
  switch (item.kind) {
    case fhirpath::ItemKind::kNode:
      if (item.json == nullptr || item.json->IsObject() || item.json->IsArray()) return "";
      return Text(item.json);
    case fhirpath::ItemKind::kString:
      return item.str;
    case fhirpath::ItemKind::kBoolean:
      return item.boolean ? "true" : "false";
    case fhirpath::ItemKind::kInteger:
      return std::to_string(item.integer);
    case fhirpath::ItemKind::kDecimal:
      return fhirpath::FormatDecimal(item.decimal);
    case fhirpath::ItemKind::kDate:
    case fhirpath::ItemKind::kDateTime:
    case fhirpath::ItemKind::kTime:
      return fhirpath::FormatTemporal(item.kind, item.dt);
    default:
      return "";
  }
}

bool IsObjectNode(const fhirpath::Item& item) {
  return item.kind == fhirpath::ItemKind::kNode && item.json != nullptr && item.json->IsObject();
}

void AddCoding(const json::Value& c, std::vector<Token>* out) {
  Token t;
  t.kind = Token::Kind::kCoded;
  if (const json::Value* s = json::Member(c, "system"); s != nullptr && json::IsText(*s)) {
    t.has_system = true;
    t.system = Text(s);
  }
  t.code = Text(json::Member(c, "code"));
  if (t.code.empty() && !t.has_system) return;
  out->push_back(std::move(t));
}

void AddIdentifier(const json::Value& c, std::vector<Token>* out) {
  Token t;
  t.kind = Token::Kind::kIdentifier;
  if (const json::Value* s = json::Member(c, "system"); s != nullptr && json::IsText(*s)) {
    t.has_system = true;
    t.system = Text(s);
  }
  t.code = Text(json::Member(c, "value"));
  if (t.code.empty() && !t.has_system) return;
  out->push_back(std::move(t));
}

void AddStrings(const json::Value& obj, std::initializer_list<const char*> keys,
                std::vector<std::string>* out) {
  for (const char* k : keys) {
    const json::Value* v = json::Member(obj, k);
    if (v == nullptr) continue;
    if (v->IsArray()) {
      for (const auto& e : v->GetArray()) {
        if (std::string s = Text(&e); !s.empty()) out->push_back(std::move(s));
      }
    } else if (std::string s = Text(v); !s.empty()) {
      out->push_back(std::move(s));
    }
  }
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

constexpr int64_t kDay = 86400LL * 1000000;

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

Int128 Pow10(int n) {
  Int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

}  // namespace

// ---- token ---------------------------------------------------------------------------------

std::vector<Token> Tokens(const fhirpath::Collection& items) {
  std::vector<Token> out;
  for (const auto& item : items) {
    if (IsObjectNode(item)) {
      const std::string n = TypeName(item);
      const json::Value& obj = *item.json;
      if (n == "CodeableConcept" || (n.empty() && obj.HasMember("coding"))) {
        if (const json::Value* c = json::Member(obj, "coding"); c != nullptr && c->IsArray()) {
          for (const auto& coding : c->GetArray()) AddCoding(coding, &out);
        }
      } else if (n == "Identifier") {
        AddIdentifier(obj, &out);
      } else if (n == "ContactPoint") {
        Token t;
        t.kind = Token::Kind::kContact;
        t.code = Text(json::Member(obj, "value"));
        if (!t.code.empty()) out.push_back(std::move(t));
      } else if (n == "Coding" || (n.empty() && obj.HasMember("code"))) {
        AddCoding(obj, &out);
      } else if (n.empty() && obj.HasMember("value")) {
        AddIdentifier(obj, &out);
      }
      continue;
    }
    Token t;
    t.code = PrimitiveText(item);
    if (!t.code.empty()) out.push_back(std::move(t));
  }
  return out;
}

bool TokenMatches(const Token& t, const TokenQuery& q) {
  if (!q.has_system) return t.code == q.code;
  if (t.kind != Token::Kind::kCoded && t.kind != Token::Kind::kIdentifier) return false;
  if (q.system.empty()) return !t.has_system && t.code == q.code;  // "|code"
  if (!t.has_system || t.system != q.system) return false;
  return q.code.empty() || t.code == q.code;  // "system|" or "system|code"
}

// ---- string --------------------------------------------------------------------------------

std::vector<std::string> Strings(const fhirpath::Collection& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    if (IsObjectNode(item)) {
      const std::string n = TypeName(item);
      if (n == "HumanName") {
        AddStrings(*item.json, {"family", "given", "prefix", "suffix", "text"}, &out);
      } else if (n == "Address") {
        AddStrings(*item.json,
                   {"line", "city", "district", "state", "postalCode", "country", "text"}, &out);
      }
      continue;
    }
    if (std::string s = PrimitiveText(item); !s.empty()) out.push_back(std::move(s));
  }
  return out;
}

std::string Normalize(std::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return std::string(text);
  const icu::UnicodeString decomposed =
      nfd->normalize(icu::UnicodeString::fromUTF8(
                         icu::StringPiece(text.data(), static_cast<int32_t>(text.size()))),
                     status);
  icu::UnicodeString stripped;
  bool space = false;
  for (int32_t i = 0; i < decomposed.length();) {
    const UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) == U_NON_SPACING_MARK) continue;
    if (u_isUWhiteSpace(c)) {
      space = true;
      continue;
    }
    if (space && stripped.length() > 0) stripped.append(static_cast<UChar>(' '));
    space = false;
    stripped.append(c);
  }
  stripped.foldCase();
  const icu::UnicodeString composed = nfc->normalize(stripped, status);
  std::string out;
  composed.toUTF8String(out);
  return U_FAILURE(status) ? std::string(text) : out;
}

std::vector<std::string> SoundexWords(std::string_view text) {
  static constexpr char kCodes[] = "01230120022455012623010202";  // a..z
  std::vector<std::string> out;
  const std::string norm = Normalize(text);
  std::size_t i = 0;
  while (i < norm.size()) {
    std::string letters;
    while (i < norm.size() && norm[i] != ' ') {
      if (norm[i] >= 'a' && norm[i] <= 'z') letters.push_back(norm[i]);
      ++i;
    }
    ++i;
    if (letters.empty()) continue;
    std::string key(1, static_cast<char>(std::toupper(letters[0])));
    char last = kCodes[letters[0] - 'a'];
    for (std::size_t k = 1; k < letters.size() && key.size() < 4; ++k) {
      const char c = letters[k];
      const char code = kCodes[c - 'a'];
      if (c == 'h' || c == 'w') continue;  // do not separate equal codes
      if (code != '0' && code != last) key.push_back(code);
      last = code;
    }
    key.resize(4, '0');
    out.push_back(key);
  }
  return out;
}

// ---- date ----------------------------------------------------------------------------------

std::optional<DateRange> ParseDate(std::string_view s) {
  int year = 0;
  int month = 1;
  int day = 1;
  if (!Digits(s, 0, 4, &year)) return std::nullopt;
  std::size_t pos = 4;
  int precision = 0;  // 0 year, 1 month, 2 day
  if (pos < s.size() && s[pos] == '-') {
    if (!Digits(s, pos + 1, 2, &month) || month < 1 || month > 12) return std::nullopt;
    pos += 3;
    precision = 1;
    if (pos < s.size() && s[pos] == '-') {
      if (!Digits(s, pos + 1, 2, &day) || day < 1 || day > 31) return std::nullopt;
      pos += 3;
      precision = 2;
    }
  }
  const int64_t start = DaysFromCivil(year, month, day) * kDay;
  if (pos == s.size()) {
    DateRange r;
    r.low = start;
    if (precision == 0) {
      r.high = DaysFromCivil(year + 1, 1, 1) * kDay;
    } else if (precision == 1) {
      r.high =
          (month == 12 ? DaysFromCivil(year + 1, 1, 1) : DaysFromCivil(year, month + 1, 1)) * kDay;
    } else {
      r.high = start + kDay;
    }
    return r;
  }
  if (precision != 2 || s[pos] != 'T') return std::nullopt;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!Digits(s, pos + 1, 2, &hour) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
      !Digits(s, pos + 4, 2, &minute)) {
    return std::nullopt;
  }
  pos += 6;
  int64_t width = 60LL * 1000000;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!Digits(s, pos + 1, 2, &second)) return std::nullopt;
    pos += 3;
    width = 1000000;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      int digits = 0;
      int64_t scale = 100000;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
        if (digits < 6) {
          micros += (s[pos] - '0') * scale;
          scale /= 10;
          width /= 10;
        }
        ++digits;
        ++pos;
      }
      if (digits == 0) return std::nullopt;
    }
  }
  int64_t offset = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh = 0;
      int om = 0;
      if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
          !Digits(s, pos + 4, 2, &om)) {
        return std::nullopt;
      }
      offset = (s[pos] == '-' ? -1 : 1) * (oh * 3600LL + om * 60LL) * 1000000;
      pos += 6;
    }
  }
  if (pos != s.size()) return std::nullopt;
  DateRange r;
  r.low = start + (hour * 3600LL + minute * 60LL + second) * 1000000 + micros - offset;
  r.high = r.low + width;
  return r;
}

std::vector<DateRange> Dates(const fhirpath::Collection& items) {
  std::vector<DateRange> out;
  for (const auto& item : items) {
    if (IsObjectNode(item)) {
      const std::string n = TypeName(item);
      const json::Value& obj = *item.json;
      if (n == "Period" || (n.empty() && (obj.HasMember("start") || obj.HasMember("end")))) {
        const auto start = ParseDate(Text(json::Member(obj, "start")));
        const auto end = ParseDate(Text(json::Member(obj, "end")));
        if (!start && !end) continue;
        out.push_back({start ? start->low : kMinTime, end ? end->high : kMaxTime});
      } else if (n == "Timing") {
        std::optional<DateRange> all;
        auto widen = [&all](const DateRange& r) {
          if (!all) {
            all = r;
          } else {
            all->low = std::min(all->low, r.low);
            all->high = std::max(all->high, r.high);
          }
        };
        if (const json::Value* ev = json::Member(obj, "event"); ev != nullptr && ev->IsArray()) {
          for (const auto& e : ev->GetArray()) {
            if (auto r = ParseDate(Text(&e))) widen(*r);
          }
        }
        if (const json::Value* rep = json::Member(obj, "repeat"); rep != nullptr) {
          if (const json::Value* b = json::Member(*rep, "boundsPeriod"); b != nullptr) {
            const auto start = ParseDate(Text(json::Member(*b, "start")));
            const auto end = ParseDate(Text(json::Member(*b, "end")));
            if (start || end) widen({start ? start->low : kMinTime, end ? end->high : kMaxTime});
          }
        }
        if (all) out.push_back(*all);
      }
      continue;
    }
    if (auto r = ParseDate(PrimitiveText(item))) out.push_back(*r);
  }
  return out;
}

bool DateMatches(std::string_view prefix, const DateRange& q, const DateRange& t) {
  const bool contains = t.low >= q.low && t.high <= q.high;
  if (prefix == "eq") return contains;
  if (prefix == "gt") return t.high > q.high;
  if (prefix == "lt") return t.low < q.low;
  if (prefix == "ge") return t.high > q.high || contains;
  if (prefix == "le") return t.low < q.low || contains;
  if (prefix == "sa") return t.low >= q.high;
  if (prefix == "eb") return t.high <= q.low;
  return false;
}

std::string FormatDay(int64_t micros) {
  int64_t days = micros / kDay;
  if (micros % kDay < 0) --days;
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

std::string FormatSecond(int64_t micros) {
  int64_t secs = micros / 1000000;
  if (micros % 1000000 < 0) --secs;
  int64_t in_day = secs % 86400;
  if (in_day < 0) in_day += 86400;
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%sT%02lld:%02lld:%02lldZ", FormatDay(secs * 1000000).c_str(),
                static_cast<long long>(in_day / 3600), static_cast<long long>(in_day / 60 % 60),
                static_cast<long long>(in_day % 60));
  return buf;
}

// ---- decimal -------------------------------------------------------------------------------

std::optional<Dec> ParseDec(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::size_t i = 0;
  bool neg = false;
  if (s[i] == '-' || s[i] == '+') neg = s[i++] == '-';
  Dec d;
  int digits = 0;
  bool point = false;
  for (; i < s.size() && s[i] != 'e' && s[i] != 'E'; ++i) {
    if (s[i] == '.') {
      if (point) return std::nullopt;
      point = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    if (++digits > 30) return std::nullopt;
    d.mantissa = d.mantissa * 10 + (s[i] - '0');
    if (point) ++d.scale;
  }
  if (digits == 0) return std::nullopt;
  if (i < s.size()) {
    int exp = 0;
    bool exp_neg = false;
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) exp_neg = s[i++] == '-';
    if (i == s.size() || s.size() - i > 3) return std::nullopt;
    for (; i < s.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
      exp = exp * 10 + (s[i] - '0');
    }
    if (exp_neg) {
      d.scale += exp;
    } else if (exp <= d.scale) {
      d.scale -= exp;
    } else {
      d.mantissa *= Pow10(exp - d.scale);
      d.scale = 0;
    }
  }
  if (neg) d.mantissa = -d.mantissa;
  return d;
}

int Compare(const Dec& a, const Dec& b) {
  Int128 x = a.mantissa;
  Int128 y = b.mantissa;
  if (a.scale < b.scale) x *= Pow10(b.scale - a.scale);
  if (b.scale < a.scale) y *= Pow10(a.scale - b.scale);
  return x < y ? -1 : (x > y ? 1 : 0);
}

void PrecisionRange(const Dec& v, Dec* low, Dec* high) {
  low->scale = high->scale = v.scale + 1;
  low->mantissa = v.mantissa * 10 - 5;
  high->mantissa = v.mantissa * 10 + 5;
}

// ---- quantity ------------------------------------------------------------------------------

std::vector<Qty> Quantities(const fhirpath::Collection& items) {
  std::vector<Qty> out;
  auto unit_of = [](const json::Value& q, Qty* out_q) {
    out_q->system = Text(json::Member(q, "system"));
    out_q->code = Text(json::Member(q, "code"));
    out_q->unit = Text(json::Member(q, "unit"));
  };
  for (const auto& item : items) {
    if (!IsObjectNode(item)) continue;
    const json::Value& obj = *item.json;
    if (IsQuantityType(item)) {
      Qty q;
      q.value_text = Text(json::Member(obj, "value"));
      q.low = q.high = ParseDec(q.value_text);
      if (!q.low) continue;
      unit_of(obj, &q);
      out.push_back(std::move(q));
    } else if (TypeName(item) == "Range") {
      Qty q;
      const json::Value* lo = json::Member(obj, "low");
      const json::Value* hi = json::Member(obj, "high");
      if (lo != nullptr) q.low = ParseDec(Text(json::Member(*lo, "value")));
      if (hi != nullptr) q.high = ParseDec(Text(json::Member(*hi, "value")));
      if (!q.low && !q.high) continue;
      unit_of(lo != nullptr ? *lo : *hi, &q);
      out.push_back(std::move(q));
    }
  }
  return out;
}

bool QuantityMatches(std::string_view prefix, const Dec& value, bool has_system,
                     std::string_view system, std::string_view code, const Qty& q) {
  if (has_system) {
    if (system.empty()) {
      if (q.code != code && q.unit != code) return false;
    } else if (q.system != system || q.code != code) {
      return false;
    }
  }
  // Open ends of a Range are unbounded.
  auto above = [&q](const Dec& v, bool inclusive) {  // some target value > (>=) v
    if (!q.high) return true;
    const int c = Compare(*q.high, v);
    return inclusive ? c >= 0 : c > 0;
  };
  auto below = [&q](const Dec& v, bool inclusive) {  // some target value < (<=) v
    if (!q.low) return true;
    const int c = Compare(*q.low, v);
    return inclusive ? c <= 0 : c < 0;
  };
  if (prefix == "eq") {
    Dec lo;
    Dec hi;
    PrecisionRange(value, &lo, &hi);
    return q.low && q.high && Compare(*q.low, lo) >= 0 && Compare(*q.high, hi) < 0;
  }
  if (prefix == "gt") return above(value, false);
  if (prefix == "ge") return above(value, true);
  if (prefix == "lt") return below(value, false);
  if (prefix == "le") return below(value, true);
  return false;
}

// ---- reference -----------------------------------------------------------------------------

std::vector<Ref> References(const fhirpath::Collection& items, std::string_view base_url) {
  std::vector<Ref> out;
  auto parse = [&](std::string text, Ref* r) {
    if (text.empty() || text[0] == '#') return;
    if (!base_url.empty() && text.size() > base_url.size() + 1 &&
        text.compare(0, base_url.size(), base_url) == 0 && text[base_url.size()] == '/') {
      text = text.substr(base_url.size() + 1);
    }
    const auto slash = text.find('/');
    const bool relative = text.find(':') == std::string::npos && slash != std::string::npos &&
                          slash > 0 && std::isupper(static_cast<unsigned char>(text[0]));
    if (relative) {
      r->type = text.substr(0, slash);
      std::string rest = text.substr(slash + 1);
      if (const auto h = rest.find("/_history/"); h != std::string::npos) rest.resize(h);
      r->id = rest;
    } else {
      if (const auto bar = text.find('|'); bar != std::string::npos) text.resize(bar);
      r->url = text;
    }
  };
  for (const auto& item : items) {
    Ref r;
    if (IsObjectNode(item)) {
      parse(Text(json::Member(*item.json, "reference")), &r);
      if (const json::Value* ident = json::Member(*item.json, "identifier"); ident != nullptr) {
        std::vector<Token> t;
        AddIdentifier(*ident, &t);
        if (!t.empty()) r.identifier = t[0];
      }
    } else {
      parse(PrimitiveText(item), &r);
    }
    if (HasTarget(r) || r.identifier) out.push_back(std::move(r));
  }
  return out;
}

// ---- uri -----------------------------------------------------------------------------------

std::vector<std::string> Uris(const fhirpath::Collection& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    if (std::string s = PrimitiveText(item); !s.empty()) out.push_back(std::move(s));
  }
  return out;
}

// ---- Location near -------------------------------------------------------------------------

std::vector<Position> Positions(const fhirpath::Collection& items) {
  std::vector<Position> out;
  for (const auto& item : items) {
    if (!IsObjectNode(item)) continue;
    const json::Value* lat = json::Member(*item.json, "latitude");
    const json::Value* lon = json::Member(*item.json, "longitude");
    if (lat == nullptr || lon == nullptr || !json::IsNumber(*lat) || !json::IsNumber(*lon)) {
      continue;
    }
    out.push_back({json::NumberAsDouble(*lat), json::NumberAsDouble(*lon)});
  }
  return out;
}

double DistanceKm(const Position& a, const Position& b) {
  constexpr double kRadiusKm = 6371.0;
  constexpr double kRad = M_PI / 180.0;
  const double dlat = (b.latitude - a.latitude) * kRad;
  const double dlon = (b.longitude - a.longitude) * kRad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.latitude * kRad) * std::cos(b.latitude * kRad) * std::sin(dlon / 2) *
                       std::sin(dlon / 2);
  return 2 * kRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

// ---- escaping ------------------------------------------------------------------------------

bool NeedsEscape(std::string_view text) {
  return text.find_first_of("\\,|$") != std::string_view::npos;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace hestia::testing::sdiff
