// Lexical forms of FHIRPath System values: decimals, dates, date-times and times. See value.h.
// Thread-safety: stateless functions.
#include "hestia/fhirpath/value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "hestia/fhirpath/model.h"

namespace hestia::fhirpath {
namespace {

constexpr int kMaxScale = 30;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at *pos.
bool ReadDigits(std::string_view s, std::size_t* pos, std::size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

int DaysIn(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Parses hh[:mm[:ss[.fff…]]] at *pos into the time fields of *dt.
bool ParseTimePart(std::string_view s, std::size_t* pos, DateTime* dt) {
  if (!ReadDigits(s, pos, 2, &dt->hour) || dt->hour > 23) return false;
  dt->precision = DtPrecision::kHour;
  if (*pos >= s.size() || s[*pos] != ':') return true;
  ++*pos;
  if (!ReadDigits(s, pos, 2, &dt->minute) || dt->minute > 59) return false;
  dt->precision = DtPrecision::kMinute;
  if (*pos >= s.size() || s[*pos] != ':') return true;
  ++*pos;
  if (!ReadDigits(s, pos, 2, &dt->second) || dt->second > 59) return false;
  dt->precision = DtPrecision::kSecond;
  if (*pos >= s.size() || s[*pos] != '.') return true;
  ++*pos;
  const std::size_t start = *pos;
  int millis = 0;
  int digits = 0;
  while (*pos < s.size() && IsDigit(s[*pos])) {
    if (digits < 3) {
      millis = millis * 10 + (s[*pos] - '0');
      ++digits;
    }
    ++*pos;
  }
  if (*pos == start) return false;
  while (digits < 3) {
    millis *= 10;
    ++digits;
  }
  dt->millis = millis;
  dt->precision = DtPrecision::kMillisecond;
  return true;
}

void AppendTwo(std::string* out, int v) {
  out->push_back(static_cast<char>('0' + (v / 10) % 10));
  out->push_back(static_cast<char>('0' + v % 10));
}

void AppendTime(std::string* out, const DateTime& dt) {
  AppendTwo(out, dt.hour);
  if (dt.precision < DtPrecision::kMinute) return;
  out->push_back(':');
  AppendTwo(out, dt.minute);
  if (dt.precision < DtPrecision::kSecond) return;
  out->push_back(':');
  AppendTwo(out, dt.second);
  if (dt.precision < DtPrecision::kMillisecond) return;
  char buf[8];
  std::snprintf(buf, sizeof buf, ".%03d", dt.millis % 1000);
  out->append(buf);
}

}  // namespace

bool ParseDecimal(std::string_view text, Decimal* out) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  const std::size_t int_start = i;
  while (i < text.size() && IsDigit(text[i])) ++i;
  if (i == int_start) return false;
  int scale = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    const std::size_t frac_start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i == frac_start) return false;
    scale = static_cast<int>(i - frac_start);
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
    const std::size_t exp_start = i;
    int exponent = 0;
    while (i < text.size() && IsDigit(text[i])) {
      if (exponent < 10000) exponent = exponent * 10 + (text[i] - '0');
      ++i;
    }
    if (i == exp_start) return false;
    scale = negative ? scale + exponent : std::max(0, scale - exponent);
  }
  if (i != text.size()) return false;
  const std::string copy(text);
  const double v = std::strtod(copy.c_str(), nullptr);
  if (!std::isfinite(v)) return false;
  out->value = v;
  out->scale = std::min(scale, kMaxScale);
  return true;
}

std::string FormatDecimal(const Decimal& d) {
  char buf[400];
  const int scale = std::clamp(d.scale, 0, kMaxScale);
  if (std::fabs(d.value) >= 1e300 || !std::isfinite(d.value)) {
    std::snprintf(buf, sizeof buf, "%g", d.value);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.*f", scale, d.value);
  std::string s = buf;
  // "-0.0" is a valid FHIRPath result (lowBoundary of a small negative), keep the sign.
  return s;
}

Decimal MakeDecimal(double value, int scale) {
  scale = std::clamp(scale, 0, kMaxScale);
  if (!std::isfinite(value) || std::fabs(value) >= 1e300) return {value, scale};
  char buf[400];
  std::snprintf(buf, sizeof buf, "%.*f", std::min(scale, 17), value);
  return {std::strtod(buf, nullptr), scale};
}

bool ParseDateTimeText(std::string_view s, DateTime* out, bool* is_date) {
  DateTime dt;
  std::size_t pos = 0;
  *is_date = true;
  if (!ReadDigits(s, &pos, 4, &dt.year)) return false;
  dt.precision = DtPrecision::kYear;
  if (pos < s.size() && s[pos] == '-') {
    ++pos;
    if (!ReadDigits(s, &pos, 2, &dt.month) || dt.month < 1 || dt.month > 12) return false;
    dt.precision = DtPrecision::kMonth;
    if (pos < s.size() && s[pos] == '-') {
      ++pos;
      if (!ReadDigits(s, &pos, 2, &dt.day) || dt.day < 1 || dt.day > DaysIn(dt.year, dt.month)) {
        return false;
      }
      dt.precision = DtPrecision::kDay;
    }
  }
  if (pos < s.size() && s[pos] == 'T') {
    *is_date = false;
    ++pos;
    if (pos < s.size() && IsDigit(s[pos])) {
      if (dt.precision != DtPrecision::kDay) return false;
      if (!ParseTimePart(s, &pos, &dt)) return false;
    }
  }
  if (pos < s.size()) {
    if (*is_date) return false;
    if (s[pos] == 'Z') {
      dt.has_tz = true;
      dt.tz_z = true;
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      const bool negative = s[pos] == '-';
      ++pos;
      int hh = 0;
      int mm = 0;
      if (!ReadDigits(s, &pos, 2, &hh) || pos >= s.size() || s[pos] != ':') return false;
      ++pos;
      if (!ReadDigits(s, &pos, 2, &mm) || hh > 14 || mm > 59) return false;
      dt.has_tz = true;
      dt.tz_minutes = (negative ? -1 : 1) * (hh * 60 + mm);
    }
    if (pos != s.size()) return false;
  }
  *out = dt;
  return true;
}

bool ParseTimeText(std::string_view s, DateTime* out) {
  DateTime dt;
  std::size_t pos = 0;
  if (!ParseTimePart(s, &pos, &dt) || pos != s.size()) return false;
  *out = dt;
  return true;
}

std::string FormatTemporal(ItemKind kind, const DateTime& dt) {
  std::string out;
  if (kind == ItemKind::kTime) {
    AppendTime(&out, dt);
    return out;
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d", dt.year % 10000);
  out = buf;
  if (dt.precision >= DtPrecision::kMonth) {
    out.push_back('-');
    AppendTwo(&out, dt.month);
  }
  if (dt.precision >= DtPrecision::kDay) {
    out.push_back('-');
    AppendTwo(&out, dt.day);
  }
  if (kind == ItemKind::kDate) return out;
  if (dt.precision >= DtPrecision::kHour) {
    out.push_back('T');
    AppendTime(&out, dt);
  }
  if (dt.has_tz && dt.precision >= DtPrecision::kHour) {
    if (dt.tz_z) {
      out.push_back('Z');
    } else {
      const int m = dt.tz_minutes < 0 ? -dt.tz_minutes : dt.tz_minutes;
      out.push_back(dt.tz_minutes < 0 ? '-' : '+');
      AppendTwo(&out, m / 60);
      out.push_back(':');
      AppendTwo(&out, m % 60);
    }
  }
  return out;
}

std::string TypeNameOf(const Item& item) {
  switch (item.kind) {
    case ItemKind::kNode:
      return item.type != nullptr ? "FHIR." + item.type->name() : "FHIR.Element";
    case ItemKind::kBoolean:
      return "System.Boolean";
    case ItemKind::kString:
      return "System.String";
    case ItemKind::kInteger:
      return "System.Integer";
    case ItemKind::kDecimal:
      return "System.Decimal";
    case ItemKind::kDate:
      return "System.Date";
    case ItemKind::kDateTime:
      return "System.DateTime";
    case ItemKind::kTime:
      return "System.Time";
    case ItemKind::kQuantity:
      return "System.Quantity";
    case ItemKind::kTypeInfo:
      return "System.TypeInfo";
  }
  return "System.Any";
}

}  // namespace hestia::fhirpath
