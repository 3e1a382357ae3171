// Running a search and rendering its searchset Bundle. See search.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html, http://hl7.org/fhir/R4/bundle.html#searchset
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "bundle_text.h"
#include "hestia/base/json.h"
#include "hestia/base/operation_outcome.h"
#include "hestia/search/executor.h"
#include "hestia/search/query.h"
#include "interactions.h"
#include "search.h"
#include "summary.h"

namespace hestia::interactions {
namespace {

// Percent-encodes a query component, keeping the characters FHIR search syntax uses
// literally (':', '|', ',', '$', '/') readable.
std::string EncodeComponent(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':' || c == '|' ||
        c == ',' || c == '$' || c == '/' || c == '*') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string LinkUrl(const Request& req, const SearchScope& scope,
                    const std::vector<std::pair<std::string, std::string>>& params,
                    const std::string* cursor) {
  std::string url = req.base_url;
  if (!scope.link_path.empty()) url += "/" + scope.link_path;
  std::string query;
  for (const auto& [name, value] : params) {
    if (name == "_cursor") continue;
    query += (query.empty() ? "" : "&") + EncodeComponent(name) + "=" + EncodeComponent(value);
  }
  if (cursor != nullptr)
    query += (query.empty() ? "" : "&") + ("_cursor=" + EncodeComponent(*cursor));
  if (!query.empty()) url += "?" + query;
  return url;
}

// Parameters of the search: the query string, and for POST _search the form body, which
// the HTTP layer has already decoded and appended to the query (rest/dispatcher.cc).
Result<std::vector<std::pair<std::string, std::string>>> CollectParameters(const Request& req) {
  if (req.method == "POST" && !req.body.empty()) {
    const std::string* type = req.headers.Find("Content-Type");
    const std::string media = type == nullptr ? "" : type->substr(0, type->find(';'));
    if (media != "application/x-www-form-urlencoded") {
      return Status{StatusCode::kUnsupportedMediaType,
                    "POST _search takes application/x-www-form-urlencoded parameters"};
    }
  }
  return req.query;
}

std::string DistanceExtension(double km) {
  char value[64];
  std::snprintf(value, sizeof value, "%.6f", km);
  return std::string(
             ",\"extension\":[{\"url\":\"http://hl7.org/fhir/StructureDefinition/"
             "location-distance\",\"valueDistance\":{\"value\":") +
         value + ",\"unit\":\"km\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"km\"}}]";
}

Response ExplainResponse(const std::string& explain) {
  // explain: {"query":…, "statements":[{"sql":…, "params":[…], "plan":…}, …]}
  json::Document doc;
  json::Limits limits;
  limits.max_bytes = explain.size() + 1;
  limits.max_depth = 1000;
  json::Document out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  out.AddMember("resourceType", "Parameters", a);
  json::Value parameters(rapidjson::kArrayType);
  auto string_param = [&](std::string_view name, std::string_view value) {
    json::Value p(rapidjson::kObjectType);
    p.AddMember("name", json::MakeString(name, a), a);
    p.AddMember("valueString", json::MakeString(value, a), a);
    return p;
  };
  if (json::Parse(explain, limits, &doc).ok() && doc.IsObject()) {
    if (const json::Value* q = json::Member(doc, "query"); q != nullptr) {
      parameters.PushBack(string_param("expression-tree", json::Write(*q, true)), a);
    }
    if (const json::Value* st = json::Member(doc, "statements"); st != nullptr && st->IsArray()) {
      for (const auto& s : st->GetArray()) {
        json::Value p(rapidjson::kObjectType);
        p.AddMember("name", "statement", a);
        json::Value parts(rapidjson::kArrayType);
        if (const json::Value* v = json::Member(s, "purpose"); v != nullptr && v->IsString()) {
          parts.PushBack(string_param("purpose", json::AsStringView(*v)), a);
        }
        if (const json::Value* v = json::Member(s, "sql"); v != nullptr && v->IsString()) {
          parts.PushBack(string_param("sql", json::AsStringView(*v)), a);
        }
        if (const json::Value* v = json::Member(s, "params"); v != nullptr) {
          parts.PushBack(string_param("parameters", json::Write(*v)), a);
        }
        if (const json::Value* v = json::Member(s, "plan"); v != nullptr) {
          parts.PushBack(string_param("plan", v->IsString() ? std::string(json::AsStringView(*v))
                                                            : json::Write(*v, true)),
                         a);
        }
        p.AddMember("part", parts, a);
        parameters.PushBack(p, a);
      }
    }
  } else {
    parameters.PushBack(string_param("explain", explain), a);
  }
  out.AddMember("parameter", parameters, a);
  Response r;
  r.body = json::Write(out);
  return r;
}

}  // namespace

Response RunSearch(const Context& ctx, const Request& req, const SearchScope& scope) {
  auto params = CollectParameters(req);
  if (!params.ok()) return ErrorResponse(params.status());
  const std::shared_ptr<const search::ParameterRegistry> registry = ctx.Params();
  search::ParseOptions options;
  options.lenient = PreferLenient(req);
  options.base_url = req.base_url;
  auto query = search::ParseSearch(scope.types, scope.system, *params, *registry, options);
  if (!query.ok()) return ErrorResponse(query.status());

  if (!scope.compartment_type.empty()) {
    query->compartment_type = scope.compartment_type;
    query->compartment_id = scope.compartment_id;
    for (const auto& type : query->types) {
      for (const auto& code : ctx.compartments->Params(scope.compartment_type, type)) {
        const search::SearchParameterDef* def = registry->Find(type, code);
        if (def != nullptr) query->compartment_params.push_back(def);
      }
    }
  }

  search::PageRequest page;
  page.count = std::min(query->count.value_or(ctx.options.default_count), ctx.options.max_count);
  if (query->summary == search::Summary::kCount) {
    page.count = 0;
    query->total = search::Total::kAccurate;
  }
  for (const auto& [name, value] : *params) {
    if (name == "_cursor") page.cursor = value;
  }

  auto reader = ctx.store->Reader(ctx.options.search_timeout_ms);
  if (!reader.ok()) return ErrorResponse(reader.status());
  auto result = search::ExecuteSearch(*query, *registry, page, **reader);
  if (!result.ok()) {
    if (result.status().code() == StatusCode::kTimeout) {
      return ErrorResponse(
          {StatusCode::kTimeout, "the search ran longer than search.statement_timeout_ms (" +
                                     std::to_string(ctx.options.search_timeout_ms) +
                                     " ms); narrow it or use _total=none"});
    }
    return ErrorResponse(result.status());
  }
  if (query->explain) return ExplainResponse(result->explain);

  BundleText bundle("searchset", result->total ? *result->total : -1);
  bundle.AddLink("self", LinkUrl(req, scope, *params, page.cursor ? &*page.cursor : nullptr));
  if (result->next_cursor) {
    bundle.AddLink("next", LinkUrl(req, scope, *params, &*result->next_cursor));
  }
  auto add = [&](const search::Hit& hit, const char* mode) {
    std::string entry =
        "{\"fullUrl\":" + JsonString(req.base_url + "/" + hit.type + "/" + hit.id) +
        ",\"resource\":" + SubsetResource(*ctx.types, hit.body, query->summary, query->elements) +
        ",\"search\":{\"mode\":\"" + mode + "\"";
    if (hit.distance_km) entry += DistanceExtension(*hit.distance_km);
    entry += "}}";
    bundle.AddEntry(entry);
  };
  for (const auto& hit : result->matches) add(hit, "match");
  for (const auto& hit : result->included) add(hit, "include");
  if (!query->ignored.empty()) {
    std::string names;
    for (const auto& n : query->ignored) names += (names.empty() ? "" : ", ") + n;
    bundle.AddEntry(
        "{\"resource\":" +
        InformationOutcomeJson("ignored unknown or unsupported search parameters: " + names) +
        ",\"search\":{\"mode\":\"outcome\"}}");
  }
  Response r;
  r.body = bundle.Finish();
  return r;
}

}  // namespace hestia::interactions
