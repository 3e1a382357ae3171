// Running a search over a SqlRunner: the page statement (filters, sort values, keyset, bodies),
// the total, the includes, the next cursor and _explain. See executor.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html, http://hl7.org/fhir/R4/http.html#paging
// Thread-safety: stateless functions.
#include "hestia/search/executor.h"

#include <atomic>
#include <cstdlib>

#include "hestia/base/json.h"
#include "sql_rewrite.h"

namespace hestia::search {
namespace {

using internal::Cursor;
using internal::Rewriter;
using internal::SortColumn;

constexpr int kMaxPageCount = 1000;

std::atomic<internal::OrderedSortPolicy> g_ordered_sort_policy{
    internal::OrderedSortPolicy::kPlanner};

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
// needs no sort: the scan stops after count + 1 rows. Part A returns the resources having a
// value; part B (run when A does not fill the page) those lacking it, in pk order. Values,
// order and cursors are the generic path's (sql_sort.cc), so pages may mix the two.
struct OrderedSort {
  std::string table;   // idx_date, idx_string, idx_token
  std::string column;  // high, low, norm, code
  std::string value;   // the sort value over `i` as the generic path computes it
  std::string order;   // the index order: " DESC", " ASC", " USING ~<~", " USING ~>~"
  std::string beyond;  // "comes after" in that order: " < ", " > ", " ~>~ ", " ~<~ "
  std::string cast;    // of the cursor value
  std::string hash;    // param_hash test
  bool descending = false;
};

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
  out.hash = internal::HashTest(types, key.param->code);
  return out;
}

Result<PageStatement> BuildOrderedPart(const Query& query, const ParameterRegistry& registry,
                                       const OrderedSort& sort, bool lacking, int limit,
                                       const std::optional<Cursor>& cursor, Micros now) {
  PageStatement out;
  Rewriter rw(registry, out.sql);
  rw.set_now(now);
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
  if (lacking) {
    inner = select + ", NULL::" + sort.cast + " AS s0\n  FROM resource r\n  WHERE " + filter +
            "\n  AND NOT EXISTS (SELECT 1 FROM " + sort.table +
            " j WHERE j.res_pk = r.pk AND j.param_hash " + sort.hash + ")";
    if (cursor && !cursor->values[0]) {
      inner += "\n  AND r.pk > " + rw.Bind(std::to_string(cursor->pk)) + "::bigint";
    }
    inner += "\n  ORDER BY r.pk LIMIT " + std::to_string(limit);
  } else {
    const std::string c = "i." + sort.column;
    inner = select + ", " + sort.value + " AS s0\n  FROM " + sort.table +
            " i JOIN resource r ON r.pk = i.res_pk\n  WHERE i.param_hash " + sort.hash +
            "\n  AND " + filter + "\n  AND i.ctid = (SELECT j.ctid FROM " + sort.table +
            " j WHERE j.res_pk = i.res_pk AND j.param_hash " + sort.hash + " ORDER BY j." +
            sort.column + sort.order + ", j.ctid LIMIT 1)";
    if (cursor && cursor->values[0]) {
      const std::string v = rw.Bind(*cursor->values[0]) + "::" + sort.cast;
      inner += "\n  AND (" + c + sort.beyond + v + " OR (" + c + " = " + v + " AND r.pk > " +
               rw.Bind(std::to_string(cursor->pk)) + "::bigint))";
    }
    inner += "\n  ORDER BY " + c + sort.order + ", r.pk LIMIT " + std::to_string(limit);
  }
  out.sql.text = outer + "\nFROM (" + inner +
                 ") p\nJOIN resource_version v ON v.res_pk = p.pk AND v.version = p.version" +
                 "\nORDER BY p.s0" + (sort.descending ? " DESC" : " ASC") + " NULLS LAST, p.pk";
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

// The statements of one page (one, or two for an ordered sort whose page runs past the
// resources having a value), run unless explaining; rows in page order, at most count + 1.
Result<PageStatement> RunPage(const Query& query, const ParameterRegistry& registry, int count,
                              const std::optional<Cursor>& cursor, Micros now, SqlRunner& runner,
                              std::vector<Sql>* explained, std::vector<SqlRow>* rows) {
  HESTIA_ASSIGN_OR_RETURN(PageStatement generic, BuildPage(query, registry, count, cursor, now));
  std::optional<OrderedSort> ordered = OrderedSortFor(query, registry);
  if (g_ordered_sort_policy.load() == internal::OrderedSortPolicy::kNever) ordered.reset();
  if (!ordered) {
    if (query.explain) {
      explained->push_back(generic.sql);
      return generic;
    }
    HESTIA_ASSIGN_OR_RETURN(*rows, runner.Run(generic.sql));
    return generic;
  }
  const bool in_lacking_group = cursor && !cursor->values[0];
  if (!in_lacking_group) {
    HESTIA_ASSIGN_OR_RETURN(PageStatement a, BuildOrderedPart(query, registry, *ordered, false,
                                                              count + 1, cursor, now));
    // The planner decides: reading in index order pays off when many resources match.
    bool use_generic = false;
    switch (g_ordered_sort_policy.load()) {
      case internal::OrderedSortPolicy::kAlways:
        break;
      case internal::OrderedSortPolicy::kNever:
        use_generic = true;
        break;
      case internal::OrderedSortPolicy::kPlanner: {
        HESTIA_ASSIGN_OR_RETURN(double generic_cost, PlanCost(runner, generic.sql));
        HESTIA_ASSIGN_OR_RETURN(double ordered_cost, PlanCost(runner, a.sql));
        use_generic = generic_cost <= ordered_cost;
        break;
      }
    }
    if (use_generic) {
      if (query.explain) {
        explained->push_back(generic.sql);
        return generic;
      }
      HESTIA_ASSIGN_OR_RETURN(*rows, runner.Run(generic.sql));
      return generic;
    }
    if (query.explain) {
      explained->push_back(a.sql);
      return a;
    }
    HESTIA_ASSIGN_OR_RETURN(*rows, runner.Run(a.sql));
    if (rows->size() > static_cast<std::size_t>(count)) return a;
  }
  const int remaining = count + 1 - static_cast<int>(rows->size());
  HESTIA_ASSIGN_OR_RETURN(
      PageStatement b, BuildOrderedPart(query, registry, *ordered, true, remaining, cursor, now));
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
}  // namespace internal

}  // namespace hestia::search
