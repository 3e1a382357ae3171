// The special parameters: _id and _lastUpdated (on the resource row itself), _text and
// _content (PostgreSQL full text over idx_text, with the lexemes of index.h TextLexemes), _list
// (members of a List through its `item` references) and Location near (great-circle distance). FHIR
// R4: http://hl7.org/fhir/R4/search.html#all, http://hl7.org/fhir/R4/search.html#list,
// http://hl7.org/fhir/R4/location.html#positional
// Thread-safety: stateless functions.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "hestia/search/index.h"
#include "sql_rewrite.h"

namespace hestia::search::internal {
namespace {

constexpr double kEarthRadiusKm = 6371.0088;
constexpr double kKmPerDegree = 111.19492664455873;  // kEarthRadiusKm * pi / 180
// near without a distance: the server's choice (search.html leaves it open).
constexpr double kDefaultNearKm = 100;

std::string DoubleText(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string OrOf(const std::vector<std::string>& parts) {
  if (parts.empty()) return "FALSE";
  if (parts.size() == 1) return parts[0];
  std::string out = "(";
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += " OR ";
    out += parts[k];
  }
  return out + ")";
}

// The lat/long box around (lat, lon) that holds every point within `km`: lets
// idx_geo_lookup (param_hash, latitude, longitude) narrow the rows before the exact distance.
std::string BoundingBox(const NearValue& near, double km, const std::string& g, Rewriter& rw) {
  const double dlat = km / kKmPerDegree;
  const double lat_low = near.latitude - dlat;
  const double lat_high = near.latitude + dlat;
  std::string box = g + ".latitude BETWEEN " + rw.Bind(DoubleText(lat_low)) + "::float8 AND " +
                    rw.Bind(DoubleText(lat_high)) + "::float8";
  if (lat_low <= -90 || lat_high >= 90) return box;  // a pole is inside: every longitude
  const double max_abs_lat = std::max(std::fabs(lat_low), std::fabs(lat_high));
  const double dlon = dlat / std::cos(max_abs_lat * M_PI / 180);
  if (dlon >= 180) return box;
  double lon_low = near.longitude - dlon;
  double lon_high = near.longitude + dlon;
  auto between = [&](double a, double b) {
    return g + ".longitude BETWEEN " + rw.Bind(DoubleText(a)) + "::float8 AND " +
           rw.Bind(DoubleText(b)) + "::float8";
  };
  if (lon_low < -180) {
    return box + " AND (" + between(lon_low + 360, 180) + " OR " + between(-180, lon_high) + ")";
  }
  if (lon_high > 180) {
    return box + " AND (" + between(lon_low, 180) + " OR " + between(-180, lon_high - 360) + ")";
  }
  return box + " AND " + between(lon_low, lon_high);
}

// :missing on an element every resource has.
std::string MissingNever(const Clause& clause) {
  bool any_false = false;
  for (const SearchValue& v : clause.values) any_false = any_false || !v.missing;
  return any_false ? "TRUE" : "FALSE";
}

const Clause* NearClause(const Query& query) {
  for (const Clause& c : query.clauses) {
    if (c.kind == Clause::Kind::kNear) return &c;
  }
  return nullptr;
}

}  // namespace

std::string DistanceSql(std::string_view g, std::string_view lat, std::string_view lon) {
  // Haversine.
  const std::string a(g);
  return "(2 * " + DoubleText(kEarthRadiusKm) + " * asin(least(1, sqrt(power(sin(radians(" + a +
         ".latitude - " + std::string(lat) + ") / 2), 2) + cos(radians(" + std::string(lat) +
         ")) * cos(radians(" + a + ".latitude)) * power(sin(radians(" + a + ".longitude - " +
         std::string(lon) + ") / 2), 2)))))";
}

std::string NearDistanceExpression(const Query& query, std::string_view r, Rewriter& rw) {
  const Clause* near = NearClause(query);
  if (near == nullptr || near->values.empty()) return "";
  const NearValue& v = near->values[0].near;
  const std::string type = near->resource_type.empty() ? "Location" : near->resource_type;
  const std::string lat = rw.Bind(DoubleText(v.latitude)) + "::float8";
  const std::string lon = rw.Bind(DoubleText(v.longitude)) + "::float8";
  return "(SELECT min(" + DistanceSql("g", lat, lon) +
         ") FROM idx_geo g WHERE g.res_pk = " + std::string(r) +
         ".pk AND g.param_hash = " + std::to_string(ParamHash(type, "near")) + ")";
}

Result<std::string> SpecialCondition(const Clause& clause, const Scope& scope, Rewriter& rw) {
  const std::string& r = scope.alias;
  std::vector<std::string> parts;
  switch (clause.kind) {
    case Clause::Kind::kId: {
      // Every resource has an id and a lastUpdated: :missing=true matches none.
      if (clause.modifier == Modifier::kMissing) return MissingNever(clause);
      if (clause.modifier != Modifier::kNone && clause.modifier != Modifier::kNot) {
        return NotSupportedError("this modifier is not supported on _id");
      }
      std::string list;
      for (const SearchValue& v : clause.values) {
        list += (list.empty() ? "" : ", ") + rw.Bind(v.text.empty() ? v.token.code : v.text);
      }
      if (list.empty()) return std::string(clause.modifier == Modifier::kNot ? "TRUE" : "FALSE");
      return r + ".res_id " + (clause.modifier == Modifier::kNot ? "NOT IN (" : "IN (") + list +
             ")";
    }
    case Clause::Kind::kLastUpdated:
      if (clause.modifier == Modifier::kMissing) return MissingNever(clause);
      // The stored instant as the range [t, t + 1 µs).
      for (const SearchValue& v : clause.values) {
        HESTIA_ASSIGN_OR_RETURN(std::string p,
                                DateRangePredicate(v.prefix, v.date, rw.now(), r + ".last_updated",
                                                   "(" + r + ".last_updated + 1)", rw));
        parts.push_back(std::move(p));
      }
      return OrOf(parts);
    case Clause::Kind::kText:
    case Clause::Kind::kContent: {
      const std::string column = clause.kind == Clause::Kind::kText ? "narrative" : "content";
      // Every lexeme of the value (index.h TextLexemes, as the rows were written), ANDed; a
      // value without words matches nothing.
      for (const SearchValue& v : clause.values) {
        std::string query;
        for (const std::string& lexeme : TextLexemes(v.text)) {
          if (!query.empty()) query += " & ";
          query += '\'';
          for (char c : lexeme) {
            if (c == '\'' || c == '\\') query += c;  // '' and \\ inside a quoted lexeme
            query += c;
          }
          query += '\'';
        }
        if (!query.empty()) parts.push_back("x." + column + " @@ " + rw.Bind(query) + "::tsquery");
      }
      if (parts.empty()) return std::string("FALSE");
      return r + ".pk IN (SELECT x.res_pk FROM idx_text x WHERE " + OrOf(parts) + ")";
    }
    case Clause::Kind::kList: {
      std::string list;
      for (const SearchValue& v : clause.values) {
        list += (list.empty() ? "" : ", ") + rw.Bind(v.text.empty() ? v.reference.id : v.text);
      }
      if (list.empty()) return std::string("FALSE");
      return "(" + r + ".res_type, " + r + ".res_id) IN (SELECT i.target_type, i.target_id " +
             "FROM resource l JOIN idx_reference i ON i.res_pk = l.pk AND i.param_hash = " +
             std::to_string(ParamHash("List", "item")) +
             " WHERE l.res_type = 'List' AND NOT l.deleted AND l.res_id IN (" + list + "))";
    }
    case Clause::Kind::kNear: {
      const std::string type = clause.resource_type.empty() ? "Location" : clause.resource_type;
      const std::string hash = std::to_string(ParamHash(type, "near"));
      for (const SearchValue& v : clause.values) {
        const double km = v.near.distance_km > 0 ? v.near.distance_km : kDefaultNearKm;
        const std::string lat = rw.Bind(DoubleText(v.near.latitude)) + "::float8";
        const std::string lon = rw.Bind(DoubleText(v.near.longitude)) + "::float8";
        parts.push_back("(" + BoundingBox(v.near, km, "g", rw) + " AND " +
                        DistanceSql("g", lat, lon) + " <= " + rw.Bind(DoubleText(km)) +
                        "::float8)");
      }
      if (parts.empty()) return std::string("FALSE");
      return r + ".pk IN (SELECT g.res_pk FROM idx_geo g WHERE g.param_hash = " + hash + " AND " +
             OrOf(parts) + ")";
    }
    default:
      return InternalError("not a special clause");
  }
}

}  // namespace hestia::search::internal
