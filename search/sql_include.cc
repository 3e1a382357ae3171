// _include and _revinclude (with :iterate and `*`): the resources a page's matches reference
// through a reference parameter, and the resources that reference the matches. Each included
// resource is returned once and never when it is a match; :iterate repeats on newly included
// resources for at most kMaxRounds rounds and kMaxIncluded resources in all. Canonical
// references (url rows) are followed to and from the resources whose `url` parameter holds them.
// FHIR R4: http://hl7.org/fhir/R4/search.html#include,
// http://hl7.org/fhir/R4/search.html#revinclude Thread-safety: stateless functions.
#include <algorithm>
#include <set>
#include <unordered_set>

#include "hestia/search/index.h"
#include "sql_rewrite.h"

namespace hestia::search::internal {
namespace {

constexpr int kMaxRounds = 4;
constexpr int kMaxIncluded = 1000;

std::string PkArray(const std::vector<int64_t>& pks) {
  std::string out = "{";
  for (std::size_t k = 0; k < pks.size(); ++k) {
    if (k > 0) out += ',';
    out += std::to_string(pks[k]);
  }
  return out + "}";
}

// The param_hash values of an include: (source types) × (reference parameter codes), through
// the rows a parameter shares (IndexKeys).
std::set<int64_t> IncludeHashes(const Include& include, const std::vector<std::string>& frontier,
                                const ParameterRegistry& registry) {
  std::vector<std::string> sources;
  if (include.source_type == "*") {
    std::set<std::string> distinct(frontier.begin(), frontier.end());
    if (include.reverse) {
      for (const SearchParameterDef& p : registry.all()) {
        if (p.type != "reference") continue;
        for (const std::string& b : p.base) distinct.insert(b);
      }
    }
    sources.assign(distinct.begin(), distinct.end());
  } else {
    sources.push_back(include.source_type);
  }
  std::set<int64_t> hashes;
  for (const std::string& source : sources) {
    if (include.param_code == "*") {
      for (const SearchParameterDef* p : registry.ForType(source)) {
        if (p->type != "reference") continue;
        for (int64_t h : IndexKeys(registry, source, p->code)) hashes.insert(h);
      }
    } else {
      const SearchParameterDef* p = registry.Find(source, include.param_code);
      if (p != nullptr && p->type == "reference") {
        for (int64_t h : IndexKeys(registry, source, p->code)) hashes.insert(h);
      }
    }
  }
  return hashes;
}

// The target types of an include's reference parameters.
std::vector<std::string> TargetTypes(const Include& include,
                                     const std::vector<std::string>& frontier,
                                     const ParameterRegistry& registry) {
  std::set<std::string> sources;
  if (include.source_type == "*") {
    sources.insert(frontier.begin(), frontier.end());
  } else {
    sources.insert(include.source_type);
  }
  std::set<std::string> targets;
  for (const std::string& source : sources) {
    for (const SearchParameterDef* p : registry.ForType(source)) {
      if (p->type != "reference" || (include.param_code != "*" && p->code != include.param_code)) {
        continue;
      }
      targets.insert(p->target.begin(), p->target.end());
    }
  }
  return {targets.begin(), targets.end()};
}

// The param_hash of the `url` parameter of each of `types` that has one (canonical resources).
std::set<int64_t> UrlHashes(const std::vector<std::string>& types,
                            const ParameterRegistry& registry) {
  std::set<int64_t> out;
  for (const std::string& type : types) {
    const SearchParameterDef* url = registry.Find(type, "url");
    if (url != nullptr && url->type == "uri") out.insert(ParamHash(type, "url"));
  }
  return out;
}

std::string HashList(const std::set<int64_t>& hashes) {
  std::string out;
  for (int64_t h : hashes) out += (out.empty() ? "" : ", ") + std::to_string(h);
  return out;
}

}  // namespace

Result<std::vector<IncludedRow>> RunIncludes(const Query& query, const ParameterRegistry& registry,
                                             const std::vector<int64_t>& match_pks,
                                             const std::vector<std::string>& match_types,
                                             SqlRunner& runner) {
  std::vector<IncludedRow> out;
  std::unordered_set<int64_t> seen(match_pks.begin(), match_pks.end());
  std::vector<int64_t> frontier = match_pks;
  std::vector<std::string> frontier_types = match_types;
  for (int round = 0; round <= kMaxRounds && !frontier.empty(); ++round) {
    std::vector<int64_t> next;
    std::vector<std::string> next_types;
    for (const Include& include : query.includes) {
      if (round > 0 && !include.iterate) continue;
      const int remaining = kMaxIncluded - static_cast<int>(out.size());
      if (remaining <= 0) break;
      const std::set<int64_t> hashes = IncludeHashes(include, frontier_types, registry);
      if (hashes.empty()) continue;
      Sql sql;
      std::vector<int64_t> excluded(seen.begin(), seen.end());
      const std::string from = sql.Bind(PkArray(frontier)) + "::bigint[]";
      const std::string refs = "i.param_hash IN (" + HashList(hashes) + ")";
      std::string pks;  // the pks of the resources to include (may repeat)
      std::string type_filter;
      if (!include.reverse) {
        pks =
            "SELECT t.pk FROM idx_reference i JOIN resource t ON t.res_type = i.target_type "
            "AND t.res_id = i.target_id WHERE i.res_pk = ANY(" +
            from + ") AND " + refs;
        const std::set<int64_t> urls =
            UrlHashes(include.target_type.empty() ? TargetTypes(include, frontier_types, registry)
                                                  : std::vector<std::string>{include.target_type},
                      registry);
        if (!urls.empty()) {
          pks +=
              " UNION ALL SELECT u.res_pk FROM idx_reference i JOIN idx_uri u ON u.uri = i.url "
              "AND u.param_hash IN (" +
              HashList(urls) + ") WHERE i.res_pk = ANY(" + from + ") AND " + refs +
              " AND i.url <> ''";
        }
        if (!include.target_type.empty()) {
          type_filter = " AND t.res_type = " + sql.Bind(include.target_type);
        }
      } else {
        const std::string target = include.target_type.empty()
                                       ? std::string()
                                       : " AND m.res_type = " + sql.Bind(include.target_type);
        pks =
            "SELECT i.res_pk FROM resource m JOIN idx_reference i ON i.target_type = m.res_type "
            "AND i.target_id = m.res_id WHERE m.pk = ANY(" +
            from + ") AND " + refs + target;
        const std::set<int64_t> urls =
            UrlHashes(include.target_type.empty() ? frontier_types
                                                  : std::vector<std::string>{include.target_type},
                      registry);
        if (!urls.empty()) {
          pks +=
              " UNION ALL SELECT i.res_pk FROM idx_uri u JOIN idx_reference i ON i.url = u.uri "
              "AND " +
              refs + " AND i.url <> '' WHERE u.res_pk = ANY(" + from + ") AND u.param_hash IN (" +
              HashList(urls) + ")";
        }
      }
      sql.text = "SELECT DISTINCT ON (t.pk) t.pk, t.res_type, t.res_id, v.body FROM (" + pks +
                 ") x(pk) JOIN resource t ON t.pk = x.pk "
                 "JOIN resource_version v ON v.res_pk = t.pk AND v.version = t.version "
                 "WHERE NOT t.deleted" +
                 type_filter + " AND NOT (t.pk = ANY(" + sql.Bind(PkArray(excluded)) +
                 "::bigint[]))";
      sql.text += " ORDER BY 1 LIMIT " + std::to_string(remaining);
      HESTIA_ASSIGN_OR_RETURN(std::vector<SqlRow> rows, runner.Run(sql));
      for (const SqlRow& row : rows) {
        if (row.size() < 4 || !row[0] || !row[1] || !row[2] || !row[3]) {
          return InternalError("include query returned a malformed row");
        }
        const int64_t pk = std::stoll(*row[0]);
        if (!seen.insert(pk).second) continue;
        out.push_back(IncludedRow{pk, *row[1], *row[2], *row[3]});
        next.push_back(pk);
        next_types.push_back(*row[1]);
      }
    }
    frontier = std::move(next);
    frontier_types = std::move(next_types);
  }
  return out;
}

}  // namespace hestia::search::internal
