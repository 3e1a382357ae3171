// Integration tests of the search engine's SQL (search/sql_*.cc, search/executor.cc) against a
// real PostgreSQL: an embedded cluster, the store's schema and write path, index rows from
// the real Extractor, queries from the real parser, run through Store::Reader. Each test
// tags its resources (meta.tag urn:hestia:test|<tag>) and narrows its searches with _tag, so
// the tests share one database without seeing each other's data.
// FHIR R4: http://hl7.org/fhir/R4/search.html
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "cluster_test_support.h"
#include "hestia/base/json.h"
#include "hestia/base/uri.h"
#include "hestia/fhirpath/engine.h"
#include "hestia/resources/type_registry.h"
#include "hestia/search/executor.h"
#include "hestia/search/index.h"
#include "hestia/search/query.h"
#include "hestia/storage/embedded_cluster.h"
#include "hestia/storage/store.h"
#include "sql_rewrite.h"

namespace hestia::search {
namespace {

using Ids = std::vector<std::string>;

struct World {
  std::string data_dir;
  std::unique_ptr<storage::EmbeddedCluster> cluster;
  std::unique_ptr<storage::Store> store;
  std::shared_ptr<const ParameterRegistry> registry;
  std::unique_ptr<Extractor> extractor;
  std::string error;
};
World* g_world = nullptr;

class SearchSqlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_world = new World;
    World& w = *g_world;
    w.data_dir = storage::testing::MakeTempDir();
    storage::ClusterOptions options;
    options.data_dir = w.data_dir;
    auto cluster = storage::EmbeddedCluster::Start(options);
    if (!cluster.ok()) {
      w.error = cluster.status().ToString();
      return;
    }
    w.cluster = std::move(cluster).value();
    storage::StoreOptions store_options;
    store_options.url = w.cluster->ConnectionString();
    auto store = storage::Store::Open(store_options);
    if (!store.ok()) {
      w.error = store.status().ToString();
      return;
    }
    w.store = std::move(store).value();
    auto types = resources::TypeRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
    if (!types.ok()) {
      w.error = types.status().ToString();
      return;
    }
    auto engine = fhirpath::Engine::Create(types.value());
    if (!engine.ok()) {
      w.error = engine.status().ToString();
      return;
    }
    auto registry = ParameterRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
    if (!registry.ok()) {
      w.error = registry.status().ToString();
      return;
    }
    w.registry = (*registry)->WithElementTypes(**types);
    w.extractor = std::make_unique<Extractor>(engine.value(), "http://hestia.test/fhir");
  }

  static void TearDownTestSuite() {
    if (g_world == nullptr) return;
    g_world->store.reset();
    g_world->cluster.reset();
    if (!g_world->data_dir.empty()) storage::testing::RemoveTree(g_world->data_dir);
    delete g_world;
    g_world = nullptr;
  }

  void SetUp() override { ASSERT_TRUE(g_world->error.empty()) << g_world->error; }

  static const ParameterRegistry& Registry() { return *g_world->registry; }

  // `fields` are the JSON members after resourceType, id and meta (without braces).
  static std::string Res(const std::string& type, const std::string& id, const std::string& tag,
                         const std::string& fields) {
    std::string out = R"({"resourceType":")" + type + R"(","id":")" + id +
                      R"(","meta":{"tag":[{"system":"urn:hestia:test","code":")" + tag + R"("}]})";
    if (!fields.empty()) out += "," + fields;
    return out + "}";
  }

  // Creates or updates the resource (JSON text) with its index rows, in one transaction.
  static void Put(const std::string& text) {
    json::Document doc;
    ASSERT_TRUE(json::Parse(text, json::Limits{}, &doc).ok()) << text;
    const std::string type(json::StringMember(doc, "resourceType"));
    const std::string id(json::StringMember(doc, "id"));
    auto rows = g_world->extractor->Extract(type, doc, Registry());
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    auto txn = g_world->store->Begin();
    ASSERT_TRUE(txn.ok()) << txn.status().ToString();
    auto current = (*txn)->LockCurrent(type, id);
    ASSERT_TRUE(current.ok()) << current.status().ToString();
    storage::NewVersion v;
    if (current->has_value()) {
      v.existing_pk = (*current)->pk;
      v.version = (*current)->version + 1;
    }
    v.type = type;
    v.id = id;
    v.last_updated = TruncateToMillis(NowMicros());
    v.method = "PUT";
    v.body = text;
    v.index = std::move(rows).value();
    ASSERT_TRUE((*txn)->Write(v).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  static void Delete(const std::string& type, const std::string& id) {
    auto txn = g_world->store->Begin();
    ASSERT_TRUE(txn.ok());
    auto current = (*txn)->LockCurrent(type, id);
    ASSERT_TRUE(current.ok() && current->has_value());
    storage::NewVersion v;
    v.existing_pk = (*current)->pk;
    v.version = (*current)->version + 1;
    v.type = type;
    v.id = id;
    v.last_updated = TruncateToMillis(NowMicros());
    v.deleted = true;
    v.method = "DELETE";
    ASSERT_TRUE((*txn)->Write(v).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  static Result<Query> ParseFor(const std::string& type, const std::string& query) {
    HESTIA_ASSIGN_OR_RETURN(auto pairs, ParseQuery(query));
    ParseOptions options;
    options.base_url = "http://hestia.test/fhir";
    return ParseSearch({type}, false, pairs, Registry(), options);
  }

  static Result<SearchResult> Run(const Query& query, const PageRequest& page) {
    HESTIA_ASSIGN_OR_RETURN(auto reader, g_world->store->Reader(10000));
    return ExecuteSearch(query, Registry(), page, *reader);
  }

  // Runs `query` (URL-encoded query string) on `type`, narrowed to `tag`.
  static Result<SearchResult> Search(const std::string& type, const std::string& tag,
                                     const std::string& query, int count = 100,
                                     std::optional<std::string> cursor = std::nullopt) {
    std::string q = query;
    if (!tag.empty()) q += std::string(q.empty() ? "" : "&") + "_tag=urn:hestia:test|" + tag;
    HESTIA_ASSIGN_OR_RETURN(Query parsed, ParseFor(type, q));
    PageRequest page;
    page.count = count;
    page.cursor = std::move(cursor);
    return Run(parsed, page);
  }

  // The ids of the matches in order (one page of up to 100).
  static Ids Ordered(const std::string& type, const std::string& tag, const std::string& query) {
    auto r = Search(type, tag, query);
    EXPECT_TRUE(r.ok()) << query << ": " << r.status().ToString();
    Ids out;
    if (r.ok()) {
      for (const Hit& h : r->matches) out.push_back(h.id);
    }
    return out;
  }
  static Ids Sorted(const std::string& type, const std::string& tag, const std::string& query) {
    Ids out = Ordered(type, tag, query);
    std::sort(out.begin(), out.end());
    return out;
  }

  // `query` answered by the generic statement, then by walks (executor.cc) with their own
  // budget and budgets of 1 and 3 rows (forcing fallbacks and ties at the budget's end): the
  // same whole answer, and the same sequence of 2-row pages.
  static void ExpectWalksAgreeWithGeneric(const std::string& type, const std::string& tag,
                                          const std::string& query) {
    internal::SetOrderedSortPolicyForTesting(internal::OrderedSortPolicy::kNever);
    const Ids expected = Ordered(type, tag, query);
    for (int budget : {0, 1, 3}) {
      internal::SetOrderedWalkBudgetForTesting(budget);
      internal::SetOrderedSortPolicyForTesting(internal::OrderedSortPolicy::kAlways);
      const std::string why = query + " budget " + std::to_string(budget);
      EXPECT_EQ(Ordered(type, tag, query), expected) << why;
      Ids paged;
      std::optional<std::string> cursor;
      for (int n = 0; n < 20; ++n) {
        auto r = Search(type, tag, query, 2, cursor);
        ASSERT_TRUE(r.ok()) << why << ": " << r.status().ToString();
        for (const Hit& h : r->matches) paged.push_back(h.id);
        if (!r->next_cursor) break;
        cursor = r->next_cursor;
      }
      EXPECT_EQ(paged, expected) << why;
    }
    internal::SetOrderedWalkBudgetForTesting(0);
  }
};

// ---------------------------------------------------------------- writes of one transaction
// storage::Transaction defers writes and sends those of one transaction as one batch
// statement (index_sql.h BuildBatchWrite). The same creates, updates and deletions written
// one per transaction ("qqs" ids, single statements) and all in one transaction ("qqb" ids,
// batches) must leave the same rows in every table.

// The version of `text` that follows `current` (the first version when there is none).
storage::NewVersion NextVersion(const std::string& text,
                                const std::optional<storage::CurrentRow>& current,
                                const ParameterRegistry& registry) {
  json::Document doc;
  EXPECT_TRUE(json::Parse(text, json::Limits{}, &doc).ok()) << text;
  storage::NewVersion v;
  v.type = std::string(json::StringMember(doc, "resourceType"));
  v.id = std::string(json::StringMember(doc, "id"));
  if (current.has_value()) {
    v.existing_pk = current->pk;
    v.version = current->version + 1;
  }
  v.last_updated = 1700000000000000;
  v.method = "PUT";  // as the fixture's Put
  v.body = text;
  auto rows = g_world->extractor->Extract(v.type, doc, registry);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  if (rows.ok()) v.index = std::move(rows).value();
  return v;
}

storage::NewVersion Tombstone(const std::string& type, const std::string& id,
                              const storage::CurrentRow& current) {
  storage::NewVersion v;
  v.existing_pk = current.pk;
  v.version = current.version + 1;
  v.type = type;
  v.id = id;
  v.last_updated = 1700000000000000;
  v.deleted = true;
  v.method = "DELETE";
  return v;
}

// Every row that resources with ids "<prefix>…" have in the resource, version and index
// tables, with the prefix removed wherever it appears (ids, references, bodies, lexemes) and
// the pks left out, sorted.
std::vector<std::string> RowsOf(const std::string& prefix) {
  std::vector<std::string> out;
  auto reader = g_world->store->Reader(10000);
  EXPECT_TRUE(reader.ok());
  if (!reader.ok()) return out;
  auto add = [&](const std::string& select) {
    Sql sql;
    const std::string like = sql.Bind(prefix + "%");
    const std::string cut = sql.Bind(std::to_string(prefix.size() + 1));
    sql.text = select;
    for (std::size_t at = sql.text.find("@like"); at != std::string::npos;
         at = sql.text.find("@like")) {
      sql.text.replace(at, 5, like);
    }
    for (std::size_t at = sql.text.find("@cut"); at != std::string::npos;
         at = sql.text.find("@cut")) {
      sql.text.replace(at, 4, cut + "::int");
    }
    auto rows = (*reader)->Run(sql);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString() << "\n" << sql.text;
    for (const auto& row : *rows) {
      std::string text = row[0].value_or("NULL");
      for (std::size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix)) {
        text.erase(at, prefix.size());
      }
      out.push_back(std::move(text));
    }
  };
  add("SELECT 'resource ' || res_type || '/' || substr(res_id, @cut) || ' v' || version || "
      "' deleted=' || deleted FROM resource WHERE res_id LIKE @like");
  add("SELECT 'version ' || res_type || '/' || substr(res_id, @cut) || ' v' || version || ' ' || "
      "method || ' deleted=' || deleted || ' ' || coalesce(body, 'NULL') FROM resource_version "
      "WHERE res_id LIKE @like");
  for (const char* table : {"idx_token", "idx_string", "idx_date", "idx_number", "idx_quantity",
                            "idx_uri", "idx_reference", "idx_geo", "idx_text"}) {
    add(std::string("SELECT '") + table + " ' || substr(r.res_id, @cut) || ' ' || (to_jsonb(t) - " +
        "'res_pk')::text FROM " + table +
        " t JOIN resource r ON r.pk = t.res_pk WHERE r.res_id LIKE @like");
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(SearchSqlTest, OneTransactionsWritesLeaveTheRowsOfSingleWrites) {
  const std::string tag = "batchwrite";
  // Resources touching every index table; `p` is the id prefix.
  auto first = [&](const std::string& p) {
    return std::vector<std::string>{
        Res("Patient", p + "pat1", tag,
            R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Ada \"the first\" Quill</div>"},)"
            R"("identifier":[{"system":"urn:mrn","value":"M-1"}],"name":[{"family":"Quill","given":["Ada"]}],)"
            R"("gender":"female","birthDate":"1970-03-04","address":[{"city":"Zürich","line":["Back\\slash 1"]}])"),
        Res("Patient", p + "pat2", tag, R"("name":[{"family":"Reed"}],"birthDate":"1981")"),
        Res("Observation", p + "obs1", tag,
            R"("status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},)"
            R"("subject":{"reference":"Patient/)" +
                p +
                R"(pat1"},"effectiveDateTime":"2020-01-02T03:04:05Z",)"
                R"("valueQuantity":{"value":120.5,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"})"),
        Res("Location", p + "loc1", tag,
            R"("name":"North Wing","position":{"latitude":47.37,"longitude":8.54})"),
        Res("RiskAssessment", p + "risk1", tag,
            R"("status":"final","subject":{"reference":"Patient/)" + p +
                R"(pat2"},"prediction":[{"probabilityDecimal":0.25}])"),
        Res("Questionnaire", p + "q1", tag,
            R"("status":"active","url":"http://example.org/Questionnaire/)" + p + R"(q1")"),
    };
  };
  // Second round: updates (one loses its narrative and all but one name), a deletion, and
  // new resources.
  auto second = [&](const std::string& p) {
    return std::vector<std::string>{
        Res("Patient", p + "pat1", tag, R"("name":[{"family":"Quill-Smith"}],"gender":"female")"),
        Res("Observation", p + "obs1", tag,
            R"("status":"amended","code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},)"
            R"("valueQuantity":{"value":80,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"})"),
        Res("Patient", p + "pat3", tag, R"("name":[{"family":"Stone"}])"),
        Res("Patient", p + "pat4", tag,
            R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Four</div>"})"),
    };
  };
  auto id_of = [](const std::string& text) {
    json::Document doc;
    EXPECT_TRUE(json::Parse(text, json::Limits{}, &doc).ok());
    return std::make_pair(std::string(json::StringMember(doc, "resourceType")),
                          std::string(json::StringMember(doc, "id")));
  };

  // One transaction per write: single statements.
  for (const auto& round : {first("qqs"), second("qqs")}) {
    for (const std::string& text : round) Put(text);
  }
  Delete("Location", "qqsloc1");

  // Round 1 in one transaction: prefetched (all absent), then written; a search inside the
  // transaction sees them before the commit.
  {
    auto txn = g_world->store->Begin();
    ASSERT_TRUE(txn.ok());
    std::vector<std::pair<std::string, std::string>> keys;
    for (const std::string& text : first("qqb")) keys.push_back(id_of(text));
    ASSERT_TRUE((*txn)->PrefetchCurrent(keys).ok());
    for (const std::string& text : first("qqb")) {
      auto [type, id] = id_of(text);
      auto current = (*txn)->LockCurrent(type, id);
      ASSERT_TRUE(current.ok());
      EXPECT_FALSE(current->has_value()) << id;
      ASSERT_TRUE((*txn)->Write(NextVersion(text, *current, Registry())).ok());
    }
    auto query = ParseFor("Patient", "family=quill&_tag=urn:hestia:test|" + tag);
    ASSERT_TRUE(query.ok());
    auto inside = ExecuteSearch(*query, Registry(), PageRequest{}, **txn);
    ASSERT_TRUE(inside.ok()) << inside.status().ToString();
    Ids found;
    for (const Hit& h : inside->matches) found.push_back(h.id);
    std::sort(found.begin(), found.end());
    EXPECT_EQ(found, (Ids{"qqbpat1", "qqspat1"}));
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  // Round 2 in one transaction: prefetched current rows (bodies included), updates, a
  // deletion and creates mixed in one batch.
  {
    auto txn = g_world->store->Begin();
    ASSERT_TRUE(txn.ok());
    std::vector<std::pair<std::string, std::string>> keys;
    for (const std::string& text : second("qqb")) keys.push_back(id_of(text));
    keys.emplace_back("Location", "qqbloc1");
    ASSERT_TRUE((*txn)->PrefetchCurrent(keys).ok());
    for (const std::string& text : second("qqb")) {
      auto [type, id] = id_of(text);
      auto current = (*txn)->LockCurrent(type, id);
      ASSERT_TRUE(current.ok());
      if (id == "qqbpat1") {
        ASSERT_TRUE(current->has_value());
        EXPECT_EQ((*current)->version, 1);
        EXPECT_NE((*current)->body.find("Ada"), std::string::npos);
      }
      ASSERT_TRUE((*txn)->Write(NextVersion(text, *current, Registry())).ok());
    }
    auto location = (*txn)->LockCurrent("Location", "qqbloc1");
    ASSERT_TRUE(location.ok() && location->has_value());
    ASSERT_TRUE((*txn)->Write(Tombstone("Location", "qqbloc1", **location)).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  const std::vector<std::string> single = RowsOf("qqs");
  const std::vector<std::string> batch = RowsOf("qqb");
  EXPECT_GT(single.size(), 50u);
  EXPECT_EQ(batch, single);

  // Versions are numbered in the order of the writes.
  Sql order;
  order.text = "SELECT res_id FROM resource_version WHERE res_id LIKE 'qqb%' ORDER BY seq";
  auto reader = g_world->store->Reader(10000);
  ASSERT_TRUE(reader.ok());
  auto rows = (*reader)->Run(order);
  ASSERT_TRUE(rows.ok());
  Ids written;
  for (const auto& row : *rows) written.push_back(*row[0]);
  EXPECT_EQ(written, (Ids{"qqbpat1", "qqbpat2", "qqbobs1", "qqbloc1", "qqbrisk1", "qqbq1",
                          "qqbpat1", "qqbobs1", "qqbpat3", "qqbpat4", "qqbloc1"}));
}

// A deferred create that loses to a concurrent creator of the same resource fails the whole
// transaction with kAborted when it is sent (here at Commit), and none of its writes remain.
TEST_F(SearchSqlTest, DeferredCreateLosingARaceAbortsItsTransaction) {
  const std::string tag = "batchrace";
  auto loser = g_world->store->Begin();
  ASSERT_TRUE(loser.ok());
  for (const char* id : {"race-a", "race-b", "race-c"}) {
    ASSERT_TRUE(
        (*loser)->Write(NextVersion(Res("Patient", id, tag, ""), std::nullopt, Registry())).ok());
  }
  {
    // Not blocked by the loser: its rows have not been sent yet.
    auto winner = g_world->store->Begin();
    ASSERT_TRUE(winner.ok());
    ASSERT_TRUE((*winner)
                    ->Write(NextVersion(Res("Patient", "race-b", tag, R"("gender":"male")"),
                                        std::nullopt, Registry()))
                    .ok());
    ASSERT_TRUE((*winner)->Commit().ok());
  }
  const Status lost = (*loser)->Commit();
  EXPECT_EQ(lost.code(), StatusCode::kAborted) << lost.ToString();
  loser->reset();
  EXPECT_EQ(Sorted("Patient", tag, ""), (Ids{"race-b"}));
  EXPECT_EQ(Sorted("Patient", tag, "gender=male"), (Ids{"race-b"}));
}

// Concurrent plain creates (Store::WriteAutocommit) are combined into shared transactions
// while writers are busy, and each caller still gets its own outcome.
TEST_F(SearchSqlTest, ConcurrentCreatesAreCombinedAndEachGetsItsOwnOutcome) {
  const std::string tag = "combine";
  Put(Res("Patient", "comb-taken", tag, ""));
  // Writers race each other from `ids`, one every 10 ms, while a lock on resource_version
  // holds the first ones (every later one queues behind them); returns their outcomes.
  auto race = [&](const std::vector<std::string>& ids) {
    auto blocker = g_world->store->Begin();
    EXPECT_TRUE(blocker.ok());
    Sql lock;
    lock.text = "LOCK TABLE resource_version IN SHARE ROW EXCLUSIVE MODE";
    EXPECT_TRUE((*blocker)->Run(lock).ok());
    std::vector<Status> outcomes(ids.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      threads.emplace_back([&, i] {
        const storage::NewVersion v = NextVersion(
            Res("Patient", ids[i], tag, R"("gender":"other")"), std::nullopt, Registry());
        outcomes[i] = g_world->store->WriteAutocommit(v);
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    blocker->reset();  // rolls back, releasing the lock
    for (auto& t : threads) t.join();
    return outcomes;
  };
  auto transactions = [&](const std::string& like) {
    Sql sql;
    sql.text = "SELECT count(DISTINCT xmin::text) FROM resource_version WHERE res_id LIKE " +
               sql.Bind(like);
    auto reader = g_world->store->Reader(10000);
    EXPECT_TRUE(reader.ok());
    auto rows = (*reader)->Run(sql);
    EXPECT_TRUE(rows.ok());
    return std::stol(*(*rows)[0][0]);
  };

  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back("comb-a" + std::to_string(i));
  for (const Status& s : race(ids)) EXPECT_TRUE(s.ok()) << s.ToString();
  // The first writers wrote alone (held by the lock); everyone queued behind them shared a
  // transaction with others.
  EXPECT_LT(transactions("comb-a%"), 10);

  // A create that collides with an existing resource fails alone: the others queued with it
  // are written.
  ids.clear();
  for (int i = 0; i < 10; ++i) ids.push_back("comb-b" + std::to_string(i));
  ids.push_back("comb-taken");
  const std::vector<Status> outcomes = race(ids);
  for (std::size_t i = 0; i + 1 < outcomes.size(); ++i) {
    EXPECT_TRUE(outcomes[i].ok()) << ids[i] << ": " << outcomes[i].ToString();
  }
  EXPECT_EQ(outcomes.back().code(), StatusCode::kAborted) << outcomes.back().ToString();
  EXPECT_EQ(Sorted("Patient", tag, "gender=other").size(), 30u);
  EXPECT_EQ(transactions("comb-taken"), 1);
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#token
TEST_F(SearchSqlTest, TokenFormsAndModifiers) {
  const std::string t = "tok";
  Put(Res("Observation", "tok1", t,
          R"("status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1234-5"}],)"
          R"("text":"Blood pressure"},"identifier":[{"type":{"coding":[{"system":)"
          R"("http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},"value":"m1"}])"));
  Put(Res(
      "Observation", "tok2", t,
      R"("status":"final","code":{"coding":[{"system":"http://snomed.info/sct","code":"1234-5"}]})"));
  Put(Res("Observation", "tok3", t, R"("status":"final","code":{"coding":[{"code":"1234-5"}]})"));
  Put(Res("Observation", "tok4", t,
          R"("status":"final","code":{"coding":[{"system":"http://loinc.org","code":"9999-9",)"
          R"("display":"Heart rate"}]})"));
  EXPECT_EQ(Sorted("Observation", t, "code=http://loinc.org|1234-5"), Ids({"tok1"}));
  EXPECT_EQ(Sorted("Observation", t, "code=1234-5"), Ids({"tok1", "tok2", "tok3"}));
  EXPECT_EQ(Sorted("Observation", t, "code=|1234-5"), Ids({"tok3"}));
  EXPECT_EQ(Sorted("Observation", t, "code=http://loinc.org|"), Ids({"tok1", "tok4"}));
  EXPECT_EQ(Sorted("Observation", t, "code=http://loinc.org|1234-5,http://loinc.org|9999-9"),
            Ids({"tok1", "tok4"}));
  EXPECT_EQ(Sorted("Observation", t, "code:not=1234-5"), Ids({"tok4"}));
  EXPECT_EQ(Sorted("Observation", t, "code:text=blood"), Ids({"tok1"}));
  EXPECT_EQ(Sorted("Observation", t, "code:text=HEART"), Ids({"tok4"}));
  EXPECT_EQ(Sorted("Observation", t,
                   "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|m1"),
            Ids({"tok1"}));
  EXPECT_EQ(Sorted("Observation", t, "identifier:missing=true"), Ids({"tok2", "tok3", "tok4"}));
  EXPECT_EQ(Sorted("Observation", t, "identifier:missing=false"), Ids({"tok1"}));
  // Repeated parameters AND together.
  EXPECT_EQ(Sorted("Observation", t, "code=1234-5&code:not=http://loinc.org|1234-5"),
            Ids({"tok2", "tok3"}));
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#string
TEST_F(SearchSqlTest, StringStartsWithExactContainsMissing) {
  const std::string t = "str";
  Put(Res("Patient", "str1", t, R"("name":[{"family":"Müller","given":["Anna"]}])"));
  Put(Res("Patient", "str2", t, R"("name":[{"family":"Muller-Lüdenscheidt"}])"));
  Put(Res("Patient", "str3", t, R"("name":[{"family":"Smith","given":["Mullet"]}])"));
  Put(Res("Patient", "str4", t, R"("gender":"other")"));
  EXPECT_EQ(Sorted("Patient", t, "family=muller"), Ids({"str1", "str2"}));
  EXPECT_EQ(Sorted("Patient", t, "family=MÜL"), Ids({"str1", "str2"}));
  EXPECT_EQ(Sorted("Patient", t, "name=mul"), Ids({"str1", "str2", "str3"}));
  EXPECT_EQ(Sorted("Patient", t, "family:exact=Müller"), Ids({"str1"}));
  EXPECT_EQ(Sorted("Patient", t, "family:exact=müller"), Ids({}));
  EXPECT_EQ(Sorted("Patient", t, "family:contains=DENSCHEID"), Ids({"str2"}));
  EXPECT_EQ(Sorted("Patient", t, "family:contains=%25"), Ids({}));  // LIKE wildcards are literal
  EXPECT_EQ(Sorted("Patient", t, "family:missing=true"), Ids({"str4"}));
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#date (prefixes over ranges)
TEST_F(SearchSqlTest, DatePrefixes) {
  const std::string t = "date";
  Put(Res("Patient", "date1", t, R"("birthDate":"2000-01-01")"));
  Put(Res("Patient", "date2", t, R"("birthDate":"2000-06-15")"));
  Put(Res("Patient", "date3", t, R"("birthDate":"2001")"));
  Put(Res("Patient", "date4", t, R"("gender":"male")"));
  EXPECT_EQ(Sorted("Patient", t, "birthdate=2000"), Ids({"date1", "date2"}));
  EXPECT_EQ(Sorted("Patient", t, "birthdate=eq2000-01-01"), Ids({"date1"}));
  EXPECT_EQ(Sorted("Patient", t, "birthdate=2001-03"), Ids({}));  // 2001 is wider than March
  EXPECT_EQ(Sorted("Patient", t, "birthdate=ne2000"), Ids({"date3"}));
  EXPECT_EQ(Sorted("Patient", t, "birthdate=gt2000-06-01"), Ids({"date2", "date3"}));
  EXPECT_EQ(Sorted("Patient", t, "birthdate=lt2000-06-15"), Ids({"date1"}));
  EXPECT_EQ(Sorted("Patient", t, "birthdate=ge2000-06-15"), Ids({"date2", "date3"}));
  EXPECT_EQ(Sorted("Patient", t, "birthdate=le2000-06-15"), Ids({"date1", "date2"}));
  EXPECT_EQ(Sorted("Patient", t, "birthdate=sa2000"), Ids({"date3"}));
  EXPECT_EQ(Sorted("Patient", t, "birthdate=eb2001"), Ids({"date1", "date2"}));
  EXPECT_EQ(Sorted("Patient", t, "birthdate=ap2000-06-15"), Ids({"date1", "date2", "date3"}));
  EXPECT_EQ(Sorted("Patient", t, "birthdate=ge2000-02&birthdate=lt2001"), Ids({"date2"}));
  EXPECT_EQ(Sorted("Patient", t, "birthdate:missing=true"), Ids({"date4"}));
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#number
TEST_F(SearchSqlTest, NumberPrecisionAndPrefixes) {
  const std::string t = "num";
  auto risk = [&](const std::string& id, const std::string& prediction) {
    Put(Res("RiskAssessment", id, t,
            R"("status":"final","subject":{"reference":"Patient/x"},"prediction":[)" + prediction +
                "]"));
  };
  risk("num1", R"({"probabilityDecimal":0.5})");
  risk("num2", R"({"probabilityDecimal":0.55})");
  risk("num3", R"({"probabilityRange":{"low":{"value":0.2},"high":{"value":0.3}}})");
  EXPECT_EQ(Sorted("RiskAssessment", t, "probability=0.5"), Ids({"num1"}));
  EXPECT_EQ(Sorted("RiskAssessment", t, "probability=0.55"), Ids({"num2"}));
  EXPECT_EQ(Sorted("RiskAssessment", t, "probability=0.50"), Ids({"num1"}));
  EXPECT_EQ(Sorted("RiskAssessment", t, "probability=gt0.5"), Ids({"num2"}));
  EXPECT_EQ(Sorted("RiskAssessment", t, "probability=ge0.5"), Ids({"num1", "num2"}));
  EXPECT_EQ(Sorted("RiskAssessment", t, "probability=lt0.5"), Ids({"num3"}));
  EXPECT_EQ(Sorted("RiskAssessment", t, "probability=le0.3"), Ids({"num3"}));
  EXPECT_EQ(Sorted("RiskAssessment", t, "probability=ne0.5"), Ids({"num2", "num3"}));
  EXPECT_EQ(Sorted("RiskAssessment", t, "probability=ap0.5"), Ids({"num1", "num2"}));
  EXPECT_EQ(Sorted("RiskAssessment", t, "probability=sa0.3"), Ids({"num1", "num2"}));
  EXPECT_EQ(Sorted("RiskAssessment", t, "probability=eb0.5"), Ids({"num3"}));
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#quantity
TEST_F(SearchSqlTest, QuantityUnitsAndCanonicalComparison) {
  const std::string t = "qty";
  auto obs = [&](const std::string& id, const std::string& quantity) {
    Put(Res("Observation", id, t,
            R"("status":"final","code":{"text":"q"},"valueQuantity":)" + quantity));
  };
  obs("qty1", R"({"value":5,"system":"http://unitsofmeasure.org","code":"mg"})");
  obs("qty2", R"({"value":0.005,"system":"http://unitsofmeasure.org","code":"g"})");
  obs("qty3", R"({"value":5,"system":"http://other.org","code":"tabs"})");
  obs("qty4", R"({"value":6,"system":"http://unitsofmeasure.org","code":"mg"})");
  EXPECT_EQ(Sorted("Observation", t, "value-quantity=5|http://unitsofmeasure.org|mg"),
            Ids({"qty1", "qty2"}));
  EXPECT_EQ(Sorted("Observation", t, "value-quantity=0.005|http://unitsofmeasure.org|g"),
            Ids({"qty1", "qty2"}));
  EXPECT_EQ(Sorted("Observation", t, "value-quantity=5"), Ids({"qty1", "qty3"}));
  EXPECT_EQ(Sorted("Observation", t, "value-quantity=5||tabs"), Ids({"qty3"}));
  EXPECT_EQ(Sorted("Observation", t, "value-quantity=5|http://other.org|tabs"), Ids({"qty3"}));
  EXPECT_EQ(Sorted("Observation", t, "value-quantity=gt5|http://unitsofmeasure.org|mg"),
            Ids({"qty4"}));
  EXPECT_EQ(Sorted("Observation", t, "value-quantity=le0.005|http://unitsofmeasure.org|g"),
            Ids({"qty1", "qty2"}));
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#uri
TEST_F(SearchSqlTest, UriEqualityBelowAbove) {
  const std::string t = "uri";
  Put(Res("ValueSet", "uri1", t, R"("status":"active","url":"http://acme.org/fhir/ValueSet/123")"));
  Put(Res("ValueSet", "uri2", t,
          R"("status":"active","url":"http://acme.org/fhir/ValueSet/123/x")"));
  Put(Res("ValueSet", "uri3", t, R"("status":"active","url":"http://other.org/vs")"));
  EXPECT_EQ(Sorted("ValueSet", t, "url=http://acme.org/fhir/ValueSet/123"), Ids({"uri1"}));
  EXPECT_EQ(Sorted("ValueSet", t, "url:below=http://acme.org/fhir/"), Ids({"uri1", "uri2"}));
  EXPECT_EQ(Sorted("ValueSet", t, "url:above=http://acme.org/fhir/ValueSet/123/x/y"),
            Ids({"uri1", "uri2"}));
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#reference
TEST_F(SearchSqlTest, ReferenceForms) {
  const std::string t = "ref";
  Put(Res("Patient", "ref-p1", t, ""));
  Put(Res("Patient", "ref-p2", t, ""));
  auto obs = [&](const std::string& id, const std::string& subject) {
    Put(Res("Observation", id, t,
            R"("status":"final","code":{"text":"r"})" +
                (subject.empty() ? std::string() : ",\"subject\":" + subject)));
  };
  obs("ref1", R"({"reference":"Patient/ref-p1"})");
  obs("ref2", R"({"reference":"Patient/ref-p2"})");
  obs("ref3", R"({"reference":"Patient/ref-p2","identifier":{"system":"urn:ids","value":"77"}})");
  obs("ref4", R"({"reference":"http://other.org/fhir/Patient/9"})");
  obs("ref5", "");
  obs("ref6", R"({"reference":"http://hestia.test/fhir/Patient/ref-p1"})");
  EXPECT_EQ(Sorted("Observation", t, "subject=Patient/ref-p1"), Ids({"ref1", "ref6"}));
  EXPECT_EQ(Sorted("Observation", t, "subject=ref-p2"), Ids({"ref2", "ref3"}));
  EXPECT_EQ(Sorted("Observation", t, "subject:Patient=ref-p1"), Ids({"ref1", "ref6"}));
  EXPECT_EQ(Sorted("Observation", t, "subject:Group=ref-p1"), Ids({}));
  EXPECT_EQ(Sorted("Observation", t, "patient=ref-p1"), Ids({"ref1", "ref6"}));
  EXPECT_EQ(Sorted("Observation", t, "subject=http://other.org/fhir/Patient/9"), Ids({"ref4"}));
  EXPECT_EQ(Sorted("Observation", t, "subject=http://hestia.test/fhir/Patient/ref-p2"),
            Ids({"ref2", "ref3"}));
  EXPECT_EQ(Sorted("Observation", t, "subject:identifier=urn:ids|77"), Ids({"ref3"}));
  EXPECT_EQ(Sorted("Observation", t, "subject:missing=true"), Ids({"ref5"}));
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#composite
TEST_F(SearchSqlTest, CompositeComponentsMatchWithinOneItem) {
  const std::string t = "comp";
  auto component = [](const std::string& code, int value) {
    return R"({"code":{"coding":[{"system":"http://loinc.org","code":")" + code +
           R"("}]},"valueQuantity":{"value":)" + std::to_string(value) +
           R"(,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}})";
  };
  Put(Res("Observation", "comp1", t,
          R"("status":"final","code":{"text":"bp"},"component":[)" + component("8480-6", 120) +
              "," + component("8462-4", 80) + "]"));
  Put(Res("Observation", "comp2", t,
          R"("status":"final","code":{"text":"bp"},"component":[)" + component("8480-6", 80) + "," +
              component("8462-4", 120) + "]"));
  EXPECT_EQ(Sorted("Observation", t, "component-code-value-quantity=http://loinc.org|8480-6$120"),
            Ids({"comp1"}));
  EXPECT_EQ(Sorted("Observation", t, "component-code-value-quantity=http://loinc.org|8480-6$lt100"),
            Ids({"comp2"}));
  EXPECT_EQ(Sorted("Observation", t,
                   "component-code-value-quantity=http://loinc.org|8480-6$120,"
                   "http://loinc.org|8462-4$120"),
            Ids({"comp1", "comp2"}));
}

// Observation's combo-* parameters have no rows of their own (ParameterRegistry::RowSources):
// they are answered from the rows of code / component-code, value-quantity /
// component-value-quantity and the two code-value-quantity composites, with the spec's meaning.
TEST_F(SearchSqlTest, SharedRowsAnswerComboParametersAsTheirExpressions) {
  ASSERT_EQ(Registry().RowSources("Observation", "combo-code").size(), 2u);
  ASSERT_EQ(Registry().RowSources("Observation", "combo-code-value-quantity").size(), 2u);
  const std::string t = "combo";
  auto coding = [](const std::string& code) {
    return R"({"coding":[{"system":"http://loinc.org","code":")" + code + R"("}]})";
  };
  auto quantity = [](int value) {
    return R"({"value":)" + std::to_string(value) +
           R"(,"system":"http://unitsofmeasure.org","code":"mm[Hg]"})";
  };
  auto component = [&](const std::string& code, int value) {
    return R"({"code":)" + coding(code) + R"(,"valueQuantity":)" + quantity(value) + "}";
  };
  // cb1: a panel whose values are in its components.
  Put(Res("Observation", "cb1", t,
          R"("status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}],)"
          R"("text":"Blood pressure panel"},"component":[)" +
              component("8480-6", 120) + "," + component("8462-4", 70) + "]"));
  // cb2: a value on the Observation itself.
  Put(Res(
      "Observation", "cb2", t,
      R"("status":"final","code":)" + coding("8480-6") + R"(,"valueQuantity":)" + quantity(80)));
  // cb3: both; its own code (9999-1, 50) and its first component (8480-6, 120) are item 1 of
  // two different composites.
  Put(Res("Observation", "cb3", t,
          R"("status":"final","code":)" + coding("9999-1") + R"(,"valueQuantity":)" + quantity(50) +
              R"(,"component":[)" + component("8480-6", 120) + "]"));
  // cb4: neither values nor components.
  Put(Res("Observation", "cb4", t, R"("status":"final","code":)" + coding("1111-1")));

  EXPECT_EQ(Sorted("Observation", t, "combo-code=http://loinc.org|8480-6"),
            Ids({"cb1", "cb2", "cb3"}));
  EXPECT_EQ(Sorted("Observation", t, "combo-code=9999-1"), Ids({"cb3"}));
  EXPECT_EQ(Sorted("Observation", t, "combo-code:text=blood pressure"), Ids({"cb1"}));
  EXPECT_EQ(Sorted("Observation", t, "combo-code:not=http://loinc.org|8480-6"), Ids({"cb4"}));
  EXPECT_EQ(Sorted("Observation", t, "combo-value-quantity=70"), Ids({"cb1"}));
  EXPECT_EQ(Sorted("Observation", t, "combo-value-quantity=80"), Ids({"cb2"}));
  EXPECT_EQ(Sorted("Observation", t, "combo-value-quantity=ge100"), Ids({"cb1", "cb3"}));
  EXPECT_EQ(Sorted("Observation", t, "combo-value-quantity:missing=true"), Ids({"cb4"}));
  EXPECT_EQ(Sorted("Observation", t, "combo-code-value-quantity=http://loinc.org|8480-6$120"),
            Ids({"cb1", "cb3"}));
  EXPECT_EQ(Sorted("Observation", t, "combo-code-value-quantity=http://loinc.org|8480-6$80"),
            Ids({"cb2"}));
  EXPECT_EQ(Sorted("Observation", t, "combo-code-value-quantity=http://loinc.org|9999-1$50"),
            Ids({"cb3"}));
  // The code of one item and the value of another never match together, even where both are
  // item 1 of their composites.
  EXPECT_EQ(Sorted("Observation", t, "combo-code-value-quantity=http://loinc.org|9999-1$120"),
            Ids({}));
  EXPECT_EQ(Sorted("Observation", t, "combo-code-value-quantity:missing=true"), Ids({"cb4"}));
  // Ascending by the smallest value of either source; none last.
  EXPECT_EQ(Ordered("Observation", t,
                    "combo-code=http://loinc.org|8480-6,http://loinc.org|1111-1"
                    "&_sort=combo-value-quantity"),
            Ids({"cb3", "cb1", "cb2", "cb4"}));

  // Two parameters with one expression: DeviceUseStatement patient and subject.
  const bool patient_shares = !Registry().RowSources("DeviceUseStatement", "patient").empty();
  ASSERT_EQ(patient_shares, Registry().RowSources("DeviceUseStatement", "subject").empty());
  Put(Res("Patient", "cb-p1", t, R"("name":[{"family":"Sharer"}])"));
  Put(Res("DeviceUseStatement", "cb-d1", t,
          R"("status":"active","subject":{"reference":"Patient/cb-p1"},)"
          R"("device":{"reference":"Device/cb-dev"})"));
  EXPECT_EQ(Sorted("DeviceUseStatement", t, "patient=cb-p1"), Ids({"cb-d1"}));
  EXPECT_EQ(Sorted("DeviceUseStatement", t, "subject=Patient/cb-p1"), Ids({"cb-d1"}));
  EXPECT_EQ(Sorted("DeviceUseStatement", t, "patient.family=sharer"), Ids({"cb-d1"}));
  EXPECT_EQ(Sorted("DeviceUseStatement", t, "patient:missing=true"), Ids({}));
  EXPECT_EQ(Sorted("Patient", t, "_has:DeviceUseStatement:patient:device=Device/cb-dev"),
            Ids({"cb-p1"}));
  auto r = Search("DeviceUseStatement", t, "_include=DeviceUseStatement:patient");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->included.size(), 1u);
  EXPECT_EQ(r->included[0].id, "cb-p1");
  r = Search("Patient", t, "_revinclude=DeviceUseStatement:patient");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->included.size(), 1u);
  EXPECT_EQ(r->included[0].id, "cb-d1");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#chaining, #has
TEST_F(SearchSqlTest, ChainsAndReverseChains) {
  const std::string t = "chain";
  Put(Res("Organization", "chain-org1", t, R"("name":"Acme Health")"));
  Put(Res("Organization", "chain-org2", t, R"("name":"Other Care")"));
  Put(Res(
      "Patient", "chain-p1", t,
      R"("name":[{"family":"Chainer"}],"managingOrganization":{"reference":"Organization/chain-org1"})"));
  Put(Res(
      "Patient", "chain-p2", t,
      R"("name":[{"family":"Other"}],"managingOrganization":{"reference":"Organization/chain-org2"})"));
  Put(Res("Observation", "chain-o1", t,
          R"("status":"final","code":{"coding":[{"system":"http://loinc.org","code":"ch-1"}]},)"
          R"("subject":{"reference":"Patient/chain-p1"})"));
  Put(Res("Observation", "chain-o2", t,
          R"("status":"final","code":{"coding":[{"system":"http://loinc.org","code":"ch-2"}]},)"
          R"("subject":{"reference":"Patient/chain-p2"})"));
  EXPECT_EQ(Sorted("Observation", t, "subject.family=chainer"), Ids({"chain-o1"}));
  EXPECT_EQ(Sorted("Observation", t, "subject:Patient.family=chainer"), Ids({"chain-o1"}));
  EXPECT_EQ(Sorted("Observation", t, "subject:Patient.organization.name=acme"), Ids({"chain-o1"}));
  EXPECT_EQ(Sorted("Observation", t, "subject:Patient.organization.name=nobody"), Ids({}));
  EXPECT_EQ(Sorted("Observation", t, "subject:Patient._id=chain-p2"), Ids({"chain-o2"}));
  EXPECT_EQ(Sorted("Patient", t, "_has:Observation:subject:code=http://loinc.org|ch-1"),
            Ids({"chain-p1"}));
  EXPECT_EQ(Sorted("Patient", t, "_has:Observation:patient:code=ch-1,ch-2"),
            Ids({"chain-p1", "chain-p2"}));
  EXPECT_EQ(
      Sorted("Organization", t, "_has:Patient:organization:_has:Observation:subject:code=ch-2"),
      Ids({"chain-org2"}));
  Delete("Observation", "chain-o2");
  EXPECT_EQ(
      Sorted("Organization", t, "_has:Patient:organization:_has:Observation:subject:code=ch-2"),
      Ids({}));
  EXPECT_EQ(Sorted("Observation", t, ""), Ids({"chain-o1"}));  // deleted ones never match
}

// name and address leave the parts family, given and address-city/-state/-postalcode/-country
// index to those parameters' rows (ParameterRegistry::PartSources) and are searched over their
// own rows and the parts' together: every form of a string search, :missing, chains and _sort
// answer as if name and address had every row.
TEST_F(SearchSqlTest, NameAndAddressAnswerWithTheRowsOfTheirParts) {
  ASSERT_FALSE(Registry().PartSources("Patient", "name").empty());
  const std::string t = "parts";
  Put(Res("Patient", "np1", t,
          R"("name":[{"family":"Okafor","given":["Amara"],"prefix":["Dr."]}],)"
          R"("address":[{"line":["1 Main St"],"city":"Portland","state":"OR"}])"));
  Put(Res("Patient", "np2", t,
          R"("name":[{"text":"Zed Quinn","family":"Quinn"}],)"
          R"("address":[{"city":"Salem","postalCode":"97301"}])"));
  Put(Res("Patient", "np3", t, R"("name":[{"given":["Portland"]}])"));
  Put(Res("Patient", "np4", t, R"("gender":"other")"));
  Put(Res("Observation", "np-o1", t,
          R"("status":"final","code":{"text":"x"},"subject":{"reference":"Patient/np1"})"));
  EXPECT_EQ(Sorted("Patient", t, "name=okaf"), Ids({"np1"}));         // family
  EXPECT_EQ(Sorted("Patient", t, "name=AMARA"), Ids({"np1"}));        // given
  EXPECT_EQ(Sorted("Patient", t, "name=dr"), Ids({"np1"}));           // prefix (own row)
  EXPECT_EQ(Sorted("Patient", t, "name=zed"), Ids({"np2"}));          // text (own row)
  EXPECT_EQ(Sorted("Patient", t, "name=amara%20oka"), Ids({"np1"}));  // whole name (own)
  EXPECT_EQ(Sorted("Patient", t, "name=quinn,portland"), Ids({"np2", "np3"}));
  EXPECT_EQ(Sorted("Patient", t, "name:exact=Amara"), Ids({"np1"}));
  EXPECT_EQ(Sorted("Patient", t, "name:exact=amara"), Ids({}));
  EXPECT_EQ(Sorted("Patient", t, "name:contains=KAF"), Ids({"np1"}));
  EXPECT_EQ(Sorted("Patient", t, "name:missing=true"), Ids({"np4"}));
  EXPECT_EQ(Sorted("Patient", t, "name:missing=false"), Ids({"np1", "np2", "np3"}));
  EXPECT_EQ(Sorted("Patient", t, "family=okafor"), Ids({"np1"}));
  EXPECT_EQ(Sorted("Patient", t, "given=portland"), Ids({"np3"}));
  EXPECT_EQ(Sorted("Patient", t, "address=portland"), Ids({"np1"}));  // city
  EXPECT_EQ(Sorted("Patient", t, "address=or"), Ids({"np1"}));        // state
  EXPECT_EQ(Sorted("Patient", t, "address=97301"), Ids({"np2"}));     // postalCode
  EXPECT_EQ(Sorted("Patient", t, "address=1%20main"), Ids({"np1"}));  // line (own row)
  EXPECT_EQ(Sorted("Patient", t, "address:missing=true"), Ids({"np3", "np4"}));
  EXPECT_EQ(Sorted("Patient", t, "address-city=salem"), Ids({"np2"}));
  EXPECT_EQ(Sorted("Observation", t, "subject:Patient.name=amara"), Ids({"np-o1"}));
  EXPECT_EQ(Sorted("Observation", t, "subject:Patient.address=portland"), Ids({"np-o1"}));
  EXPECT_EQ(Sorted("Patient", t, "_has:Observation:subject:_id=np-o1&name=okafor"), Ids({"np1"}));
  // Sort values over all of them: least "amara", "portland", "quinn"; greatest "okafor",
  // "portland", "zed quinn"; without a name last. The index walks (one per key, merged)
  // agree with the generic statement, page by page.
  EXPECT_EQ(Ordered("Patient", t, "_sort=name"), Ids({"np1", "np3", "np2", "np4"}));
  EXPECT_EQ(Ordered("Patient", t, "_sort=-name"), Ids({"np2", "np3", "np1", "np4"}));
  EXPECT_EQ(Ordered("Patient", t, "_sort=address"), Ids({"np1", "np2", "np3", "np4"}));
  for (const char* q : {"_sort=name", "_sort=-name", "_sort=address", "_sort=-address"}) {
    ExpectWalksAgreeWithGeneric("Patient", t, q);
  }
  internal::SetOrderedSortPolicyForTesting(internal::OrderedSortPolicy::kPlanner);
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#sort
TEST_F(SearchSqlTest, SortKeysDirectionsAndMissingLast) {
  const std::string t = "sort";
  Put(Res("Patient", "sort-s1", t, R"("birthDate":"2000-01-01","name":[{"family":"B"}])"));
  Put(Res("Patient", "sort-s2", t, R"("birthDate":"1990","name":[{"family":"A"}])"));
  Put(Res("Patient", "sort-s3", t, R"("name":[{"family":"C"}])"));
  Put(Res("Patient", "sort-s4", t, R"("birthDate":"2000-01-01","name":[{"family":"a"}])"));
  using internal::OrderedSortPolicy;
  // Date keys are read either way (computed per match, or in index order): same answers.
  for (OrderedSortPolicy policy :
       {OrderedSortPolicy::kNever, OrderedSortPolicy::kAlways, OrderedSortPolicy::kPlanner}) {
    internal::SetOrderedSortPolicyForTesting(policy);
    const std::string why = "policy " + std::to_string(static_cast<int>(policy));
    EXPECT_EQ(Ordered("Patient", t, "_sort=birthdate"),
              Ids({"sort-s2", "sort-s1", "sort-s4", "sort-s3"}))
        << why;
    EXPECT_EQ(Ordered("Patient", t, "_sort=-birthdate"),
              Ids({"sort-s1", "sort-s4", "sort-s2", "sort-s3"}))
        << why;
    EXPECT_EQ(Ordered("Patient", t, "_sort=birthdate,-family"),
              Ids({"sort-s2", "sort-s1", "sort-s4", "sort-s3"}));
    EXPECT_EQ(Ordered("Patient", t, "_sort=family,_id"),
              Ids({"sort-s2", "sort-s4", "sort-s1", "sort-s3"}));
    EXPECT_EQ(Ordered("Patient", t, "_sort=-_id"),
              Ids({"sort-s4", "sort-s3", "sort-s2", "sort-s1"}));
    EXPECT_EQ(Ordered("Patient", t, "_sort=family"),
              Ids({"sort-s2", "sort-s4", "sort-s1", "sort-s3"}))
        << why;
    EXPECT_EQ(Ordered("Patient", t, "_sort=-family"),
              Ids({"sort-s3", "sort-s1", "sort-s2", "sort-s4"}))
        << why;
    EXPECT_EQ(Ordered("Patient", t, "birthdate=ge1995&_sort=-birthdate"),
              Ids({"sort-s1", "sort-s4"}))
        << why;
    // One row a page: every cursor, including those inside the group lacking a birth date.
    for (const std::string sort :
         {"birthdate", "-birthdate", "birthdate,-family", "family", "-family"}) {
      const Ids all = Ordered("Patient", t, "_sort=" + sort);
      Ids paged;
      std::optional<std::string> cursor;
      for (int n = 0; n < 10; ++n) {
        auto r = Search("Patient", t, "_sort=" + sort, 1, cursor);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        for (const Hit& h : r->matches) paged.push_back(h.id);
        if (!r->next_cursor) break;
        cursor = r->next_cursor;
      }
      EXPECT_EQ(paged, all) << sort << " " << why;
    }
  }
  internal::SetOrderedSortPolicyForTesting(OrderedSortPolicy::kPlanner);
}

// Sort values of the other parameter types: quantity (number), token (code), reference.
TEST_F(SearchSqlTest, SortByQuantityTokenAndReference) {
  const std::string t = "sort2";
  auto obs = [&](const std::string& id, const std::string& code, const std::string& value,
                 const std::string& subject) {
    std::string fields =
        R"("status":"final","code":{"coding":[{"system":"http://loinc.org","code":")" + code +
        R"("}]})";
    if (!value.empty()) {
      fields += R"(,"valueQuantity":{"value":)" + value +
                R"(,"system":"http://unitsofmeasure.org","code":"mg"})";
    }
    if (!subject.empty()) fields += R"(,"subject":{"reference":")" + subject + R"("})";
    Put(Res("Observation", id, t, fields));
  };
  obs("sort2-a", "b-2", "10.5", "Patient/z");
  obs("sort2-b", "a-1", "2", "Patient/y");
  obs("sort2-c", "c-3", "", "");
  obs("sort2-d", "a-1", "100", "Group/x");
  EXPECT_EQ(Ordered("Observation", t, "_sort=value-quantity"),
            Ids({"sort2-b", "sort2-a", "sort2-d", "sort2-c"}));
  EXPECT_EQ(Ordered("Observation", t, "_sort=-value-quantity"),
            Ids({"sort2-d", "sort2-a", "sort2-b", "sort2-c"}));
  EXPECT_EQ(Ordered("Observation", t, "_sort=code,-value-quantity"),
            Ids({"sort2-d", "sort2-b", "sort2-a", "sort2-c"}));
  EXPECT_EQ(Ordered("Observation", t, "_sort=subject"),
            Ids({"sort2-d", "sort2-b", "sort2-a", "sort2-c"}));
  for (auto policy : {internal::OrderedSortPolicy::kNever, internal::OrderedSortPolicy::kAlways}) {
    internal::SetOrderedSortPolicyForTesting(policy);
    EXPECT_EQ(Ordered("Observation", t, "_sort=code"),
              Ids({"sort2-b", "sort2-d", "sort2-a", "sort2-c"}));
    EXPECT_EQ(Ordered("Observation", t, "_sort=-code"),
              Ids({"sort2-c", "sort2-a", "sort2-b", "sort2-d"}));
    auto first = Search("Observation", t, "_sort=-code", 2);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    ASSERT_TRUE(first->next_cursor.has_value());
    auto second = Search("Observation", t, "_sort=-code", 2, first->next_cursor);
    ASSERT_TRUE(second.ok()) << second.status().ToString();
    ASSERT_EQ(second->matches.size(), 2u);
    EXPECT_EQ(second->matches[0].id, "sort2-b");
    EXPECT_EQ(second->matches[1].id, "sort2-d");
  }
  internal::SetOrderedSortPolicyForTesting(internal::OrderedSortPolicy::kPlanner);
}

// A sort on a single instant (Slot.start) walks idx_date between the bounds the query's own
// date clauses imply, a budget of index rows at a time (executor.cc). Every prefix, both
// directions, ties on the sort value, and a budget so small that most pages fall back to the
// generic statement: the answers and the pages are the generic path's.
// FHIR R4: http://hl7.org/fhir/R4/search.html#date, #sort, http.html#paging
TEST_F(SearchSqlTest, SingleInstantSortWalksBetweenTheQuerysBounds) {
  const std::string t = "walk";
  // Ten-minute Slots from 09:00; the ones at 09:20 and 09:40 come twice (ties); odd ones busy.
  const char* starts[] = {"09:00", "09:10", "09:20", "09:20", "09:30",
                          "09:40", "09:40", "09:50", "10:00", "10:10"};
  for (int n = 0; n < 10; ++n) {
    const std::string at = std::string("2027-05-03T") + starts[n] + ":00Z";
    Put(Res("Slot", "walk-" + std::to_string(n), t,
            R"("schedule":{"reference":"Schedule/walk"},"status":")" +
                std::string(n % 2 == 0 ? "free" : "busy") + R"(","start":")" + at + R"(","end":")" +
                at + R"(")"));
  }
  // Not a valid instant: not indexed, so it lacks a start (and sorts last when unbounded).
  Put(Res("Slot", "walk-coarse", t,
          R"("schedule":{"reference":"Schedule/walk"},"status":"free","start":"2027-05-03",)"
          R"("end":"2027-05-04")"));
  using internal::OrderedSortPolicy;
  // Independent expectations for two of the queries.
  internal::SetOrderedSortPolicyForTesting(OrderedSortPolicy::kAlways);
  EXPECT_EQ(
      Ordered("Slot", t, "start=ge2027-05-03T09:20:00Z&start=lt2027-05-03T09:50:00Z&_sort=start"),
      Ids({"walk-2", "walk-3", "walk-4", "walk-5", "walk-6"}));
  EXPECT_EQ(Ordered("Slot", t, "status=free&_sort=-start"),
            Ids({"walk-8", "walk-6", "walk-4", "walk-2", "walk-0", "walk-coarse"}));
  // The walk is bounded by the query: its explanation binds the window to idx_date's low.
  auto explained = Search("Slot", t,
                          "start=ge2027-05-03T09:20:00Z&start=lt2027-05-03T09:50:00Z&_sort=start&"
                          "_explain=true");
  ASSERT_TRUE(explained.ok()) << explained.status().ToString();
  EXPECT_NE(explained->explain.find("FETCH FIRST"), std::string::npos) << explained->explain;
  EXPECT_NE(explained->explain.find("i.low >= "), std::string::npos) << explained->explain;
  EXPECT_NE(explained->explain.find("i.low <= "), std::string::npos) << explained->explain;
  EXPECT_EQ(explained->explain.find("row_id"), std::string::npos) << explained->explain;

  const std::string filters[] = {
      "",
      "start=ge2027-05-03T09:20:00Z",
      "start=gt2027-05-03T09:20:00Z",
      "start=lt2027-05-03T09:40:00Z",
      "start=le2027-05-03T09:40:00Z",
      "start=eq2027-05-03T09:40:00Z",
      "start=2027-05-03",
      "start=sa2027-05-03T09:20:00Z",
      "start=eb2027-05-03T09:40:00Z",
      "start=ne2027-05-03T09:40:00Z",
      "start=ap2027-05-03T09:40:00Z",
      "start=ge2027-05-03T09:20:00.500Z",
      "start=lt2027-05-03T09:20:00Z,ge2027-05-03T10:00:00Z",
      "start=ge2027-05-03T09:10:00Z&start=le2027-05-03T09:50:00Z&status=free",
      "start=ge2027-05-04",
      // The ends of the date range: bounds clamp instead of overflowing.
      "start=ge0001-01-01&start=le9999-12-31T23:59:59Z",
      "start=gt9999-12-31T23:59:59.999999Z",
      "start=sa0001-01-01T00:00:00Z&start=eb9999-12-31",
  };
  for (const std::string& filter : filters) {
    for (const std::string sort : {"start", "-start"}) {
      ExpectWalksAgreeWithGeneric("Slot", t,
                                  filter + (filter.empty() ? "" : "&") + "_sort=" + sort);
    }
  }
  internal::SetOrderedSortPolicyForTesting(OrderedSortPolicy::kPlanner);
}

// A _has search without _sort may read the type's resources in pk order, a budget at a time,
// checking the reverse chain for each (executor.cc): same answers and pages as the generic
// statement, also when the budget runs out before the page fills.
// FHIR R4: http://hl7.org/fhir/R4/search.html#has
TEST_F(SearchSqlTest, ReverseChainPagesWalkTheTypeInPkOrder) {
  const std::string t = "haswalk";
  for (int n = 0; n < 9; ++n) {
    Put(Res("Patient", "haswalk-p" + std::to_string(n), t, R"("name":[{"family":"Walker"}])"));
  }
  // Patients 1, 2, 5, 6 and 8 have an Observation with code hw-1; 3 has another code.
  for (int n : {1, 2, 5, 6, 8, 3}) {
    Put(Res("Observation", "haswalk-o" + std::to_string(n), t,
            R"("status":"final","code":{"coding":[{"system":"http://loinc.org","code":")" +
                std::string(n == 3 ? "hw-2" : "hw-1") + R"("}]},"subject":{"reference":)" +
                R"("Patient/haswalk-p)" + std::to_string(n) + R"("})"));
  }
  using internal::OrderedSortPolicy;
  const std::string query = "_has:Observation:subject:code=http://loinc.org|hw-1";
  internal::SetOrderedSortPolicyForTesting(OrderedSortPolicy::kNever);
  const Ids expected = Ordered("Patient", t, query);
  EXPECT_EQ(expected, Ids({"haswalk-p1", "haswalk-p2", "haswalk-p5", "haswalk-p6", "haswalk-p8"}));
  internal::SetOrderedSortPolicyForTesting(OrderedSortPolicy::kAlways);
  auto explained = Search("Patient", t, query + "&_explain=true");
  ASSERT_TRUE(explained.ok()) << explained.status().ToString();
  EXPECT_NE(explained->explain.find("ORDER BY w.pk LIMIT"), std::string::npos)
      << explained->explain;
  for (const std::string& q : {query, query + "&family=walker", query + ",hw-2"}) {
    ExpectWalksAgreeWithGeneric("Patient", t, q);
  }
  internal::SetOrderedSortPolicyForTesting(OrderedSortPolicy::kPlanner);
  EXPECT_EQ(Ordered("Patient", t, query), expected);
}

// FHIR R4: http://hl7.org/fhir/R4/http.html#paging — keyset pages under concurrent writes.
TEST_F(SearchSqlTest, PagingNeitherSkipsNorRepeatsWhileOthersWrite) {
  const std::string t = "page";
  std::set<std::string> original;
  for (int n = 0; n < 23; ++n) {
    const std::string id = "page-" + std::to_string(100 + n);
    const std::string birth =
        n % 3 == 0 ? "" : R"(,"birthDate":"19)" + std::to_string(50 + n % 5) + R"(-01-01")";
    Put(Res("Patient", id, t,
            R"("name":[{"family":"F)" + std::to_string(n % 7) + R"("}])" + birth));
    original.insert(id);
  }
  const std::pair<std::string, internal::OrderedSortPolicy> runs[] = {
      {"", internal::OrderedSortPolicy::kPlanner},
      {"_sort=family", internal::OrderedSortPolicy::kPlanner},
      {"_sort=-family,-_lastUpdated", internal::OrderedSortPolicy::kPlanner},
      {"_sort=-birthdate", internal::OrderedSortPolicy::kNever},
      {"_sort=-birthdate", internal::OrderedSortPolicy::kAlways},
      {"_sort=birthdate", internal::OrderedSortPolicy::kAlways},
      {"_sort=-family", internal::OrderedSortPolicy::kAlways},
  };
  int run = 0;
  for (const auto& [sort, policy] : runs) {
    ++run;
    internal::SetOrderedSortPolicyForTesting(policy);
    std::vector<std::string> seen;
    std::optional<std::string> cursor;
    int inserted = 0;
    for (int page = 0; page < 50; ++page) {
      auto r = Search("Patient", t, sort, 4, cursor);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_LE(r->matches.size(), 4u);
      for (const Hit& h : r->matches) seen.push_back(h.id);
      // Others write between page reads: new resources before and after the current position.
      const std::string id = "page-new-" + std::to_string(seen.size()) + sort;
      Put(Res("Patient", id, t,
              R"("name":[{"family":"F)" + std::to_string(inserted % 8) + R"("}])"));
      ++inserted;
      if (!r->next_cursor) break;
      cursor = r->next_cursor;
    }
    std::set<std::string> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), seen.size()) << "a resource repeated with " << sort;
    for (const std::string& id : original) {
      EXPECT_EQ(unique.count(id), 1u) << id << " skipped with " << sort;
    }
  }
  internal::SetOrderedSortPolicyForTesting(internal::OrderedSortPolicy::kPlanner);
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#include, #revinclude
TEST_F(SearchSqlTest, IncludesRevincludesAndIterate) {
  const std::string t = "inc";
  Put(Res("Organization", "inc-org", t, R"("name":"Inc Org")"));
  Put(Res("Patient", "inc-p", t, R"("managingOrganization":{"reference":"Organization/inc-org"})"));
  Put(Res("Observation", "inc-o1", t,
          R"("status":"final","code":{"text":"i"},"subject":{"reference":"Patient/inc-p"})"));
  Put(Res("Observation", "inc-o2", t,
          R"("status":"final","code":{"text":"i"},"subject":{"reference":"Patient/inc-p"},)"
          R"("hasMember":[{"reference":"Observation/inc-o1"}])"));
  auto ids = [](const std::vector<Hit>& hits) {
    Ids out;
    for (const Hit& h : hits) out.push_back(h.type + "/" + h.id);
    std::sort(out.begin(), out.end());
    return out;
  };
  auto r = Search("Observation", t, "_include=Observation:subject");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ids(r->matches), Ids({"Observation/inc-o1", "Observation/inc-o2"}));
  EXPECT_EQ(ids(r->included), Ids({"Patient/inc-p"}));
  EXPECT_NE(r->included.at(0).body.find("inc-org"), std::string::npos);

  r = Search("Observation", t,
             "_include=Observation:subject&_include:iterate=Patient:organization");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ids(r->included), Ids({"Organization/inc-org", "Patient/inc-p"}));

  // A match referenced by another match is not included again.
  r = Search("Observation", t, "_include=Observation:*");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ids(r->included), Ids({"Patient/inc-p"}));

  r = Search("Patient", t, "_revinclude=Observation:subject");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ids(r->matches), Ids({"Patient/inc-p"}));
  EXPECT_EQ(ids(r->included), Ids({"Observation/inc-o1", "Observation/inc-o2"}));

  r = Search("Organization", t,
             "_revinclude=Patient:organization&_revinclude:iterate=Observation:subject");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ids(r->included), Ids({"Observation/inc-o1", "Observation/inc-o2", "Patient/inc-p"}));
}

// Canonical references: searched by URL, chained and included through the target's `url`.
// FHIR R4: http://hl7.org/fhir/R4/references.html#canonical
TEST_F(SearchSqlTest, CanonicalReferences) {
  const std::string t = "canon";
  Put(Res("Questionnaire", "canon-q1", t,
          R"("status":"active","url":"http://x.org/Questionnaire/intake","title":"Intake form")"));
  Put(Res("Questionnaire", "canon-q2", t,
          R"("status":"active","url":"http://x.org/Questionnaire/exit","title":"Exit form")"));
  Put(Res("QuestionnaireResponse", "canon-r1", t,
          R"("status":"completed","questionnaire":"http://x.org/Questionnaire/intake|2.0")"));
  Put(Res("QuestionnaireResponse", "canon-r2", t,
          R"("status":"completed","questionnaire":"http://x.org/Questionnaire/exit")"));
  EXPECT_EQ(Sorted("QuestionnaireResponse", t, "questionnaire=http://x.org/Questionnaire/intake"),
            Ids({"canon-r1"}));
  EXPECT_EQ(Sorted("QuestionnaireResponse", t, "questionnaire.title=intake"), Ids({"canon-r1"}));
  auto r = Search("QuestionnaireResponse", t,
                  "_id=canon-r2&_include=QuestionnaireResponse:questionnaire");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->included.size(), 1u);
  EXPECT_EQ(r->included[0].id, "canon-q2");
  r = Search("Questionnaire", t, "_id=canon-q1&_revinclude=QuestionnaireResponse:questionnaire");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->included.size(), 1u);
  EXPECT_EQ(r->included[0].id, "canon-r1");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#total
TEST_F(SearchSqlTest, Totals) {
  const std::string t = "total";
  for (int n = 0; n < 5; ++n) Put(Res("Patient", "total-" + std::to_string(n), t, ""));
  // By default a total is given only when it is free: here the first page is not the only
  // one, so there is none (a count over a large match set costs more than the page).
  auto first = Search("Patient", t, "", 2);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->total.has_value());
  ASSERT_TRUE(first->next_cursor.has_value());
  auto first_accurate = Search("Patient", t, "_total=accurate", 2);
  ASSERT_TRUE(first_accurate.ok()) << first_accurate.status().ToString();
  EXPECT_EQ(first_accurate->total, std::optional<long long>(5));
  auto second = Search("Patient", t, "", 2, first->next_cursor);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(second->total.has_value());
  EXPECT_EQ(second->matches.size(), 2u);
  auto accurate = Search("Patient", t, "_total=accurate", 2, first->next_cursor);
  ASSERT_TRUE(accurate.ok()) << accurate.status().ToString();
  EXPECT_EQ(accurate->total, std::optional<long long>(5));
  auto none = Search("Patient", t, "_total=none", 2);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->total.has_value());
  auto estimate = Search("Patient", t, "_total=estimate", 2);
  ASSERT_TRUE(estimate.ok()) << estimate.status().ToString();
  ASSERT_TRUE(estimate->total.has_value());
  EXPECT_TRUE(estimate->total_is_estimate);
  EXPECT_GE(*estimate->total, 1);
  auto one_page = Search("Patient", t, "", 10);
  ASSERT_TRUE(one_page.ok());
  EXPECT_EQ(one_page->total, std::optional<long long>(5));
  EXPECT_FALSE(one_page->next_cursor.has_value());
  auto count_only = Search("Patient", t, "_summary=count", 10);
  ASSERT_TRUE(count_only.ok()) << count_only.status().ToString();
  EXPECT_TRUE(count_only->matches.empty());
  EXPECT_EQ(count_only->total, std::optional<long long>(5));
  // A cursor that was tampered with names _cursor.
  std::string bad = *first->next_cursor;
  bad[bad.size() / 2] = bad[bad.size() / 2] == 'A' ? 'B' : 'A';
  auto tampered = Search("Patient", t, "", 2, bad);
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.status().code(), StatusCode::kInvalid);
  EXPECT_EQ(tampered.status().expression(), "_cursor");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html (_explain is this server's; issue 4)
TEST_F(SearchSqlTest, ExplainShowsTreeSqlParamsAndPlans) {
  auto r = Search("Observation", "explain", "code=http://loinc.org|1234-5&_explain=true");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->matches.empty());
  json::Document doc;
  ASSERT_TRUE(json::Parse(r->explain, json::Limits{}, &doc).ok()) << r->explain;
  ASSERT_TRUE(doc.IsObject());
  EXPECT_NE(json::Member(doc, "query"), nullptr) << r->explain;
  const json::Value* statements = json::Member(doc, "statements");
  ASSERT_NE(statements, nullptr);
  ASSERT_TRUE(statements->IsArray());
  ASSERT_GE(statements->Size(), 1u);
  const json::Value& page = (*statements)[0];
  EXPECT_NE(json::StringMember(page, "sql").find("idx_token"), std::string_view::npos);
  const json::Value* params = json::Member(page, "params");
  ASSERT_NE(params, nullptr);
  EXPECT_NE(json::Write(*params).find("1234-5"), std::string::npos);
  const json::Value* plan = json::Member(page, "plan");
  ASSERT_NE(plan, nullptr);
  EXPECT_NE(json::Write(*plan).find("\"Plan\""), std::string::npos);
}

// _id, _lastUpdated, _list, _text, _content, near.
// FHIR R4: http://hl7.org/fhir/R4/search.html#all, http://hl7.org/fhir/R4/location.html#positional
TEST_F(SearchSqlTest, SpecialParameters) {
  const std::string t = "spec";
  const Micros before = TruncateToMillis(NowMicros()) - 1000;
  Put(Res("Patient", "spec-1", t,
          R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">)"
          R"(Allergic to peanuts</div>"},"name":[{"family":"Walnut"}])"));
  Put(Res(
      "Patient", "spec-2", t,
      R"("name":[{"family":"Pecan","given":["Zoë"]}],"telecom":[{"value":"zoe.pecan@mail.example"}])"));
  Put(Res(
      "List", "spec-list", t,
      R"("status":"current","mode":"working","entry":[{"item":{"reference":"Patient/spec-2"}}])"));
  EXPECT_EQ(Sorted("Patient", t, "_id=spec-1,spec-2,nope"), Ids({"spec-1", "spec-2"}));
  EXPECT_EQ(Sorted("Patient", t, "_lastUpdated=gt" + FormatInstant(before)),
            Ids({"spec-1", "spec-2"}));
  EXPECT_EQ(Sorted("Patient", t, "_lastUpdated=lt" + FormatInstant(before)), Ids({}));
  EXPECT_EQ(Sorted("Patient", t, "_list=spec-list"), Ids({"spec-2"}));
  // _id:not and :missing (built by hand: the parser does not take them yet).
  auto with_modifier = [&](Modifier modifier, bool missing) {
    auto q = ParseFor("Patient", "_id=spec-1&_tag=urn:hestia:test|" + t);
    EXPECT_TRUE(q.ok());
    Ids out;
    if (!q.ok()) return out;
    for (Clause& c : q->clauses) {
      if (c.kind != Clause::Kind::kId) continue;
      c.modifier = modifier;
      c.values[0].missing = missing;
    }
    auto r = Run(*q, PageRequest{});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) {
      for (const Hit& h : r->matches) out.push_back(h.id);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(with_modifier(Modifier::kNot, false), Ids({"spec-2"}));
  EXPECT_EQ(with_modifier(Modifier::kMissing, true), Ids({}));
  EXPECT_EQ(with_modifier(Modifier::kMissing, false), Ids({"spec-1", "spec-2"}));
  EXPECT_EQ(Sorted("Patient", t, "_text=peanuts"), Ids({"spec-1"}));
  EXPECT_EQ(Sorted("Patient", t, "_content=pecan"), Ids({"spec-2"}));
  // Words (index.h TextLexemes) on both sides: case and accents aside, every word of a value
  // (AND), a comma between values (OR), the parts of an e-mail address.
  EXPECT_EQ(Sorted("Patient", t, "_content=PECAN%20zoe"), Ids({"spec-2"}));
  EXPECT_EQ(Sorted("Patient", t, "_content=pecan%20walnut"), Ids({}));
  EXPECT_EQ(Sorted("Patient", t, "_content=pecan,walnut"), Ids({"spec-1", "spec-2"}));
  EXPECT_EQ(Sorted("Patient", t, "_content=mail.example"), Ids({"spec-2"}));
  EXPECT_EQ(Sorted("Patient", t, "_content=--"), Ids({}));
  EXPECT_EQ(Sorted("Patient", t, "_text=PEANUTS%20allergic"), Ids({"spec-1"}));
  EXPECT_EQ(Sorted("Patient", t, "_text=walnut"), Ids({}));

  // Paris, Versailles (~17 km) and London (~344 km).
  auto place = [&](const std::string& id, double lat, double lon) {
    Put(Res("Location", id, t,
            R"("position":{"latitude":)" + std::to_string(lat) + R"(,"longitude":)" +
                std::to_string(lon) + "}"));
  };
  place("spec-paris", 48.8566, 2.3522);
  place("spec-versailles", 48.8049, 2.1204);
  place("spec-london", 51.5074, -0.1278);
  EXPECT_EQ(Sorted("Location", t, "near=48.8566|2.3522|20|km"),
            Ids({"spec-paris", "spec-versailles"}));
  EXPECT_EQ(Sorted("Location", t, "near=48.8566|2.3522|400|km"),
            Ids({"spec-london", "spec-paris", "spec-versailles"}));
  // Sorted by distance (the parser does not take _sort=near yet: the key is added here).
  auto q = ParseFor("Location", "near=48.8566|2.3522|400|km&_tag=urn:hestia:test|" + t);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  q->sort.push_back(SortKey{Registry().Find("Location", "near"), "near", false});
  auto r = Run(*q, PageRequest{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->matches.size(), 3u);
  EXPECT_EQ(r->matches[0].id, "spec-paris");
  EXPECT_EQ(r->matches[1].id, "spec-versailles");
  EXPECT_EQ(r->matches[2].id, "spec-london");
  ASSERT_TRUE(r->matches[2].distance_km.has_value());
  EXPECT_NEAR(*r->matches[2].distance_km, 344, 5);
}

TEST_F(SearchSqlTest, FindMatchesAndCompartments) {
  const std::string t = "match";
  Put(Res("Patient", "match-p", t, R"("identifier":[{"system":"urn:mrn","value":"42"}])"));
  Put(Res("Observation", "match-o1", t,
          R"("status":"final","code":{"text":"m"},"subject":{"reference":"Patient/match-p"})"));
  Put(Res("Observation", "match-o2", t,
          R"("status":"final","code":{"text":"m"},"performer":[{"reference":"Patient/match-p"}])"));
  Put(Res("Observation", "match-o3", t, R"("status":"final","code":{"text":"m"})"));
  auto q = ParseFor("Patient", "identifier=urn:mrn|42");
  ASSERT_TRUE(q.ok());
  auto reader = g_world->store->Reader(0);
  ASSERT_TRUE(reader.ok());
  auto matches = FindMatches(*q, Registry(), 2, **reader);
  ASSERT_TRUE(matches.ok()) << matches.status().ToString();
  ASSERT_EQ(matches->size(), 1u);
  EXPECT_EQ((*matches)[0].id, "match-p");
  EXPECT_EQ((*matches)[0].type, "Patient");
  EXPECT_EQ((*matches)[0].version, 1);

  // Patient/match-p/Observation: subject or performer.
  auto c = ParseFor("Observation", "_tag=urn:hestia:test|" + t);
  ASSERT_TRUE(c.ok());
  c->compartment_type = "Patient";
  c->compartment_id = "match-p";
  c->compartment_params = {Registry().Find("Observation", "subject"),
                           Registry().Find("Observation", "performer")};
  auto r = Run(*c, PageRequest{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Ids ids;
  for (const Hit& h : r->matches) ids.push_back(h.id);
  EXPECT_EQ(ids, Ids({"match-o1", "match-o2"}));
}

// FHIR R4: http://hl7.org/fhir/R4/http.html#search (system level, _type)
TEST_F(SearchSqlTest, SystemLevelSearchAcrossTypes) {
  const std::string t = "sys";
  Put(Res("Patient", "sys-p", t, R"("name":[{"family":"Systemic"}])"));
  Put(Res("Observation", "sys-o", t, R"("status":"final","code":{"text":"s"})"));
  Put(Res("Organization", "sys-org", t, R"("name":"Sys Org")"));
  auto system = [&](const std::string& query) {
    Ids out;
    auto pairs = ParseQuery(query + "&_tag=urn:hestia:test|" + t);
    EXPECT_TRUE(pairs.ok());
    auto q = ParseSearch({}, true, *pairs, Registry(), ParseOptions{});
    EXPECT_TRUE(q.ok()) << query << ": " << q.status().ToString();
    if (!q.ok()) return out;
    auto r = Run(*q, PageRequest{});
    EXPECT_TRUE(r.ok()) << query << ": " << r.status().ToString();
    if (!r.ok()) return out;
    for (const Hit& h : r->matches) out.push_back(h.type + "/" + h.id);
    return out;
  };
  EXPECT_EQ(system("_sort=_id"),
            Ids({"Observation/sys-o", "Organization/sys-org", "Patient/sys-p"}));
  EXPECT_EQ(system("_type=Patient,Observation&_sort=-_lastUpdated"),
            Ids({"Observation/sys-o", "Patient/sys-p"}));
  EXPECT_EQ(system("_id=sys-org,sys-p&_sort=_id"), Ids({"Organization/sys-org", "Patient/sys-p"}));
}

}  // namespace
}  // namespace hestia::search
