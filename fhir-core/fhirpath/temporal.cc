// Date, DateTime and Time semantics. See temporal.h.
// FHIRPath N1: http://hl7.org/fhirpath/N1/#datetime-arithmetic
// Thread-safety: stateless functions.
#include "temporal.h"

#include <algorithm>
#include <cmath>

#include "hestia/fhirpath/ucum.h"

namespace hestia::fhirpath {
namespace {

constexpr int64_t kMsPerDay = 86'400'000;

int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<int64_t>(y - era * 400);
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = static_cast<int>(yoe + era * 400 + (*m <= 2 ? 1 : 0));
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[(m - 1) % 12];
}

// Milliseconds since the epoch of the local (un-zoned) fields.
int64_t ToMillis(const DateTime& dt) {
  const int month = dt.month == 0 ? 1 : dt.month;
  const int day = dt.day == 0 ? 1 : dt.day;
  return DaysFromCivil(dt.year, month, day) * kMsPerDay +
         ((static_cast<int64_t>(dt.hour) * 60 + dt.minute) * 60 + dt.second) * 1000 + dt.millis;
}

void FromMillis(int64_t ms, DateTime* dt) {
  int64_t days = ms / kMsPerDay;
  int64_t rest = ms % kMsPerDay;
  if (rest < 0) {
    rest += kMsPerDay;
    --days;
  }
  CivilFromDays(days, &dt->year, &dt->month, &dt->day);
  dt->hour = static_cast<int>(rest / 3'600'000);
  dt->minute = static_cast<int>(rest / 60'000 % 60);
  dt->second = static_cast<int>(rest / 1000 % 60);
  dt->millis = static_cast<int>(rest % 1000);
}

DateTime ToUtc(const DateTime& dt) {
  if (!dt.has_tz || dt.tz_minutes == 0 || dt.precision < DtPrecision::kHour) return dt;
  DateTime out = dt;
  FromMillis(ToMillis(dt) - static_cast<int64_t>(dt.tz_minutes) * 60'000, &out);
  out.tz_minutes = 0;
  return out;
}

// Seconds and milliseconds form one precision for comparison.
int Level(DtPrecision p) { return p == DtPrecision::kMillisecond ? 6 : static_cast<int>(p); }

}  // namespace

std::optional<int> CompareTemporal(ItemKind ka, const DateTime& a_in, ItemKind kb,
                                   const DateTime& b_in) {
  const bool time = ka == ItemKind::kTime;
  const DateTime a = time ? a_in : ToUtc(a_in);
  const DateTime b = kb == ItemKind::kTime ? b_in : ToUtc(b_in);
  const int la = Level(a.precision);
  const int lb = Level(b.precision);
  // One zoned and one local time of day: the offset between them is unknown.
  if (!time && a.has_tz != b.has_tz && a.precision >= DtPrecision::kHour &&
      b.precision >= DtPrecision::kHour) {
    return std::nullopt;
  }
  const int common = std::min(la, lb);
  const int first = time ? static_cast<int>(DtPrecision::kHour) : 1;
  for (int level = first; level <= common; ++level) {
    int x = 0;
    int y = 0;
    switch (static_cast<DtPrecision>(level)) {
      case DtPrecision::kYear:
        x = a.year;
        y = b.year;
        break;
      case DtPrecision::kMonth:
        x = a.month;
        y = b.month;
        break;
      case DtPrecision::kDay:
        x = a.day;
        y = b.day;
        break;
      case DtPrecision::kHour:
        x = a.hour;
        y = b.hour;
        break;
      case DtPrecision::kMinute:
        x = a.minute;
        y = b.minute;
        break;
      default:
        x = a.second * 1000 + a.millis;
        y = b.second * 1000 + b.millis;
        break;
    }
    if (x != y) return x < y ? -1 : 1;
  }
  if (la != lb) return std::nullopt;
  return 0;
}

bool AddDuration(ItemKind kind, const DateTime& dt, const Decimal& amount, std::string_view unit,
                 int sign, DateTime* out) {
  // Calendar keywords (also quoted: 'month') are durations; the UCUM year and month ('a',
  // 'mo') are definite lengths of time that FHIRPath refuses to add to dates.
  std::string_view u = unit;
  if (const std::string_view mapped = ucum::CalendarToUcum(unit); !mapped.empty()) {
    u = mapped;
  } else if (unit == "a" || unit == "mo") {
    return false;
  }
  // Beyond ±10^10 of any unit the result leaves the years 1–9999: refuse before overflowing.
  if (!(std::fabs(amount.value) < 1e10)) return false;
  const auto n = static_cast<int64_t>(std::trunc(amount.value)) * sign;
  *out = dt;
  if (u == "a" || u == "mo") {
    if (kind == ItemKind::kTime) return false;
    const int64_t months = u == "a" ? n * 12 : n;
    if (dt.precision == DtPrecision::kYear) {
      const int64_t year = dt.year + months / 12;
      out->year = static_cast<int>(std::clamp<int64_t>(year, 0, 10000));
      return year >= 1 && year <= 9999;
    }
    const int64_t total = static_cast<int64_t>(dt.year) * 12 + (dt.month - 1) + months;
    out->year = static_cast<int>(total >= 0 ? total / 12 : (total - 11) / 12);
    out->month = static_cast<int>(total - static_cast<int64_t>(out->year) * 12 + 1);
    if (dt.precision >= DtPrecision::kDay) {
      out->day = std::min(dt.day, DaysInMonth(out->year, out->month));
    }
    return out->year >= 1 && out->year <= 9999;
  }
  int64_t ms = 0;
  if (u == "wk") {
    ms = n * 7 * kMsPerDay;
  } else if (u == "d") {
    ms = n * kMsPerDay;
  } else if (u == "h") {
    ms = n * 3'600'000;
  } else if (u == "min") {
    ms = n * 60'000;
  } else if (u == "s") {
    ms = n * 1000;
  } else if (u == "ms") {
    ms = n;
  } else {
    return false;
  }
  if (kind == ItemKind::kTime) {
    if (u == "wk" || u == "d") return false;
    int64_t t =
        ((static_cast<int64_t>(dt.hour) * 60 + dt.minute) * 60 + dt.second) * 1000 + dt.millis + ms;
    t = ((t % kMsPerDay) + kMsPerDay) % kMsPerDay;
    out->hour = static_cast<int>(t / 3'600'000);
    out->minute = static_cast<int>(t / 60'000 % 60);
    out->second = static_cast<int>(t / 1000 % 60);
    out->millis = static_cast<int>(t % 1000);
    return true;
  }
  if (dt.precision < DtPrecision::kDay) {
    // Below day precision only whole months/years are meaningful; ignore smaller units.
    return true;
  }
  FromMillis(ToMillis(dt) + ms, out);
  if (out->year < 1 || out->year > 9999) return false;
  // Keep the original precision: zero the fields it does not have.
  if (dt.precision < DtPrecision::kHour) out->hour = 0;
  if (dt.precision < DtPrecision::kMinute) out->minute = 0;
  if (dt.precision < DtPrecision::kSecond) out->second = 0;
  if (dt.precision < DtPrecision::kMillisecond) out->millis = 0;
  return true;
}

int TemporalPrecisionDigits(ItemKind kind, const DateTime& dt) {
  if (kind == ItemKind::kTime) {
    switch (dt.precision) {
      case DtPrecision::kHour:
        return 2;
      case DtPrecision::kMinute:
        return 4;
      case DtPrecision::kSecond:
        return 6;
      default:
        return 9;
    }
  }
  switch (dt.precision) {
    case DtPrecision::kYear:
      return 4;
    case DtPrecision::kMonth:
      return 6;
    case DtPrecision::kDay:
      return 8;
    case DtPrecision::kHour:
      return 10;
    case DtPrecision::kMinute:
      return 12;
    case DtPrecision::kSecond:
      return 14;
    default:
      return 17;
  }
}

bool TemporalBoundary(ItemKind kind, const DateTime& dt, int digits, bool high, DateTime* out) {
  DtPrecision target;
  if (kind == ItemKind::kTime) {
    switch (digits) {
      case 2:
        target = DtPrecision::kHour;
        break;
      case 4:
        target = DtPrecision::kMinute;
        break;
      case 6:
        target = DtPrecision::kSecond;
        break;
      case 9:
        target = DtPrecision::kMillisecond;
        break;
      default:
        return false;
    }
  } else {
    switch (digits) {
      case 4:
        target = DtPrecision::kYear;
        break;
      case 6:
        target = DtPrecision::kMonth;
        break;
      case 8:
        target = DtPrecision::kDay;
        break;
      case 10:
        target = DtPrecision::kHour;
        break;
      case 12:
        target = DtPrecision::kMinute;
        break;
      case 14:
        target = DtPrecision::kSecond;
        break;
      case 17:
        target = DtPrecision::kMillisecond;
        break;
      default:
        return false;
    }
    if (kind == ItemKind::kDate && target > DtPrecision::kDay) return false;
  }
  DateTime r = dt;
  // An hour-only DateTime ("T08") is not a FHIR dateTime; read it as 08:00.
  if (kind == ItemKind::kDateTime && dt.precision == DtPrecision::kHour) {
    r.precision = DtPrecision::kMinute;
  }
  const DtPrecision have = r.precision;
  if (kind != ItemKind::kTime) {
    if (have < DtPrecision::kMonth) r.month = high ? 12 : 1;
    if (have < DtPrecision::kDay) r.day = high ? DaysInMonth(r.year, r.month) : 1;
  }
  if (have < DtPrecision::kHour) r.hour = high ? 23 : 0;
  if (have < DtPrecision::kMinute) r.minute = high ? 59 : 0;
  if (have < DtPrecision::kSecond) r.second = high ? 59 : 0;
  if (have < DtPrecision::kMillisecond) r.millis = high ? 999 : 0;
  if (kind == ItemKind::kDateTime && !dt.has_tz && target >= DtPrecision::kHour) {
    // The unknown zone widens the range: earliest at +14:00, latest at -12:00.
    r.has_tz = true;
    r.tz_z = false;
    r.tz_minutes = high ? -12 * 60 : 14 * 60;
  }
  r.precision = target;
  if (target < DtPrecision::kMonth) r.month = 0;
  if (target < DtPrecision::kDay) r.day = 0;
  if (target < DtPrecision::kHour) r.hour = 0;
  if (target < DtPrecision::kMinute) r.minute = 0;
  if (target < DtPrecision::kSecond) r.second = 0;
  if (target < DtPrecision::kMillisecond) r.millis = 0;
  *out = r;
  return true;
}

DateTime DateTimeFromMicros(Micros t) {
  DateTime dt;
  FromMillis(t / 1000, &dt);
  dt.precision = DtPrecision::kMillisecond;
  dt.has_tz = true;
  dt.tz_z = true;
  return dt;
}

}  // namespace hestia::fhirpath
