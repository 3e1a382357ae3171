// The host loader: fixture plug-ins load or are refused with their reason, the file-safety
// rules, failures inside a plug-in staying inside one call, the exported-symbol rule, and the
// docs/plugins.md examples building outside the tree and loading.
// ../shared/ARCHITECTURE.md §6; docs/adr/0009-plugin-abi.md.
#include <gtest/gtest.h>
#include <hestia/plugin.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "hestia/plugins/host.h"

namespace hestia::plugins {
namespace {

namespace fs = std::filesystem;

// A fresh folder (mode 0755) holding copies of fixture plug-ins (mode 0755).
class PluginDir {
 public:
  PluginDir() {
    char tmpl[] = "/tmp/hestia-plugins-XXXXXX";
    path_ = mkdtemp(tmpl);
    chmod(path_.c_str(), 0755);
  }
  ~PluginDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  // Copies fixture `name` (without .so) as `file`.
  void Add(const std::string& name, const std::string& file = "") {
    const std::string to = path_ + "/" + (file.empty() ? name + ".so" : file);
    fs::copy_file(std::string(HESTIA_FIXTURE_DIR) + "/fixture_" + name + ".so", to,
                  fs::copy_options::overwrite_existing);
    chmod(to.c_str(), 0755);
  }

 private:
  std::string path_;
};

PluginConfig Entry(const std::string& name, const std::string& file = "",
                   const std::string& config_json = "{}") {
  PluginConfig c;
  c.name = name;
  c.file = file.empty() ? name + ".so" : file;
  c.config_json = config_json;
  return c;
}

Result<std::unique_ptr<PluginHost>> LoadOne(const PluginDir& dir, const PluginConfig& entry) {
  HostOptions options;
  options.dir = dir.path();
  options.plugins = {entry};
  return PluginHost::Load(options);
}

std::string Refusal(const PluginDir& dir, const PluginConfig& entry) {
  auto host = LoadOne(dir, entry);
  return host.ok() ? std::string("(loaded)") : host.status().message();
}

TEST(PluginLoader, LoadsAPluginBuiltAgainstTheFrozenV10Header) {
  PluginDir dir;
  dir.Add("frozen");
  auto host = LoadOne(dir, Entry("frozen", "", R"({"greeting":"hi there"})"));
  ASSERT_TRUE(host.ok()) << host.status().ToString();
  ASSERT_EQ((*host)->Loaded().size(), 1U);
  EXPECT_EQ((*host)->Loaded()[0].first, "frozen");
  ASSERT_TRUE((*host)->HasOperation(HESTIA_OP_SYSTEM, "", "frozen-ping"));
  OperationCall call;
  call.level = HESTIA_OP_SYSTEM;
  call.name = "frozen-ping";
  call.method = "GET";
  call.parameters = R"({"resourceType":"Parameters"})";
  auto result = (*host)->InvokeOperation(Caller{}, call);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->status, 200);
  EXPECT_NE(result->body.find(R"("valueString":"hi there")"), std::string::npos) << result->body;
}

TEST(PluginLoader, RefusesAPluginWithoutTheEntryPoint) {
  PluginDir dir;
  dir.Add("no_entry");
  EXPECT_NE(Refusal(dir, Entry("no_entry")).find("exports no hestia_plugin_entry_v1"),
            std::string::npos);
}

TEST(PluginLoader, RefusesAWrongMagicNumber) {
  PluginDir dir;
  dir.Add("bad_magic");
  EXPECT_NE(Refusal(dir, Entry("bad_magic")).find("wrong magic"), std::string::npos);
}

TEST(PluginLoader, RefusesAnotherMajorVersion) {
  PluginDir dir;
  dir.Add("bad_major");
  EXPECT_NE(Refusal(dir, Entry("bad_major")).find("built for ABI major 2"), std::string::npos);
}

TEST(PluginLoader, RefusesAPluginThatNeedsANewerMinor) {
  PluginDir dir;
  dir.Add("new_minor");
  EXPECT_NE(Refusal(dir, Entry("new_minor")).find("needs ABI 1.99"), std::string::npos);
}

TEST(PluginLoader, RefusesAPluginWhoseInitFails) {
  PluginDir dir;
  dir.Add("init_fails");
  EXPECT_NE(Refusal(dir, Entry("init_fails")).find("init failed"), std::string::npos);
}

TEST(PluginLoader, RefusesANameThatDiffersFromTheList) {
  PluginDir dir;
  dir.Add("frozen");
  EXPECT_NE(Refusal(dir, Entry("other", "frozen.so")).find("calls itself 'frozen'"),
            std::string::npos);
}

TEST(PluginLoader, OneRefusalFailsTheWholeLoad) {
  PluginDir dir;
  dir.Add("frozen");
  dir.Add("bad_major");
  HostOptions options;
  options.dir = dir.path();
  options.plugins = {Entry("frozen"), Entry("bad_major")};
  auto host = PluginHost::Load(options);
  ASSERT_FALSE(host.ok());
  EXPECT_EQ(host.status().code(), StatusCode::kInvalid);
}

// ---- Failures inside a plug-in stay inside one call (R5) ----------------------------------

TEST(PluginFailures, AnExceptionBecomesAnInternalErrorForThatCallOnly) {
  PluginDir dir;
  dir.Add("thrower");
  auto host = LoadOne(dir, Entry("thrower"));
  ASSERT_TRUE(host.ok()) << host.status().ToString();
  OperationCall call;
  call.level = HESTIA_OP_SYSTEM;
  call.name = "throw";
  call.method = "POST";
  for (int i = 0; i < 2; ++i) {  // the host is still usable after the first
    auto result = (*host)->InvokeOperation(Caller{}, call);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), StatusCode::kInternal);
    EXPECT_NE(result.status().message().find("boom from the thrower plug-in"), std::string::npos)
        << result.status().message();
  }
}

TEST(PluginFailures, FailingWithoutAnErrorBecomesAnInternalError) {
  PluginDir dir;
  dir.Add("silent");
  auto host = LoadOne(dir, Entry("silent"));
  ASSERT_TRUE(host.ok()) << host.status().ToString();
  WriteInfo write;
  write.kind = WriteKind::kCreate;
  write.type = "Basic";
  write.id = "x";
  write.version = 1;
  write.resource = R"({"resourceType":"Basic","id":"x"})";
  const Status s = (*host)->BeforeWrite(Caller{}, write);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("without reporting an error"), std::string::npos) << s.message();
  write.type = "Patient";  // the interceptor is for Basic only
  EXPECT_TRUE((*host)->BeforeWrite(Caller{}, write).ok());

  OperationCall call;
  call.level = HESTIA_OP_SYSTEM;
  call.name = "silent";
  call.method = "POST";
  auto result = (*host)->InvokeOperation(Caller{}, call);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal);
}

TEST(PluginFailures, AnInterceptorRejectsAWriteWithItsOperationOutcomeDetail) {
  PluginDir dir;
  dir.Add("feature");
  auto host = LoadOne(dir, Entry("feature"));
  ASSERT_TRUE(host.ok()) << host.status().ToString();
  WriteInfo write;
  write.kind = WriteKind::kCreate;
  write.type = "Patient";
  write.id = "p1";
  write.version = 1;
  write.resource = R"({"resourceType":"Patient","name":[{"family":"Reject"}]})";
  const Status s = (*host)->BeforeWrite(Caller{}, write);
  EXPECT_EQ(s.code(), StatusCode::kInvalid);
  EXPECT_EQ(s.message(), "the feature plug-in refuses the family name Reject");
  EXPECT_EQ(s.expression(), "Patient.name.family");
  write.resource = R"({"resourceType":"Patient","name":[{"family":"Keep"}]})";
  EXPECT_TRUE((*host)->BeforeWrite(Caller{}, write).ok());
}

// ---- FHIR calls go through the gateway as the calling user ---------------------------------

TEST(PluginGateway, FhirCallsAreRefusedBeforeStartAndForwardedAfter) {
  PluginDir dir;
  dir.Add("feature");
  auto host = LoadOne(dir, Entry("feature"));
  ASSERT_TRUE(host.ok()) << host.status().ToString();
  OperationCall call;
  call.level = HESTIA_OP_INSTANCE;
  call.name = "echo-read";
  call.method = "GET";
  call.type = "Patient";
  call.id = "p7";
  Caller caller;
  caller.authorization = "Bearer alice";
  caller.request_id = "req-1";
  auto before = (*host)->InvokeOperation(caller, call);
  ASSERT_FALSE(before.ok());
  EXPECT_NE(before.status().message().find("once the server has started"), std::string::npos)
      << before.status().message();

  GatewayRequest seen;
  ASSERT_TRUE((*host)
                  ->Start(
                      [&](const GatewayRequest& r) {
                        seen = r;
                        return GatewayResponse{200, R"({"resourceType":"Patient","id":"p7"})"};
                      },
                      nullptr)
                  .ok());
  auto after = (*host)->InvokeOperation(caller, call);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->body, R"({"resourceType":"Patient","id":"p7"})");
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.path, "Patient/p7");
  EXPECT_EQ(seen.caller.authorization, "Bearer alice");
  EXPECT_EQ(seen.caller.request_id, "req-1");
}

// ---- File safety -------------------------------------------------------------------------

TEST(PluginFiles, AcceptsAPrivateFileInTheFolder) {
  PluginDir dir;
  dir.Add("frozen");
  auto path = CheckPluginPath(dir.path(), "frozen.so");
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, dir.path() + "/frozen.so");
}

TEST(PluginFiles, RefusesGroupAndWorldWritableFiles) {
  PluginDir dir;
  dir.Add("frozen");
  chmod((dir.path() + "/frozen.so").c_str(), 0775);
  EXPECT_NE(Refusal(dir, Entry("frozen")).find("group- or world-writable"), std::string::npos);
  chmod((dir.path() + "/frozen.so").c_str(), 0757);
  EXPECT_NE(Refusal(dir, Entry("frozen")).find("group- or world-writable"), std::string::npos);
}

TEST(PluginFiles, RefusesAWritableFolder) {
  PluginDir dir;
  dir.Add("frozen");
  chmod(dir.path().c_str(), 0777);
  EXPECT_NE(Refusal(dir, Entry("frozen")).find("plugins.dir"), std::string::npos);
}

TEST(PluginFiles, RefusesSymbolicLinks) {
  PluginDir dir;
  dir.Add("frozen");
  fs::create_symlink(dir.path() + "/frozen.so", dir.path() + "/link.so");
  EXPECT_NE(Refusal(dir, Entry("frozen", "link.so")).find("symbolic link"), std::string::npos);
  fs::create_directory(dir.path() + "/real");
  chmod((dir.path() + "/real").c_str(), 0755);
  fs::create_directory_symlink(dir.path() + "/real", dir.path() + "/sub");
  fs::copy_file(dir.path() + "/frozen.so", dir.path() + "/real/frozen.so");
  chmod((dir.path() + "/real/frozen.so").c_str(), 0755);
  EXPECT_TRUE(CheckPluginPath(dir.path(), "real/frozen.so").ok());
  EXPECT_NE(Refusal(dir, Entry("frozen", "sub/frozen.so")).find("symbolic link"),
            std::string::npos);
  PluginDir other;
  fs::create_directory_symlink(dir.path(), other.path() + "/plugins");
  EXPECT_NE(CheckPluginPath(other.path() + "/plugins", "frozen.so")
                .status()
                .message()
                .find("symbolic link"),
            std::string::npos);
}

TEST(PluginFiles, RefusesPathsOutsideTheFolder) {
  PluginDir dir;
  dir.Add("frozen");
  PluginDir outside;
  outside.Add("frozen");
  const std::string escape = "../" + fs::path(outside.path()).filename().string() + "/frozen.so";
  EXPECT_NE(Refusal(dir, Entry("frozen", escape)).find("contains '..'"), std::string::npos);
  EXPECT_NE(Refusal(dir, Entry("frozen", outside.path() + "/frozen.so")).find("relative"),
            std::string::npos);
  EXPECT_NE(CheckPluginPath(dir.path() + "/../x", "frozen.so").status().message().find(".."),
            std::string::npos);
  EXPECT_NE(CheckPluginPath("relative/dir", "frozen.so").status().message().find("absolute"),
            std::string::npos);
  EXPECT_NE(Refusal(dir, Entry("missing")).find("does not exist"), std::string::npos);
}

TEST(PluginList, ParsesNamesFilesAndConfiguration) {
  auto list = ParsePluginList(R"(plugins:
  - name: feature
    config:
      greeting: Hi
      limits: {max: 3}
  - name: frozen
    file: sub/frozen.so
)");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2U);
  EXPECT_EQ((*list)[0].file, "feature.so");
  EXPECT_EQ((*list)[0].config_json, R"({"greeting":"Hi","limits":{"max":"3"}})");
  EXPECT_EQ((*list)[1].file, "sub/frozen.so");
  EXPECT_EQ((*list)[1].config_json, "{}");
  EXPECT_FALSE(ParsePluginList("plugins:\n  - name: Bad Name\n").ok());
  EXPECT_FALSE(ParsePluginList("plugins:\n  - name: x\n    colour: red\n").ok());
  EXPECT_FALSE(ParsePluginList("other: 1\n").ok());
}

// hestia.yaml's plugins.list arrives as YAML flow text (hestia/base/config.h).
TEST(PluginList, InlineListFromHestiaYaml) {
  auto none = PluginHost::LoadConfigured("", "", "");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  auto no_dir = PluginHost::LoadConfigured("", "", "[{name: frozen}]");
  ASSERT_FALSE(no_dir.ok());
  EXPECT_NE(no_dir.status().message().find("plugins.dir"), std::string::npos);
  auto both = PluginHost::LoadConfigured("/opt/x", "/etc/list.yaml", "[{name: frozen}]");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("both"), std::string::npos);
  auto bad = PluginHost::LoadConfigured("/opt/x", "", "[{name: frozen, colour: red}]");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("plugins.list"), std::string::npos);
}

// ---- Exported symbols --------------------------------------------------------------------

std::vector<std::string> DefinedDynamicSymbols(const std::string& so) {
  std::vector<std::string> out;
  FILE* p = popen(("nm -D --defined-only '" + so + "'").c_str(), "r");
  if (p == nullptr) return out;
  char line[4096];
  while (std::fgets(line, sizeof line, p) != nullptr) {
    std::stringstream parts(line);
    std::string address, kind, name;
    parts >> address >> kind >> name;
    if (!name.empty()) out.push_back(name);
  }
  pclose(p);
  return out;
}

TEST(PluginSymbols, TheEntryPointIsTheOnlyExportedProjectSymbol) {
  // Project symbols: ours (C names, the hestia:: namespace) and the fixtures' own code.
  const std::regex project(R"(hestia|Hestia|fixture|Plugin|plugin)");
  for (const char* name : {"frozen", "silent", "feature", "thrower", "bad_magic", "no_entry"}) {
    const std::string so = std::string(HESTIA_FIXTURE_DIR) + "/fixture_" + name + ".so";
    std::vector<std::string> ours;
    for (const auto& s : DefinedDynamicSymbols(so)) {
      if (std::regex_search(s, project)) ours.push_back(s);
    }
    const std::string expected =
        std::string(name) == "no_entry" ? "hestia_plugin_entry_v2" : "hestia_plugin_entry_v1";
    EXPECT_EQ(ours, std::vector<std::string>{expected}) << so;
  }
}

// ---- docs/plugins.md: the examples build outside the tree and load ------------------------

// The first fenced block of `language` in docs/plugins.md.
std::string DocExample(const std::string& language) {
  std::ifstream in(std::string(HESTIA_DOCS_DIR) + "/plugins.md");
  std::stringstream s;
  s << in.rdbuf();
  const std::string text = s.str();
  const std::string fence = "```" + language + "\n";
  const std::size_t start = text.find(fence);
  if (start == std::string::npos) return "";
  const std::size_t end = text.find("```", start + fence.size());
  return text.substr(start + fence.size(), end - start - fence.size());
}

TEST(PluginDocs, TheCAndCppExamplesBuildAgainstTheHeadersAndLoad) {
  PluginDir dir;
  struct Example {
    std::string language, name, compiler, standard, include;
  };
  const std::vector<Example> examples = {
      {"c", "hello_c", HESTIA_C_COMPILER, "-std=c99", "-I" HESTIA_PLUGIN_INCLUDE_DIR},
      {"cpp", "hello_cpp", HESTIA_CXX_COMPILER, "-std=c++20",
       "-I" HESTIA_PLUGIN_INCLUDE_DIR " -I" HESTIA_PLUGIN_SDK_INCLUDE_DIR}};
  for (const auto& e : examples) {
    const std::string source = DocExample(e.language);
    ASSERT_FALSE(source.empty()) << "no ```" << e.language << " block in docs/plugins.md";
    const std::string src = dir.path() + "/" + e.name + (e.language == "c" ? ".c" : ".cc");
    std::ofstream(src) << source;
    const std::string so = dir.path() + "/" + e.name + ".so";
    const std::string command = e.compiler + " " + e.standard +
                                " -Wall -Wextra -Wpedantic -Werror -fPIC -shared "
                                "-fvisibility=hidden " HESTIA_SANITIZE_FLAGS " " +
                                e.include + " -o " + so + " " + src + " 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    chmod(so.c_str(), 0755);
    auto host = LoadOne(dir, Entry(e.name));
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    EXPECT_TRUE((*host)->HasOperation(HESTIA_OP_SYSTEM, "", "hello")) << e.name;
    OperationCall call;
    call.level = HESTIA_OP_SYSTEM;
    call.name = "hello";
    call.method = "GET";
    call.parameters = R"({"resourceType":"Parameters"})";
    auto result = (*host)->InvokeOperation(Caller{}, call);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_NE(result->body.find("Hello from"), std::string::npos) << result->body;
  }
}

}  // namespace
}  // namespace hestia::plugins
