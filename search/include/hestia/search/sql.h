// SQL for searches: the rewriter from a Query (query.h) to statements over the schema of
// fhir-core/storage/migrations.cc (resource, resource_version, idx_* tables; index.h), and the
// narrow interface through which the search layer runs them.
//
// Owns: every SQL text of a search (matches, counts, sort keys, keyset paging, includes,
// conditional matches). One rewriter per concern (parameter types, chains and _has,
// compartments, sorting, paging, includes), each in its own sql_*.cc file.
// Rule: user values never enter the text. Sql::Bind() appends a value and returns its
// placeholder ("$7"); the text holds only fixed SQL, placeholders, casts and integers the
// server itself computed (hashes, limits).
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hestia/base/status.h"

namespace hestia::search {

struct Sql {
  std::string text;
  std::vector<std::optional<std::string>> params;  // $1…$n, as text (cast in the SQL text)

  // Appends `value` as the next parameter; returns "$n".
  std::string Bind(std::string value) {
    params.emplace_back(std::move(value));
    return "$" + std::to_string(params.size());
  }
};

// One result row; NULL columns are nullopt.
using SqlRow = std::vector<std::optional<std::string>>;

// Runs statements for the search layer (implemented by fhir-core/storage on a read-only
// snapshot or inside a write transaction, so every statement of one search sees the same
// data). Errors: kUnavailable (database gone), kTimeout (statement_timeout), kInternal.
class SqlRunner {
 public:
  virtual ~SqlRunner() = default;
  virtual Result<std::vector<SqlRow>> Run(const Sql& sql) = 0;
  // EXPLAIN (ANALYZE off, FORMAT JSON) of `sql`: the plan as JSON text.
  virtual Result<std::string> Explain(const Sql& sql) = 0;
};

}  // namespace hestia::search
