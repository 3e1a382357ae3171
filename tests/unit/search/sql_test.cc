// Unit tests of the pure parts of the SQL rewriters (search/sql_rewrite.h): the implied
// ranges of decimal search values, keyset cursors (round trip, tampering), the keyset and
// order conditions, and the rule that no user value reaches SQL text. Statements are run
// against PostgreSQL by tests/integration/search.
// FHIR R4: http://hl7.org/fhir/R4/search.html#number, http://hl7.org/fhir/R4/http.html#paging
#include <gtest/gtest.h>

#include "hestia/base/uri.h"
#include "hestia/search/executor.h"
#include "hestia/search/index.h"
#include "hestia/search/query.h"
#include "sql_rewrite.h"

namespace hestia::search {
namespace {

using internal::Cursor;
using internal::DecimalRange;
using internal::ImpliedRange;

DecimalRange Range(std::string_view number) {
  auto r = ImpliedRange(number);
  EXPECT_TRUE(r.ok()) << number << ": " << r.status().ToString();
  return r.ok() ? *r : DecimalRange{};
}

// search.html#number: "100" is [99.5, 100.5), "100.00" is [99.995, 100.005).
TEST(ImpliedRangeTest, PrecisionOfTheSpecExamples) {
  EXPECT_EQ(Range("100").low, "99.5");
  EXPECT_EQ(Range("100").high, "100.5");
  EXPECT_EQ(Range("100.00").low, "99.995");
  EXPECT_EQ(Range("100.00").high, "100.005");
}

TEST(ImpliedRangeTest, SmallNegativeZeroAndExponent) {
  EXPECT_EQ(Range("0.5").low, "0.45");
  EXPECT_EQ(Range("0.5").high, "0.55");
  EXPECT_EQ(Range("0").low, "-0.5");
  EXPECT_EQ(Range("0").high, "0.5");
  EXPECT_EQ(Range("0.0").low, "-0.05");
  EXPECT_EQ(Range("0.0").high, "0.05");
  EXPECT_EQ(Range("-2").low, "-2.5");
  EXPECT_EQ(Range("-2").high, "-1.5");
  EXPECT_EQ(Range("-0.10").low, "-0.105");
  EXPECT_EQ(Range("-0.10").high, "-0.095");
  EXPECT_EQ(Range("1e2").low, "50");
  EXPECT_EQ(Range("1e2").high, "150");
  EXPECT_EQ(Range("1.5e-2").low, "0.0145");
  EXPECT_EQ(Range("1.5e-2").high, "0.0155");
  EXPECT_EQ(Range("10").low, "9.5");
  EXPECT_EQ(Range("+7").high, "7.5");
}

TEST(ImpliedRangeTest, RejectsWhatIsNotADecimal) {
  for (std::string_view bad : {"", "abc", "1.2.3", "1e", "--1", "1x", "1e99999", "."}) {
    EXPECT_FALSE(ImpliedRange(bad).ok()) << bad;
  }
}

TEST(CursorTest, RoundTripKeepsValuesNullsAndPk) {
  Cursor c;
  c.signature = "-date,_id";
  c.values = {std::string("1714557600000000"), std::nullopt, std::string("a:b|c N 12:x")};
  c.pk = 123456789;
  const std::string text = internal::EncodeCursor(c);
  for (char ch : text) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') << text;
  }
  auto back = internal::DecodeCursor(text, "-date,_id");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->pk, 123456789);
  ASSERT_EQ(back->values.size(), 3u);
  EXPECT_EQ(back->values[0], std::optional<std::string>("1714557600000000"));
  EXPECT_FALSE(back->values[1].has_value());
  EXPECT_EQ(back->values[2], std::optional<std::string>("a:b|c N 12:x"));
}

TEST(CursorTest, TamperedOrForeignCursorsAreInvalidNamingCursor) {
  Cursor c;
  c.signature = "";
  c.pk = 42;
  const std::string text = internal::EncodeCursor(c);
  std::vector<std::string> bad = {"", "!!!", "AAAA", text.substr(0, text.size() - 2), text + "A"};
  for (std::size_t k = 0; k < text.size(); ++k) {
    std::string t = text;
    t[k] = t[k] == 'A' ? 'B' : 'A';
    bad.push_back(t);
  }
  for (const std::string& t : bad) {
    auto r = internal::DecodeCursor(t, "");
    ASSERT_FALSE(r.ok()) << t;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalid);
    EXPECT_EQ(r.status().expression(), "_cursor");
  }
  auto other = internal::DecodeCursor(text, "-date");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().expression(), "_cursor");
}

TEST(KeysetTest, AfterTheCursorInSortOrderWithMissingValuesLast) {
  Sql sql;
  auto registry = ParameterRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
  ASSERT_TRUE(registry.ok());
  internal::Rewriter rw(**registry, sql);
  std::vector<internal::SortColumn> columns(2);
  columns[0].type = internal::SortValueType::kBigint;
  columns[0].descending = true;
  columns[1].type = internal::SortValueType::kText;
  Cursor c;
  c.values = {std::string("10"), std::nullopt};
  c.pk = 7;
  EXPECT_EQ(internal::KeysetCondition(columns, c, "q.", "q.pk", rw),
            "(q.s0 < $2::bigint OR (q.s0 = $2::bigint AND (q.s1 IS NULL AND q.pk > $1::bigint)) "
            "OR q.s0 IS NULL)");
  EXPECT_EQ(sql.params.size(), 2u);
  EXPECT_EQ(internal::OrderByList(columns, "q.", "q.pk"),
            "q.s0 DESC NULLS LAST, q.s1 ASC NULLS LAST, q.pk ASC");
}

// Records statements; answers every one with no rows (the filters are what is tested).
class RecordingRunner : public SqlRunner {
 public:
  Result<std::vector<SqlRow>> Run(const Sql& sql) override {
    statements.push_back(sql);
    if (sql.text.rfind("SELECT count(*)", 0) == 0) return std::vector<SqlRow>{{std::string("0")}};
    return std::vector<SqlRow>{};
  }
  Result<std::string> Explain(const Sql& sql) override {
    statements.push_back(sql);
    return std::string(R"([{"Plan": {"Node Type": "Result", "Plan Rows": 17, "Total Cost": 10}}])");
  }
  std::vector<Sql> statements;
};

class SqlTextTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = ParameterRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    registry_ = std::move(loaded).value();
  }
  static Query Parse(const std::string& type, std::string_view query) {
    auto pairs = ParseQuery(query);
    EXPECT_TRUE(pairs.ok());
    ParseOptions options;
    options.base_url = "http://example.org/fhir";
    auto q = ParseSearch({type}, false, *pairs, *registry_, options);
    EXPECT_TRUE(q.ok()) << query << ": " << q.status().ToString();
    return q.ok() ? std::move(q).value() : Query{};
  }
  static std::shared_ptr<const ParameterRegistry> registry_;
};
std::shared_ptr<const ParameterRegistry> SqlTextTest::registry_;

TEST_F(SqlTextTest, UserValuesAreBoundNeverInTheText) {
  const std::pair<const char*, const char*> cases[] = {
      {"Patient", "name=O'Brien%25_x&identifier=sys'tem|co;de&birthdate=ge2000-01-01"},
      {"Observation", "code:not=x'y&value-quantity=5.4|http://unitsofmeasure.org|mg'"},
      {"Observation", "subject:Patient.name=Robert'); DROP TABLE resource;--"},
      {"Patient", "_has:Observation:subject:code=evil'code&_id=a'b"},
      {"Observation", "code-value-quantity=http://loinc.org|8480-6'$lt60&_sort=-date"},
      {"ValueSet", "url:below=http://x.org/'q"},
      {"Observation", "subject=http://other.org/Patient/p'1,bareid&value-quantity=ap5"},
  };
  for (const auto& [type, query] : cases) {
    Query q = Parse(type, query);
    RecordingRunner runner;
    auto r = ExecuteSearch(q, *registry_, PageRequest{}, runner);
    ASSERT_TRUE(r.ok()) << query << ": " << r.status().ToString();
    ASSERT_FALSE(runner.statements.empty());
    for (const Sql& sql : runner.statements) {
      // The only quotes are the server's own literals.
      std::string text = sql.text;
      for (std::string_view literal : {"'List'", "''", "'/'"}) {
        for (std::size_t at = text.find(literal); at != std::string::npos;
             at = text.find(literal)) {
          text.erase(at, literal.size());
        }
      }
      EXPECT_EQ(text.find('\''), std::string::npos) << sql.text;
      for (std::string_view needle : {"O'Brien", "co;de", "DROP", "evil", "mg'", "p'1", "a'b"}) {
        EXPECT_EQ(sql.text.find(needle), std::string::npos) << needle << " in " << sql.text;
      }
    }
  }
}

TEST_F(SqlTextTest, FiltersDriveFromTheIndexTables) {
  Query q = Parse("Observation", "code=http://loinc.org|1234-5&date=ge2020");
  RecordingRunner runner;
  ASSERT_TRUE(ExecuteSearch(q, *registry_, PageRequest{}, runner).ok());
  const std::string& text = runner.statements.at(0).text;
  EXPECT_NE(text.find("r.pk IN (SELECT i.res_pk FROM idx_token i WHERE i.param_hash = " +
                      std::to_string(ParamHash("Observation", "code"))),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("FROM idx_date i"), std::string::npos) << text;
  EXPECT_NE(text.find("NOT r.deleted"), std::string::npos);
  EXPECT_NE(text.find("ORDER BY r.pk LIMIT 21"), std::string::npos) << text;
}

TEST_F(SqlTextTest, ExplainListsStatementsWithParamsAndPlans) {
  Query q = Parse("Patient", "family=smith&_total=accurate&_explain=true");
  q.explain = true;
  RecordingRunner runner;
  auto r = ExecuteSearch(q, *registry_, PageRequest{}, runner);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->matches.empty());
  EXPECT_NE(r->explain.find("\"statements\":[{\"sql\":"), std::string::npos) << r->explain;
  EXPECT_NE(r->explain.find("\"params\":[\"Patient\""), std::string::npos) << r->explain;
  EXPECT_NE(r->explain.find("\"Plan Rows\":17"), std::string::npos) << r->explain;
  EXPECT_NE(r->explain.find("SELECT count(*)"), std::string::npos) << r->explain;
  EXPECT_NE(r->explain.find("\"query\":"), std::string::npos) << r->explain;
}

TEST_F(SqlTextTest, EstimateComesFromThePlan) {
  Query q = Parse("Patient", "family=smith&_total=estimate");
  RecordingRunner runner;
  auto r = ExecuteSearch(q, *registry_, PageRequest{}, runner);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->total.has_value());
  EXPECT_EQ(*r->total, 17);
  EXPECT_TRUE(r->total_is_estimate);
}

TEST_F(SqlTextTest, CursorOfAnotherSortIsRejected) {
  Query q = Parse("Patient", "_sort=birthdate");
  RecordingRunner runner;
  Cursor c;
  c.signature = "-birthdate";
  c.values = {std::nullopt};
  PageRequest page;
  page.cursor = internal::EncodeCursor(c);
  auto r = ExecuteSearch(q, *registry_, page, runner);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalid);
  EXPECT_EQ(r.status().expression(), "_cursor");
  EXPECT_TRUE(runner.statements.empty());
}

}  // namespace
}  // namespace hestia::search
