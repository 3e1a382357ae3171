// Query generation and expected results for the search differential test. See probes.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html
#include "probes.h"

#include <algorithm>
#include <functional>
#include <set>

#include "oracle.h"
#include "probe_set.h"

namespace hestia::testing::sdiff {

// Up to `n` keys of `counts` (sorted by key): the most frequent first, then keys spread evenly
// over the sorted order, so that both common and rare values are probed.
std::vector<std::string> Pick(const std::map<std::string, int>& counts, std::size_t n) {
  std::vector<std::string> keys;
  std::string most;
  int best = 0;
  for (const auto& [k, c] : counts) {
    keys.push_back(k);
    if (c > best) {
      best = c;
      most = k;
    }
  }
  std::vector<std::string> out;
  if (keys.empty()) return out;
  out.push_back(most);
  for (std::size_t i = 0; out.size() < n && i < n + 1; ++i) {
    const std::string& k = keys[std::min(keys.size() - 1, i * keys.size() / n)];
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
bool HasNonAscii(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return (c & 0x80) != 0; });
}
// The first `n` code points of UTF-8 text.
std::string Utf8Prefix(std::string_view s, std::size_t n) {
  std::size_t i = 0;
  for (std::size_t cps = 0; i < s.size() && cps < n; ++cps) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  }
  return std::string(s.substr(0, i));
}
std::size_t Utf8Length(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string TokenText(const TokenQuery& q) {
  return q.has_system ? q.system + "|" + q.code : q.code;
}

// A component value of a composite search: its text and the test on one component's items.
struct ComponentValue {
  std::string text;
  std::function<bool(const fhirpath::Collection&)> match;
};

// Values a composite component can be searched with, from one item's component collection.
std::vector<ComponentValue> ComponentValues(const std::string& type,
                                            const fhirpath::Collection& items,
                                            const std::string& base_url) {
  std::vector<ComponentValue> out;
  if (type == "token") {
    for (const Token& t : Tokens(items)) {
      if (NeedsEscape(t.code) || NeedsEscape(t.system)) continue;
      TokenQuery q{t.has_system, t.system, t.code};
      out.push_back({TokenText(q), [q](const fhirpath::Collection& c) {
                       for (const Token& x : Tokens(c)) {
                         if (TokenMatches(x, q)) return true;
                       }
                       return false;
                     }});
    }
  } else if (type == "quantity") {
    for (const Qty& q : Quantities(items)) {
      if (q.value_text.empty() || NeedsEscape(q.system) || NeedsEscape(q.code)) continue;
      const Dec v = *ParseDec(q.value_text);
      const bool has_unit = !q.system.empty() && !q.code.empty();
      const std::string text =
          has_unit ? q.value_text + "|" + q.system + "|" + q.code : q.value_text;
      const std::string system = q.system;
      const std::string code = q.code;
      out.push_back({text, [=](const fhirpath::Collection& c) {
                       for (const Qty& x : Quantities(c)) {
                         if (QuantityMatches("eq", v, has_unit, system, code, x)) return true;
                       }
                       return false;
                     }});
    }
  } else if (type == "date") {
    for (const DateRange& r : Dates(items)) {
      if (r.low == kMinTime) continue;
      const std::string day = FormatDay(r.low);
      const DateRange q = *ParseDate(day);
      out.push_back({day, [q](const fhirpath::Collection& c) {
                       for (const DateRange& x : Dates(c)) {
                         if (DateMatches("eq", q, x)) return true;
                       }
                       return false;
                     }});
    }
  } else if (type == "string") {
    for (const std::string& s : Strings(items)) {
      if (NeedsEscape(s)) continue;
      const std::string norm = Normalize(s);
      out.push_back({s, [norm](const fhirpath::Collection& c) {
                       for (const std::string& x : Strings(c)) {
                         if (Normalize(x).rfind(norm, 0) == 0) return true;
                       }
                       return false;
                     }});
    }
  } else if (type == "reference") {
    for (const Ref& r : References(items, base_url)) {
      if (r.id.empty()) continue;
      const Ref want = r;
      out.push_back({r.type + "/" + r.id, [want, base_url](const fhirpath::Collection& c) {
                       for (const Ref& x : References(c, base_url)) {
                         if (x.type == want.type && x.id == want.id) return true;
                       }
                       return false;
                     }});
    }
  }
  return out;
}

}  // namespace

// ---- Corpus --------------------------------------------------------------------------------

void Corpus::Add(const json::Value& resource) {
  auto r = std::make_unique<StoredResource>();
  r->type = std::string(json::StringMember(resource, "resourceType"));
  r->id = std::string(json::StringMember(resource, "id"));
  if (r->type.empty() || r->id.empty()) return;
  r->doc = std::make_unique<json::Document>();
  r->doc->CopyFrom(resource, r->doc->GetAllocator());
  by_key_[r->type + "/" + r->id] = std::move(r);
  by_type_.clear();
}

const std::vector<const StoredResource*>& Corpus::OfType(const std::string& type) const {
  auto it = by_type_.find(type);
  if (it != by_type_.end()) return it->second;
  std::vector<const StoredResource*>& list = by_type_[type];
  for (const auto& [key, r] : by_key_) {
    if (r->type == type) list.push_back(r.get());
  }
  return list;
}

std::vector<std::string> Corpus::Types() const {
  std::set<std::string> types;
  for (const auto& [key, r] : by_key_) types.insert(r->type);
  return {types.begin(), types.end()};
}

const json::Value* Corpus::Resolve(std::string_view reference) const {
  std::string key(reference);
  if (!base_url.empty() && key.rfind(base_url + "/", 0) == 0) key = key.substr(base_url.size() + 1);
  if (const auto h = key.find("/_history/"); h != std::string::npos) key.resize(h);
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second->doc.get();
}

// ---- ProbeBuilder --------------------------------------------------------------------------

ProbeBuilder::ProbeBuilder(const fhirpath::Engine& engine, const Corpus& corpus,
                           const search::ParameterRegistry& registry)
    : engine_(engine), corpus_(corpus), registry_(registry) {
  env_.resolve = [this](std::string_view reference) { return corpus_.Resolve(reference); };
  options_.lenient_as = true;
}

std::vector<fhirpath::Collection> ProbeBuilder::Evaluate(const std::string& type,
                                                         const std::string& expr,
                                                         int* eval_errors) const {
  std::vector<fhirpath::Collection> out;
  for (const StoredResource* r : corpus_.OfType(type)) {
    auto items = engine_.Evaluate(expr, *r->doc, &env_, options_);
    if (!items.ok()) {
      ++*eval_errors;
      out.emplace_back();
    } else {
      out.push_back(std::move(items).value());
    }
  }
  return out;
}

std::vector<Probe> ProbeBuilder::For(const std::string& type, const search::SearchParameterDef& def,
                                     std::string* note, int* eval_errors) const {
  const std::string expr = def.ExpressionFor(type);
  const auto& resources = corpus_.OfType(type);
  ProbeSet set(resources, def.code);
  const std::size_t n = resources.size();
  auto missing = [&](const std::function<bool(std::size_t)>& present) {
    set.Add(":missing", "true", [&](std::size_t i) { return !present(i); });
    set.Add(":missing", "false", present);
  };

  if (def.type == "special" && def.xpath_usage == "nearby") {
    const auto items = Evaluate(type, expr, eval_errors);
    std::vector<std::vector<Position>> pos(n);
    std::vector<Position> all;
    for (std::size_t i = 0; i < n; ++i) {
      pos[i] = Positions(items[i]);
      all.insert(all.end(), pos[i].begin(), pos[i].end());
    }
    std::map<std::string, int> centres;
    for (const Position& p : all) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.6f|%.6f", p.latitude, p.longitude);
      ++centres[buf];
    }
    for (const std::string& c : Pick(centres, kSamples)) {
      Position centre;
      std::sscanf(c.c_str(), "%lf|%lf", &centre.latitude, &centre.longitude);
      std::vector<double> d;
      for (const Position& p : all) d.push_back(DistanceKm(centre, p));
      std::sort(d.begin(), d.end());
      // Radii in the middle of clear gaps between distances (2% and 100 m at least), so that
      // rounding and the Earth radius chosen cannot decide the answer.
      std::vector<double> radii;
      for (std::size_t k = 0; k + 1 < d.size(); ++k) {
        if (d[k + 1] - d[k] > std::max(0.1, 0.02 * d[k + 1]))
          radii.push_back((d[k] + d[k + 1]) / 2);
      }
      for (std::size_t k : {std::size_t{0}, radii.size() / 2, radii.size() - 1}) {
        if (k >= radii.size()) continue;
        const double radius = radii[k];
        char value[128];
        std::snprintf(value, sizeof(value), "%s|%.3f|km", c.c_str(), radius);
        set.Add("", value, [&pos, centre, radius](std::size_t i) {
          return std::any_of(pos[i].begin(), pos[i].end(),
                             [&](const Position& p) { return DistanceKm(centre, p) <= radius; });
        });
      }
    }
    return set.Take();
  }
  if (def.type == "special") {
    *note = "special parameter without a FHIRPath meaning (" +
            (expr.empty() ? std::string("no expression") : expr) + ")";
    return {};
  }
  if (expr.empty() && (def.code == "_text" || def.code == "_content"))
    return FullText(type, def.code);
  if (expr.empty()) {
    *note = "no FHIRPath expression for " + type;
    return {};
  }

  if (def.type == "composite") {
    const auto items = Evaluate(type, expr, eval_errors);
    std::vector<std::string> comp_types;
    std::vector<std::shared_ptr<const fhirpath::Expression>> comp_exprs;
    for (const auto& c : def.components) {
      const search::SearchParameterDef* cd = registry_.FindByUrl(c.definition);
      auto compiled = engine_.Compile(c.expression);
      if (cd == nullptr || !compiled.ok()) {
        *note = "component " + c.definition + " unknown or its expression does not compile";
        return {};
      }
      comp_types.push_back(cd->type);
      comp_exprs.push_back(compiled.value());
    }
    // Per resource, per composite item: the component collections.
    std::vector<std::vector<std::vector<fhirpath::Collection>>> comps(n);
    for (std::size_t i = 0; i < n; ++i) {
      for (const auto& item : items[i]) {
        std::vector<fhirpath::Collection> per;
        for (const auto& ce : comp_exprs) {
          auto r = engine_.Evaluate(*ce, fhirpath::Collection{item}, resources[i]->doc.get(), &env_,
                                    options_);
          per.push_back(r.ok() ? std::move(r).value() : fhirpath::Collection{});
        }
        comps[i].push_back(std::move(per));
      }
    }
    // Candidate value tuples, each from one item.
    std::map<std::string, std::vector<ComponentValue>> tuples;
    std::map<std::string, int> counts;
    for (std::size_t i = 0; i < n; ++i) {
      for (const auto& per : comps[i]) {
        std::vector<ComponentValue> tuple;
        for (std::size_t k = 0; k < per.size(); ++k) {
          auto values = ComponentValues(comp_types[k], per[k], corpus_.base_url);
          if (values.empty()) break;
          tuple.push_back(values.front());
        }
        if (tuple.size() != per.size()) continue;
        std::string key;
        for (const auto& v : tuple) key += (key.empty() ? "" : "$") + v.text;
        ++counts[key];
        tuples.emplace(key, std::move(tuple));
      }
    }
    auto add = [&](const std::vector<ComponentValue>& tuple) {
      std::string text;
      for (const auto& v : tuple) text += (text.empty() ? "" : "$") + v.text;
      set.Add("", text, [&comps, tuple](std::size_t i) {
        return std::any_of(comps[i].begin(), comps[i].end(), [&](const auto& per) {
          for (std::size_t k = 0; k < tuple.size(); ++k) {
            if (!tuple[k].match(per[k])) return false;
          }
          return true;
        });
      });
    };
    const auto picked = Pick(counts, kSamples);
    if (picked.empty()) {
      *note = "no resource holds a value for every component in one item (";
      for (std::size_t k = 0; k < def.components.size(); ++k) {
        *note += (k ? ", " : "") + def.components[k].expression;
      }
      *note += ")";
      return {};
    }
    for (const std::string& key : picked) add(tuples[key]);
    // Components from two different items: only resources holding both in one item match.
    if (picked.size() >= 2) {
      std::vector<ComponentValue> cross = tuples[picked[0]];
      cross.back() = tuples[picked[1]].back();
      add(cross);
    }
    // A well-formed value per component type that no resource holds.
    std::vector<ComponentValue> none;
    for (const auto& t : comp_types) {
      std::string text = kNoSuchCode;
      if (t == "quantity") text = "999999|http://example.org/units|sdiff";
      if (t == "date") text = "1800-01-01";
      if (t == "reference") text = std::string("Patient/") + kNoSuchCode;
      none.push_back({text, [](const fhirpath::Collection&) { return false; }});
    }
    if (!picked.empty()) {
      none.front() = tuples[picked[0]].front();
      add(none);
    }
    return set.Take();
  }

  const auto items = Evaluate(type, expr, eval_errors);

  if (def.type == "token") {
    std::vector<std::vector<Token>> v(n);
    std::map<std::string, int> counts;
    std::map<std::string, Token> by_key;
    for (std::size_t i = 0; i < n; ++i) {
      v[i] = Tokens(items[i]);
      for (const Token& t : v[i]) {
        if (NeedsEscape(t.code) || NeedsEscape(t.system) || t.code.empty()) continue;
        const std::string key = t.system + "|" + t.code + "|" + std::to_string(int(t.kind));
        ++counts[key];
        by_key.emplace(key, t);
      }
    }
    auto any = [&v](const TokenQuery& q) {
      return [&v, q](std::size_t i) {
        return std::any_of(v[i].begin(), v[i].end(),
                           [&](const Token& t) { return TokenMatches(t, q); });
      };
    };
    const auto picked = Pick(counts, kSamples);
    bool system_only_done = false;
    for (const std::string& key : picked) {
      const Token& t = by_key[key];
      set.Add("", t.code, any({false, "", t.code}));
      const bool coded = t.kind == Token::Kind::kCoded || t.kind == Token::Kind::kIdentifier;
      if (coded && t.has_system) {
        set.Add("", t.system + "|" + t.code, any({true, t.system, t.code}));
        if (!system_only_done) {
          set.Add("", t.system + "|", any({true, t.system, ""}));
          system_only_done = true;
        }
      } else if (coded) {
        set.Add("", "|" + t.code, any({true, "", t.code}));
      }
    }
    if (!picked.empty()) {
      const Token& t = by_key[picked[0]];
      auto has = any({false, "", t.code});
      set.Add(":not", t.code, [has](std::size_t i) { return !has(i); });
      if (t.has_system) {
        auto has_sc = any({true, t.system, t.code});
        set.Add(":not", t.system + "|" + t.code, [has_sc](std::size_t i) { return !has_sc(i); });
      }
      if (picked.size() >= 2) {
        const Token& u = by_key[picked.back()];
        auto a = any({false, "", t.code});
        auto b = any({false, "", u.code});
        set.Add("", t.code + "," + u.code, [a, b](std::size_t i) { return a(i) || b(i); });
      }
    }
    set.Add("", kNoSuchCode, any({false, "", kNoSuchCode}));
    missing([&v](std::size_t i) { return !v[i].empty(); });
    return set.Take();
  }

  if (def.type == "string") {
    std::vector<std::vector<std::string>> v(n);
    std::vector<std::vector<std::string>> norm(n);
    std::map<std::string, int> counts;
    for (std::size_t i = 0; i < n; ++i) {
      v[i] = Strings(items[i]);
      for (const std::string& s : v[i]) {
        norm[i].push_back(Normalize(s));
        if (!NeedsEscape(s)) ++counts[s];
      }
    }
    auto starts = [&norm](const std::string& q) {
      const std::string nq = Normalize(q);
      return [&norm, nq](std::size_t i) {
        return std::any_of(norm[i].begin(), norm[i].end(),
                           [&](const std::string& s) { return s.rfind(nq, 0) == 0; });
      };
    };
    if (def.xpath_usage == "phonetic") {
      std::vector<std::vector<std::string>> keys(n);
      for (std::size_t i = 0; i < n; ++i) {
        for (const std::string& s : v[i]) {
          for (auto& k : SoundexWords(s)) keys[i].push_back(std::move(k));
        }
      }
      std::map<std::string, int> words;
      for (const auto& [s, c] : counts) {
        if (s.find(' ') == std::string::npos && !SoundexWords(s).empty()) words[s] += c;
      }
      for (const std::string& s : Pick(words, kSamples)) {
        const std::string key = SoundexWords(s).front();
        set.Add("", s, [&keys, key](std::size_t i) {
          return std::find(keys[i].begin(), keys[i].end(), key) != keys[i].end();
        });
      }
      missing([&v](std::size_t i) { return !v[i].empty(); });
      return set.Take();
    }
    for (const std::string& s : Pick(counts, kSamples)) {
      const std::size_t len = Utf8Length(s);
      const std::string prefix = Utf8Prefix(s, std::max<std::size_t>(1, (len + 1) / 2));
      set.Add("", prefix, starts(prefix));
      set.Add("", Upper(s), starts(Upper(s)));
      if (HasNonAscii(s)) set.Add("", Normalize(s), starts(Normalize(s)));
      set.Add(":exact", s, [&v, s](std::size_t i) {
        return std::find(v[i].begin(), v[i].end(), s) != v[i].end();
      });
      if (Lower(s) != s) {
        const std::string lower = Lower(s);
        set.Add(":exact", lower, [&v, lower](std::size_t i) {
          return std::find(v[i].begin(), v[i].end(), lower) != v[i].end();
        });
      }
      if (len >= 3) {
        const std::string middle =
            Utf8Prefix(std::string_view(s).substr(Utf8Prefix(s, 1).size()), len - 2);
        const std::string nm = Normalize(middle);
        set.Add(":contains", middle, [&norm, nm](std::size_t i) {
          return std::any_of(norm[i].begin(), norm[i].end(),
                             [&](const std::string& x) { return x.find(nm) != std::string::npos; });
        });
      }
    }
    set.Add("", "Sdiffzzq", starts("Sdiffzzq"));
    missing([&v](std::size_t i) { return !v[i].empty(); });
    return set.Take();
  }

  if (def.type == "date") {
    std::vector<std::vector<DateRange>> v(n);
    std::map<std::string, int> counts;
    for (std::size_t i = 0; i < n; ++i) {
      v[i] = Dates(items[i]);
      for (const DateRange& r : v[i]) {
        if (r.low != kMinTime) ++counts[FormatSecond(r.low)];
      }
    }
    auto with = [&v](const std::string& prefix, const DateRange& q) {
      return [&v, prefix, q](std::size_t i) {
        return std::any_of(v[i].begin(), v[i].end(),
                           [&](const DateRange& t) { return DateMatches(prefix, q, t); });
      };
    };
    bool first = true;
    for (const std::string& second : Pick(counts, kSamples)) {
      const std::string day = second.substr(0, 10);
      const DateRange qd = *ParseDate(day);
      const DateRange qs = *ParseDate(second);
      set.Add("", day, with("eq", qd));
      for (const char* p : {"ge", "lt"}) set.Add("", p + day, with(p, qd));
      set.Add("", "ge" + second, with("ge", qs));
      set.Add("", "lt" + second, with("lt", qs));
      if (first) {
        for (const char* p : {"gt", "le", "sa", "eb"}) set.Add("", p + day, with(p, qd));
        for (const char* p : {"gt", "le"}) set.Add("", p + second, with(p, qs));
        set.Add("", second, with("eq", qs));
        set.Add("", day.substr(0, 7), with("eq", *ParseDate(day.substr(0, 7))));
        set.Add("", day.substr(0, 4), with("eq", *ParseDate(day.substr(0, 4))));
        first = false;
      }
    }
    // A day inside a long period: the overlap rules of gt/lt/ge/le differ from comparing
    // start or end points only there.
    std::map<std::string, int> inside;
    for (const auto& ranges : v) {
      for (const DateRange& r : ranges) {
        constexpr int64_t kTwoDays = 2LL * 86400 * 1000000;
        if (r.low != kMinTime && r.high != kMaxTime && r.high - r.low > kTwoDays) {
          ++inside[FormatDay(r.low + (r.high - r.low) / 2)];
        }
      }
    }
    for (const std::string& day : Pick(inside, 1)) {
      const DateRange qd = *ParseDate(day);
      for (const char* p : {"eq", "gt", "lt", "ge", "le"}) set.Add("", p + day, with(p, qd));
    }
    set.Add("", "1800-01-01", with("eq", *ParseDate("1800-01-01")));
    missing([&v](std::size_t i) { return !v[i].empty(); });
    return set.Take();
  }

  if (def.type == "reference") {
    std::vector<std::vector<Ref>> v(n);
    std::map<std::string, int> locals;
    std::map<std::string, int> urls;
    std::map<std::string, int> identifiers;
    for (std::size_t i = 0; i < n; ++i) {
      v[i] = References(items[i], corpus_.base_url);
      for (const Ref& r : v[i]) {
        if (!r.id.empty() && !NeedsEscape(r.id)) ++locals[r.type + "/" + r.id];
        if (!r.url.empty() && !NeedsEscape(r.url)) ++urls[r.url];
        if (r.identifier && r.identifier->has_system && !NeedsEscape(r.identifier->system) &&
            !NeedsEscape(r.identifier->code)) {
          ++identifiers[r.identifier->system + "|" + r.identifier->code];
        }
      }
    }
    auto local = [&v](const std::string& type_filter, const std::string& id) {
      return [&v, type_filter, id](std::size_t i) {
        return std::any_of(v[i].begin(), v[i].end(), [&](const Ref& r) {
          return r.id == id && (type_filter.empty() || r.type == type_filter);
        });
      };
    };
    bool first = true;
    for (const std::string& key : Pick(locals, kSamples)) {
      const std::string t = key.substr(0, key.find('/'));
      const std::string id = key.substr(key.find('/') + 1);
      set.Add("", key, local(t, id));
      if (def.target.size() == 1) set.Add("", id, local("", id));
      if (first) {
        set.Add(":" + t, id, local(t, id));
        set.Add("", corpus_.base_url + "/" + key, local(t, id));
        first = false;
      }
    }
    for (const std::string& url : Pick(urls, 1)) {
      set.Add("", url, [&v, url](std::size_t i) {
        return std::any_of(v[i].begin(), v[i].end(), [&](const Ref& r) { return r.url == url; });
      });
    }
    for (const std::string& ident : Pick(identifiers, 2)) {
      const TokenQuery q{true, ident.substr(0, ident.find('|')), ident.substr(ident.find('|') + 1)};
      set.Add(":identifier", ident, [&v, q](std::size_t i) {
        return std::any_of(v[i].begin(), v[i].end(), [&](const Ref& r) {
          return r.identifier && TokenMatches(*r.identifier, q);
        });
      });
    }
    const std::string target = def.target.empty() ? "Patient" : def.target.front();
    set.Add("", target + "/" + kNoSuchCode, local(target, kNoSuchCode));
    missing([&v](std::size_t i) { return std::any_of(v[i].begin(), v[i].end(), HasTarget); });
    return set.Take();
  }

  if (def.type == "quantity") {
    std::vector<std::vector<Qty>> v(n);
    std::map<std::string, int> counts;
    std::map<std::string, Qty> by_key;
    for (std::size_t i = 0; i < n; ++i) {
      v[i] = Quantities(items[i]);
      for (const Qty& q : v[i]) {
        if (q.value_text.empty() || NeedsEscape(q.system) || NeedsEscape(q.code) ||
            NeedsEscape(q.unit)) {
          continue;
        }
        const std::string key = q.value_text + "|" + q.system + "|" + q.code + "|" + q.unit;
        ++counts[key];
        by_key.emplace(key, q);
      }
    }
    auto with = [&v](const std::string& prefix, const Dec& value, bool has_system,
                     const std::string& system, const std::string& code) {
      return [&v, prefix, value, has_system, system, code](std::size_t i) {
        return std::any_of(v[i].begin(), v[i].end(), [&](const Qty& q) {
          return QuantityMatches(prefix, value, has_system, system, code, q);
        });
      };
    };
    bool first = true;
    for (const std::string& key : Pick(counts, kSamples)) {
      const Qty& q = by_key[key];
      const Dec value = *ParseDec(q.value_text);
      const std::string unit = q.code.empty() ? q.unit : q.code;
      set.Add("", q.value_text, with("eq", value, false, "", ""));
      if (!unit.empty()) {
        set.Add("", q.value_text + "||" + unit, with("eq", value, true, "", unit));
      }
      if (!q.system.empty() && !q.code.empty()) {
        const std::string suffix = "|" + q.system + "|" + q.code;
        set.Add("", q.value_text + suffix, with("eq", value, true, q.system, q.code));
        if (first) {
          for (const char* p : {"gt", "lt", "ge", "le"}) {
            set.Add("", p + q.value_text + suffix, with(p, value, true, q.system, q.code));
          }
          set.Add("", q.value_text + "|" + q.system + "|" + kNoSuchCode,
                  with("eq", value, true, q.system, kNoSuchCode));
          first = false;
        }
      }
    }
    missing([&v](std::size_t i) { return !v[i].empty(); });
    return set.Take();
  }

  if (def.type == "uri") {
    std::vector<std::vector<std::string>> v(n);
    std::map<std::string, int> counts;
    for (std::size_t i = 0; i < n; ++i) {
      v[i] = Uris(items[i]);
      for (const std::string& s : v[i]) {
        if (!NeedsEscape(s)) ++counts[s];
      }
    }
    auto with = [&v](const std::function<bool(const std::string&)>& f) {
      return [&v, f](std::size_t i) { return std::any_of(v[i].begin(), v[i].end(), f); };
    };
    for (const std::string& s : Pick(counts, kSamples)) {
      set.Add("", s, with([s](const std::string& x) { return x == s; }));
      if (const auto slash = s.rfind('/'); slash != std::string::npos && slash > 8) {
        const std::string parent = s.substr(0, slash);
        set.Add(":below", parent,
                with([parent](const std::string& x) { return x.rfind(parent, 0) == 0; }));
      }
      const std::string child = s + "/sdiff-child";
      set.Add(":above", child,
              with([child](const std::string& x) { return child.rfind(x, 0) == 0; }));
    }
    set.Add("", std::string("http://example.org/") + kNoSuchCode,
            with([](const std::string&) { return false; }));
    missing([&v](std::size_t i) { return !v[i].empty(); });
    return set.Take();
  }

  if (def.type == "number") {
    std::vector<std::vector<Dec>> v(n);
    std::map<std::string, int> counts;
    for (std::size_t i = 0; i < n; ++i) {
      for (const auto& item : items[i]) {
        for (const std::string& s : Uris(fhirpath::Collection{item})) {
          if (auto d = ParseDec(s)) {
            v[i].push_back(*d);
            ++counts[s];
          }
        }
      }
    }
    for (const std::string& s : Pick(counts, kSamples)) {
      const Dec value = *ParseDec(s);
      for (const char* p : {"eq", "gt", "lt", "ge", "le"}) {
        set.Add("", std::string(p) + s, [&v, value, p](std::size_t i) {
          return std::any_of(v[i].begin(), v[i].end(), [&](const Dec& d) {
            Qty q;
            q.low = q.high = d;
            return QuantityMatches(p, value, false, "", "", q);
          });
        });
      }
    }
    missing([&v](std::size_t i) { return !v[i].empty(); });
    return set.Take();
  }

  *note = "parameter type '" + def.type + "' is not modelled by this test";
  return {};
}

}  // namespace hestia::testing::sdiff
