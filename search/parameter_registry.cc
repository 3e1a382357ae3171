// Loads SearchParameters from the definitions package. See parameter_registry.h.
#include "hestia/search/parameter_registry.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "hestia/search/index.h"

namespace hestia::search {
namespace {

// Splits a FHIRPath expression at its top-level '|' operators (outside parentheses,
// brackets and string literals).
std::vector<std::string_view> SplitUnion(std::string_view e) {
  std::vector<std::string_view> out;
  int depth = 0;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    const char c = e[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '\'') {
        quoted = false;
      }
    } else if (c == '\'') {
      quoted = true;
    } else if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == ')' || c == ']' || c == '}') {
      --depth;
    } else if (c == '|' && depth == 0) {
      out.push_back(e.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(e.substr(start));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string SearchParameterDef::ExpressionFor(std::string_view resource_type) const {
  std::string out;
  for (std::string_view term : SplitUnion(expression)) {
    term = Trim(term);
    std::size_t p = 0;
    while (p < term.size() && (term[p] == '(' || std::isspace(static_cast<unsigned char>(term[p]))))
      ++p;
    std::size_t q = p;
    while (q < term.size() && (std::isalnum(static_cast<unsigned char>(term[q])) || term[q] == '_'))
      ++q;
    const std::string_view root = term.substr(p, q - p);
    std::string piece;
    if (root == resource_type) {
      piece = std::string(term);
    } else if (root == "Resource" || root == "DomainResource") {
      // Re-root at the concrete type so the path step matches the context item.
      piece =
          std::string(term.substr(0, p)) + std::string(resource_type) + std::string(term.substr(q));
    } else {
      continue;
    }
    out += (out.empty() ? "" : " | ") + piece;
  }
  return out;
}

Result<SearchParameterDef> ParameterRegistry::FromResource(const json::Value& res) {
  SearchParameterDef def;
  def.url = std::string(json::StringMember(res, "url"));
  def.code = std::string(json::StringMember(res, "code"));
  def.type = std::string(json::StringMember(res, "type"));
  def.expression = std::string(json::StringMember(res, "expression"));
  def.xpath_usage = std::string(json::StringMember(res, "xpathUsage"));
  if (const json::Value* base = json::Member(res, "base"); base != nullptr && base->IsArray()) {
    for (const auto& b : base->GetArray()) {
      if (json::IsText(b)) def.base.emplace_back(json::AsStringView(b));
    }
  }
  if (const json::Value* t = json::Member(res, "target"); t != nullptr && t->IsArray()) {
    for (const auto& b : t->GetArray()) {
      if (json::IsText(b)) def.target.emplace_back(json::AsStringView(b));
    }
  }
  if (const json::Value* c = json::Member(res, "component"); c != nullptr && c->IsArray()) {
    for (const auto& comp : c->GetArray()) {
      def.components.push_back({std::string(json::StringMember(comp, "definition")),
                                std::string(json::StringMember(comp, "expression"))});
    }
  }
  if (def.code.empty()) return InvalidError("SearchParameter.code is required", "code");
  if (def.type.empty()) return InvalidError("SearchParameter.type is required", "type");
  if (def.base.empty()) return InvalidError("SearchParameter.base is required", "base");
  static constexpr const char* kTypes[] = {"number",    "date",     "string", "token",  "reference",
                                           "composite", "quantity", "uri",    "special"};
  bool known = false;
  for (const char* t : kTypes) known = known || def.type == t;
  if (!known) return InvalidError("SearchParameter.type '" + def.type + "' is unknown", "type");
  if (def.type == "composite" && def.components.empty()) {
    return InvalidError("a composite SearchParameter needs components", "component");
  }
  return def;
}

Result<std::shared_ptr<const ParameterRegistry>> ParameterRegistry::LoadFromPackage(
    const std::string& package_dir) {
  const std::string path = package_dir + "/Bundle-searchParams.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) return InternalError("cannot read definitions file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  json::Document doc;
  json::Limits limits;
  limits.max_bytes = 64u << 20;
  if (Status s = json::Parse(ss.str(), limits, &doc); !s.ok()) {
    return InternalError(path + ": " + s.message());
  }
  auto registry = std::make_shared<ParameterRegistry>();
  const json::Value* entries = json::Member(doc, "entry");
  if (entries == nullptr || !entries->IsArray()) return InternalError(path + " has no entries");
  for (const auto& entry : entries->GetArray()) {
    const json::Value* res = json::Member(entry, "resource");
    if (res == nullptr || json::StringMember(*res, "resourceType") != "SearchParameter") continue;
    auto def = FromResource(*res);
    if (!def.ok()) continue;  // the package's own definitions all parse; be tolerant anyway
    registry->params_.push_back(std::move(def).value());
  }
  registry->BuildIndexes();
  registry->FindSharedRows();
  return std::shared_ptr<const ParameterRegistry>(std::move(registry));
}

void ParameterRegistry::BuildIndexes() {
  by_base_code_.clear();
  by_url_.clear();
  for (std::size_t i = 0; i < params_.size(); ++i) {
    for (const auto& b : params_[i].base) by_base_code_[{b, params_[i].code}] = i;
    if (!params_[i].url.empty()) by_url_[params_[i].url] = i;
  }
}

std::shared_ptr<const ParameterRegistry> ParameterRegistry::WithAdded(
    const std::vector<SearchParameterDef>& added) const {
  auto next = std::make_shared<ParameterRegistry>();
  next->params_ = params_;
  std::set<std::size_t> added_at;  // positions in next->params_
  for (const auto& a : added) {
    bool replaced = false;
    for (std::size_t i = 0; i < next->params_.size(); ++i) {
      if (next->params_[i].code == a.code && next->params_[i].base == a.base) {
        next->params_[i] = a;
        added_at.insert(i);
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      next->params_.push_back(a);
      added_at.insert(next->params_.size() - 1);
    }
  }
  next->BuildIndexes();
  // Sharing holds only among the package parameters whose rows were written as they are now:
  // a parameter added or replaced here (or one it shadows) ends the sharing it takes part in.
  auto package = [&](std::string_view type, std::string_view code) {
    const SearchParameterDef* def = next->Find(type, code);
    if (def == nullptr || def->runtime) return false;
    return added_at.count(static_cast<std::size_t>(def - next->params_.data())) == 0;
  };
  for (SearchParameterDef& def : next->params_) {
    auto& parts = def.part_sources;
    parts.erase(std::remove_if(parts.begin(), parts.end(),
                               [&](const SearchParameterDef::PartSource& p) {
                                 return !package(p.type, def.code) || !package(p.type, p.code);
                               }),
                parts.end());
    auto& entries = def.row_sources;
    entries.erase(std::remove_if(entries.begin(), entries.end(),
                                 [&](const auto& entry) {
                                   if (!package(entry.first, def.code)) return true;
                                   for (const std::string& source : entry.second) {
                                     if (!package(entry.first, source)) return true;
                                   }
                                   return false;
                                 }),
                  entries.end());
  }
  return next;
}

namespace {

// Trimmed union terms of `def` for `type`, sorted and unique.
std::vector<std::string> TermsFor(const SearchParameterDef& def, std::string_view type) {
  std::vector<std::string> out;
  const std::string expression = def.ExpressionFor(type);
  if (expression.empty()) return out;
  for (std::string_view term : SplitUnion(expression)) out.emplace_back(Trim(term));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// True when every item a term of `source` yields is indexed exactly as the same item is for
// `def`: same kind and xpathUsage, and for composites the same components (each of the same
// kind and xpathUsage, evaluated with the same expression).
bool SameRowsPerItem(const SearchParameterDef& source, const SearchParameterDef& def,
                     const ParameterRegistry& registry) {
  if (source.type != def.type || source.xpath_usage != def.xpath_usage) return false;
  if (def.type != "composite") return true;
  if (source.components.size() != def.components.size()) return false;
  for (std::size_t k = 0; k < def.components.size(); ++k) {
    const SearchParameterDef* a = registry.FindByUrl(source.components[k].definition);
    const SearchParameterDef* b = registry.FindByUrl(def.components[k].definition);
    if (a == nullptr || b == nullptr || a->type == "composite" || a->type != b->type ||
        a->xpath_usage != b->xpath_usage ||
        Trim(source.components[k].expression) != Trim(def.components[k].expression)) {
      return false;
    }
  }
  return true;
}

}  // namespace

void ParameterRegistry::FindSharedRows() {
  for (SearchParameterDef& def : params_) def.row_sources.clear();
  std::set<std::string> types;
  for (const SearchParameterDef& def : params_) {
    for (const std::string& b : def.base) {
      if (b != "Resource" && b != "DomainResource") types.insert(b);
    }
  }
  struct Candidate {
    const SearchParameterDef* def;
    std::vector<std::string> terms;
  };
  for (const std::string& type : types) {
    // Fewest terms first, then package order: a parameter's possible sources come before it,
    // and of two parameters with the same expression the first keeps its rows.
    std::vector<Candidate> candidates;
    for (const SearchParameterDef* def : ForType(type)) {
      // _id, _lastUpdated, _text, _content and the meta parameters are indexed on their own.
      if (def->runtime || def->type == "special" || def->code.empty() || def->code[0] == '_') {
        continue;
      }
      std::vector<std::string> terms = TermsFor(*def, type);
      if (!terms.empty()) candidates.push_back({def, std::move(terms)});
    }
    std::stable_sort(
        candidates.begin(), candidates.end(),
        [](const Candidate& a, const Candidate& b) { return a.terms.size() < b.terms.size(); });
    std::vector<const Candidate*> with_rows;
    for (const Candidate& c : candidates) {
      std::vector<const Candidate*> fits;
      for (const Candidate* q : with_rows) {
        if (SameRowsPerItem(*q->def, *c.def, *this) &&
            std::includes(c.terms.begin(), c.terms.end(), q->terms.begin(), q->terms.end())) {
          fits.push_back(q);
        }
      }
      // Greedy cover, widest sources first.
      std::stable_sort(fits.begin(), fits.end(), [](const Candidate* a, const Candidate* b) {
        return a->terms.size() > b->terms.size();
      });
      std::set<std::string> covered;
      std::vector<std::string> sources;
      for (const Candidate* q : fits) {
        const std::size_t before = covered.size();
        covered.insert(q->terms.begin(), q->terms.end());
        if (covered.size() > before) sources.push_back(q->def->code);
      }
      if (!sources.empty() && covered.size() == c.terms.size()) {
        // Types come in sorted order, so each definition's row_sources stays sorted.
        params_[static_cast<std::size_t>(c.def - params_.data())].row_sources.emplace_back(
            type, std::move(sources));
      } else {
        with_rows.push_back(&c);
      }
    }
  }
}

const std::vector<std::string>& ParameterRegistry::RowSources(std::string_view resource_type,
                                                              std::string_view code) const {
  static const std::vector<std::string> kNone;
  const SearchParameterDef* def = Find(resource_type, code);
  if (def == nullptr) return kNone;
  for (const auto& [type, sources] : def->row_sources) {
    if (type == resource_type) return sources;
  }
  return kNone;
}

namespace {

// True when `expression` (one term, no union) is a plain path "Type.a.b" whose every element
// is non-repeating and whose last element is an instant.
bool IsSingleInstantPath(std::string_view expression, const resources::TypeRegistry& types) {
  expression = Trim(expression);
  if (expression.empty()) return false;
  for (char c : expression) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_') return false;
  }
  const std::size_t first_dot = expression.find('.');
  if (first_dot == std::string_view::npos) return false;
  const resources::ElementInfo* element = nullptr;
  for (std::size_t dot = expression.find('.', first_dot + 1);;
       dot = expression.find('.', dot + 1)) {
    element = types.FindElement(expression.substr(0, dot));
    if (element == nullptr || element->is_array || element->is_choice) return false;
    if (dot == std::string_view::npos) break;
  }
  return element->types == std::vector<std::string>{"instant"};
}

// True when `expression` is one term that is a plain path "Type.a.b".
bool IsPlainPath(std::string_view expression) {
  if (expression.empty() || expression.find('.') == std::string_view::npos) return false;
  return std::all_of(expression.begin(), expression.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_';
  });
}

// A package string parameter searched by its own normal form (not phonetic, not run time).
bool IsPlainStringParameter(const SearchParameterDef& def) {
  return def.type == "string" && !def.runtime && def.xpath_usage != "phonetic" &&
         !def.code.empty() && def.code[0] != '_';
}

}  // namespace

void ParameterRegistry::FindPartSources(const resources::TypeRegistry& types) {
  for (SearchParameterDef& def : params_) def.part_sources.clear();
  // Each type's plain string parameters by their path there.
  std::map<std::pair<std::string, std::string>, const SearchParameterDef*> by_path;
  for (const SearchParameterDef& def : params_) {
    if (!IsPlainStringParameter(def)) continue;
    for (const std::string& type : def.base) {
      // Shadowed, or without rows of its own there.
      if (Find(type, def.code) != &def || !RowSources(type, def.code).empty()) continue;
      const std::string path(Trim(def.ExpressionFor(type)));
      if (!IsPlainPath(path)) continue;  // also rules out unions
      by_path.emplace(std::make_pair(type, path), &def);
    }
  }
  for (const auto& [key, def_ptr] : by_path) {
    const auto& [type, path] = key;
    const resources::ElementInfo* element = types.FindElement(path);
    if (element == nullptr || element->types.size() != 1) continue;
    const std::string& datatype = element->types[0];
    if (datatype != "HumanName" && datatype != "Address") continue;
    auto& def = params_[static_cast<std::size_t>(def_ptr - params_.data())];
    // by_path is ordered, so the parameters on paths under `path` follow it.
    for (auto it = by_path.upper_bound(key);
         it != by_path.end() && it->first.first == type &&
         it->first.second.compare(0, path.size() + 1, path + ".") == 0;
         ++it) {
      const std::string part = it->first.second.substr(path.size() + 1);
      const uint32_t bit = StringPartBit(datatype, part);
      if (bit == 0) continue;  // not a part extraction indexes on its own (or a deeper path)
      def.part_sources.push_back({type, part, it->second->code, bit});
    }
  }
}

std::shared_ptr<const ParameterRegistry> ParameterRegistry::WithElementTypes(
    const resources::TypeRegistry& types) const {
  auto next = std::make_shared<ParameterRegistry>();
  next->params_ = params_;
  for (SearchParameterDef& def : next->params_) {
    def.single_instant.clear();
    if (def.type != "date") continue;
    // The types the parameter applies to: its bases, or every type for Resource/DomainResource.
    const bool every_type = std::any_of(def.base.begin(), def.base.end(), [](const auto& b) {
      return b == "Resource" || b == "DomainResource";
    });
    for (const std::string& type : every_type ? types.ResourceTypes() : def.base) {
      const std::string expression = def.ExpressionFor(type);
      if (expression.empty() || SplitUnion(expression).size() != 1) continue;
      if (IsSingleInstantPath(expression, types)) def.single_instant.push_back(type);
    }
    std::sort(def.single_instant.begin(), def.single_instant.end());
  }
  next->BuildIndexes();
  next->FindPartSources(types);
  return next;
}

std::vector<SearchParameterDef::PartSource> ParameterRegistry::PartSources(
    std::string_view resource_type, std::string_view code) const {
  std::vector<SearchParameterDef::PartSource> out;
  const SearchParameterDef* def = Find(resource_type, code);
  if (def == nullptr) return out;
  for (const auto& part : def->part_sources) {
    if (part.type == resource_type) out.push_back(part);
  }
  return out;
}

const SearchParameterDef* ParameterRegistry::Find(std::string_view resource_type,
                                                  std::string_view code) const {
  for (std::string_view base :
       {resource_type, std::string_view("DomainResource"), std::string_view("Resource")}) {
    auto it = by_base_code_.find(std::make_pair(std::string(base), std::string(code)));
    if (it != by_base_code_.end()) return &params_[it->second];
  }
  return nullptr;
}

bool ParameterRegistry::IsSupported(const SearchParameterDef& def,
                                    std::string_view resource_type) const {
  if (def.code == "_id" || def.code == "_lastUpdated" || def.code == "_text" ||
      def.code == "_content") {
    return true;
  }
  if (def.code == "_query") return false;
  if (def.type == "special") return def.code == "near" && resource_type == "Location";
  if (def.ExpressionFor(resource_type).empty()) return false;
  if (def.type == "composite") {
    for (const auto& c : def.components) {
      if (FindByUrl(c.definition) == nullptr) return false;
    }
  }
  return true;
}

const SearchParameterDef* ParameterRegistry::FindByUrl(std::string_view url) const {
  auto it = by_url_.find(url);
  return it == by_url_.end() ? nullptr : &params_[it->second];
}

std::vector<const SearchParameterDef*> ParameterRegistry::ForType(
    std::string_view resource_type) const {
  std::vector<const SearchParameterDef*> out;
  for (const auto& p : params_) {
    for (const auto& b : p.base) {
      if (b == resource_type || b == "Resource" || b == "DomainResource") {
        // A type's own definition of a code shadows the Resource-level one.
        if (b != resource_type && Find(resource_type, p.code) != &p) break;
        out.push_back(&p);
        break;
      }
    }
  }
  return out;
}

}  // namespace hestia::search
