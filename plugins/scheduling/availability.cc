// Availability rules of a Schedule. See availability.h.
//
// Civil-date arithmetic (UTC text, weekdays, date iteration) is done here with integers; ICU
// is used only where the zone's rules matter: turning a local wall-clock time into an instant.
#include "availability.h"

#include <unicode/gregocal.h>
#include <unicode/timezone.h>
#include <unicode/ucal.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <memory>
#include <utility>

namespace hestia::scheduling {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86'400;
constexpr int64_t kMicrosPerDay = kSecondsPerDay * kMicrosPerSecond;
constexpr int kMaxMinutes = 1440;
constexpr int kMaxCapacity = 1000;
constexpr std::array<const char*, 7> kDayCodes = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

struct CivilDate {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Days from 1970-01-01 to y-m-d, and back, in the proleptic Gregorian calendar (<chrono>'s;
// the plug-in links none of the server's libraries).
constexpr int64_t DaysFromCivil(int64_t y, int m, int d) {
  return std::chrono::sys_days{std::chrono::year{static_cast<int>(y)} /
                               std::chrono::month{static_cast<unsigned>(m)} /
                               std::chrono::day{static_cast<unsigned>(d)}}
      .time_since_epoch()
      .count();
}

CivilDate CivilFromDays(int64_t z) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{z}}};
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

// 0 = Monday ... 6 = Sunday; 1970-01-01 was a Thursday.
int WeekdayFromDays(int64_t z) { return static_cast<int>(((z % 7) + 7 + 3) % 7); }

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// The instants FHIR can write: 0001-01-01T00:00:00Z up to (not including) year 10000.
constexpr int64_t kMinMicros = DaysFromCivil(1, 1, 1) * kMicrosPerDay;
constexpr int64_t kEndMicros = DaysFromCivil(10000, 1, 1) * kMicrosPerDay;

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

// "YYYY-MM-DD" with FHIR's year range (0001-9999) and a real day of the month.
std::optional<CivilDate> ParseDate(std::string_view s) {
  int y = 0;
  int m = 0;
  int d = 0;
  if (s.size() < 10 || !Digits(s, 0, 4, &y) || s[4] != '-' || !Digits(s, 5, 2, &m) || s[7] != '-' ||
      !Digits(s, 8, 2, &d)) {
    return std::nullopt;
  }
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return std::nullopt;
  return CivilDate{y, m, d};
}

// A known IANA zone, or null. createTimeZone alone is not enough: it answers "Etc/Unknown"
// for unknown ids and accepts custom ids such as "GMT+05:00", which are not IANA zones and
// carry no DST rules; getCanonicalID tells the system (tz database) ids apart.
std::unique_ptr<icu::TimeZone> CreateZone(const std::string& id) {
  if (id.empty()) return nullptr;
  const icu::UnicodeString uid = icu::UnicodeString::fromUTF8(id);
  icu::UnicodeString canonical;
  UBool is_system = false;
  UErrorCode status = U_ZERO_ERROR;
  icu::TimeZone::getCanonicalID(uid, canonical, is_system, status);
  if (U_FAILURE(status) || !is_system) return nullptr;
  std::unique_ptr<icu::TimeZone> zone(icu::TimeZone::createTimeZone(uid));
  if (zone == nullptr) return nullptr;
  icu::UnicodeString got;
  zone->getID(got);
  if (got == icu::UnicodeString(UCAL_UNKNOWN_ZONE_ID, -1, US_INV)) return nullptr;
  return zone;
}

// Turns local wall-clock times of one zone into instants. One per call of the public
// functions: an ICU calendar is mutable and so not shared between threads.
class LocalClock {
 public:
  static std::unique_ptr<LocalClock> Create(const std::string& time_zone) {
    std::unique_ptr<icu::TimeZone> zone = CreateZone(time_zone);
    if (zone == nullptr) return nullptr;
    UErrorCode status = U_ZERO_ERROR;
    // The calendar adopts the zone even when construction fails.
    auto calendar = std::make_unique<icu::GregorianCalendar>(zone.release(), status);
    if (U_FAILURE(status)) return nullptr;
    // Proleptic Gregorian: FHIR dates are Gregorian back to year 1, not Julian before 1582.
    calendar->setGregorianChange(U_DATE_MIN, status);
    if (U_FAILURE(status)) return nullptr;
    calendar->setSkippedWallTimeOption(UCAL_WALLTIME_NEXT_VALID);
    calendar->setRepeatedWallTimeOption(UCAL_WALLTIME_FIRST);
    return std::unique_ptr<LocalClock>(new LocalClock(std::move(calendar)));
  }

  // The instant of `second_of_day` (0..86400) on the local date `days` (days since
  // 1970-01-01 of the civil calendar). 86400 is the next day's local midnight.
  std::optional<int64_t> ToUtc(int64_t days, int64_t second_of_day) {
    if (second_of_day == kSecondsPerDay) {
      ++days;
      second_of_day = 0;
    }
    const CivilDate date = CivilFromDays(days);
    // Year 10000 only as the end of 9999-12-31.
    if (date.year < 1 || date.year > 10000) return std::nullopt;
    calendar_->clear();
    calendar_->set(static_cast<int32_t>(date.year), date.month - 1, date.day,
                   static_cast<int32_t>(second_of_day / 3600),
                   static_cast<int32_t>(second_of_day / 60 % 60),
                   static_cast<int32_t>(second_of_day % 60));
    UErrorCode status = U_ZERO_ERROR;
    const UDate millis = calendar_->getTime(status);
    if (U_FAILURE(status) || !std::isfinite(millis)) return std::nullopt;
    // Whole seconds (wall times and zone offsets are), far inside int64 for years 1..9999.
    return static_cast<int64_t>(std::llround(millis)) * 1000;
  }

 private:
  explicit LocalClock(std::unique_ptr<icu::GregorianCalendar> calendar)
      : calendar_(std::move(calendar)) {}

  std::unique_ptr<icu::GregorianCalendar> calendar_;
};

// A date (local midnight, or the next one with `end_of_day`) or an instant.
std::optional<int64_t> ParseBound(std::string_view text, LocalClock* clock, bool end_of_day) {
  if (text.size() != 10) return ParseInstant(text);
  const std::optional<CivilDate> date = ParseDate(text);
  if (!date) return std::nullopt;
  return clock->ToUtc(DaysFromCivil(date->year, date->month, date->day),
                      end_of_day ? kSecondsPerDay : 0);
}

// --- Reading the extension -------------------------------------------------------------

constexpr const char* kPrefix = "schedule-availability.";

bool IsValueKey(std::string_view key) { return key.size() > 5 && key.substr(0, 5) == "value"; }

// The member `key` (e.g. "valueCode") of an extension when it is its only value[x]; null when
// the value is missing or given as another type.
const rapidjson::Value* ValueOf(const rapidjson::Value& ext, const char* key) {
  const rapidjson::Value* found = nullptr;
  for (auto it = ext.MemberBegin(); it != ext.MemberEnd(); ++it) {
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    if (!IsValueKey(name)) continue;
    if (name != key || found != nullptr) return nullptr;
    found = &it->value;
  }
  return found;
}

// A FHIR code: non-empty, no leading or trailing whitespace, no whitespace other than single
// spaces. FHIR R4: http://hl7.org/fhir/R4/datatypes.html#code
std::optional<std::string> CodeOf(const rapidjson::Value& ext) {
  const rapidjson::Value* v = ValueOf(ext, "valueCode");
  if (v == nullptr || !v->IsString() || v->GetStringLength() == 0) return std::nullopt;
  std::string code(v->GetString(), v->GetStringLength());
  if (code.front() == ' ' || code.back() == ' ') return std::nullopt;
  for (std::size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (c == '\t' || c == '\n' || c == '\r' ||
        (c == ' ' && i + 1 < code.size() && code[i + 1] == ' ')) {
      return std::nullopt;
    }
  }
  return code;
}

// An integer value[x] of type `key` within [low, high]. JSON 30.0 is not an integer in FHIR.
std::optional<int> IntOf(const rapidjson::Value& ext, const char* key, int low, int high) {
  const rapidjson::Value* v = ValueOf(ext, key);
  if (v == nullptr || !v->IsInt64()) return std::nullopt;
  const int64_t n = v->GetInt64();
  if (n < low || n > high) return std::nullopt;
  return static_cast<int>(n);
}

// "hh:mm" or "hh:mm:ss" as seconds since midnight. With `allow_midnight_end`, "24:00" and
// "24:00:00" give 86400: FHIR time stops at 23:59:59, so an end of day cannot be written
// otherwise.
std::optional<int> TimeOf(const rapidjson::Value& ext, bool allow_midnight_end) {
  const rapidjson::Value* v = ValueOf(ext, "valueTime");
  if (v == nullptr || !v->IsString()) return std::nullopt;
  const std::string_view s(v->GetString(), v->GetStringLength());
  int hh = 0;
  int mm = 0;
  int ss = 0;
  if ((s.size() != 5 && s.size() != 8) || !Digits(s, 0, 2, &hh) || s[2] != ':' ||
      !Digits(s, 3, 2, &mm)) {
    return std::nullopt;
  }
  if (s.size() == 8 && (s[5] != ':' || !Digits(s, 6, 2, &ss))) return std::nullopt;
  if (allow_midnight_end && hh == 24 && mm == 0 && ss == 0) return kSecondsPerDay;
  if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  return hh * 3600 + mm * 60 + ss;
}

std::string_view UrlOf(const rapidjson::Value& ext) {
  if (!ext.IsObject()) return {};
  const auto url = ext.FindMember("url");
  if (url == ext.MemberEnd() || !url->value.IsString()) return {};
  return {url->value.GetString(), url->value.GetStringLength()};
}

// The sub-extensions of a complex extension, or null when it has none (or a value[x]).
const rapidjson::Value* SubExtensionsOf(const rapidjson::Value& ext) {
  if (!ext.IsObject()) return nullptr;
  for (auto it = ext.MemberBegin(); it != ext.MemberEnd(); ++it) {
    if (IsValueKey({it->name.GetString(), it->name.GetStringLength()})) return nullptr;
  }
  const auto subs = ext.FindMember("extension");
  if (subs == ext.MemberEnd() || !subs->value.IsArray() || subs->value.Empty()) return nullptr;
  return &subs->value;
}

bool Fail(std::string* error, std::string message) {
  *error = std::move(message);
  return false;
}

bool ParseWindow(const rapidjson::Value& ext, const std::string& where, WeeklyWindow* window,
                 std::string* error) {
  const rapidjson::Value* subs = SubExtensionsOf(ext);
  if (subs == nullptr) {
    return Fail(error, where +
                           " must be a complex extension with daysOfWeek, availableStartTime "
                           "and availableEndTime");
  }
  std::optional<int> start;
  std::optional<int> end;
  for (const rapidjson::Value& sub : subs->GetArray()) {
    const std::string_view url = UrlOf(sub);
    if (url == "daysOfWeek") {
      const std::optional<std::string> code = CodeOf(sub);
      const auto* day =
          code ? std::find(kDayCodes.begin(), kDayCodes.end(), *code) : kDayCodes.end();
      if (day == kDayCodes.end()) {
        return Fail(error, where +
                               ".daysOfWeek must be a valueCode: mon, tue, wed, thu, fri, sat "
                               "or sun");
      }
      window->days.push_back(static_cast<int>(day - kDayCodes.begin()));
    } else if (url == "availableStartTime" || url == "availableEndTime") {
      const bool is_end = url == "availableEndTime";
      std::optional<int>& slot = is_end ? end : start;
      const std::string name(url);
      if (slot) return Fail(error, where + "." + name + " appears more than once");
      slot = TimeOf(sub, is_end);
      if (!slot) {
        return Fail(error, where + "." + name + " must be a valueTime hh:mm or hh:mm:ss" +
                               (is_end ? " (24:00 for the end of the day)" : ""));
      }
    } else {
      return Fail(error, where + " has an unknown sub-extension '" + std::string(url) + "'");
    }
  }
  if (window->days.empty()) return Fail(error, where + ".daysOfWeek is required");
  if (!start) return Fail(error, where + ".availableStartTime is required");
  if (!end) return Fail(error, where + ".availableEndTime is required");
  if (*end <= *start) {
    return Fail(error, where + ".availableEndTime must be after availableStartTime");
  }
  std::sort(window->days.begin(), window->days.end());
  window->days.erase(std::unique(window->days.begin(), window->days.end()), window->days.end());
  window->start_second = *start;
  window->end_second = *end;
  return true;
}

// notAvailable needs the time zone (for date bounds), so it is read after timeZone.
bool ParseNotAvailable(const rapidjson::Value& ext, const std::string& where, LocalClock* clock,
                       Unavailable* out, std::string* error) {
  const rapidjson::Value* subs = SubExtensionsOf(ext);
  if (subs == nullptr) {
    return Fail(error, where + " must be a complex extension with during and description");
  }
  bool has_during = false;
  bool has_description = false;
  const std::string bad_during =
      where +
      ".during must be a valuePeriod whose start and end are FHIR dates or dateTimes with "
      "seconds and a time zone";
  for (const rapidjson::Value& sub : subs->GetArray()) {
    const std::string_view url = UrlOf(sub);
    if (url == "description") {
      const rapidjson::Value* v = ValueOf(sub, "valueString");
      if (has_description || v == nullptr || !v->IsString()) {
        return Fail(error, where + ".description must be a single valueString");
      }
      has_description = true;
      out->description.assign(v->GetString(), v->GetStringLength());
    } else if (url == "during") {
      const rapidjson::Value* v = ValueOf(sub, "valuePeriod");
      if (has_during) return Fail(error, where + ".during appears more than once");
      if (v == nullptr || !v->IsObject()) return Fail(error, bad_during);
      has_during = true;
      for (const auto& [key, end_of_day] : {std::pair("start", false), std::pair("end", true)}) {
        const auto bound = v->FindMember(key);
        if (bound == v->MemberEnd()) continue;
        if (!bound->value.IsString()) return Fail(error, bad_during);
        const std::optional<int64_t> micros = ParseBound(
            {bound->value.GetString(), bound->value.GetStringLength()}, clock, end_of_day);
        if (!micros) return Fail(error, bad_during);
        (end_of_day ? out->end_micros : out->start_micros) = micros;
      }
    } else {
      return Fail(error, where + " has an unknown sub-extension '" + std::string(url) + "'");
    }
  }
  if (!has_during) return Fail(error, where + ".during is required");
  // An empty period blocks nothing under half-open overlap, so it can only be a mistake
  // (start = 2026-12-26, end = 2026-12-25 gives one here).
  if (out->start_micros && out->end_micros && *out->end_micros <= *out->start_micros) {
    return Fail(error, where + ".during must end after it starts");
  }
  return true;
}

bool ParseAvailabilityImpl(const rapidjson::Value& schedule, AvailabilityRules* rules,
                           std::string* error) {
  error->clear();
  if (!schedule.IsObject()) return false;
  const auto extensions = schedule.FindMember("extension");
  if (extensions == schedule.MemberEnd() || !extensions->value.IsArray()) return false;
  const rapidjson::Value* ext = nullptr;
  for (const rapidjson::Value& candidate : extensions->value.GetArray()) {
    if (UrlOf(candidate) != kAvailabilityUrl) continue;
    if (ext != nullptr) {
      return Fail(error, "Schedule has more than one schedule-availability extension");
    }
    ext = &candidate;
  }
  if (ext == nullptr) return false;
  const rapidjson::Value* subs = SubExtensionsOf(*ext);
  if (subs == nullptr) {
    return Fail(error,
                "schedule-availability must be a complex extension (sub-extensions "
                "timeZone, slotMinutes, availableTime, ...)");
  }

  AvailabilityRules parsed;
  bool seen_zone = false;
  bool seen_slot = false;
  bool seen_before = false;
  bool seen_after = false;
  bool seen_capacity = false;
  std::vector<const rapidjson::Value*> not_available;
  for (const rapidjson::Value& sub : subs->GetArray()) {
    const std::string_view url = UrlOf(sub);
    const std::string name(url);
    const auto once = [&](bool* seen) {
      if (*seen) return Fail(error, kPrefix + name + " appears more than once");
      *seen = true;
      return true;
    };
    if (url == "timeZone") {
      if (!once(&seen_zone)) return false;
      const std::optional<std::string> code = CodeOf(sub);
      if (!code || CreateZone(*code) == nullptr) {
        return Fail(error, kPrefix + name + " must be a valueCode naming an IANA time zone" +
                               (code ? " ('" + *code + "' is not one)" : ""));
      }
      parsed.time_zone = *code;
    } else if (url == "slotMinutes") {
      if (!once(&seen_slot)) return false;
      const std::optional<int> n = IntOf(sub, "valuePositiveInt", 1, kMaxMinutes);
      if (!n) return Fail(error, kPrefix + name + " must be a positiveInt from 1 to 1440");
      parsed.slot_minutes = *n;
    } else if (url == "bufferBeforeMinutes" || url == "bufferAfterMinutes") {
      const bool before = url == "bufferBeforeMinutes";
      if (!once(before ? &seen_before : &seen_after)) return false;
      const std::optional<int> n = IntOf(sub, "valueUnsignedInt", 0, kMaxMinutes);
      if (!n) return Fail(error, kPrefix + name + " must be an unsignedInt from 0 to 1440");
      (before ? parsed.buffer_before_minutes : parsed.buffer_after_minutes) = *n;
    } else if (url == "capacity") {
      if (!once(&seen_capacity)) return false;
      const std::optional<int> n = IntOf(sub, "valuePositiveInt", 1, kMaxCapacity);
      if (!n) return Fail(error, kPrefix + name + " must be a positiveInt from 1 to 1000");
      parsed.capacity = *n;
    } else if (url == "availableTime") {
      const std::string where = kPrefix + name + "[" + std::to_string(parsed.windows.size()) + "]";
      WeeklyWindow window;
      if (!ParseWindow(sub, where, &window, error)) return false;
      parsed.windows.push_back(std::move(window));
    } else if (url == "notAvailable") {
      not_available.push_back(&sub);
    } else if (url.empty()) {
      return Fail(error, "schedule-availability has a sub-extension without a url");
    } else {
      return Fail(error, "schedule-availability has an unknown sub-extension '" + name + "'");
    }
  }
  if (!seen_zone) return Fail(error, std::string(kPrefix) + "timeZone is required");
  if (!seen_slot) return Fail(error, std::string(kPrefix) + "slotMinutes is required");

  std::unique_ptr<LocalClock> clock = LocalClock::Create(parsed.time_zone);
  if (clock == nullptr) {
    return Fail(error, std::string(kPrefix) + "timeZone could not be loaded");
  }
  for (const rapidjson::Value* sub : not_available) {
    const std::string where =
        std::string(kPrefix) + "notAvailable[" + std::to_string(parsed.not_available.size()) + "]";
    Unavailable period;
    if (!ParseNotAvailable(*sub, where, clock.get(), &period, error)) return false;
    parsed.not_available.push_back(std::move(period));
  }
  *rules = std::move(parsed);
  return true;
}

// --- Expansion -------------------------------------------------------------------------

// Checked again here because rules may be built by hand, and a zero slot length would never
// end the loop below.
bool ValidRules(const AvailabilityRules& rules, std::string* error) {
  if (rules.slot_minutes < 1 || rules.slot_minutes > kMaxMinutes) {
    return Fail(error, "slot_minutes must be from 1 to 1440");
  }
  if (rules.buffer_before_minutes < 0 || rules.buffer_before_minutes > kMaxMinutes ||
      rules.buffer_after_minutes < 0 || rules.buffer_after_minutes > kMaxMinutes) {
    return Fail(error, "buffer minutes must be from 0 to 1440");
  }
  for (const WeeklyWindow& w : rules.windows) {
    if (w.start_second < 0 || w.end_second > kSecondsPerDay || w.end_second <= w.start_second) {
      return Fail(error, "a window must satisfy 0 <= start_second < end_second <= 86400");
    }
    for (int day : w.days) {
      if (day < 0 || day > 6) return Fail(error, "window days must be from 0 to 6");
    }
  }
  return true;
}

bool Blocked(const AvailabilityRules& rules, int64_t start, int64_t end) {
  for (const Unavailable& u : rules.not_available) {
    const bool starts_before_end = !u.end_micros || start < *u.end_micros;
    const bool ends_after_start = !u.start_micros || *u.start_micros < end;
    if (starts_before_end && ends_after_start) return true;
  }
  return false;
}

bool ExpandAvailabilityImpl(const AvailabilityRules& rules, int64_t from_micros, int64_t to_micros,
                            std::vector<SlotTime>* slots, std::string* error) {
  slots->clear();
  error->clear();
  if (!ValidRules(rules, error)) return false;
  std::unique_ptr<LocalClock> clock = LocalClock::Create(rules.time_zone);
  if (clock == nullptr) {
    return Fail(error, "unknown time zone '" + rules.time_zone + "'");
  }
  if (to_micros <= from_micros) return true;
  // Compared in days so that extreme inputs cannot overflow.
  if (FloorDiv(to_micros, kMicrosPerDay) - FloorDiv(from_micros, kMicrosPerDay) >
      kMaxExpansionDays) {
    return Fail(error, "the range is longer than " + std::to_string(kMaxExpansionDays) + " days");
  }
  const int64_t from = std::max(from_micros, kMinMicros);
  const int64_t to = std::min(to_micros, kEndMicros);
  if (to <= from) return true;

  const int64_t slot = int64_t{rules.slot_minutes} * 60 * kMicrosPerSecond;
  const int64_t before = int64_t{rules.buffer_before_minutes} * 60 * kMicrosPerSecond;
  const int64_t after = int64_t{rules.buffer_after_minutes} * 60 * kMicrosPerSecond;
  // A local date differs from the UTC date by less than a day (offsets stay under 24 hours),
  // so two days of margin each side cover every local date whose windows can reach the range.
  const int64_t first_day = FloorDiv(from, kMicrosPerDay) - 2;
  const int64_t last_day = FloorDiv(to - 1, kMicrosPerDay) + 2;
  for (int64_t day = first_day; day <= last_day; ++day) {
    const int weekday = WeekdayFromDays(day);
    for (const WeeklyWindow& w : rules.windows) {
      if (std::find(w.days.begin(), w.days.end(), weekday) == w.days.end()) continue;
      const std::optional<int64_t> u1 = clock->ToUtc(day, w.start_second);
      const std::optional<int64_t> u2 = clock->ToUtc(day, w.end_second);
      if (!u1 || !u2) continue;  // Outside years 1..9999.
      for (int64_t t = *u1;;) {
        const int64_t start = t + before;
        const int64_t end = start + slot;
        if (end + after > *u2) break;
        if (start >= from && start < to && !Blocked(rules, start, end)) {
          slots->push_back({start, end});
        }
        t = end + after;
      }
    }
  }
  std::sort(slots->begin(), slots->end(),
            [](const SlotTime& a, const SlotTime& b) { return a.start_micros < b.start_micros; });
  slots->erase(std::unique(slots->begin(), slots->end(),
                           [](const SlotTime& a, const SlotTime& b) {
                             return a.start_micros == b.start_micros;
                           }),
               slots->end());
  return true;
}

}  // namespace

bool ParseAvailability(const rapidjson::Value& schedule, AvailabilityRules* rules,
                       std::string* error) {
  // ICU and the standard library may throw (bad_alloc); the plug-in's callers expect values.
  try {
    return ParseAvailabilityImpl(schedule, rules, error);
  } catch (const std::exception& e) {
    return Fail(error, std::string("schedule-availability could not be read: ") + e.what());
  }
}

bool ExpandAvailability(const AvailabilityRules& rules, int64_t from_micros, int64_t to_micros,
                        std::vector<SlotTime>* slots, std::string* error) {
  try {
    return ExpandAvailabilityImpl(rules, from_micros, to_micros, slots, error);
  } catch (const std::exception& e) {
    slots->clear();
    return Fail(error, std::string("availability could not be expanded: ") + e.what());
  }
}

std::string FormatInstant(int64_t micros) {
  const int64_t days = FloorDiv(micros, kMicrosPerDay);
  const int64_t in_day = micros - days * kMicrosPerDay;
  const int64_t secs = in_day / kMicrosPerSecond;
  const int64_t fraction = in_day % kMicrosPerSecond;
  const CivilDate date = CivilFromDays(days);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d",
                static_cast<long long>(date.year), date.month, date.day,
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60));
  std::string out = buf;
  if (fraction != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(fraction));
    std::string digits = buf;
    digits.erase(digits.find_last_not_of('0') + 1);
    out += digits;
  }
  out += 'Z';
  return out;
}

std::optional<int64_t> ParseInstant(std::string_view s) {
  const std::optional<CivilDate> date = ParseDate(s);
  int hh = 0;
  int mi = 0;
  int ss = 0;
  if (!date || s.size() < 20 || s[10] != 'T' || !Digits(s, 11, 2, &hh) || s[13] != ':' ||
      !Digits(s, 14, 2, &mi) || s[16] != ':' || !Digits(s, 17, 2, &ss) || hh > 23 || mi > 59 ||
      ss > 59) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  int64_t fraction = 0;
  if (s[pos] == '.') {
    ++pos;
    const std::size_t first = pos;
    int64_t scale = kMicrosPerSecond;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      // Digits past the sixth are below a microsecond: truncated, as the server stores.
      if (scale > 1) {
        scale /= 10;
        fraction += (s[pos] - '0') * scale;
      }
      ++pos;
    }
    if (pos == first || pos - first > 9) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset_seconds = 0;
  if (s[pos] == 'Z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh = 0;
    int om = 0;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om) || om > 59 || oh > 14 || (oh == 14 && om != 0)) {
      return std::nullopt;
    }
    offset_seconds = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const int64_t local_seconds =
      DaysFromCivil(date->year, date->month, date->day) * kSecondsPerDay + hh * 3600 + mi * 60 + ss;
  return (local_seconds - offset_seconds) * kMicrosPerSecond + fraction;
}

std::optional<int64_t> ParseDateOrInstant(std::string_view text, const std::string& time_zone,
                                          bool end_of_day) {
  try {
    std::unique_ptr<LocalClock> clock = LocalClock::Create(time_zone);
    if (clock == nullptr) return std::nullopt;
    return ParseBound(text, clock.get(), end_of_day);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace hestia::scheduling
