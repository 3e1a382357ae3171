// Running a search over a SqlRunner: the page statement (filters, sort values, keyset, bodies),
// the total, the includes, the next cursor and _explain. See executor.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html, http://hl7.org/fhir/R4/http.html#paging
// Thread-safety: stateless functions.
#include "hestia/search/executor.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <set>

#include "hestia/base/json.h"
#include "hestia/search/index.h"
#include "sql_rewrite.h"

namespace hestia::search {
namespace {

using internal::Cursor;
using internal::Rewriter;
using internal::SortColumn;

constexpr int kMaxPageCount = 1000;

std::atomic<internal::OrderedSortPolicy> g_ordered_sort_policy{
    internal::OrderedSortPolicy::kPlanner};
std::atomic<int> g_ordered_walk_budget{0};  // 0: WalkBudget decides

// The statement of one page, with the positions of its optional columns.
struct PageStatement {
  Sql sql;
  bool has_distance = false;
  std::size_t sort_columns = 0;
};

Result<PageStatement> BuildPage(const Query& query, const ParameterRegistry& registry, int count,
                                const std::optional<Cursor>& cursor, Micros now) {
  PageStatement out;
  Rewriter rw(registry, out.sql);
  rw.set_now(now);
  HESTIA_ASSIGN_OR_RETURN(std::string filter, internal::QueryFilter(query, "r", rw));
  HESTIA_ASSIGN_OR_RETURN(std::vector<SortColumn> columns, internal::SortColumns(query, "r", rw));
  const std::string distance = internal::NearDistanceExpression(query, "r", rw);
  out.has_distance = !distance.empty();
  out.sort_columns = columns.size();
  const std::string limit = std::to_string(count + 1);
  std::string select = "SELECT r.pk, r.res_type, r.res_id, r.version";
  if (out.has_distance) select += ", " + distance + " AS dist";
  std::string outer = "SELECT p.pk, p.res_type, p.res_id, v.body";
  if (out.has_distance) outer += ", p.dist";
  if (columns.empty()) {
    std::string where = filter;
    if (cursor) where += "\n  AND r.pk > " + rw.Bind(std::to_string(cursor->pk)) + "::bigint";
    out.sql.text = outer + "\nFROM (" + select + "\n  FROM resource r\n  WHERE " + where +
                   "\n  ORDER BY r.pk LIMIT " + limit +
                   ") p\nJOIN resource_version v ON v.res_pk = p.pk AND v.version = p.version" +
                   "\nORDER BY p.pk";
    return out;
  }
  for (std::size_t k = 0; k < columns.size(); ++k) {
    select += ", " + columns[k].expression + " AS s" + std::to_string(k);
    outer += ", p.s" + std::to_string(k);
  }
  std::string page =
      "SELECT q.* FROM (" + select + "\n  FROM resource r\n  WHERE " + filter + ") q";
  if (cursor) page += "\n  WHERE " + internal::KeysetCondition(columns, *cursor, "q.", "q.pk", rw);
  page += "\n  ORDER BY " + internal::OrderByList(columns, "q.", "q.pk") + " LIMIT " + limit;
  out.sql.text = outer + "\nFROM (" + page +
                 ") p\nJOIN resource_version v ON v.res_pk = p.pk AND v.version = p.version" +
                 "\nORDER BY " + internal::OrderByList(columns, "p.", "p.pk");
  return out;
}

// A single sort key on a date, string or token parameter read in the order of its index:
// idx_date_high (descending dates: the resource's value is its greatest high), idx_date_low
// (ascending: its least low), idx_string_lookup (normalized strings in byte order, the
// text_pattern_ops order), idx_token_lookup (codes). Each resource is taken at the one index
// row that carries its sort value (the first in value, then ctid, order), so a large match set
// needs no sort. Part A walks at most `budget` index rows (and the rows tied with the last
// of them) and returns the matching resources having a value; part B (run when A read every
// row without filling the page) those lacking it, in pk order. Values, order and cursors are
// the generic path's (sql_sort.cc), so pages may mix the two.
//
// When the sort parameter is a single instant for the searched type (Slot.start:
// SearchParameterDef::single_instant) the walk starts and stops where the query's own date
// clauses on it allow, a resource has just one row (no first-row test), and one lacking the
// value cannot match, so there is no part B.
struct OrderedSort {
  std::string table;            // idx_date, idx_string, idx_token
  std::string column;           // high, low, norm, code
  std::string value;            // the sort value over `i` as the generic path computes it
  std::string order;            // the index order: " DESC", " ASC", " USING ~<~", " USING ~>~"
  std::string beyond;           // "comes after" in that order: " < ", " > ", " ~>~ ", " ~<~ "
  std::string cast;             // of the cursor value
  std::string hash;             // param_hash test
  std::vector<int64_t> hashes;  // its keys: more than one are walked one by one and merged
  bool descending = false;
  bool single = false;            // one row per resource: a single instant
  std::optional<Micros> from;     // single: the walked column's least possible value
  std::optional<Micros> through;  // single: its greatest
};

// Bounds on the `low` of a single instant's one row (at most kMaxInstantWidth wide) that a
// date clause value implies, from the predicates of sql_date.cc; nullopt where it implies
// none (ne, ap).
struct LowBounds {
  std::optional<Micros> from;
  std::optional<Micros> through;
};
LowBounds InstantLowBounds(const SearchValue& value) {
  const Micros sl = value.date.low;
  const Micros sh = value.date.high;
  const Micros sh_minus_width =
      sh < kMinMicros + kMaxInstantWidth ? kMinMicros : sh - kMaxInstantWidth;
  switch (value.prefix) {
    case Prefix::kEq:  // low >= sl AND low < sh
      return {sl, sh};
    case Prefix::kGt:  // high > sh
      return {sh_minus_width, std::nullopt};
    case Prefix::kGe:  // high > sh OR low >= sl
      return {std::min(sl, sh_minus_width), std::nullopt};
    case Prefix::kLt:  // low < sl
      return {std::nullopt, sl};
    case Prefix::kLe:  // low < sl OR (low >= sl AND high <= sh)
      return {std::nullopt, sh};
    case Prefix::kSa:  // low >= sh
      return {sh, std::nullopt};
    case Prefix::kEb:  // high <= sl
      return {std::nullopt, sl};
    case Prefix::kNe:
    case Prefix::kAp:
      return {};
  }
  return {};
}

// The bounds the query's AND clauses on the sort parameter put on its `low`: each clause
// bounds by its loosest value (OR), the clauses together by the tightest.
LowBounds QueryLowBounds(const Query& query, const SearchParameterDef& param) {
  LowBounds out;
  for (const Clause& clause : query.clauses) {
    if (clause.kind != Clause::Kind::kParameter || clause.param != &param ||
        clause.modifier != Modifier::kNone || clause.values.empty()) {
      continue;
    }
    LowBounds c = InstantLowBounds(clause.values[0]);
    for (std::size_t v = 1; v < clause.values.size(); ++v) {
      const LowBounds b = InstantLowBounds(clause.values[v]);
      c.from = c.from && b.from ? std::optional<Micros>(std::min(*c.from, *b.from)) : std::nullopt;
      c.through = c.through && b.through ? std::optional<Micros>(std::max(*c.through, *b.through))
                                         : std::nullopt;
    }
    if (c.from) out.from = out.from ? std::max(*out.from, *c.from) : *c.from;
    if (c.through) out.through = out.through ? std::min(*out.through, *c.through) : *c.through;
  }
  return out;
}

std::optional<OrderedSort> OrderedSortFor(const Query& query, const ParameterRegistry& registry) {
  if (query.sort.size() != 1 || query.sort[0].param == nullptr) return std::nullopt;
  const SortKey& key = query.sort[0];
  const std::string& type = key.param->type;
  OrderedSort out;
  out.descending = key.descending;
  if (type == "date") {
    out.table = "idx_date";
    out.column = key.descending ? "high" : "low";
    out.value = "i." + out.column;
    out.order = key.descending ? " DESC" : " ASC";
    out.beyond = key.descending ? " < " : " > ";
    out.cast = "bigint";
  } else if (type == "string") {
    out.table = "idx_string";
    out.column = "norm";
    out.value = "i.norm COLLATE \"C\"";
    out.order = key.descending ? " USING ~>~" : " USING ~<~";
    out.beyond = key.descending ? " ~<~ " : " ~>~ ";
    out.cast = "text";
  } else if (type == "token") {
    out.table = "idx_token";
    out.column = "code";
    out.value = "i.code";
    out.order = key.descending ? " DESC" : " ASC";
    out.beyond = key.descending ? " < " : " > ";
    out.cast = "text";
  } else {
    return std::nullopt;
  }
  Clause probe;
  probe.param = key.param;
  probe.name = key.code;
  const std::vector<std::string> types =
      internal::ClauseTypes(probe, internal::Scope{"r", query.types}, registry);
  if (types.empty()) return std::nullopt;
  const std::set<int64_t> hashes = internal::KeyHashes(registry, types, key.param->code);
  out.hash = internal::HashTest(hashes);
  out.hashes.assign(hashes.begin(), hashes.end());
  const std::vector<std::string>& single = key.param->single_instant;
  out.single = type == "date" && !query.types.empty() &&
               std::all_of(query.types.begin(), query.types.end(), [&](const std::string& t) {
                 return std::binary_search(single.begin(), single.end(), t);
               });
  if (out.single) {
    // The walked column is low (ascending) or high, which lies in (low, low + width].
    const LowBounds low = QueryLowBounds(query, *key.param);
    out.from = low.from;
    out.through = low.through;
    if (key.descending && out.through) {
      out.through = *out.through > kMaxMicros - kMaxInstantWidth ? kMaxMicros
                                                                 : *out.through + kMaxInstantWidth;
    }
  }
  return out;
}

// True when the query requires a value of the sort parameter, so that part B finds nothing.
bool Bounded(const OrderedSort& sort) { return sort.from.has_value() || sort.through.has_value(); }

// Index rows part A reads before it gives the page up to the generic path: enough for the
// page when a few percent of the walked rows match, little next to a search that does not.
int WalkBudget(int count) {
  if (const int forced = g_ordered_walk_budget.load(); forced > 0) return forced;
  return std::clamp(25 * (count + 1), 1000, 25000);
}

// Part A (kWalk), the number of index rows it walks (kWalkCount: one row, one column) or
// part B (kLacking).
enum class OrderedPart { kWalk, kWalkCount, kLacking };

Result<PageStatement> BuildOrderedPart(const Query& query, const ParameterRegistry& registry,
                                       const OrderedSort& sort, OrderedPart part, int limit,
                                       int budget, const std::optional<Cursor>& cursor,
                                       Micros now) {
  PageStatement out;
  Rewriter rw(registry, out.sql);
  rw.set_now(now);
  const std::string c = "i." + sort.column;
  std::string walk;  // the index rows in sort order, at most `budget` (and their ties)
  if (part != OrderedPart::kLacking) {
    // WITH TIES: every row not walked comes strictly after every row walked.
    const std::string fetch = " FETCH FIRST " + std::to_string(budget) + " ROWS WITH TIES";
    auto walk_of = [&](const std::string& hash_test) {
      std::string w = "SELECT i.res_pk, " + sort.value + " AS s0";
      if (!sort.single) w += ", i.ctid AS row_id";
      w += " FROM " + sort.table + " i\n    WHERE i.param_hash " + hash_test;
      if (sort.from) w += " AND " + c + " >= " + rw.Bind(std::to_string(*sort.from)) + "::bigint";
      if (sort.through) {
        w += " AND " + c + " <= " + rw.Bind(std::to_string(*sort.through)) + "::bigint";
      }
      if (cursor && cursor->values[0]) {
        const std::string v = rw.Bind(*cursor->values[0]) + "::" + sort.cast;
        w += "\n    AND (" + c + sort.beyond + v + " OR (" + c + " = " + v + " AND i.res_pk > " +
             rw.Bind(std::to_string(cursor->pk)) + "::bigint))";
      }
      return w + "\n    ORDER BY " + c + sort.order + fetch;
    };
    if (sort.hashes.size() <= 1) {
      walk = walk_of(sort.hash);
    } else {
      // A parameter answered by several keys (IndexKeys): "param_hash IN (…) ORDER BY" cannot
      // read the index in order, so each key is walked on its own and the walks merged; the
      // first `budget` rows (with ties) of the merge are among theirs.
      std::string branches;
      for (int64_t h : sort.hashes) {
        if (!branches.empty()) branches += "\n    UNION ALL ";
        branches += "(" + walk_of("= " + std::to_string(h)) + ")";
      }
      walk = "SELECT m.* FROM (" + branches + ") m\n    ORDER BY m.s0" + sort.order + fetch;
    }
  }
  if (part == OrderedPart::kWalkCount) {
    out.sql.text = "SELECT count(*) FROM (" + walk + ") w";
    return out;
  }
  HESTIA_ASSIGN_OR_RETURN(std::string filter, internal::QueryFilter(query, "r", rw));
  const std::string distance = internal::NearDistanceExpression(query, "r", rw);
  out.has_distance = !distance.empty();
  out.sort_columns = 1;
  std::string select = "SELECT r.pk, r.res_type, r.res_id, r.version";
  if (out.has_distance) select += ", " + distance + " AS dist";
  std::string outer = "SELECT p.pk, p.res_type, p.res_id, v.body";
  if (out.has_distance) outer += ", p.dist";
  outer += ", p.s0";
  std::string inner;
  if (part == OrderedPart::kLacking) {
    inner = select + ", NULL::" + sort.cast + " AS s0\n  FROM resource r\n  WHERE " + filter +
            "\n  AND NOT EXISTS (SELECT 1 FROM " + sort.table +
            " j WHERE j.res_pk = r.pk AND j.param_hash " + sort.hash + ")";
    if (cursor && !cursor->values[0]) {
      inner += "\n  AND r.pk > " + rw.Bind(std::to_string(cursor->pk)) + "::bigint";
    }
    inner += "\n  ORDER BY r.pk LIMIT " + std::to_string(limit);
  } else {
    // The walk stays inline: the planner reads it in index order and stops at the limit.
    inner = select + ", w.s0\n  FROM (" + walk +
            ") w\n  JOIN resource r ON r.pk = w.res_pk\n  WHERE " + filter;
    if (!sort.single) {
      inner += "\n  AND w.row_id = (SELECT j.ctid FROM " + sort.table +
               " j WHERE j.res_pk = w.res_pk AND j.param_hash " + sort.hash + " ORDER BY j." +
               sort.column + sort.order + ", j.ctid LIMIT 1)";
    }
    inner += "\n  ORDER BY w.s0" + sort.order + ", r.pk LIMIT " + std::to_string(limit);
  }
  out.sql.text = outer + "\nFROM (" + inner +
                 ") p\nJOIN resource_version v ON v.res_pk = p.pk AND v.version = p.version" +
                 "\nORDER BY p.s0" + (sort.descending ? " DESC" : " ASC") + " NULLS LAST, p.pk";
  return out;
}

// A page in pk order (no _sort) of one type whose criteria include a reverse chain (_has):
// the generic statement joins every resource the inner criteria match (all Observations of a
// common code) before it cuts the page; this walk reads the type's resources in pk order
// (resource_type_pk), at most `budget` of them, and checks the criteria for each, so a
// common inner match stops after the page. kWalkCount counts the resources it reads.
bool PkWalkApplies(const Query& query) {
  if (!query.sort.empty() || query.types.size() != 1 || !query.compartment_type.empty()) {
    return false;
  }
  return std::any_of(query.clauses.begin(), query.clauses.end(),
                     [](const Clause& c) { return c.kind == Clause::Kind::kHas; });
}

Result<PageStatement> BuildPkWalk(const Query& query, const ParameterRegistry& registry,
                                  OrderedPart part, int limit, int budget,
                                  const std::optional<Cursor>& cursor, Micros now) {
  PageStatement out;
  Rewriter rw(registry, out.sql);
  rw.set_now(now);
  std::string walk =
      "SELECT w.* FROM resource w"
      "\n    WHERE w.res_type = " +
      rw.Bind(query.types[0]) + " AND NOT w.deleted";
  if (cursor) walk += " AND w.pk > " + rw.Bind(std::to_string(cursor->pk)) + "::bigint";
  walk += "\n    ORDER BY w.pk LIMIT " + std::to_string(budget);
  if (part == OrderedPart::kWalkCount) {
    out.sql.text = "SELECT count(*) FROM (" + walk + ") w";
    return out;
  }
  HESTIA_ASSIGN_OR_RETURN(std::string filter, internal::QueryFilter(query, "r", rw));
  const std::string distance = internal::NearDistanceExpression(query, "r", rw);
  out.has_distance = !distance.empty();
  std::string select = "SELECT r.pk, r.res_type, r.res_id, r.version";
  if (out.has_distance) select += ", " + distance + " AS dist";
  std::string outer = "SELECT p.pk, p.res_type, p.res_id, v.body";
  if (out.has_distance) outer += ", p.dist";
  out.sql.text = outer + "\nFROM (" + select + "\n  FROM (" + walk + ") r\n  WHERE " + filter +
                 "\n  ORDER BY r.pk LIMIT " + std::to_string(limit) +
                 ") p\nJOIN resource_version v ON v.res_pk = p.pk AND v.version = p.version" +
                 "\nORDER BY p.pk";
  return out;
}

// The planner's total cost of a statement.
Result<double> PlanCost(SqlRunner& runner, const Sql& sql) {
  HESTIA_ASSIGN_OR_RETURN(std::string plan, runner.Explain(sql));
  json::Document doc;
  HESTIA_RETURN_IF_ERROR(json::Parse(plan, json::Limits{}, &doc));
  const json::Value* top = &doc;
  if (top->IsArray() && !top->Empty()) top = &(*top)[0];
  const json::Value* node = top->IsObject() ? json::Member(*top, "Plan") : nullptr;
  const json::Value* cost = node != nullptr ? json::Member(*node, "Total Cost") : nullptr;
  if (cost == nullptr || !json::IsNumber(*cost)) return InternalError("EXPLAIN without a cost");
  return json::NumberAsDouble(*cost);
}

// Builds a walk's statement (kWalk) or the count of the rows it reads (kWalkCount).
using WalkBuilder = std::function<Result<PageStatement>(OrderedPart)>;

// Offers a walk (an ordered or pk walk, of `budget` rows) for the page. nullopt when the
// generic statement must answer: the planner prices it lower (policy kPlanner), or the walk
// spent its budget without filling the page, so rows it did not read may still match.
// Otherwise the walk's statement: added to `explained` when explaining, else run, its rows
// in `rows` — it filled the page, or read every candidate.
Result<std::optional<PageStatement>> OfferWalk(const WalkBuilder& build, int budget,
                                               const PageStatement& generic, int count,
                                               bool explain, SqlRunner& runner,
                                               std::vector<Sql>* explained,
                                               std::vector<SqlRow>* rows) {
  HESTIA_ASSIGN_OR_RETURN(PageStatement walk, build(OrderedPart::kWalk));
  // The planner decides: reading in the page's order pays off when many resources match.
  if (g_ordered_sort_policy.load() == internal::OrderedSortPolicy::kPlanner) {
    HESTIA_ASSIGN_OR_RETURN(double generic_cost, PlanCost(runner, generic.sql));
    HESTIA_ASSIGN_OR_RETURN(double walk_cost, PlanCost(runner, walk.sql));
    if (generic_cost <= walk_cost) return std::optional<PageStatement>();
  }
  if (explain) {
    explained->push_back(walk.sql);
    return std::optional<PageStatement>(std::move(walk));
  }
  HESTIA_ASSIGN_OR_RETURN(*rows, runner.Run(walk.sql));
  if (rows->size() > static_cast<std::size_t>(count))
    return std::optional<PageStatement>(std::move(walk));
  HESTIA_ASSIGN_OR_RETURN(PageStatement walked, build(OrderedPart::kWalkCount));
  HESTIA_ASSIGN_OR_RETURN(std::vector<SqlRow> counted, runner.Run(walked.sql));
  if (counted.size() != 1 || counted[0].size() != 1 || !counted[0][0]) {
    return InternalError("walk count without a row");
  }
  if (std::stoll(*counted[0][0]) >= budget) return std::optional<PageStatement>();
  return std::optional<PageStatement>(std::move(walk));
}

// The statements of one page, run unless explaining; rows in page order, at most count + 1.
// With an ordered sort: part A when the planner prefers it (or a test forces it); the generic
// statement instead when A walked its budget without filling the page; part B after an A
// that read every row without filling it. A _has search without _sort: the pk walk or the
// generic statement, alike.
Result<PageStatement> RunPage(const Query& query, const ParameterRegistry& registry, int count,
                              const std::optional<Cursor>& cursor, Micros now, SqlRunner& runner,
                              std::vector<Sql>* explained, std::vector<SqlRow>* rows) {
  HESTIA_ASSIGN_OR_RETURN(PageStatement generic, BuildPage(query, registry, count, cursor, now));
  auto run_generic = [&]() -> Result<PageStatement> {
    if (query.explain) {
      explained->push_back(generic.sql);
    } else {
      HESTIA_ASSIGN_OR_RETURN(*rows, runner.Run(generic.sql));
    }
    return generic;
  };
  if (g_ordered_sort_policy.load() == internal::OrderedSortPolicy::kNever) return run_generic();
  const std::optional<OrderedSort> ordered = OrderedSortFor(query, registry);
  const int budget = WalkBudget(count);
  if (!ordered) {
    if (!PkWalkApplies(query)) return run_generic();
    const WalkBuilder build = [&](OrderedPart part) {
      return BuildPkWalk(query, registry, part, count + 1, budget, cursor, now);
    };
    HESTIA_ASSIGN_OR_RETURN(
        std::optional<PageStatement> walk,
        OfferWalk(build, budget, generic, count, query.explain, runner, explained, rows));
    return walk ? *walk : run_generic();
  }
  const bool in_lacking_group = cursor && !cursor->values[0];
  if (in_lacking_group && Bounded(*ordered)) return run_generic();  // (finds nothing)
  if (!in_lacking_group) {
    const WalkBuilder build = [&](OrderedPart part) {
      return BuildOrderedPart(query, registry, *ordered, part, count + 1, budget, cursor, now);
    };
    HESTIA_ASSIGN_OR_RETURN(
        std::optional<PageStatement> a,
        OfferWalk(build, budget, generic, count, query.explain, runner, explained, rows));
    if (!a) return run_generic();
    if (query.explain || rows->size() > static_cast<std::size_t>(count) || Bounded(*ordered)) {
      return *a;
    }
  }
  const int remaining = count + 1 - static_cast<int>(rows->size());
  HESTIA_ASSIGN_OR_RETURN(
      PageStatement b, BuildOrderedPart(query, registry, *ordered, OrderedPart::kLacking, remaining,
                                        0, cursor, now));
  if (query.explain) {
    explained->push_back(b.sql);
    return b;
  }
  HESTIA_ASSIGN_OR_RETURN(std::vector<SqlRow> more, runner.Run(b.sql));
  for (SqlRow& row : more) rows->push_back(std::move(row));
  return b;
}

Result<Sql> BuildCount(const Query& query, const ParameterRegistry& registry, Micros now,
                       bool estimate) {
  Sql sql;
  Rewriter rw(registry, sql);
  rw.set_now(now);
  HESTIA_ASSIGN_OR_RETURN(std::string filter, internal::QueryFilter(query, "r", rw));
  sql.text =
      std::string(estimate ? "SELECT 1" : "SELECT count(*)") + " FROM resource r\nWHERE " + filter;
  return sql;
}

// The planner's row estimate of the top plan node of an EXPLAIN (FORMAT JSON).
Result<long long> PlanRows(const std::string& plan) {
  json::Document doc;
  HESTIA_RETURN_IF_ERROR(json::Parse(plan, json::Limits{}, &doc));
  const json::Value* top = &doc;
  if (top->IsArray() && !top->Empty()) top = &(*top)[0];
  const json::Value* node = top->IsObject() ? json::Member(*top, "Plan") : nullptr;
  const json::Value* rows = node != nullptr ? json::Member(*node, "Plan Rows") : nullptr;
  if (rows == nullptr || !json::IsNumber(*rows)) {
    return InternalError("EXPLAIN output without a row estimate");
  }
  return static_cast<long long>(json::NumberAsDouble(*rows));
}

Result<std::string> ExplainJson(const Query& query, const std::vector<Sql>& statements,
                                SqlRunner& runner) {
  json::Document doc;
  doc.SetObject();
  auto& alloc = doc.GetAllocator();
  json::Document tree;
  if (json::Parse(QueryToJson(query), json::Limits{}, &tree).ok()) {
    doc.AddMember("query", json::Value(tree, alloc), alloc);
  }
  json::Value list(rapidjson::kArrayType);
  for (const Sql& sql : statements) {
    json::Value entry(rapidjson::kObjectType);
    entry.AddMember("sql", json::MakeString(sql.text, alloc), alloc);
    json::Value params(rapidjson::kArrayType);
    for (const auto& p : sql.params) {
      params.PushBack(p ? json::MakeString(*p, alloc) : json::Value(), alloc);
    }
    entry.AddMember("params", params, alloc);
    HESTIA_ASSIGN_OR_RETURN(std::string plan, runner.Explain(sql));
    json::Document plan_doc;
    HESTIA_RETURN_IF_ERROR(json::Parse(plan, json::Limits{}, &plan_doc));
    entry.AddMember("plan", json::Value(plan_doc, alloc), alloc);
    list.PushBack(entry, alloc);
  }
  doc.AddMember("statements", list, alloc);
  return json::Write(doc);
}

Status MalformedRow() { return InternalError("search statement returned a malformed row"); }

}  // namespace

Result<SearchResult> ExecuteSearch(const Query& query, const ParameterRegistry& registry,
                                   const PageRequest& page, SqlRunner& runner) {
  const std::string signature = internal::SortSignature(query);
  std::optional<Cursor> cursor;
  if (page.cursor) {
    HESTIA_ASSIGN_OR_RETURN(Cursor c, internal::DecodeCursor(*page.cursor, signature));
    if (c.values.size() != query.sort.size()) {
      return InvalidError("_cursor does not fit this search's _sort", "_cursor");
    }
    cursor = std::move(c);
  }
  int count = query.summary == Summary::kCount ? 0 : page.count;
  if (count < 0) count = 0;
  if (count > kMaxPageCount) count = kMaxPageCount;
  const Micros now = NowMicros();
  SearchResult result;
  std::vector<Sql> explained;

  bool has_next = false;
  if (count > 0) {
    std::vector<SqlRow> rows;
    HESTIA_ASSIGN_OR_RETURN(PageStatement statement, RunPage(query, registry, count, cursor, now,
                                                             runner, &explained, &rows));
    if (!query.explain) {
      const std::size_t sort_at = 4 + (statement.has_distance ? 1 : 0);
      const std::size_t width = sort_at + statement.sort_columns;
      for (std::size_t n = 0; n < rows.size(); ++n) {
        const SqlRow& row = rows[n];
        if (row.size() != width || !row[0] || !row[1] || !row[2] || !row[3]) return MalformedRow();
        if (n == static_cast<std::size_t>(count)) {
          has_next = true;
          break;
        }
        Hit hit;
        hit.pk = std::stoll(*row[0]);
        hit.type = *row[1];
        hit.id = *row[2];
        hit.body = *row[3];
        if (statement.has_distance && row[4])
          hit.distance_km = std::strtod(row[4]->c_str(), nullptr);
        result.matches.push_back(std::move(hit));
      }
      if (has_next) {
        const SqlRow& last = rows[static_cast<std::size_t>(count) - 1];
        Cursor next;
        next.signature = signature;
        next.pk = result.matches.back().pk;
        for (std::size_t k = 0; k < statement.sort_columns; ++k)
          next.values.push_back(last[sort_at + k]);
        result.next_cursor = internal::EncodeCursor(next);
      }
    }
  }

  // _total: accurate when asked, the planner's estimate when asked. By default only when it
  // is free — the first page is the only one — so that a search never pays for a count the
  // client did not ask for (a count over a large match set costs far more than the page).
  Total total = query.total;
  if (total == Total::kDefault) total = !cursor && !has_next ? Total::kAccurate : Total::kNone;
  if (count == 0 && total == Total::kNone) total = Total::kAccurate;  // _summary=count
  if (total == Total::kAccurate && !cursor && count > 0 && !has_next && !query.explain) {
    result.total = static_cast<long long>(result.matches.size());
  } else if (total == Total::kAccurate || total == Total::kEstimate) {
    const bool estimate = total == Total::kEstimate;
    HESTIA_ASSIGN_OR_RETURN(Sql sql, BuildCount(query, registry, now, estimate));
    if (query.explain) {
      explained.push_back(sql);
    } else if (estimate) {
      HESTIA_ASSIGN_OR_RETURN(std::string plan, runner.Explain(sql));
      HESTIA_ASSIGN_OR_RETURN(long long rows, PlanRows(plan));
      result.total = rows;
      result.total_is_estimate = true;
    } else {
      HESTIA_ASSIGN_OR_RETURN(std::vector<SqlRow> rows, runner.Run(sql));
      if (rows.size() != 1 || rows[0].size() != 1 || !rows[0][0]) return MalformedRow();
      result.total = std::stoll(*rows[0][0]);
    }
  }

  if (query.explain) {
    HESTIA_ASSIGN_OR_RETURN(result.explain, ExplainJson(query, explained, runner));
    return result;
  }

  if (!query.includes.empty() && !result.matches.empty()) {
    std::vector<int64_t> pks;
    std::vector<std::string> types;
    for (const Hit& hit : result.matches) {
      pks.push_back(hit.pk);
      types.push_back(hit.type);
    }
    HESTIA_ASSIGN_OR_RETURN(std::vector<internal::IncludedRow> rows,
                            internal::RunIncludes(query, registry, pks, types, runner));
    for (internal::IncludedRow& row : rows) {
      Hit hit;
      hit.pk = row.pk;
      hit.type = std::move(row.type);
      hit.id = std::move(row.id);
      hit.body = std::move(row.body);
      result.included.push_back(std::move(hit));
    }
  }
  return result;
}

Result<std::vector<MatchRef>> FindMatches(const Query& query, const ParameterRegistry& registry,
                                          int limit, SqlRunner& runner) {
  Sql sql;
  Rewriter rw(registry, sql);
  rw.set_now(NowMicros());
  HESTIA_ASSIGN_OR_RETURN(std::string filter, internal::QueryFilter(query, "r", rw));
  sql.text = "SELECT r.pk, r.res_type, r.res_id, r.version FROM resource r\nWHERE " + filter +
             "\nORDER BY r.pk LIMIT " + std::to_string(limit < 0 ? 0 : limit);
  HESTIA_ASSIGN_OR_RETURN(std::vector<SqlRow> rows, runner.Run(sql));
  std::vector<MatchRef> out;
  for (const SqlRow& row : rows) {
    if (row.size() != 4 || !row[0] || !row[1] || !row[2] || !row[3]) return MalformedRow();
    out.push_back(MatchRef{std::stoll(*row[0]), *row[1], *row[2], std::stol(*row[3])});
  }
  return out;
}

namespace internal {
void SetOrderedSortPolicyForTesting(OrderedSortPolicy policy) { g_ordered_sort_policy = policy; }
void SetOrderedWalkBudgetForTesting(int rows) { g_ordered_walk_budget = rows; }
}  // namespace internal

}  // namespace hestia::search
