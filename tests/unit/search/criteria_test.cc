// Tests for the foundation search criteria (search/criteria.h): parsing, strictness,
// extraction, and that user values reach SQL only as bound parameters.
// FHIR R4: http://hl7.org/fhir/R4/search.html#token, #date, #errors
#include "hestia/search/criteria.h"

#include <gtest/gtest.h>

#include "hestia/base/json.h"

namespace hestia::search {
namespace {

class CriteriaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = ParameterRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    registry_ = std::move(loaded).value();
  }
  Result<Criteria> Parse(const std::vector<std::pair<std::string, std::string>>& q,
                         bool lenient = false) {
    return ParseCriteria("Patient", q, *registry_, lenient);
  }
  static std::shared_ptr<const ParameterRegistry> registry_;
};
std::shared_ptr<const ParameterRegistry> CriteriaTest::registry_;

TEST_F(CriteriaTest, RegistryHoldsEveryR4SearchParameter) {
  EXPECT_EQ(registry_->size(), 1375u);
  const SearchParameterDef* id = registry_->Find("Patient", "_id");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->type, "token");
  ASSERT_NE(registry_->Find("Slot", "schedule"), nullptr);
  EXPECT_EQ(registry_->Find("Slot", "birthdate"), nullptr);
}

TEST_F(CriteriaTest, TokenForms) {
  auto c = Parse({{"identifier", "http://x|123,|456,789,http://y|"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->identifiers.size(), 1u);
  const auto& t = c->identifiers[0];
  ASSERT_EQ(t.size(), 4u);
  EXPECT_TRUE(t[0].has_system);
  EXPECT_EQ(t[0].system, "http://x");
  EXPECT_EQ(t[0].code, "123");
  EXPECT_TRUE(t[1].has_system);
  EXPECT_EQ(t[1].system, "");
  EXPECT_FALSE(t[2].has_system);
  EXPECT_EQ(t[2].code, "789");
  EXPECT_EQ(t[3].system, "http://y");
  EXPECT_EQ(t[3].code, "");
}

TEST_F(CriteriaTest, EscapedSeparatorsStayInValues) {
  auto c = Parse({{"identifier", "a\\,b|c\\|d"}});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->identifiers[0].size(), 1u);
  EXPECT_EQ(c->identifiers[0][0].system, "a,b");
  EXPECT_EQ(c->identifiers[0][0].code, "c|d");
}

TEST_F(CriteriaTest, RepeatedParametersAreAnded) {
  auto c = Parse(
      {{"_id", "a,b"}, {"_id", "b"}, {"_lastUpdated", "ge2024-01-01"}, {"_lastUpdated", "lt2025"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ids.size(), 2u);
  EXPECT_EQ(c->ids[0].size(), 2u);
  ASSERT_EQ(c->last_updated.size(), 2u);
  EXPECT_EQ(c->last_updated[0][0].prefix, "ge");
  EXPECT_EQ(c->last_updated[1][0].prefix, "lt");
}

TEST_F(CriteriaTest, StrictByDefaultLenientOnRequest) {
  auto unknown = Parse({{"nonsense", "1"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalid);
  EXPECT_NE(unknown.status().message().find("nonsense"), std::string::npos);
  auto not_yet = Parse({{"family", "Smith"}});
  ASSERT_FALSE(not_yet.ok());
  EXPECT_NE(not_yet.status().message().find("not supported"), std::string::npos);
  EXPECT_FALSE(Parse({{"identifier:text", "x"}}).ok());
  EXPECT_FALSE(Parse({{"_lastUpdated", "xx2024"}}).ok());
  EXPECT_FALSE(Parse({{"_lastUpdated", "2024-13"}}).ok());
  EXPECT_FALSE(Parse({{"_count", "-1"}}).ok());
  auto lenient = Parse({{"nonsense", "1"}, {"_id", "a"}}, true);
  ASSERT_TRUE(lenient.ok());
  ASSERT_EQ(lenient->ignored.size(), 1u);
  EXPECT_EQ(lenient->ignored[0], "nonsense");
  EXPECT_EQ(lenient->ids.size(), 1u);
}

TEST_F(CriteriaTest, ConditionalUrlsNeedACriterion) {
  auto c = ParseConditionalCriteria("Patient", "identifier=http%3A%2F%2Fx%7C1&_id=a", *registry_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->identifiers[0][0].system, "http://x");
  EXPECT_FALSE(ParseConditionalCriteria("Patient", "", *registry_).ok());
  EXPECT_FALSE(ParseConditionalCriteria("Patient", "_count=1", *registry_).ok());
  EXPECT_FALSE(ParseConditionalCriteria("Patient", "identifier=%zz", *registry_).ok());
}

TEST_F(CriteriaTest, ValuesAreBoundNeverSpliced) {
  const std::string hostile = "x'); DROP TABLE resource; --";
  auto c = Parse({{"identifier", hostile + "|" + hostile}, {"_id", hostile}});
  ASSERT_TRUE(c.ok());
  SqlFilter f = BuildFilter(*c);
  EXPECT_EQ(f.where.find("DROP"), std::string::npos) << f.where;
  int bound = 0;
  for (const auto& p : f.params) bound += p == hostile ? 1 : 0;
  EXPECT_EQ(bound, 3);
}

TEST_F(CriteriaTest, SystemOnlyTokenBindsExactlyItsParameters) {
  auto c = Parse({{"identifier", "http://x|"}});
  ASSERT_TRUE(c.ok());
  SqlFilter f = BuildFilter(*c);
  // $1 is the resource type; the only other parameter is the system.
  ASSERT_EQ(f.params.size(), 2u);
  EXPECT_EQ(f.params[1], "http://x");
  EXPECT_NE(f.where.find("t.system = $2"), std::string::npos) << f.where;
  EXPECT_EQ(f.where.find("$3"), std::string::npos) << f.where;
}

TEST_F(CriteriaTest, ExtractsIdentifiers) {
  json::Document doc;
  ASSERT_TRUE(json::Parse(R"({"resourceType":"Patient","identifier":[{"system":"s","value":"v"},
      {"value":"w"},{"system":"only-system"}]})",
                          {}, &doc)
                  .ok());
  IndexRows rows = ExtractIndex("Patient", doc, *registry_);
  ASSERT_EQ(rows.tokens.size(), 2u);
  EXPECT_EQ(rows.tokens[0].system, "s");
  EXPECT_EQ(rows.tokens[0].code, "v");
  EXPECT_EQ(rows.tokens[1].system, "");
  EXPECT_EQ(rows.tokens[0].param_hash, ParamHash("Patient", "identifier"));
  EXPECT_NE(ParamHash("Patient", "identifier"), ParamHash("Practitioner", "identifier"));
}

}  // namespace
}  // namespace hestia::search
