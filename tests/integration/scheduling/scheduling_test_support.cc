// The shared server and helpers of the scheduling integration tests. See
// scheduling_test_support.h.
// FHIR R4: http://hl7.org/fhir/R4/appointment.html, http://hl7.org/fhir/R4/operations.html
#include "scheduling_test_support.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>
#include <thread>

#include "cluster_test_support.h"
#include "hestia/base/id.h"

namespace hestia::testing::scheduling {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<ServerProcess> g_server;

// A plug-ins folder (0755, root-owned, no symlinks: the loader refuses anything else) holding
// a copy of the freshly built plug-in and the server's hestia.yaml.
std::string MakePluginDir() {
  std::string dir = MakeTempDir("hestia-scheduling-it");
  const std::string so = dir + "/scheduling.so";
  fs::copy_file(HESTIA_SCHEDULING_PLUGIN, so, fs::copy_options::overwrite_existing);
  chmod(so.c_str(), 0755);
  // The hourly materialize job runs once at start-up (nothing to do then) and not again during
  // the tests, so that only the tests' own $materialize calls create and remove Slots.
  std::ofstream(dir + "/hestia.yaml")
      << "plugins:\n"
      << "  dir: " << dir << "\n"
      << "  list:\n"
      << "    - name: scheduling\n"
      << "      file: scheduling.so\n"
      << "      config:\n"
      << "        hold_ttl_seconds: " << kHoldTtlSeconds << "\n"
      << "        expire_every_seconds: " << kExpireEverySeconds << "\n"
      << "        materialize_every_seconds: 86400\n";
  chmod((dir + "/hestia.yaml").c_str(), 0644);
  return dir;
}

class SchedulingServer : public ::testing::Environment {
 public:
  void SetUp() override {
    plugin_dir_ = MakePluginDir();
    const std::string& dir = plugin_dir_;
    ServerProcess::Options options;
    options.extra_args = {"--config", dir + "/hestia.yaml"};
    auto started = ServerProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    g_server = std::move(started).value();
    // The install-definitions job writes the extension StructureDefinitions shortly after
    // start-up; every test uses those extensions.
    const bool installed = WaitFor(
        [] {
          HttpResponse r =
              Send("GET", "/fhir/StructureDefinition?url=" + std::string(kHoldExpiresUrl));
          json::Document doc = Parse(r.body);
          const json::Value* entries = json::Member(doc, "entry");
          return r.status == 200 && entries != nullptr && entries->IsArray() && !entries->Empty();
        },
        std::chrono::seconds(60));
    ASSERT_TRUE(installed) << g_server->LogTail();
  }
  void TearDown() override {
    std::error_code ignored;
    if (g_server) {
      EXPECT_EQ(g_server->Stop(), 0) << g_server->LogTail();
      // The data folder (cluster and server log) stays for a look when something failed.
      if (::testing::UnitTest::GetInstance()->Passed()) {
        fs::remove_all(g_server->data_dir(), ignored);
      } else {
        std::printf("scheduling server data and log kept in %s\n", g_server->data_dir().c_str());
      }
      g_server.reset();
    }
    if (!plugin_dir_.empty()) fs::remove_all(plugin_dir_, ignored);
  }

 private:
  std::string plugin_dir_;
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new SchedulingServer);

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

ServerProcess& Server() { return *g_server; }

HttpResponse Send(std::string_view method, std::string_view target, std::string_view body,
                  std::string_view content_type) {
  if (!g_server) {
    ADD_FAILURE() << "the scheduling server did not start";
    return {};
  }
  HttpClient client("127.0.0.1", g_server->port(), 60000);
  std::vector<std::pair<std::string, std::string>> headers;
  if (!body.empty()) headers.emplace_back("Content-Type", std::string(content_type));
  auto r = client.Send(method, target, headers, body);
  EXPECT_TRUE(r.ok()) << method << " " << target << ": " << r.status().ToString();
  return r.ok() ? std::move(r).value() : HttpResponse{};
}

HttpResponse Operation(const std::string& path, const std::vector<std::string>& parameters) {
  std::string body = R"({"resourceType":"Parameters","parameter":[)";
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    body += (i > 0 ? "," : "") + parameters[i];
  }
  return Send("POST", "/fhir/" + path, body + "]}");
}

std::string RefParam(const std::string& name, const std::string& reference) {
  return R"({"name":)" + json::Quote(name) + R"(,"valueReference":{"reference":)" +
         json::Quote(reference) + "}}";
}

std::string StringParam(const std::string& name, const std::string& value) {
  return R"({"name":)" + json::Quote(name) + R"(,"valueString":)" + json::Quote(value) + "}";
}

std::string IntParam(const std::string& name, int value) {
  return R"({"name":)" + json::Quote(name) + R"(,"valueInteger":)" + std::to_string(value) + "}";
}

json::Document Parse(std::string_view text) {
  json::Document doc;
  const Status parsed = json::Parse(text, json::Limits{}, &doc);
  EXPECT_TRUE(parsed.ok()) << parsed.ToString() << "\n" << text;
  if (!parsed.ok()) doc.SetObject();
  return doc;
}

std::string Str(const json::Value& object, const char* name) {
  return std::string(json::StringMember(object, name));
}

bool IsOperationOutcome(const HttpResponse& r) {
  json::Document doc = Parse(r.body);
  return Str(doc, "resourceType") == "OperationOutcome";
}

std::string Diagnostics(const HttpResponse& r) {
  json::Document doc = Parse(r.body);
  if (Str(doc, "resourceType") != "OperationOutcome") return "";
  const json::Value* issue = json::Member(doc, "issue");
  if (issue == nullptr || !issue->IsArray() || issue->Empty()) return "";
  return Str((*issue)[0], "diagnostics");
}

int IntOutput(const HttpResponse& r, const std::string& name) {
  json::Document doc = Parse(r.body);
  const json::Value* list = json::Member(doc, "parameter");
  if (list == nullptr || !list->IsArray()) return -1;
  for (const auto& p : list->GetArray()) {
    if (Str(p, "name") != name) continue;
    const json::Value* v = json::Member(p, "valueInteger");
    if (v != nullptr && v->IsInt()) return v->GetInt();
  }
  return -1;
}

std::vector<const json::Value*> Resources(const json::Value& bundle) {
  std::vector<const json::Value*> out;
  const json::Value* entries = json::Member(bundle, "entry");
  if (entries == nullptr || !entries->IsArray()) return out;
  for (const auto& e : entries->GetArray()) {
    if (const json::Value* r = json::Member(e, "resource"); r != nullptr && r->IsObject()) {
      out.push_back(r);
    }
  }
  return out;
}

std::vector<std::string> SlotRefs(const json::Value& appointment) {
  std::vector<std::string> out;
  const json::Value* slots = json::Member(appointment, "slot");
  if (slots == nullptr || !slots->IsArray()) return out;
  for (const auto& s : slots->GetArray()) out.push_back(Str(s, "reference"));
  return out;
}

std::string ExtensionValue(const json::Value& resource, const char* url) {
  const json::Value* list = json::Member(resource, "extension");
  if (list == nullptr || !list->IsArray()) return "";
  for (const auto& e : list->GetArray()) {
    if (Str(e, "url") != url) continue;
    if (const json::Value* ref = json::Member(e, "valueReference")) return Str(*ref, "reference");
    return Str(e, "valueInstant");
  }
  return "";
}

bool HasTag(const json::Value& resource, const std::string& code) {
  const json::Value* meta = json::Member(resource, "meta");
  const json::Value* tags = meta == nullptr ? nullptr : json::Member(*meta, "tag");
  if (tags == nullptr || !tags->IsArray()) return false;
  for (const auto& t : tags->GetArray()) {
    if (Str(t, "system") == kTagSystem && Str(t, "code") == code) return true;
  }
  return false;
}

std::string ParticipantStatus(const json::Value& appointment, const std::string& actor) {
  const json::Value* list = json::Member(appointment, "participant");
  if (list == nullptr || !list->IsArray()) return "";
  for (const auto& p : list->GetArray()) {
    const json::Value* a = json::Member(p, "actor");
    if (a != nullptr && Str(*a, "reference") == actor) return Str(p, "status");
  }
  return "";
}

std::string Unique(const std::string& prefix) { return prefix + "-" + NewId().substr(0, 8); }

void Put(const std::string& type, const std::string& id, const std::string& body) {
  json::Document doc = Parse(body);
  json::Value value = json::MakeString(id, doc.GetAllocator());
  if (doc.HasMember("id")) {
    doc["id"] = value;
  } else {
    doc.AddMember("id", value, doc.GetAllocator());
  }
  HttpResponse r = Send("PUT", "/fhir/" + type + "/" + id, json::Write(doc));
  EXPECT_TRUE(r.status == 200 || r.status == 201) << type << "/" << id << ": " << r.body;
}

json::Document Read(const std::string& type, const std::string& id) {
  HttpResponse r = Send("GET", "/fhir/" + type + "/" + id);
  EXPECT_EQ(r.status, 200) << type << "/" << id << ": " << r.body;
  return Parse(r.body);
}

std::string SlotStatus(const std::string& slot_id) { return Str(Read("Slot", slot_id), "status"); }

std::string AppointmentStatus(const std::string& id) {
  return Str(Read("Appointment", id), "status");
}

void MakeSchedule(const std::string& schedule, const std::string& practitioner) {
  Put("Practitioner", practitioner,
      R"({"resourceType":"Practitioner","id":)" + json::Quote(practitioner) +
          R"(,"name":[{"family":"Test"}]})");
  Put("Schedule", schedule,
      R"({"resourceType":"Schedule","id":)" + json::Quote(schedule) +
          R"(,"active":true,"actor":[{"reference":)" + json::Quote("Practitioner/" + practitioner) +
          "}]}");
}

void MakePatient(const std::string& id) {
  Put("Patient", id,
      R"({"resourceType":"Patient","id":)" + json::Quote(id) + R"(,"name":[{"family":"Test"}]})");
}

void MakeSlot(const std::string& id, const std::string& schedule, int64_t start_micros, int minutes,
              int capacity, const std::string& extra) {
  std::string body = R"({"resourceType":"Slot","id":)" + json::Quote(id) +
                     R"(,"schedule":{"reference":)" + json::Quote("Schedule/" + schedule) +
                     R"(},"status":"free","start":)" + json::Quote(Instant(start_micros)) +
                     R"(,"end":)" +
                     json::Quote(Instant(start_micros + int64_t{minutes} * kMicrosPerMinute));
  if (capacity != 1) {
    body += R"(,"extension":[{"url":)" + json::Quote(kSlotCapacityUrl) + R"(,"valuePositiveInt":)" +
            std::to_string(capacity) + "}]";
  }
  Put("Slot", id, body + extra + "}");
}

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Instant(int64_t micros) {
  const int64_t seconds = micros / 1000000;
  int64_t days = seconds / 86400;
  int64_t rest = seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  int y = 0, m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
                static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60),
                static_cast<int>(rest % 60));
  return buf;
}

int64_t ParseInstant(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, used = 0;
  const std::string t(text);
  if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) != 6 ||
      used != 19) {
    return -1;
  }
  std::size_t at = 19;
  int64_t fraction = 0;
  if (at < t.size() && t[at] == '.') {
    int64_t scale = 100000;
    for (++at; at < t.size() && t[at] >= '0' && t[at] <= '9'; ++at) {
      fraction += (t[at] - '0') * scale;
      scale /= 10;
    }
  }
  int64_t offset = 0;
  if (at < t.size() && t[at] == 'Z' && at + 1 == t.size()) {
    offset = 0;
  } else if (at + 6 == t.size() && (t[at] == '+' || t[at] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(t.c_str() + at + 1, "%2d:%2d", &oh, &om) != 2) return -1;
    offset = (t[at] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
  } else {
    return -1;
  }
  const int64_t seconds = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
  return seconds * 1000000 + fraction;
}

int64_t UtcMidnightIn(int days) {
  const int64_t now = NowMicros();
  return (now - now % kMicrosPerDay) + int64_t{days} * kMicrosPerDay;
}

// H. Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
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
  *y = static_cast<int>(yoe + era * 400 + (*m <= 2));
}

int IsoWeekday(int64_t days) {
  const int64_t w = ((days % 7) + 7 + 3) % 7;  // 1970-01-01 was a Thursday
  return static_cast<int>(w) + 1;
}

namespace {

// Days since epoch of the last Sunday of `month` in `year`.
int64_t LastSunday(int year, int month) {
  const int64_t last =
      month == 12 ? DaysFromCivil(year + 1, 1, 1) - 1 : DaysFromCivil(year, month + 1, 1) - 1;
  return last - (IsoWeekday(last) % 7);
}

int BerlinOffsetSeconds(int64_t utc_seconds) {
  int y = 0, m = 0, d = 0;
  CivilFromDays(utc_seconds / 86400, &y, &m, &d);
  const int64_t summer_from = LastSunday(y, 3) * 86400 + 3600;
  const int64_t summer_to = LastSunday(y, 10) * 86400 + 3600;
  return utc_seconds >= summer_from && utc_seconds < summer_to ? 7200 : 3600;
}

}  // namespace

int64_t BerlinToUtc(int64_t days, int second_of_day) {
  const int64_t local = days * 86400 + second_of_day;
  const int64_t guess = local - 3600;
  return (local - BerlinOffsetSeconds(guess)) * 1000000;
}

int64_t BerlinDate(int64_t utc_micros) {
  const int64_t seconds = utc_micros / 1000000;
  return (seconds + BerlinOffsetSeconds(seconds)) / 86400;
}

std::string Sql(const std::string& sql) {
  std::ifstream in(Server().data_dir() + "/socket_dir");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string socket_dir = Trim(ss.str());
  EXPECT_FALSE(socket_dir.empty()) << "no socket_dir in " << Server().data_dir();
  const std::string conn = "postgresql:///postgres?host=" + socket_dir + "&port=5432&user=hestia";
  const auto r = storage::testing::Psql(conn, sql);
  EXPECT_EQ(r.exit_code, 0) << sql << "\n" << r.output;
  return r.output;
}

}  // namespace hestia::testing::scheduling
