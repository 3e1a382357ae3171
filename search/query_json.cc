// QueryToJson: the expression tree of a parsed search as JSON, for _explain. The shape is for
// people reading a plan, not a wire format: only the parts a value actually has are written.
// FHIR R4: http://hl7.org/fhir/R4/search.html
#include <string_view>

#include "hestia/base/json.h"
#include "hestia/search/query.h"

namespace hestia::search {
namespace {

using json::Allocator;
using json::Value;

std::string_view PrefixName(Prefix p) {
  switch (p) {
    case Prefix::kEq:
      return "eq";
    case Prefix::kNe:
      return "ne";
    case Prefix::kGt:
      return "gt";
    case Prefix::kLt:
      return "lt";
    case Prefix::kGe:
      return "ge";
    case Prefix::kLe:
      return "le";
    case Prefix::kSa:
      return "sa";
    case Prefix::kEb:
      return "eb";
    case Prefix::kAp:
      return "ap";
  }
  return "eq";
}

std::string_view ModifierName(Modifier m) {
  switch (m) {
    case Modifier::kNone:
      return "";
    case Modifier::kMissing:
      return "missing";
    case Modifier::kExact:
      return "exact";
    case Modifier::kContains:
      return "contains";
    case Modifier::kText:
      return "text";
    case Modifier::kNot:
      return "not";
    case Modifier::kOfType:
      return "of-type";
    case Modifier::kBelow:
      return "below";
    case Modifier::kAbove:
      return "above";
    case Modifier::kIdentifier:
      return "identifier";
    case Modifier::kType:
      return "type";
  }
  return "";
}

std::string_view KindName(Clause::Kind k) {
  switch (k) {
    case Clause::Kind::kParameter:
      return "parameter";
    case Clause::Kind::kId:
      return "id";
    case Clause::Kind::kLastUpdated:
      return "lastUpdated";
    case Clause::Kind::kText:
      return "text";
    case Clause::Kind::kContent:
      return "content";
    case Clause::Kind::kList:
      return "list";
    case Clause::Kind::kNear:
      return "near";
    case Clause::Kind::kChain:
      return "chain";
    case Clause::Kind::kHas:
      return "has";
  }
  return "";
}

Value Str(std::string_view s, Allocator& a) { return json::MakeString(s, a); }

Value ParamJson(const SearchParameterDef& def, Allocator& a) {
  Value p(rapidjson::kObjectType);
  p.AddMember("code", Str(def.code, a), a);
  p.AddMember("type", Str(def.type, a), a);
  p.AddMember("url", Str(def.url, a), a);
  return p;
}

// `kind` is the parameter type the value was parsed as ("" inside composites: then every
// non-empty part is written).
Value ValueJson(const SearchValue& v, std::string_view type, Modifier modifier, Allocator& a) {
  Value out(rapidjson::kObjectType);
  if (modifier == Modifier::kMissing) {
    out.AddMember("missing", v.missing, a);
    return out;
  }
  const bool any = type.empty();
  const bool ranged = type == "number" || type == "date" || type == "quantity";
  if (ranged || (any && v.prefix != Prefix::kEq)) {
    out.AddMember("prefix", Str(PrefixName(v.prefix), a), a);
  }
  if (!v.text.empty()) out.AddMember("text", Str(v.text, a), a);
  if (v.token.has_system || !v.token.code.empty()) {
    Value t(rapidjson::kObjectType);
    if (v.token.has_system) t.AddMember("system", Str(v.token.system, a), a);
    t.AddMember("code", Str(v.token.code, a), a);
    out.AddMember("token", t, a);
  }
  if (v.date.low != v.date.high) {
    Value d(rapidjson::kObjectType);
    d.AddMember("low", Str(FormatInstant(v.date.low), a), a);
    d.AddMember("high", Str(FormatInstant(v.date.high), a), a);
    out.AddMember("range", d, a);
  }
  if (!v.number.empty()) out.AddMember("number", Str(v.number, a), a);
  if (!v.quantity.number.empty()) {
    Value q(rapidjson::kObjectType);
    q.AddMember("number", Str(v.quantity.number, a), a);
    if (v.quantity.has_system) q.AddMember("system", Str(v.quantity.system, a), a);
    if (!v.quantity.code.empty()) q.AddMember("code", Str(v.quantity.code, a), a);
    out.AddMember("quantity", q, a);
  }
  const ReferenceValue& r = v.reference;
  if (!r.type.empty() || !r.id.empty() || !r.url.empty()) {
    Value ref(rapidjson::kObjectType);
    if (!r.type.empty()) ref.AddMember("type", Str(r.type, a), a);
    if (!r.id.empty()) ref.AddMember("id", Str(r.id, a), a);
    if (!r.url.empty()) ref.AddMember("url", Str(r.url, a), a);
    out.AddMember("reference", ref, a);
  }
  if (type == "special") {
    Value n(rapidjson::kObjectType);
    n.AddMember("latitude", v.near.latitude, a);
    n.AddMember("longitude", v.near.longitude, a);
    n.AddMember("distanceKm", v.near.distance_km, a);
    out.AddMember("near", n, a);
  }
  if (!v.components.empty()) {
    Value parts(rapidjson::kArrayType);
    for (const auto& c : v.components) parts.PushBack(ValueJson(c, "", Modifier::kNone, a), a);
    out.AddMember("components", parts, a);
  }
  return out;
}

Value ClauseJson(const Clause& c, Allocator& a) {
  Value out(rapidjson::kObjectType);
  out.AddMember("kind", Str(KindName(c.kind), a), a);
  out.AddMember("name", Str(c.name, a), a);
  if (!c.resource_type.empty()) out.AddMember("resourceType", Str(c.resource_type, a), a);
  if (c.param != nullptr) out.AddMember("param", ParamJson(*c.param, a), a);
  if (c.modifier != Modifier::kNone) {
    out.AddMember("modifier", Str(ModifierName(c.modifier), a), a);
  }
  if (!c.target_type.empty()) out.AddMember("targetType", Str(c.target_type, a), a);
  if (!c.values.empty()) {
    std::string_view type;
    if (c.kind == Clause::Kind::kLastUpdated) {
      type = "date";
    } else if (c.kind == Clause::Kind::kParameter || c.kind == Clause::Kind::kNear) {
      type = c.param != nullptr ? std::string_view(c.param->type) : std::string_view();
    } else {
      type = "string";
    }
    Value values(rapidjson::kArrayType);
    for (const auto& v : c.values) values.PushBack(ValueJson(v, type, c.modifier, a), a);
    out.AddMember("anyOf", values, a);
  }
  if (!c.chain.empty()) {
    Value chain(rapidjson::kArrayType);
    for (const auto& link : c.chain) chain.PushBack(ClauseJson(link, a), a);
    out.AddMember("chain", chain, a);
  }
  if (c.has != nullptr) {
    Value has(rapidjson::kObjectType);
    has.AddMember("type", Str(c.has->type, a), a);
    if (c.has->reference != nullptr) {
      has.AddMember("reference", ParamJson(*c.has->reference, a), a);
    }
    if (c.has->inner != nullptr) has.AddMember("inner", ClauseJson(*c.has->inner, a), a);
    out.AddMember("has", has, a);
  }
  return out;
}

}  // namespace

std::string QueryToJson(const Query& query) {
  json::Document doc;
  doc.SetObject();
  Allocator& a = doc.GetAllocator();
  Value types(rapidjson::kArrayType);
  for (const auto& t : query.types) types.PushBack(Str(t, a), a);
  doc.AddMember("types", types, a);
  doc.AddMember("systemLevel", query.system_level, a);
  if (!query.compartment_type.empty()) {
    Value compartment(rapidjson::kObjectType);
    compartment.AddMember("type", Str(query.compartment_type, a), a);
    compartment.AddMember("id", Str(query.compartment_id, a), a);
    doc.AddMember("compartment", compartment, a);
  }
  Value clauses(rapidjson::kArrayType);
  for (const auto& c : query.clauses) clauses.PushBack(ClauseJson(c, a), a);
  doc.AddMember("allOf", clauses, a);
  if (!query.includes.empty()) {
    Value includes(rapidjson::kArrayType);
    for (const auto& i : query.includes) {
      Value inc(rapidjson::kObjectType);
      inc.AddMember("reverse", i.reverse, a);
      inc.AddMember("source", Str(i.source_type, a), a);
      inc.AddMember("param", Str(i.param_code, a), a);
      if (!i.target_type.empty()) inc.AddMember("target", Str(i.target_type, a), a);
      inc.AddMember("iterate", i.iterate, a);
      includes.PushBack(inc, a);
    }
    doc.AddMember("includes", includes, a);
  }
  if (!query.sort.empty()) {
    Value sort(rapidjson::kArrayType);
    for (const auto& s : query.sort) {
      Value key(rapidjson::kObjectType);
      key.AddMember("code", Str(s.code, a), a);
      key.AddMember("descending", s.descending, a);
      sort.PushBack(key, a);
    }
    doc.AddMember("sort", sort, a);
  }
  if (query.count) doc.AddMember("count", *query.count, a);
  static constexpr std::string_view kTotals[] = {"default", "none", "estimate", "accurate"};
  doc.AddMember("total", Str(kTotals[static_cast<int>(query.total)], a), a);
  static constexpr std::string_view kSummaries[] = {"false", "true", "text", "data", "count"};
  doc.AddMember("summary", Str(kSummaries[static_cast<int>(query.summary)], a), a);
  if (!query.elements.empty()) {
    Value elements(rapidjson::kArrayType);
    for (const auto& e : query.elements) elements.PushBack(Str(e, a), a);
    doc.AddMember("elements", elements, a);
  }
  if (!query.ignored.empty()) {
    Value ignored(rapidjson::kArrayType);
    for (const auto& i : query.ignored) ignored.PushBack(Str(i, a), a);
    doc.AddMember("ignored", ignored, a);
  }
  return json::Write(doc, /*pretty=*/true);
}

}  // namespace hestia::search
