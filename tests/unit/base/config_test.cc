// Tests for configuration precedence (hestia/base/config.h): default < YAML < env < flag.
#include "hestia/base/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace hestia {
namespace {

const std::vector<OptionSpec> kSpecs = {
    {"server.port", "port", "8080", "port"},
    {"server.threads", "threads", "4", "threads"},
    {"database.url", "database-url", "", "url"},
    {"plugins.list", "plugins-list", "", "list"},
};

Result<Config> LoadWith(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return Config::Load(kSpecs, static_cast<int>(argv.size()), argv.data());
}

TEST(ConfigTest, EnvNames) {
  EXPECT_EQ(Config::EnvName("server.port"), "HESTIA_SERVER_PORT");
  EXPECT_EQ(Config::EnvName("database.pool_size"), "HESTIA_DATABASE_POOL_SIZE");
}

TEST(ConfigTest, Precedence) {
  const auto dir = std::filesystem::temp_directory_path() / "hestia-config-test";
  std::filesystem::create_directories(dir);
  const auto yaml = dir / "hestia.yaml";
  std::ofstream(yaml) << "server:\n  port: 9000\n  threads: 2\ndatabase:\n  url: postgres://y\n";

  auto from_yaml = LoadWith({"--config", yaml.string()});
  ASSERT_TRUE(from_yaml.ok()) << from_yaml.status().ToString();
  EXPECT_EQ(from_yaml->Get("server.port"), "9000");
  EXPECT_EQ(from_yaml->Get("database.url"), "postgres://y");

  setenv("HESTIA_SERVER_PORT", "9100", 1);
  auto from_env = LoadWith({"--config", yaml.string()});
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->Get("server.port"), "9100");
  EXPECT_EQ(from_env->Get("server.threads"), "2");

  auto from_flag = LoadWith({"--config", yaml.string(), "--port=9200"});
  ASSERT_TRUE(from_flag.ok());
  EXPECT_EQ(from_flag->Get("server.port"), "9200");
  unsetenv("HESTIA_SERVER_PORT");

  auto defaults = LoadWith({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->Get("server.port"), "8080");
  EXPECT_EQ(*defaults->GetInt("server.port", 0, 65535), 8080);
  std::filesystem::remove_all(dir);
}

TEST(ConfigTest, ListValuesKeepTheirYamlInFlowStyle) {
  const auto dir = std::filesystem::temp_directory_path() / "hestia-config-list-test";
  std::filesystem::create_directories(dir);
  const auto yaml = dir / "hestia.yaml";
  std::ofstream(yaml) << "plugins:\n  list:\n    - name: a\n      config:\n        k: 1\n"
                         "    - name: b\n      file: b.so\n";
  auto loaded = LoadWith({"--config", yaml.string()});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->Get("plugins.list"), "[{name: a, config: {k: 1}}, {name: b, file: b.so}]");
  // A map where a scalar or list belongs is still an error naming the key.
  std::ofstream(yaml) << "server:\n  port:\n    nested: 1\n";
  auto bad = LoadWith({"--config", yaml.string()});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("server.port.nested"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(ConfigTest, UnknownFlagsAndKeysAreErrors) {
  EXPECT_EQ(LoadWith({"--no-such-flag", "1"}).status().code(), StatusCode::kInvalid);
  EXPECT_EQ(LoadWith({"--port"}).status().code(), StatusCode::kInvalid);
  EXPECT_EQ(LoadWith({"positional"}).status().code(), StatusCode::kInvalid);
  const auto yaml = std::filesystem::temp_directory_path() / "hestia-config-unknown.yaml";
  std::ofstream(yaml) << "server:\n  prot: 1\n";
  EXPECT_EQ(LoadWith({"--config", yaml.string()}).status().code(), StatusCode::kInvalid);
  std::ofstream(yaml) << "server: [unclosed\n";
  EXPECT_EQ(LoadWith({"--config", yaml.string()}).status().code(), StatusCode::kInvalid);
  std::filesystem::remove(yaml);
}

TEST(ConfigTest, IntegerRanges) {
  Config c = Config::FromMap({{"a", "12"}, {"b", "x"}, {"c", "-1"}});
  EXPECT_EQ(*c.GetInt("a", 0, 100), 12);
  EXPECT_FALSE(c.GetInt("b", 0, 100).ok());
  EXPECT_FALSE(c.GetInt("c", 0, 100).ok());
  EXPECT_FALSE(c.GetInt("a", 0, 10).ok());
}

}  // namespace
}  // namespace hestia
