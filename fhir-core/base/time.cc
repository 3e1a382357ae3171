// Instants and FHIR date/time text. See time.h.
#include "hestia/base/time.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace hestia {
namespace {

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's algorithm.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

constexpr Micros kMicrosPerSecond = 1'000'000;
constexpr Micros kMicrosPerDay = 86'400 * kMicrosPerSecond;

Micros At(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) * kMicrosPerDay +
         (static_cast<Micros>(hh) * 3600 + mm * 60 + ss) * kMicrosPerSecond;
}

Status BadDate(std::string_view text) {
  return InvalidError("'" + std::string(text) + "' is not a valid FHIR date, dateTime or instant");
}

}  // namespace

Micros NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatInstant(Micros t) {
  const Micros ms = TruncateToMillis(t);
  std::time_t secs = static_cast<std::time_t>(ms / kMicrosPerSecond);
  if (ms < 0 && ms % kMicrosPerSecond != 0) --secs;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  const auto millis =
      static_cast<int>(((ms % kMicrosPerSecond) + kMicrosPerSecond) % kMicrosPerSecond / 1000);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

Result<TimeRange> ParseFhirDateTime(std::string_view s) {
  int y = 0;
  int m = 1;
  int d = 1;
  if (!Digits(s, 0, 4, &y) || y < 1) return BadDate(s);
  if (s.size() == 4) return TimeRange{At(y, 1, 1), At(y + 1, 1, 1)};
  if (s[4] != '-' || !Digits(s, 5, 2, &m) || m < 1 || m > 12) return BadDate(s);
  if (s.size() == 7) {
    return TimeRange{At(y, m, 1), m == 12 ? At(y + 1, 1, 1) : At(y, m + 1, 1)};
  }
  if (s[7] != '-' || !Digits(s, 8, 2, &d) || d < 1 || d > DaysInMonth(y, m)) return BadDate(s);
  if (s.size() == 10) {
    const Micros low = At(y, m, d);
    return TimeRange{low, low + kMicrosPerDay};
  }
  int hh = 0;
  int mi = 0;
  int ss = 0;
  if (s[10] != 'T' || !Digits(s, 11, 2, &hh) || hh > 23 || s.size() < 16 || s[13] != ':' ||
      !Digits(s, 14, 2, &mi) || mi > 59) {
    return BadDate(s);
  }
  std::size_t pos = 16;
  Micros precision = 60 * kMicrosPerSecond;
  Micros fraction = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!Digits(s, pos + 1, 2, &ss) || ss > 59) return BadDate(s);
    pos += 3;
    precision = kMicrosPerSecond;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      Micros scale = kMicrosPerSecond;
      const std::size_t start = pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (scale > 1) {
          scale /= 10;
          fraction += (s[pos] - '0') * scale;
        }
        ++pos;
      }
      if (pos == start) return BadDate(s);
      precision = std::max<Micros>(scale, 1);
    }
  }
  Micros offset = 0;
  if (pos >= s.size()) {
    return InvalidError("'" + std::string(s) + "' has a time but no time zone");
  }
  if (s[pos] == 'Z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh = 0;
    int om = 0;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om) || oh > 14 || om > 59) {
      return BadDate(s);
    }
    offset = (static_cast<Micros>(oh) * 3600 + om * 60) * kMicrosPerSecond;
    if (s[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return BadDate(s);
  }
  if (pos != s.size()) return BadDate(s);
  const Micros low = At(y, m, d, hh, mi, ss) + fraction - offset;
  return TimeRange{low, low + precision};
}

std::string FormatHttpDate(Micros t) {
  std::time_t secs = static_cast<std::time_t>(t / kMicrosPerSecond);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

Result<Micros> ParseHttpDate(std::string_view text) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  const std::string_view s = text;
  int d = 0;
  int y = 0;
  int hh = 0;
  int mi = 0;
  int ss = 0;
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || !Digits(s, 5, 2, &d) || s[7] != ' ' ||
      s[11] != ' ' || !Digits(s, 12, 4, &y) || s[16] != ' ' || !Digits(s, 17, 2, &hh) ||
      s[19] != ':' || !Digits(s, 20, 2, &mi) || s[22] != ':' || !Digits(s, 23, 2, &ss) ||
      s.substr(25) != " GMT") {
    return InvalidError("'" + std::string(text) + "' is not an HTTP date (IMF-fixdate)");
  }
  int month = 0;
  for (int i = 0; i < 12; ++i) {
    if (s.substr(8, 3) == kMonths[i]) month = i + 1;
  }
  if (month == 0 || d < 1 || d > DaysInMonth(y, month) || hh > 23 || mi > 59 || ss > 60) {
    return InvalidError("'" + std::string(text) + "' is not an HTTP date (IMF-fixdate)");
  }
  return At(y, month, d, hh, mi, ss);
}

}  // namespace hestia
