// `hestia fhirpath '<expr>' resource.json` (fhir-core/server/fhirpath_command.h).
#include "fhirpath_command.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hestia::server {
namespace {

class FhirpathCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(std::string(HESTIA_DEFAULT_DEFINITIONS_DIR) +
                                 "/Bundle-types.json")) {
      GTEST_SKIP() << "definitions package absent";
    }
    path_ = std::filesystem::temp_directory_path() /
            ("fhirpath_cli_" + std::to_string(::getpid()) + ".json");
    std::ofstream(path_) << R"({"resourceType":"Patient","name":[{"given":["Ann","Bo"]}]})";
  }
  void TearDown() override { std::filesystem::remove(path_); }

  int Run(std::vector<std::string> args, std::string* out, std::string* err) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    const int rc = RunFhirpathCommand(static_cast<int>(argv.size()), argv.data());
    std::cout.flush();
    *out = testing::internal::GetCapturedStdout();
    *err = testing::internal::GetCapturedStderr();
    return rc;
  }

  std::filesystem::path path_;
};

TEST_F(FhirpathCommandTest, PrintsTypedResults) {
  std::string out;
  std::string err;
  EXPECT_EQ(Run({"name.given", path_.string()}, &out, &err), 0) << err;
  EXPECT_EQ(out, R"([{"type":"FHIR.string","value":"Ann"},{"type":"FHIR.string","value":"Bo"}])"
                 "\n");
}

TEST_F(FhirpathCommandTest, ReportsErrorsWithPosition) {
  std::string out;
  std::string err;
  EXPECT_EQ(Run({"name.given +", path_.string()}, &out, &err), 1);
  EXPECT_NE(err.find("position 12"), std::string::npos) << err;
  EXPECT_EQ(Run({"name"}, &out, &err), 2);
  EXPECT_EQ(Run({"name", "/nonexistent.json"}, &out, &err), 2);
}

}  // namespace
}  // namespace hestia::server
