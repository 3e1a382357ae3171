// _sort: one sort value per resource and key — ascending sorts by the smallest value a
// resource has (lowest low bound), descending by the largest (highest high bound); strings by
// their normalized form (byte order), tokens by code, references by "Type/id" or URL. Resources
// lacking a value sort last in either direction; ties break on pk (sql_page.cc). FHIR R4:
// http://hl7.org/fhir/R4/search.html#sort Thread-safety: stateless functions.
#include "hestia/search/index.h"
#include "sql_rewrite.h"

namespace hestia::search::internal {

std::string_view SortCast(SortValueType type) {
  switch (type) {
    case SortValueType::kBigint:
      return "bigint";
    case SortValueType::kNumeric:
      return "numeric";
    case SortValueType::kDouble:
      return "double precision";
    case SortValueType::kText:
      return "text";
  }
  return "text";
}

Result<std::vector<SortColumn>> SortColumns(const Query& query, std::string_view r, Rewriter& rw) {
  const std::string a(r);
  std::vector<SortColumn> out;
  for (const SortKey& key : query.sort) {
    SortColumn column;
    column.descending = key.descending;
    const char* agg = key.descending ? "max" : "min";
    if (key.code == "_id") {
      column.expression = a + ".res_id";
      column.type = SortValueType::kText;
      column.nullable = false;
    } else if (key.code == "_lastUpdated") {
      column.expression = a + ".last_updated";
      column.type = SortValueType::kBigint;
      column.nullable = false;
    } else if (key.code == "near" || (key.param != nullptr && key.param->type == "special")) {
      column.expression = NearDistanceExpression(query, r, rw);
      if (column.expression.empty()) {
        return InvalidError("_sort=" + key.code + " needs a near search parameter", "_sort");
      }
      column.type = SortValueType::kDouble;
    } else if (key.param != nullptr) {
      const std::string& type = key.param->type;
      std::string value;
      std::string table(TableFor(type));
      if (type == "date") {
        value = key.descending ? "i.high" : "i.low";
        column.type = SortValueType::kBigint;
      } else if (type == "number" || type == "quantity") {
        value = key.descending ? "i.high" : "i.low";
        column.type = SortValueType::kNumeric;
      } else if (type == "string") {
        // Byte order of the normal form (C collation), the order of idx_string_lookup's
        // text_pattern_ops, so the ordered path (executor.cc) can read it from the index.
        value = "i.norm COLLATE \"C\"";
      } else if (type == "token") {
        value = "i.code";
      } else if (type == "uri") {
        value = "i.uri";
      } else if (type == "reference") {
        value = "coalesce(nullif(i.url, ''), i.target_type || '/' || i.target_id)";
      } else {
        return NotSupportedError("_sort on " + type + " parameter '" + key.code +
                                 "' is not supported");
      }
      Clause probe;
      probe.param = key.param;
      probe.name = key.code;
      const std::vector<std::string> types =
          ClauseTypes(probe, Scope{a, query.types}, rw.registry());
      column.expression = "(SELECT " + std::string(agg) + "(" + value + ") FROM " + table +
                          " i WHERE i.res_pk = " + a + ".pk AND i.param_hash " +
                          HashTest(rw.registry(), types, key.param->code) + ")";
    } else {
      return InvalidError("unknown sort key '" + key.code + "'", "_sort");
    }
    out.push_back(std::move(column));
  }
  return out;
}

}  // namespace hestia::search::internal
