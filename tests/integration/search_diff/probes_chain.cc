// Chained and reverse-chained probes of the search differential test. See probes.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html#chaining, #has
#include <algorithm>

#include "probe_set.h"

namespace hestia::testing::sdiff {
namespace {

// The first parameter of `type` among `codes` that the registry defines as string or token.
const search::SearchParameterDef* FirstParam(const search::ParameterRegistry& registry,
                                             const std::string& type,
                                             std::initializer_list<const char*> codes) {
  for (const char* code : codes) {
    const search::SearchParameterDef* def = registry.Find(type, code);
    if (def != nullptr && (def->type == "string" || def->type == "token") &&
        !def->ExpressionFor(type).empty()) {
      return def;
    }
  }
  return nullptr;
}

constexpr std::initializer_list<const char*> kChainedCodes = {"family", "name", "code", "status",
                                                              "identifier"};

}  // namespace

std::set<std::string> ProbeBuilder::Matching(const std::string& type,
                                             const search::SearchParameterDef& def,
                                             const std::string& v) const {
  int errors = 0;
  const auto items = Evaluate(type, def.ExpressionFor(type), &errors);
  const auto& resources = corpus_.OfType(type);
  const std::string nv = Normalize(v);
  std::set<std::string> out;
  for (std::size_t i = 0; i < resources.size(); ++i) {
    bool match = false;
    if (def.type == "string") {
      for (const std::string& s : Strings(items[i]))
        match = match || Normalize(s).rfind(nv, 0) == 0;
    } else {
      for (const Token& t : Tokens(items[i])) match = match || t.code == v;
    }
    if (match) out.insert(resources[i]->id);
  }
  return out;
}

std::string ProbeBuilder::ValueOf(const std::string& type, const search::SearchParameterDef& def,
                                  const StoredResource& resource) const {
  auto items = engine_.Evaluate(def.ExpressionFor(type), *resource.doc, &env_, options_);
  if (!items.ok()) return "";
  if (def.type == "string") {
    for (const std::string& s : Strings(items.value())) {
      if (!NeedsEscape(s)) return s;
    }
    return "";
  }
  for (const Token& t : Tokens(items.value())) {
    if (!NeedsEscape(t.code) && !t.code.empty()) return t.code;
  }
  return "";
}

std::vector<Probe> ProbeBuilder::Chains(const std::string& type) const {
  const auto& resources = corpus_.OfType(type);
  ProbeSet set(resources, "");
  // Forward chains: per reference parameter, the target type most often referenced.
  struct Candidate {
    const search::SearchParameterDef* def;
    std::string target_type;
    std::string target_id;  // the most referenced target, which gives the chained value
    int refs;
  };
  std::vector<Candidate> forward;
  for (const search::SearchParameterDef* def : registry_.ForType(type)) {
    if (def->type != "reference" || def->ExpressionFor(type).empty()) continue;
    int errors = 0;
    const auto items = Evaluate(type, def->ExpressionFor(type), &errors);
    std::map<std::string, int> counts;
    for (const auto& c : items) {
      for (const Ref& r : References(c, corpus_.base_url)) {
        if (!r.id.empty() && corpus_.Resolve(r.type + "/" + r.id) != nullptr) {
          ++counts[r.type + "/" + r.id];
        }
      }
    }
    if (counts.empty()) continue;
    std::map<std::string, int> per_type;
    for (const auto& [key, n] : counts) per_type[key.substr(0, key.find('/'))] += n;
    const auto best = std::max_element(per_type.begin(), per_type.end(),
                                       [](auto& a, auto& b) { return a.second < b.second; });
    std::map<std::string, int> of_type;
    for (const auto& [key, n] : counts) {
      if (key.rfind(best->first + "/", 0) == 0) of_type[key] = n;
    }
    const std::string key = Pick(of_type, 1).front();
    forward.push_back({def, best->first, key.substr(key.find('/') + 1), best->second});
  }
  std::sort(forward.begin(), forward.end(), [](const Candidate& a, const Candidate& b) {
    return a.refs != b.refs ? a.refs > b.refs : a.def->code < b.def->code;
  });
  if (forward.size() > 4) forward.resize(4);
  for (const Candidate& c : forward) {
    const search::SearchParameterDef* chained = FirstParam(registry_, c.target_type, kChainedCodes);
    if (chained == nullptr) continue;
    const StoredResource* target = nullptr;
    for (const StoredResource* r : corpus_.OfType(c.target_type)) {
      if (r->id == c.target_id) target = r;
    }
    const std::string value = target != nullptr ? ValueOf(c.target_type, *chained, *target) : "";
    if (value.empty()) continue;
    const std::set<std::string> targets = Matching(c.target_type, *chained, value);
    int errors = 0;
    const auto items = Evaluate(type, c.def->ExpressionFor(type), &errors);
    set.Add(c.def->code + ":" + c.target_type + "." + chained->code, value, [&](std::size_t i) {
      for (const Ref& r : References(items[i], corpus_.base_url)) {
        if (r.type == c.target_type && targets.count(r.id) > 0) return true;
      }
      return false;
    });
  }
  // Reverse chains: types whose reference parameters point at `type`, the two with most links.
  struct Reverse {
    std::string source_type;
    const search::SearchParameterDef* def;
    std::size_t source_index;  // a source resource that links to `type`
    int refs;
  };
  std::vector<Reverse> reverse;
  for (const std::string& source : corpus_.Types()) {
    for (const search::SearchParameterDef* def : registry_.ForType(source)) {
      if (def->type != "reference" || def->ExpressionFor(source).empty() ||
          std::find(def->target.begin(), def->target.end(), type) == def->target.end()) {
        continue;
      }
      int errors = 0;
      const auto items = Evaluate(source, def->ExpressionFor(source), &errors);
      int refs = 0;
      std::size_t first = items.size();
      for (std::size_t i = 0; i < items.size(); ++i) {
        for (const Ref& r : References(items[i], corpus_.base_url)) {
          if (r.type == type && corpus_.Resolve(type + "/" + r.id) != nullptr) {
            ++refs;
            if (first == items.size()) first = i;
          }
        }
      }
      if (refs > 0) reverse.push_back({source, def, first, refs});
    }
  }
  std::sort(reverse.begin(), reverse.end(), [](const Reverse& a, const Reverse& b) {
    return a.refs != b.refs ? a.refs > b.refs
                            : (a.source_type + a.def->code) < (b.source_type + b.def->code);
  });
  if (reverse.size() > 2) reverse.resize(2);
  for (const Reverse& rv : reverse) {
    const search::SearchParameterDef* criterion =
        FirstParam(registry_, rv.source_type, {"code", "status", "name", "family", "identifier"});
    if (criterion == nullptr) continue;
    const auto& sources = corpus_.OfType(rv.source_type);
    const std::string value = ValueOf(rv.source_type, *criterion, *sources[rv.source_index]);
    if (value.empty()) continue;
    const std::set<std::string> matching = Matching(rv.source_type, *criterion, value);
    int errors = 0;
    const auto items = Evaluate(rv.source_type, rv.def->ExpressionFor(rv.source_type), &errors);
    std::set<std::string> linked;
    for (std::size_t i = 0; i < sources.size(); ++i) {
      if (matching.count(sources[i]->id) == 0) continue;
      for (const Ref& r : References(items[i], corpus_.base_url)) {
        if (r.type == type) linked.insert(r.id);
      }
    }
    set.Add("_has:" + rv.source_type + ":" + rv.def->code + ":" + criterion->code, value,
            [&](std::size_t i) { return linked.count(resources[i]->id) > 0; });
  }
  return set.Take();
}

}  // namespace hestia::testing::sdiff
