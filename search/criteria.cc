// Foundation search criteria: parsing, extraction, SQL. See criteria.h.
#include "hestia/search/criteria.h"

#include <cctype>
#include <charconv>

#include "hestia/base/json.h"
#include "hestia/base/uri.h"

namespace hestia::search {
namespace {

// Splits at the first unescaped '|' into system and code; keeps escapes of ',' already removed.
TokenValue ParseToken(std::string_view v) {
  TokenValue t;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      ++i;
      continue;
    }
    if (v[i] == '|') {
      t.has_system = true;
      t.system = std::string(v.substr(0, i));
      t.code = std::string(v.substr(i + 1));
      return t;
    }
  }
  t.code = std::string(v);
  return t;
}

std::vector<std::string> SplitOr(std::string_view s) {
  // Split on unescaped commas but keep other escapes for the token parser.
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      if (s[i + 1] != ',') out.back().push_back('\\');
      out.back().push_back(s[++i]);
    } else if (s[i] == ',') {
      out.emplace_back();
    } else {
      out.back().push_back(s[i]);
    }
  }
  return out;
}

std::string Unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out.push_back(s[i]);
  }
  return out;
}

bool IsResultParameter(std::string_view name) {
  return name == "_format" || name == "_pretty" || name == "_cursor";
}

Status Unsupported(std::string_view name, std::string_view why) {
  return {StatusCode::kInvalid, "search parameter '" + std::string(name) + "' " + std::string(why),
          std::string(name)};
}

}  // namespace

int64_t ParamHash(std::string_view resource_type, std::string_view code) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a 64
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
  };
  mix(resource_type);
  mix("|");
  mix(code);
  return static_cast<int64_t>(h);
}

Result<Criteria> ParseCriteria(std::string_view resource_type,
                               const std::vector<std::pair<std::string, std::string>>& query,
                               const ParameterRegistry& registry, bool lenient) {
  Criteria c;
  c.resource_type = std::string(resource_type);
  for (const auto& [raw_name, value] : query) {
    std::string_view name = raw_name;
    std::string_view modifier;
    if (auto colon = name.find(':'); colon != std::string_view::npos) {
      modifier = name.substr(colon + 1);
      name = name.substr(0, colon);
    }
    if (IsResultParameter(name)) continue;
    if (name == "_count") {
      int n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size() || n < 0) {
        return InvalidError("_count must be a non-negative integer, got '" + value + "'", "_count");
      }
      c.count = n;
      continue;
    }
    if (name == "_total") {
      if (value == "none") {
        c.total_none = true;
      } else if (value != "accurate" && value != "estimate") {
        return InvalidError("_total must be none, estimate or accurate", "_total");
      }
      continue;
    }
    if (name == "_summary") {
      if (value == "count") {
        c.summary_count = true;
        continue;
      }
      if (value == "false") continue;
      if (lenient) {
        c.ignored.push_back(raw_name + "=" + value);
        continue;
      }
      return Unsupported("_summary=" + value, "is not supported yet (only count and false)");
    }
    const bool known = name == "_id" || name == "_lastUpdated" ||
                       (name == "identifier" && registry.Find(resource_type, "identifier"));
    if (!known || !modifier.empty()) {
      if (lenient) {
        c.ignored.push_back(raw_name);
        continue;
      }
      if (!modifier.empty() && known) {
        return Unsupported(raw_name, "uses a modifier this server does not support");
      }
      if (registry.Find(resource_type, name) != nullptr) {
        return Unsupported(name, "is defined for " + std::string(resource_type) +
                                     " but not supported by this server yet");
      }
      return Unsupported(name, "is not defined for " + std::string(resource_type));
    }
    if (name == "_id") {
      std::vector<std::string> ids;
      for (auto& v : SplitOr(value)) ids.push_back(Unescape(v));
      c.ids.push_back(std::move(ids));
    } else if (name == "identifier") {
      std::vector<TokenValue> tokens;
      for (auto& v : SplitOr(value)) {
        TokenValue t = ParseToken(v);
        t.system = Unescape(t.system);
        t.code = Unescape(t.code);
        tokens.push_back(std::move(t));
      }
      c.identifiers.push_back(std::move(tokens));
    } else {  // _lastUpdated
      std::vector<DateValue> dates;
      for (auto& v : SplitOr(value)) {
        DateValue d;
        std::string_view text = v;
        if (text.size() >= 2 && std::isalpha(static_cast<unsigned char>(text[0])) &&
            std::isalpha(static_cast<unsigned char>(text[1]))) {
          d.prefix = std::string(text.substr(0, 2));
          text.remove_prefix(2);
          static constexpr const char* kPrefixes[] = {"eq", "ne", "gt", "lt", "ge",
                                                      "le", "sa", "eb", "ap"};
          bool ok = false;
          for (const char* p : kPrefixes) ok = ok || d.prefix == p;
          if (!ok) return Unsupported("_lastUpdated", "has unknown prefix '" + d.prefix + "'");
        }
        auto range = ParseFhirDateTime(text);
        if (!range.ok()) return InvalidError(range.status().message(), "_lastUpdated");
        d.range = *range;
        dates.push_back(std::move(d));
      }
      c.last_updated.push_back(std::move(dates));
    }
  }
  return c;
}

Result<Criteria> ParseConditionalCriteria(std::string_view resource_type, std::string_view query,
                                          const ParameterRegistry& registry) {
  if (!query.empty() && query.front() == '?') query.remove_prefix(1);
  HESTIA_ASSIGN_OR_RETURN(auto pairs, ParseQuery(query));
  HESTIA_ASSIGN_OR_RETURN(Criteria c, ParseCriteria(resource_type, pairs, registry, false));
  if (!c.HasFilters()) {
    return InvalidError("a conditional interaction needs at least one search parameter");
  }
  return c;
}

IndexRows ExtractIndex(std::string_view resource_type, const rapidjson::Value& resource,
                       const ParameterRegistry& registry) {
  IndexRows rows;
  if (registry.Find(resource_type, "identifier") == nullptr) return rows;
  const json::Value* identifiers = json::Member(resource, "identifier");
  if (identifiers == nullptr) return rows;
  const int64_t hash = ParamHash(resource_type, "identifier");
  auto add = [&](const json::Value& identifier) {
    const std::string_view value = json::StringMember(identifier, "value");
    if (value.empty()) return;
    rows.tokens.push_back(
        {hash, std::string(json::StringMember(identifier, "system")), std::string(value)});
  };
  if (identifiers->IsArray()) {
    for (const auto& i : identifiers->GetArray()) add(i);
  } else if (identifiers->IsObject()) {
    add(*identifiers);
  }
  return rows;
}

SqlFilter BuildFilter(const Criteria& c, int first_param) {
  SqlFilter f;
  int n = first_param;
  auto param = [&](std::string v) {
    f.params.push_back(std::move(v));
    return "$" + std::to_string(n++);
  };
  f.where = "r.res_type = " + param(c.resource_type) + " AND NOT r.deleted";
  for (const auto& any : c.ids) {
    std::string clause;
    for (const auto& id : any)
      clause += (clause.empty() ? "" : " OR ") + ("r.res_id = " + param(id));
    f.where += " AND (" + clause + ")";
  }
  const std::string hash = std::to_string(ParamHash(c.resource_type, "identifier"));
  for (const auto& any : c.identifiers) {
    std::string clause;
    for (const auto& t : any) {
      std::string one;
      if (t.has_system && t.code.empty()) {
        one = "(t.system = " + param(t.system) + ")";  // "system|": any code in that system
      } else {
        one = "(t.code = " + param(t.code);
        if (t.has_system) one += " AND t.system = " + param(t.system);
        one += ")";
      }
      clause += (clause.empty() ? "" : " OR ") + one;
    }
    f.where +=
        " AND EXISTS (SELECT 1 FROM idx_token t WHERE t.res_pk = r.pk AND t.param_hash = " + hash +
        " AND (" + clause + "))";
  }
  for (const auto& any : c.last_updated) {
    std::string clause;
    for (const auto& d : any) {
      // last_updated is stored as microseconds since the epoch (bigint).
      auto ts = [&](Micros m) { return param(std::to_string(m)) + "::bigint"; };
      std::string one;
      if (d.prefix == "eq" || d.prefix == "ap") {
        one = "(r.last_updated >= " + ts(d.range.low) + " AND r.last_updated < " +
              ts(d.range.high) + ")";
      } else if (d.prefix == "ne") {
        one = "(r.last_updated < " + ts(d.range.low) + " OR r.last_updated >= " + ts(d.range.high) +
              ")";
      } else if (d.prefix == "gt" || d.prefix == "sa") {
        one = "r.last_updated >= " + ts(d.range.high);
      } else if (d.prefix == "lt" || d.prefix == "eb") {
        one = "r.last_updated < " + ts(d.range.low);
      } else if (d.prefix == "ge") {
        one = "r.last_updated >= " + ts(d.range.low);
      } else {  // le
        one = "r.last_updated < " + ts(d.range.high);
      }
      clause += (clause.empty() ? "" : " OR ") + one;
    }
    f.where += " AND (" + clause + ")";
  }
  return f;
}

}  // namespace hestia::search
