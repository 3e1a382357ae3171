// The search index write path end to end: resources created, updated and deleted over HTTP,
// and the rows of every idx_* table read back with SQL from the same PostgreSQL (a
// `hestia db start` cluster that the server reaches through --database-url).
// FHIR R4: http://hl7.org/fhir/R4/search.html; ARCHITECTURE.md §3 (index rows written with the
// version, in one transaction).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "cluster_test_support.h"
#include "hestia/base/json.h"
#include "hestia/search/index.h"
#include "http_client.h"
#include "server_process.h"

namespace hestia::testing {
namespace {

constexpr const char* kBase = "https://hestia.test/fhir";
constexpr const char* kJson = "application/fhir+json";

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

class SearchIndexTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(MakeTempDir("hestia-search-index"));
    url_ = new std::string();
    ASSERT_EQ(RunCommand({HestiaBinary(), "db", "start", "--data-dir", *dir_ + "/db"}, url_), 0);
    *url_ = Trim(*url_);
    ServerProcess::Options options;
    options.database_url = *url_;
    options.extra_args = {"--base-url", kBase};
    auto server = ServerProcess::Start(options);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value().release();
  }
  static void TearDownTestSuite() {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Stop(), 0) << server_->LogTail();
      delete server_;
      server_ = nullptr;
    }
    if (dir_ != nullptr) {
      RunCommand({HestiaBinary(), "db", "stop", "--data-dir", *dir_ + "/db", "--mode", "fast"});
      std::error_code ec;
      std::filesystem::remove_all(*dir_, ec);
    }
    delete dir_;
    delete url_;
    dir_ = url_ = nullptr;
  }

  void SetUp() override {
    if (server_ == nullptr) GTEST_SKIP() << "server did not start";
  }

  // Sends a request with a FHIR JSON body; fails the test on transport errors.
  HttpResponse Send(const std::string& method, const std::string& target,
                    const std::string& body = "") {
    HttpClient client("127.0.0.1", server_->port());
    auto r = client.Send(method, target, {{"Content-Type", kJson}}, body);
    EXPECT_TRUE(r.ok()) << method << " " << target << ": " << r.status().ToString();
    return r.ok() ? std::move(r).value() : HttpResponse{};
  }

  // Runs `sql` and returns its unaligned output (rows by line, columns by '|').
  std::string Sql(const std::string& sql) {
    auto r = storage::testing::Psql(*url_, sql);
    EXPECT_EQ(r.exit_code, 0) << sql << "\n" << r.output;
    return r.output;
  }

  std::string Pk(const std::string& type, const std::string& id) {
    // Ids are [A-Za-z0-9.-] (server-assigned or the tests' own): safe in a literal.
    return Sql("SELECT pk FROM resource WHERE res_type = '" + type + "' AND res_id = '" + id + "'");
  }

  // Rows of `table` for resource `pk` and parameter `code` of `type`, columns `columns`,
  // sorted.
  std::string Rows(const std::string& table, const std::string& pk, const std::string& type,
                   const std::string& code, const std::string& columns) {
    return Sql("SELECT " + columns + " FROM " + table + " WHERE res_pk = " + pk +
               " AND param_hash = " + std::to_string(search::ParamHash(type, code)) +
               " ORDER BY 1, 2");
  }

  // Row counts of every index table for `pk`, "token=3 string=…".
  std::map<std::string, int> Counts(const std::string& pk) {
    std::map<std::string, int> out;
    for (const char* table : {"idx_token", "idx_string", "idx_date", "idx_number", "idx_quantity",
                              "idx_uri", "idx_reference", "idx_geo", "idx_text"}) {
      out[table] =
          std::stoi(Sql(std::string("SELECT count(*) FROM ") + table + " WHERE res_pk = " + pk));
    }
    return out;
  }

  static std::string* dir_;
  static std::string* url_;
  static ServerProcess* server_;
};

std::string* SearchIndexTest::dir_ = nullptr;
std::string* SearchIndexTest::url_ = nullptr;
ServerProcess* SearchIndexTest::server_ = nullptr;

const char* kObservation = R"({"resourceType":"Observation",
  "meta":{"profile":["http://hl7.org/fhir/StructureDefinition/bodyweight|4.0.1"]},
  "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Weight of Ren&#233;e</div>"},
  "identifier":[{"system":"http://lab.example/obs","value":"OBS-1"}],
  "status":"final",
  "code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body Weight"}]},
  "subject":{"reference":"Patient/p1"},
  "performer":[{"reference":"https://hestia.test/fhir/Practitioner/pr1"},
               {"reference":"http://elsewhere.example/fhir/Organization/o1"}],
  "effectiveDateTime":"2021-03-04",
  "valueQuantity":{"value":5.0,"system":"http://unitsofmeasure.org","code":"mg"}})";

TEST_F(SearchIndexTest, CreateUpdateDeleteObservation) {
  // Create (POST: the single-statement insert).
  HttpResponse created = Send("POST", "/fhir/Observation", kObservation);
  ASSERT_EQ(created.status, 201) << created.body;
  json::Document doc;
  ASSERT_TRUE(json::Parse(created.body, {}, &doc).ok());
  const std::string id(json::StringMember(doc, "id"));
  const std::string pk = Pk("Observation", id);
  ASSERT_FALSE(pk.empty());

  EXPECT_EQ(Rows("idx_token", pk, "Observation", "code", "system, code, grp"),
            "http://loinc.org|29463-7|0");
  EXPECT_EQ(Rows("idx_token", pk, "Observation", "identifier", "system, code"),
            "http://lab.example/obs|OBS-1");
  EXPECT_EQ(Rows("idx_token", pk, "Observation", "status", "system, code"), "|final");
  EXPECT_EQ(Rows("idx_string", pk, "Observation", "code:text", "norm, exact"),
            "body weight|Body Weight");
  const std::string day = std::to_string(ParseFhirDateTime("2021-03-04")->low) + "|" +
                          std::to_string(ParseFhirDateTime("2021-03-05")->low);
  EXPECT_EQ(Rows("idx_date", pk, "Observation", "date", "low, high"), day);
  EXPECT_EQ(Rows("idx_quantity", pk, "Observation", "value-quantity",
                 "system, code, low, high, canon_unit, canon_low, canon_high"),
            "http://unitsofmeasure.org|mg|5.0|5.0|g|0.005|0.005");
  EXPECT_EQ(Rows("idx_reference", pk, "Observation", "subject", "target_type, target_id, url"),
            "Patient|p1|");
  EXPECT_EQ(Rows("idx_reference", pk, "Observation", "patient", "target_type, target_id, url"),
            "Patient|p1|");
  EXPECT_EQ(Rows("idx_reference", pk, "Observation", "performer", "target_type, target_id, url"),
            "||http://elsewhere.example/fhir/Organization/o1\nPractitioner|pr1|");
  EXPECT_EQ(Rows("idx_uri", pk, "Observation", "_profile", "uri, grp"),
            "http://hl7.org/fhir/StructureDefinition/bodyweight|0\n"
            "http://hl7.org/fhir/StructureDefinition/bodyweight|4.0.1|0");
  // Composite: code and value of the one item share a group.
  EXPECT_EQ(Sql("SELECT count(*) FROM idx_token t JOIN idx_quantity q ON q.res_pk = t.res_pk "
                "AND q.grp = t.grp AND t.grp > 0 WHERE t.res_pk = " +
                pk + " AND t.param_hash = " +
                std::to_string(search::ParamHash("Observation", "code-value-quantity#0")) +
                " AND q.param_hash = " +
                std::to_string(search::ParamHash("Observation", "code-value-quantity#1"))),
            "1");
  // The lexemes of search::TextLexemes, as they are (normalized, no positions).
  EXPECT_EQ(Sql("SELECT narrative::text, content @@ 'final & weight & 29463'::tsquery FROM "
                "idx_text WHERE res_pk = " +
                pk),
            "'of' 'renee' 'weight'|t");

  // Update (PUT): every table's rows are replaced, none left from version 1.
  std::string updated = kObservation;
  updated.replace(updated.find("{\"resourceType\":\"Observation\","),
                  std::string("{\"resourceType\":\"Observation\",").size(),
                  "{\"resourceType\":\"Observation\",\"id\":\"" + id + "\",");
  updated.replace(updated.find("29463-7"), 7, "8302-2");
  updated.replace(updated.find("\"code\":\"mg\""), 11, "\"code\":\"kg\"");
  updated.replace(updated.find("Patient/p1"), 10, "Patient/p2");
  HttpResponse put = Send("PUT", "/fhir/Observation/" + id, updated);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Rows("idx_token", pk, "Observation", "code", "system, code"),
            "http://loinc.org|8302-2");
  EXPECT_EQ(Rows("idx_quantity", pk, "Observation", "value-quantity", "code, canon_low"),
            "kg|5000");
  EXPECT_EQ(Rows("idx_reference", pk, "Observation", "subject", "target_type, target_id"),
            "Patient|p2");
  const std::map<std::string, int> after_update = Counts(pk);
  EXPECT_EQ(after_update.at("idx_text"), 1);
  EXPECT_GT(after_update.at("idx_token"), 3);
  EXPECT_EQ(after_update.at("idx_date"), 1);

  // An identical PUT writes nothing new; the rows stay.
  ASSERT_EQ(Send("PUT", "/fhir/Observation/" + id, updated).status, 200);
  EXPECT_EQ(Counts(pk), after_update);

  // Delete: the tombstone has no index rows at all.
  HttpResponse deleted = Send("DELETE", "/fhir/Observation/" + id);
  ASSERT_TRUE(deleted.status == 200 || deleted.status == 204) << deleted.body;
  for (const auto& [table, n] : Counts(pk)) EXPECT_EQ(n, 0) << table;

  // Re-created after deletion (PUT on a tombstone): rows are back.
  const int recreated = Send("PUT", "/fhir/Observation/" + id, updated).status;
  EXPECT_TRUE(recreated == 200 || recreated == 201) << recreated;
  EXPECT_EQ(Counts(pk), after_update);
}

TEST_F(SearchIndexTest, NumberGeoAndStringRows) {
  HttpResponse r = Send("PUT", "/fhir/RiskAssessment/ra-1", R"({"resourceType":"RiskAssessment",
    "id":"ra-1","status":"final","subject":{"reference":"Patient/p1"},
    "prediction":[{"probabilityDecimal":0.020},
                  {"probabilityRange":{"low":{"value":1.5}}}]})");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string pk = Pk("RiskAssessment", "ra-1");
  EXPECT_EQ(Rows("idx_number", pk, "RiskAssessment", "probability",
                 "low::text, coalesce(high::text, 'open')"),
            "0.020|0.020\n1.5|open");

  r = Send("PUT", "/fhir/Location/loc-1", R"({"resourceType":"Location","id":"loc-1",
    "name":"Clinique Sainte-Hélène","position":{"longitude":-83.6945691,"latitude":42.25475478}})");
  ASSERT_EQ(r.status, 201) << r.body;
  pk = Pk("Location", "loc-1");
  EXPECT_EQ(Sql("SELECT latitude, longitude FROM idx_geo WHERE res_pk = " + pk +
                " AND param_hash = " + std::to_string(search::ParamHash("Location", "near"))),
            "42.25475478|-83.6945691");
  EXPECT_EQ(Rows("idx_string", pk, "Location", "name", "norm, exact"),
            "clinique sainte-helene|Clinique Sainte-Hélène");
}

}  // namespace
}  // namespace hestia::testing
