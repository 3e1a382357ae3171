// Index extraction: evaluates every SearchParameter that applies to a resource type and turns
// the items its FHIRPath expression yields into index rows. See index.h; the per-type halves
// live in extract_<type>.cc.
//
// Used by the write interactions (create, update, patch, Bundle entries, import) through
// Context::extractor, and by $reindex.
// FHIR R4: http://hl7.org/fhir/R4/search.html, http://hl7.org/fhir/R4/searchparameter.html
// Thread-safety: Extractor is immutable and the Engine it holds is thread-safe; the
// process-wide caches of parameter lists and parsed expressions take a shared_mutex.
#include <algorithm>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "extract_internal.h"
#include "hestia/fhirpath/engine.h"
#include "hestia/fhirpath/model.h"
#include "hestia/search/index.h"

namespace hestia::search {
namespace internal {

std::string_view FhirType(const fhirpath::Item& item) {
  if (item.kind != fhirpath::ItemKind::kNode || item.type == nullptr) return {};
  return item.type->name();
}

bool IsA(const fhirpath::Item& item, std::string_view name) {
  return item.kind == fhirpath::ItemKind::kNode && item.type != nullptr && item.type->IsA(name);
}

bool IsQuantity(const fhirpath::Item& item) {
  return item.kind == fhirpath::ItemKind::kNode && item.type != nullptr &&
         (item.type->is_quantity() || item.type->IsA("Quantity"));
}

bool JsonText(const json::Value* value, std::string* out) {
  if (value == nullptr) return false;
  if (json::IsText(*value)) {
    *out = std::string(json::AsStringView(*value));
    return true;
  }
  if (json::IsNumber(*value)) {
    *out = json::NumberText(*value);
    return true;
  }
  if (value->IsBool()) {
    *out = value->GetBool() ? "true" : "false";
    return true;
  }
  return false;
}

bool PrimitiveText(const fhirpath::Item& item, std::string* out) {
  using fhirpath::ItemKind;
  switch (item.kind) {
    case ItemKind::kNode:
      return JsonText(item.json, out);
    case ItemKind::kString:
      *out = item.str;
      return true;
    case ItemKind::kBoolean:
      *out = item.boolean ? "true" : "false";
      return true;
    case ItemKind::kInteger:
      *out = std::to_string(item.integer);
      return true;
    case ItemKind::kDecimal:
      *out = fhirpath::FormatDecimal(item.decimal);
      return true;
    case ItemKind::kDate:
    case ItemKind::kDateTime:
    case ItemKind::kTime:
      *out = fhirpath::FormatTemporal(item.kind, item.dt);
      return true;
    case ItemKind::kQuantity:
    case ItemKind::kTypeInfo:
      return false;
  }
  return false;
}

}  // namespace internal

namespace {

using fhirpath::Collection;
using fhirpath::Item;

// _content and _text are bounded so that one huge resource cannot make a tsvector over
// PostgreSQL's 1 MB limit (which would fail the write).
constexpr std::size_t kMaxContentBytes = 64 * 1024;
constexpr std::size_t kMaxNarrativeBytes = 256 * 1024;

void AddItem(std::string_view param_type, const Item& item, const internal::Sink& sink) {
  if (param_type == "token") {
    internal::AddToken(item, sink);
  } else if (param_type == "string") {
    internal::AddString(item, sink);
  } else if (param_type == "date") {
    internal::AddDate(item, sink);
  } else if (param_type == "reference") {
    internal::AddReference(item, sink);
  } else if (param_type == "quantity") {
    internal::AddQuantity(item, sink);
  } else if (param_type == "uri") {
    internal::AddUri(item, sink);
  } else if (param_type == "number") {
    internal::AddNumber(item, sink);
  } else if (param_type == "special") {
    internal::AddGeo(item, sink);
  }
}

// Sorts each row vector and drops identical rows (rows of different parameters differ in
// param_hash, so this is the per-parameter de-duplication).
template <typename Row, typename Key>
void Dedupe(std::vector<Row>* rows, Key key) {
  std::sort(rows->begin(), rows->end(),
            [&](const Row& a, const Row& b) { return key(a) < key(b); });
  rows->erase(std::unique(rows->begin(), rows->end(),
                          [&](const Row& a, const Row& b) { return key(a) == key(b); }),
              rows->end());
}

void DedupeAll(IndexRows* rows) {
  Dedupe(&rows->tokens,
         [](const TokenRow& r) { return std::tie(r.param_hash, r.grp, r.system, r.code); });
  Dedupe(&rows->strings,
         [](const StringRow& r) { return std::tie(r.param_hash, r.grp, r.norm, r.exact); });
  Dedupe(&rows->dates,
         [](const DateRow& r) { return std::tie(r.param_hash, r.grp, r.low, r.high); });
  Dedupe(&rows->numbers,
         [](const NumberRow& r) { return std::tie(r.param_hash, r.grp, r.low, r.high); });
  Dedupe(&rows->quantities, [](const QuantityRow& r) {
    return std::tie(r.param_hash, r.grp, r.system, r.code, r.low, r.high, r.canon_unit, r.canon_low,
                    r.canon_high);
  });
  Dedupe(&rows->uris, [](const UriRow& r) { return std::tie(r.param_hash, r.grp, r.uri); });
  Dedupe(&rows->references, [](const ReferenceRow& r) {
    return std::tie(r.param_hash, r.grp, r.target_type, r.target_id, r.url);
  });
  Dedupe(&rows->geo,
         [](const GeoRow& r) { return std::tie(r.param_hash, r.latitude, r.longitude); });
}

std::size_t RowCount(const IndexRows& r) {
  return r.tokens.size() + r.strings.size() + r.dates.size() + r.numbers.size() +
         r.quantities.size() + r.uris.size() + r.references.size() + r.geo.size();
}

template <typename Row>
void MoveAll(std::vector<Row>* from, std::vector<Row>* to) {
  to->insert(to->end(), std::make_move_iterator(from->begin()),
             std::make_move_iterator(from->end()));
}

void Append(IndexRows&& from, IndexRows* to) {
  MoveAll(&from.tokens, &to->tokens);
  MoveAll(&from.strings, &to->strings);
  MoveAll(&from.dates, &to->dates);
  MoveAll(&from.numbers, &to->numbers);
  MoveAll(&from.quantities, &to->quantities);
  MoveAll(&from.uris, &to->uris);
  MoveAll(&from.references, &to->references);
  MoveAll(&from.geo, &to->geo);
}

// What one parameter needs on every write of one resource type: its expression for the type,
// parsed, and its hash keys. Plans are cached process-wide by (definition, type) and checked
// against the definition's content on every lookup, so a registry replaced at run time (a
// definition freed and another allocated at the same address) never gets a stale plan. A
// parsed expression does not depend on an engine's model (Engine::Parse), so every Extractor
// can share the cache.
struct Plan {
  std::string code;        // the definition's, to check the entry
  std::string expression;  // the definition's (all bases), to check the entry
  std::shared_ptr<const fhirpath::Expression> compiled;  // null: no term applies to the type
  int64_t hash = 0;
  int64_t text_hash = 0;
  int64_t of_type_hash = 0;
  int64_t identifier_hash = 0;
  std::vector<int64_t> component_hashes;  // code#k
};

struct PlanKey {
  const SearchParameterDef* def;
  std::string type;
  bool operator==(const PlanKey& o) const { return def == o.def && type == o.type; }
};
struct PlanKeyHash {
  std::size_t operator()(const PlanKey& k) const {
    return std::hash<const void*>{}(k.def) ^ (std::hash<std::string>{}(k.type) * 31);
  }
};

std::shared_ptr<const Plan> PlanFor(const SearchParameterDef& def, std::string_view type) {
  static std::shared_mutex mu;
  static std::unordered_map<PlanKey, std::shared_ptr<const Plan>, PlanKeyHash> plans;
  PlanKey key{&def, std::string(type)};
  {
    const std::shared_lock<std::shared_mutex> lock(mu);
    auto it = plans.find(key);
    if (it != plans.end() && it->second->code == def.code &&
        it->second->expression == def.expression) {
      return it->second;
    }
  }
  auto plan = std::make_shared<Plan>();
  plan->code = def.code;
  plan->expression = def.expression;
  if (const std::string text = def.ExpressionFor(type); !text.empty()) {
    auto parsed = fhirpath::Engine::Parse(text);
    if (parsed.ok()) plan->compiled = std::move(parsed).value();
  }
  plan->hash = ParamHash(type, def.code);
  plan->text_hash = ParamHash(type, def.code + ":text");
  plan->of_type_hash = ParamHash(type, def.code + ":of-type");
  plan->identifier_hash = ParamHash(type, def.code + ":identifier");
  for (std::size_t i = 0; i < def.components.size(); ++i) {
    plan->component_hashes.push_back(ParamHash(type, def.code + "#" + std::to_string(i)));
  }
  const std::unique_lock<std::shared_mutex> lock(mu);
  if (plans.size() >= 100000) plans.clear();  // bounded: registries replaced many times
  plans[std::move(key)] = plan;
  return plan;
}

// registry.ForType(type), cached by (registry, type). A cached list holds positions in
// registry.all() and is used only while the registry has the same parameter array (address
// and size), and each definition still names the type (or Resource/DomainResource) as a base;
// otherwise it is rebuilt.
std::vector<const SearchParameterDef*> ParametersFor(const ParameterRegistry& registry,
                                                     std::string_view type) {
  struct Entry {
    const SearchParameterDef* data = nullptr;
    std::size_t size = 0;
    std::vector<std::size_t> positions;
  };
  static std::shared_mutex mu;
  static std::map<std::pair<const ParameterRegistry*, std::string>, Entry, std::less<>> cache;
  const auto& all = registry.all();
  auto applies = [type](const SearchParameterDef& def) {
    for (const auto& b : def.base) {
      if (b == type || b == "Resource" || b == "DomainResource") return true;
    }
    return false;
  };
  std::vector<const SearchParameterDef*> out;
  {
    const std::shared_lock<std::shared_mutex> lock(mu);
    auto it = cache.find(std::make_pair(&registry, std::string(type)));
    if (it != cache.end() && it->second.data == all.data() && it->second.size == all.size()) {
      bool valid = true;
      for (std::size_t p : it->second.positions) {
        valid = valid && p < all.size() && applies(all[p]);
        if (!valid) break;
        out.push_back(&all[p]);
      }
      if (valid) return out;
      out.clear();
    }
  }
  out = registry.ForType(type);
  Entry entry{all.data(), all.size(), {}};
  for (const SearchParameterDef* def : out) {
    entry.positions.push_back(static_cast<std::size_t>(def - all.data()));
  }
  const std::unique_lock<std::shared_mutex> lock(mu);
  if (cache.size() >= 10000) cache.clear();
  cache[std::make_pair(&registry, std::string(type))] = std::move(entry);
  return out;
}

}  // namespace

Extractor::Extractor(std::shared_ptr<const fhirpath::Engine> engine, std::string base_url)
    : engine_(std::move(engine)), base_url_(std::move(base_url)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

Extractor::~Extractor() = default;

Result<IndexRows> Extractor::Extract(std::string_view resource_type, const json::Value& resource,
                                     const ParameterRegistry& registry) const {
  if (engine_ == nullptr) return InternalError("index extraction has no FHIRPath engine");
  IndexRows rows;
  fhirpath::EvalOptions options;
  options.lenient_as = true;
  for (const SearchParameterDef* def : ParametersFor(registry, resource_type)) {
    // _id and _lastUpdated are columns of `resource`; _query has no expression.
    if (def->code == "_id" || def->code == "_lastUpdated") continue;
    if (def->code == "_text") {
      rows.narrative = JoinedTextLexemes(internal::NarrativeText(resource, kMaxNarrativeBytes));
      continue;
    }
    if (def->code == "_content") {
      rows.content = JoinedTextLexemes(internal::ContentText(resource, kMaxContentBytes));
      continue;
    }
    if (def->type == "special" && def->xpath_usage != "nearby") continue;
    // Searched through the rows of the parameters it is the union of (index.h).
    if (std::any_of(def->row_sources.begin(), def->row_sources.end(),
                    [&](const auto& entry) { return entry.first == resource_type; })) {
      continue;
    }
    const std::shared_ptr<const Plan> plan = PlanFor(*def, resource_type);
    if (plan->compiled == nullptr) continue;
    // An expression that fails on this resource contributes no rows; the write goes on.
    auto items = engine_->Evaluate(*plan->compiled, resource, nullptr, options);
    if (!items.ok() || items->empty()) continue;

    if (def->type != "composite") {
      internal::Sink sink;
      sink.rows = &rows;
      sink.hash = plan->hash;
      sink.text_hash = plan->text_hash;
      sink.of_type_hash = plan->of_type_hash;
      sink.identifier_hash = plan->identifier_hash;
      sink.phonetic = def->xpath_usage == "phonetic";
      sink.base_url = base_url_;
      for (const auto& part : def->part_sources) {
        if (part.type == resource_type) sink.skipped_parts |= part.bit;
      }
      for (const Item& item : *items) AddItem(def->type, item, sink);
      continue;
    }

    // Composite: every item of the expression is one group; each component is evaluated
    // relative to it and indexed as its own definition's type, under code#k. A group is kept
    // only when every component has a row: a composite value matches all of them together.
    struct Component {
      const SearchParameterDef* def;
      std::shared_ptr<const fhirpath::Expression> expression;
      int64_t hash;
    };
    std::vector<Component> components;
    for (std::size_t i = 0; i < def->components.size(); ++i) {
      const SearchParameterDef* component_def = registry.FindByUrl(def->components[i].definition);
      auto expression = engine_->Compile(def->components[i].expression);
      if (component_def == nullptr || component_def->type == "composite" || !expression.ok()) {
        components.clear();
        break;
      }
      components.push_back({component_def, *expression, plan->component_hashes[i]});
    }
    int32_t group = 0;
    for (const Item& item : *items) {
      ++group;
      IndexRows group_rows;
      bool complete = !components.empty();
      for (std::size_t i = 0; i < components.size() && complete; ++i) {
        auto values = engine_->Evaluate(*components[i].expression, Collection{item}, &resource,
                                        nullptr, options);
        const std::size_t before = RowCount(group_rows);
        internal::Sink sink;
        sink.rows = &group_rows;
        sink.hash = components[i].hash;
        sink.grp = group;
        sink.base_url = base_url_;
        if (values.ok()) {
          for (const Item& value : *values) AddItem(components[i].def->type, value, sink);
        }
        complete = RowCount(group_rows) > before;
      }
      if (complete) Append(std::move(group_rows), &rows);
    }
  }
  DedupeAll(&rows);
  return rows;
}

}  // namespace hestia::search
