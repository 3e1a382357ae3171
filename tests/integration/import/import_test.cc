// `hestia import` end to end: a PostgreSQL from `hestia db start`, the import as a child
// process (interrupted with SIGTERM, resumed, re-run), then `hestia serve` on the same database
// to check that every resource is there exactly once and every reference resolves. Also a
// folder of NDJSON, a collection Bundle and a malformed file: the bad file is reported, the
// others load, exit code 1.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "hestia/base/json.h"
#include "http_client.h"
#include "server_process.h"

namespace hestia::testing {
namespace {

namespace fs = std::filesystem;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// `hestia import` as a child process with stdout and stderr in `log`.
class ImportProcess {
 public:
  ImportProcess(const std::vector<std::string>& args, const std::string& log) {
    std::vector<std::string> all = {HestiaBinary(), "import"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~ImportProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Wait();
    }
  }
  void Signal(int sig) const { kill(pid_, sig); }
  // Exit code, or -1 when killed by a signal.
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
};

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("hestia-import");
    db_dir_ = dir_ + "/db";
    ASSERT_EQ(RunCommand({HestiaBinary(), "db", "start", "--data-dir", db_dir_}, &url_), 0);
    url_ = Trim(url_);
    ASSERT_FALSE(url_.empty());
  }
  void TearDown() override {
    RunCommand({HestiaBinary(), "db", "stop", "--data-dir", db_dir_, "--mode", "fast"});
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs the import to completion; returns its exit code and its output in *out.
  int Import(const std::vector<std::string>& paths, std::string* out) {
    std::vector<std::string> args = paths;
    for (const char* a : {"--database-url", url_.c_str(), "--no-progress", "--state-file"}) {
      args.emplace_back(a);
    }
    args.push_back(dir_ + "/state");
    const std::string log = dir_ + "/import.log";
    ImportProcess p(args, log);
    const int code = p.Wait();
    *out = ReadFile(log);
    return code;
  }

  std::unique_ptr<ServerProcess> Serve() {
    ServerProcess::Options options;
    options.database_url = url_;
    auto server = ServerProcess::Start(options);
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    return server.ok() ? std::move(server).value() : nullptr;
  }

  std::string dir_;
  std::string db_dir_;
  std::string url_;
};

json::Document Get(HttpClient& c, const std::string& target, int* status = nullptr) {
  json::Document doc;
  auto r = c.Send("GET", target);
  EXPECT_TRUE(r.ok()) << target;
  if (!r.ok()) return doc;
  if (status != nullptr) *status = r->status;
  EXPECT_TRUE(json::Parse(r->body, {}, &doc).ok()) << r->body.substr(0, 300);
  return doc;
}

long Total(HttpClient& c, const std::string& query) {
  json::Document doc = Get(
      c, "/fhir/" + query + (query.find('?') == std::string::npos ? "?" : "&") + "_summary=count");
  const json::Value* total = json::Member(doc, "total");
  return total != nullptr && total->IsNumber() ? total->GetInt64() : -1;
}

void CollectReferences(const json::Value& v, std::set<std::string>* out) {
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (m.name == "reference" && json::IsText(m.value)) {
        out->emplace(json::AsStringView(m.value));
      } else {
        CollectReferences(m.value, out);
      }
    }
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) CollectReferences(e, out);
  }
}

TEST_F(ImportTest, SyntheaInterruptedResumedAndRerunLoadsEverythingOnce) {
  const fs::path synthea = fs::path(HESTIA_SHARED_DIR) / "data" / "synthea";
  if (!fs::exists(synthea)) GTEST_SKIP() << synthea << " is absent (HESTIA_SHARED_DIR)";

  // Expected content: resources per type, and the patients' identifiers.
  std::map<std::string, long> per_type;
  std::vector<std::string> patient_ids;  // "system|value" of each Patient's first identifier
  for (const auto& f : fs::directory_iterator(synthea)) {
    const std::string name = f.path().filename().string();
    if (f.path().extension() != ".json" || name.rfind("hospital", 0) == 0 ||
        name.rfind("practitioner", 0) == 0) {
      continue;
    }
    json::Document doc;
    json::Limits limits;
    limits.max_bytes = std::size_t{1} << 28;
    ASSERT_TRUE(json::Parse(ReadFile(f.path()), limits, &doc).ok());
    for (const auto& e : doc["entry"].GetArray()) {
      const std::string type(json::StringMember(e["resource"], "resourceType"));
      ++per_type[type];
      if (type == "Patient") {
        const json::Value& id = e["resource"]["identifier"][0];
        patient_ids.push_back(std::string(json::StringMember(id, "system")) + "|" +
                              std::string(json::StringMember(id, "value")));
      }
    }
  }
  ASSERT_EQ(patient_ids.size(), 10U);

  {
    std::vector<std::string> args = {synthea.string(), "--database-url", url_, "--state-file",
                                     dir_ + "/state",  "--workers",      "2"};
    ImportProcess p(args, dir_ + "/interrupted.log");
    // Interrupt once the first file is recorded, with patient transactions in flight.
    for (int i = 0; i < 1200 && ReadFile(dir_ + "/state").empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    p.Signal(SIGTERM);
    const int code = p.Wait();
    const std::string log = ReadFile(dir_ + "/interrupted.log");
    // It may have finished before the signal arrived.
    EXPECT_TRUE(code == 1 || code == 0) << code << "\n" << log;
    if (code == 1) {
      EXPECT_NE(log.find("interrupted"), std::string::npos) << log;
    }
  }
  std::string out;
  ASSERT_EQ(Import({synthea.string()}, &out), 0) << out;
  EXPECT_NE(out.find("0 failed"), std::string::npos) << out;
  // Re-run: everything is skipped, nothing is written.
  ASSERT_EQ(Import({synthea.string()}, &out), 0) << out;
  EXPECT_NE(out.find("12 files: 0 loaded, 12 skipped"), std::string::npos) << out;
  EXPECT_NE(out.find("0 created, 0 updated"), std::string::npos) << out;

  auto server = Serve();
  ASSERT_NE(server, nullptr);
  HttpClient c("127.0.0.1", server->port(), 120000);
  for (const auto& identifier : patient_ids) {
    EXPECT_EQ(Total(c, "Patient?identifier=" + identifier), 1) << identifier;
  }
  for (const auto& [type, count] : per_type) {
    if (type == "Practitioner" || type == "Organization" || type == "Location" ||
        type == "PractitionerRole") {
      continue;  // shared with the hospital and practitioner bundles
    }
    EXPECT_EQ(Total(c, type), count) << type;
  }
  EXPECT_GT(Total(c, "Practitioner"), 0);

  // Every reference in the patients' compartments resolves.
  std::set<std::string> references;
  std::string next = "/fhir/_history?_count=1000";
  std::size_t resources = 0;
  for (int page = 0; page < 100 && !next.empty(); ++page) {
    json::Document doc = Get(c, next);
    next.clear();
    if (const json::Value* entries = json::Member(doc, "entry");
        entries != nullptr && entries->IsArray()) {
      for (const auto& e : entries->GetArray()) {
        if (const json::Value* r = json::Member(e, "resource"); r != nullptr) {
          ++resources;
          if (json::StringMember(*r, "resourceType") != "Organization" &&
              json::StringMember(*r, "resourceType") != "Location") {
            CollectReferences(*r, &references);
          }
        }
      }
    }
    if (const json::Value* links = json::Member(doc, "link"); links != nullptr) {
      for (const auto& l : links->GetArray()) {
        if (json::StringMember(l, "relation") != "next") continue;
        const std::string url(json::StringMember(l, "url"));
        const std::size_t at = url.find("/fhir/");
        if (at != std::string::npos) next = url.substr(at);
      }
    }
  }
  EXPECT_GT(resources, 2000U);
  std::size_t checked = 0;
  for (const auto& ref : references) {
    if (ref.empty() || ref[0] == '#') continue;
    ASSERT_EQ(ref.find(':'), std::string::npos) << "unresolved reference " << ref;
    ASSERT_EQ(ref.find('?'), std::string::npos) << "unresolved conditional reference " << ref;
    int status = 0;
    Get(c, "/fhir/" + ref, &status);
    EXPECT_EQ(status, 200) << ref;
    ++checked;
  }
  EXPECT_GT(checked, 100U);
}

TEST_F(ImportTest, NdjsonCollectionAndABadFile) {
  const fs::path data = fs::path(dir_) / "data";
  fs::create_directories(data / "nested");
  WriteFile(data / "practitioners.ndjson",
            R"({"resourceType":"Practitioner","id":"imp-pr-1","name":[{"family":"One"}]})"
            "\n\n"
            R"({"resourceType":"Practitioner","id":"imp-pr-2","name":[{"family":"Two"}]})"
            "\n"
            R"({"resourceType":"Practitioner","identifier":[{"system":"urn:imp","value":"3"}]})"
            "\n");
  WriteFile(data / "nested" / "orgs.json",
            R"({"resourceType":"Bundle","type":"collection","entry":[
                {"resource":{"resourceType":"Organization","id":"imp-org-1","name":"A"}},
                {"resource":{"resourceType":"Organization","id":"imp-org-2","name":"B"}}]})");
  WriteFile(data / "patient.json",
            R"({"resourceType":"Patient","id":"imp-pat-1",
                "generalPractitioner":[{"reference":"Practitioner/imp-pr-1"}]})");
  WriteFile(data / "bad.json", R"({"resourceType":"Bundle","type":"collection","entry":[)");
  WriteFile(data / "notes.txt", "not imported");

  std::string out;
  EXPECT_EQ(Import({data.string()}, &out), 1) << out;
  EXPECT_NE(out.find("bad.json"), std::string::npos) << out;
  EXPECT_NE(out.find("4 files: 3 loaded, 0 skipped (already imported), 1 failed"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("6 created"), std::string::npos) << out;
  // Re-run: the good files are skipped, the bad one is reported again.
  EXPECT_EQ(Import({data.string()}, &out), 1) << out;
  EXPECT_NE(out.find("0 loaded, 3 skipped"), std::string::npos) << out;

  auto server = Serve();
  ASSERT_NE(server, nullptr);
  HttpClient c("127.0.0.1", server->port(), 60000);
  for (const char* ref :
       {"Practitioner/imp-pr-1", "Practitioner/imp-pr-2", "Organization/imp-org-1",
        "Organization/imp-org-2", "Patient/imp-pat-1"}) {
    int status = 0;
    Get(c, std::string("/fhir/") + ref, &status);
    EXPECT_EQ(status, 200) << ref;
  }
  EXPECT_EQ(Total(c, "Practitioner?identifier=urn:imp|3"), 1);
}

TEST(ImportUsageTest, UsageErrorsExitWith2) {
  EXPECT_EQ(RunCommand({HestiaBinary(), "import"}), 2);
  EXPECT_EQ(RunCommand({HestiaBinary(), "import", "/nonexistent/hestia-import"}), 2);
  EXPECT_EQ(RunCommand({HestiaBinary(), "import", "/tmp", "--workers", "0"}), 2);
}

}  // namespace
}  // namespace hestia::testing
