// hestia_fhirpath engine: parsing errors, evaluation over FHIR JSON, limits and safety.
// FHIRPath N1: http://hl7.org/fhirpath/N1/ ; FHIR R4: http://hl7.org/fhir/R4/fhirpath.html
#include "hestia/fhirpath/engine.h"
#include "test_engine.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace hestia::fhirpath {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { engine_ = SharedTestEngine(); }
  void SetUp() override {
    if (engine_ == nullptr) GTEST_SKIP() << "definitions package absent";
    ASSERT_TRUE(json::Parse(kPatient, json::Limits{}, &doc_).ok());
  }
  // Evaluates and renders the result as "a, b, c"; errors as "error: …".
  std::string Eval(const std::string& expr, EvalOptions options = {}) {
    auto r = engine_->Evaluate(expr, doc_, nullptr, options);
    if (!r.ok()) return "error: " + r.status().message();
    std::string s;
    for (const Item& i : r.value()) s += (s.empty() ? "" : ", ") + ItemToString(i);
    return s;
  }
  static constexpr const char* kPatient = R"({
    "resourceType": "Patient", "id": "p1", "active": true, "birthDate": "1974-12-25",
    "_birthDate": {"extension": [{"url": "http://x/ext", "valueString": "bt"}]},
    "name": [{"use": "official", "family": "Chalmers", "given": ["Peter", "James"],
              "_given": [null, {"id": "g2"}]},
             {"use": "usual", "given": ["Jim"]}],
    "deceasedBoolean": false,
    "contained": [{"resourceType": "Organization", "id": "o1", "name": "Acme"}],
    "managingOrganization": {"reference": "#o1"},
    "extension": [{"url": "http://x/q", "valueQuantity": {"value": 1.50, "code": "kg",
                   "system": "http://unitsofmeasure.org"}}]})";
  static inline std::shared_ptr<const Engine> engine_;
  json::Document doc_;
};

TEST_F(EngineTest, NavigatesPathsArraysAndChoiceTypes) {
  EXPECT_EQ(Eval("Patient.name.given"), "Peter, James, Jim");
  EXPECT_EQ(Eval("name.where(use = 'usual').given"), "Jim");
  EXPECT_EQ(Eval("deceased"), "false");
  EXPECT_EQ(Eval("deceased is boolean"), "true");
  EXPECT_EQ(Eval("name.given[1].id"), "g2");
  EXPECT_EQ(Eval("birthDate.extension('http://x/ext').value"), "bt");
  EXPECT_EQ(Eval("extension.value.ofType(Quantity) > 1400 'g'"), "true");
  EXPECT_EQ(Eval("managingOrganization.resolve().name"), "Acme");
  EXPECT_EQ(Eval("contained.ofType(Organization).id"), "o1");
}

TEST_F(EngineTest, ChoiceSuffixIsAnError) {
  EXPECT_NE(Eval("Patient.deceasedBoolean").find("error"), std::string::npos);
}

TEST_F(EngineTest, StrictModeRejectsUnknownElements) {
  EvalOptions strict;
  strict.strict = true;
  EXPECT_EQ(Eval("name.given1"), "");
  EXPECT_NE(Eval("name.given1", strict).find("error"), std::string::npos);
}

TEST_F(EngineTest, ReportsSyntaxErrorsWithPositions) {
  EXPECT_NE(Eval("name.given +").find("position 12"), std::string::npos);
  EXPECT_NE(Eval("name.nosuchfn()").find("unknown function"), std::string::npos);
  EXPECT_NE(Eval("'unterminated").find("position 0"), std::string::npos);
}

TEST_F(EngineTest, ArithmeticDatesAndQuantities) {
  EXPECT_EQ(Eval("0.1 + 0.2 = 0.3"), "true");
  EXPECT_EQ(Eval("@2014-01-31 + 1 month"), "2014-02-28");
  EXPECT_EQ(Eval("@2012-04-15 = @2012-04-15T10:00"), "");
  EXPECT_EQ(Eval("4.0000 'g' = 4000.0 'mg'"), "true");
  EXPECT_EQ(Eval("birthDate < @2000-01-01"), "true");
}

TEST_F(EngineTest, HostileInputFailsCleanly) {
  EXPECT_NE(Eval(std::string(5000, '(') + "1" + std::string(5000, ')')).find("error"),
            std::string::npos);
  std::string chain = "name";
  for (int i = 0; i < 2000; ++i) chain += ".given";
  EXPECT_NE(Eval(chain).find("error"), std::string::npos);
  EXPECT_NE(
      Eval("'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'.matches('(a+)+b')")
          .find("error"),
      std::string::npos);
  EvalOptions small;
  small.max_items = 100;
  EXPECT_NE(Eval("(1|2|3|4|5|6|7|8|9|10).select((1|2|3|4|5|6|7|8|9|10).select(1|2))", small)
                .find("error"),
            std::string::npos);
}

TEST_F(EngineTest, WorkBudgetBoundsNestedIteration) {
  EvalOptions budget;
  budget.max_steps = 2000;
  const std::string ten = "(1|2|3|4|5|6|7|8|9|10)";
  const std::string nested = ten + ".select(" + ten + ".select(" + ten + ".count()).count())";
  EXPECT_EQ(Eval(nested), "10, 10, 10, 10, 10, 10, 10, 10, 10, 10");
  EXPECT_NE(Eval(nested, budget).find("work budget"), std::string::npos);
  budget.max_steps = 100000;
  EXPECT_NE(Eval(ten + ".repeat($this + 1)", budget).find("work budget"), std::string::npos);
}

TEST_F(EngineTest, CompilationIsCachedAndThreadSafe) {
  auto a = engine_->Compile("name.given.first()");
  auto b = engine_->Compile("name.given.first()");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.value().get(), b.value().get());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto r = engine_->Evaluate("name.given.count() = 3", doc_);
        if (r.ok() && r.value().size() == 1 && r.value()[0].boolean) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 800);
}

TEST_F(EngineTest, ResultsRenderAsTypedJson) {
  auto r = engine_->Evaluate("name.given.first() | 1 | 1.50 'kg'", doc_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(CollectionToJson(r.value(), false),
            R"([{"type":"FHIR.string","value":"Peter"},{"type":"System.Integer","value":1},)"
            R"({"type":"System.Quantity","value":{"value":1.50,"unit":"kg"}}])");
}

}  // namespace
}  // namespace hestia::fhirpath
