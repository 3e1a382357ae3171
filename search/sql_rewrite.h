// The rewriters from a Query (query.h) to SQL (sql.h), private to the search library.
//
// Owns: the shapes every rewriter agrees on. A filter is a boolean SQL condition over one
// `resource` row (an alias with columns pk, res_type, res_id, version, deleted, last_updated).
// Each parameter type contributes a predicate over one index row (alias `i` inside its own
// sub-select, or the alias the composite rewriter hands it); sql_filter.cc wraps them as
//   <alias>.pk IN (SELECT i.res_pk FROM idx_x i WHERE i.param_hash = <hash> AND (p1 OR p2))
// so the planner drives the search from the selective index, and negations (:not, :missing,
// ne on tokens) as NOT EXISTS anti-joins. Values only ever enter as Sql::Bind placeholders;
// hashes, limits and aliases are server-computed text.
// One file per concern: sql_token.cc, sql_string.cc, sql_date.cc, sql_number.cc,
// sql_quantity.cc, sql_uri.cc, sql_reference.cc, sql_composite.cc, sql_special.cc,
// sql_chain.cc, sql_filter.cc, sql_sort.cc, sql_page.cc, sql_include.cc.
// Thread-safety: a Rewriter builds one statement on one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hestia/base/status.h"
#include "hestia/base/time.h"
#include "hestia/search/parameter_registry.h"
#include "hestia/search/query.h"
#include "hestia/search/sql.h"

namespace hestia::search::internal {

// State of one statement being built.
class Rewriter {
 public:
  Rewriter(const ParameterRegistry& registry, Sql& sql) : registry_(registry), sql_(sql) {}

  const ParameterRegistry& registry() const { return registry_; }
  std::string Bind(std::string value) { return sql_.Bind(std::move(value)); }
  // A fresh alias for a resource row of a nested sub-select ("t1", "t2", …).
  std::string ResourceAlias() { return "t" + std::to_string(++aliases_); }
  // The moment "now" for ap on dates, fixed for the whole statement.
  Micros now() const { return now_; }
  void set_now(Micros now) { now_ = now; }

 private:
  const ParameterRegistry& registry_;
  Sql& sql_;
  int aliases_ = 0;
  Micros now_ = 0;
};

// The resource row a condition filters, and the types it may have (empty = any type).
struct Scope {
  std::string alias;               // "r", "t1", …
  std::vector<std::string> types;  // the resource types this row can be of
};

// "= 123" or "IN (1, 2)": the param_hash test of `key` ("code", "code:text", …) on each of
// `types`, through the rows it shares (IndexKeys). Not for composite components.
std::string HashTest(const ParameterRegistry& registry, const std::vector<std::string>& types,
                     std::string_view key);
// The keys HashTest tests, in order; and the test of a set of keys ("IS NULL" for none).
std::set<int64_t> KeyHashes(const ParameterRegistry& registry,
                            const std::vector<std::string>& types, std::string_view key);
std::string HashTest(const std::set<int64_t>& hashes);
// The types a clause's index rows live under: the clause's own type, else the scope's.
std::vector<std::string> ClauseTypes(const Clause& clause, const Scope& scope,
                                     const ParameterRegistry& registry);

// LIKE-escapes `text` (\, %, _) for a pattern with ESCAPE '\'.
std::string LikeEscape(std::string_view text);

// ---- Row predicates, one per parameter type. `i` is the index row's alias. ----
// Each returns a boolean SQL expression over `i`'s columns. The caller has already checked
// param_hash; :missing and :not are handled by sql_filter.cc.
Result<std::string> TokenPredicate(const TokenValue& value, std::string_view i, Rewriter& rw);
// token :of-type ("type-system|type-code|value" as parsed into `value`).
Result<std::string> OfTypePredicate(const SearchValue& value, std::string_view i, Rewriter& rw);
// String default (starts-with on norm), :exact, :contains; token :text uses the default.
Result<std::string> StringPredicate(const SearchParameterDef& param, Modifier modifier,
                                    std::string_view text, std::string_view i, Rewriter& rw);
Result<std::string> DatePredicate(const SearchValue& value, std::string_view i, Rewriter& rw);
// The date prefixes over any half-open [low_col, high_col) in µs (also _lastUpdated).
Result<std::string> DateRangePredicate(Prefix prefix, TimeRange range, Micros now,
                                       std::string_view low_col, std::string_view high_col,
                                       Rewriter& rw);
// Numbers: eq/ne/sa/eb on the implied range of `number`, gt/lt/ge/le on its exact value.
Result<std::string> NumberPredicate(Prefix prefix, std::string_view number, std::string_view i,
                                    Rewriter& rw);
// Quantities: canonical UCUM comparison when the unit parses, else system/code as written.
Result<std::string> QuantityPredicate(const SearchValue& value, std::string_view i, Rewriter& rw);
Result<std::string> UriPredicate(Modifier modifier, std::string_view uri, std::string_view i,
                                 Rewriter& rw);
Result<std::string> ReferencePredicate(const Clause& clause, const SearchValue& value,
                                       std::string_view i, Rewriter& rw);

// The implicit range of a decimal search value ("100" → [99.5, 100.5), "100.00" →
// [99.995, 100.005), "1e2" → [50, 150)), as exact decimal text. kInvalid when `number` is
// not a decimal.
struct DecimalRange {
  std::string low;
  std::string high;
};
Result<DecimalRange> ImpliedRange(std::string_view number);
// The number prefixes over a closed range [low_col, high_col] (NULL = open end) of SQL type
// `cast` ("numeric", "double precision"); `value` is the search value, `range` its implied
// range.
std::string NumericRangePredicate(Prefix prefix, std::string_view low_col,
                                  std::string_view high_col, const std::string& value,
                                  const DecimalRange& range, std::string_view cast, Rewriter& rw);
// The index table of an ordinary parameter type ("token" → "idx_token"); "" for others.
std::string_view TableFor(std::string_view type);

// ---- Clause conditions ----
// The condition of `clause` over the resource row of `scope`.
Result<std::string> ClauseCondition(const Clause& clause, const Scope& scope, Rewriter& rw);
// kParameter clauses of every ordinary type (sql_filter.cc).
Result<std::string> ParameterCondition(const Clause& clause, const Scope& scope, Rewriter& rw);
Result<std::string> CompositeCondition(const Clause& clause, const Scope& scope, Rewriter& rw);
// _id, _lastUpdated, _text, _content, _list, near (sql_special.cc).
Result<std::string> SpecialCondition(const Clause& clause, const Scope& scope, Rewriter& rw);
// Chains and _has (sql_chain.cc).
Result<std::string> ChainCondition(const Clause& clause, const Scope& scope, Rewriter& rw);
Result<std::string> HasCondition(const Clause& clause, const Scope& scope, Rewriter& rw);
// Great-circle distance in km from (lat, lon) to the idx_geo row `g`, as SQL.
std::string DistanceSql(std::string_view g, std::string_view lat, std::string_view lon);

// The whole WHERE condition of `query` over resource alias `r`: not deleted, of the searched
// types (Query::types; none = every type), in the compartment, and every clause.
Result<std::string> QueryFilter(const Query& query, std::string_view r, Rewriter& rw);

// ---- Sorting (sql_sort.cc) ----
enum class SortValueType { kBigint, kNumeric, kText, kDouble };
struct SortColumn {
  std::string expression;  // over the resource alias; NULL when the resource lacks a value
  SortValueType type = SortValueType::kText;
  bool descending = false;
  // false for columns of the resource row (_id, _lastUpdated): their ORDER BY then omits
  // NULLS LAST, so it matches the direction of resource_type_id / resource_type_updated.
  bool nullable = true;
};
// The sort columns of `query` over resource alias `r` (empty: order by pk only). A near
// clause adds its distance when `query.sort` names "near".
Result<std::vector<SortColumn>> SortColumns(const Query& query, std::string_view r, Rewriter& rw);
// The SQL cast of a sort value type ("bigint", "numeric", "text", "double precision").
std::string_view SortCast(SortValueType type);
// The minimum great-circle distance of resource `r` for the query's near clause, or "" when
// the query has none.
std::string NearDistanceExpression(const Query& query, std::string_view r, Rewriter& rw);

// ---- Paging (sql_page.cc) ----
struct Cursor {
  std::string signature;                           // which sort produced it
  std::vector<std::optional<std::string>> values;  // sort values of the last row
  int64_t pk = 0;
};
std::string EncodeCursor(const Cursor& cursor);
// kInvalid naming _cursor when the text is not a cursor this server wrote for `signature`.
Result<Cursor> DecodeCursor(std::string_view text, std::string_view signature);
// The signature of a query's sort (keys and directions).
std::string SortSignature(const Query& query);
// The condition "strictly after `cursor`" in the order of `columns` (lacking values last,
// pk ascending last), over the column names s0…sn and `pk_column`.
std::string KeysetCondition(const std::vector<SortColumn>& columns, const Cursor& cursor,
                            std::string_view prefix, std::string_view pk_column, Rewriter& rw);
// "ORDER BY" list over columns prefix+"s0"… and `pk_column`.
std::string OrderByList(const std::vector<SortColumn>& columns, std::string_view prefix,
                        std::string_view pk_column);

// How a page is read (executor.cc): for a single sort key, or for a _has search without
// _sort, the planner picks between the generic statement (every match, then the page) and a
// budgeted walk in the page's order (an index of the sort parameter, or resources by pk).
// Tests force one or the other, and may shrink the walk's budget.
enum class OrderedSortPolicy { kPlanner, kAlways, kNever };
void SetOrderedSortPolicyForTesting(OrderedSortPolicy policy);
// The index rows an ordered walk reads before it gives the page up (0: its own choice).
void SetOrderedWalkBudgetForTesting(int rows);

// ---- Includes (sql_include.cc) ----
struct IncludedRow {
  int64_t pk = 0;
  std::string type;
  std::string id;
  std::string body;
};
// Runs the includes of `query` for the page `matches` (their pks and types).
Result<std::vector<IncludedRow>> RunIncludes(const Query& query, const ParameterRegistry& registry,
                                             const std::vector<int64_t>& match_pks,
                                             const std::vector<std::string>& match_types,
                                             SqlRunner& runner);

}  // namespace hestia::search::internal
