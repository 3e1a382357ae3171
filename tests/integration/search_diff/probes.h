// Query generation for the search differential test: for one search parameter of one type,
// search values taken from what the loaded resources actually hold (the parameter's FHIRPath
// expression evaluated over each of them), plus values that occur nowhere, each with the set
// of ids the spec says must match (brute force over the same FHIRPath results, oracle.h).
//
// Owns: the corpus of loaded resources (as the server stored them), resolve() for FHIRPath,
// and the probe generators per parameter type (token, string, date, reference, quantity, uri,
// composite, Location near).
// Used by: search_diff_test.cc.
// Thread-safety: a Corpus is filled once, then read-only; ProbeBuilder is single-threaded.
// FHIR R4: http://hl7.org/fhir/R4/search.html
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "hestia/base/json.h"
#include "hestia/fhirpath/engine.h"
#include "hestia/search/parameter_registry.h"

namespace hestia::testing::sdiff {

struct StoredResource {
  std::string type;
  std::string id;
  std::unique_ptr<json::Document> doc;
};

// The resources the server stored, by type, as its responses returned them.
class Corpus {
 public:
  // Copies `resource` (replacing an earlier version of the same type/id).
  void Add(const json::Value& resource);
  const std::vector<const StoredResource*>& OfType(const std::string& type) const;
  // "Type/id", or an absolute URL on base_url; nullptr when not loaded.
  const json::Value* Resolve(std::string_view reference) const;
  std::size_t size() const { return by_key_.size(); }
  std::vector<std::string> Types() const;

  std::string base_url;  // the server's base ("http://127.0.0.1:1234/fhir")

 private:
  std::map<std::string, std::unique_ptr<StoredResource>, std::less<>> by_key_;  // "Type/id"
  mutable std::map<std::string, std::vector<const StoredResource*>, std::less<>> by_type_;
};

// One search to run: `query` is "name=value" with the value URL-encoded; `shown` is the same
// unencoded, for reports. `expected` holds the matching ids, sorted.
struct Probe {
  std::string query;
  std::string shown;
  std::vector<std::string> expected;
  // Full-text probes (_text, _content) only bound the answer: every id of `expected` must
  // come back, and nothing outside `allowed` (both sorted). Tokenization is PostgreSQL's.
  bool bounded = false;
  std::vector<std::string> allowed;
};

class ProbeBuilder {
 public:
  ProbeBuilder(const fhirpath::Engine& engine, const Corpus& corpus,
               const search::ParameterRegistry& registry);

  // Probes for parameter `def` of `type`. Returns none and sets *note when the parameter
  // cannot be checked this way (no FHIRPath expression, or a kind of parameter this test does
  // not model), saying why. *eval_errors counts resources whose expression failed.
  std::vector<Probe> For(const std::string& type, const search::SearchParameterDef& def,
                         std::string* note, int* eval_errors) const;

  // Chained parameters (ref:Type.param=value) and reverse chains (_has:Type:ref:param=value)
  // for `type`, built from references that resolve inside the corpus; the chained criterion
  // is a string (prefix match) or token (code) parameter of the other type.
  std::vector<Probe> Chains(const std::string& type) const;

 private:
  // _text / _content: words that stand alone in the narrative / the resource's strings.
  std::vector<Probe> FullText(const std::string& type, const std::string& code) const;
  // Ids of `type` resources whose string (prefix) or token (code) parameter `def` matches `v`.
  std::set<std::string> Matching(const std::string& type, const search::SearchParameterDef& def,
                                 const std::string& v) const;
  // A value of string/token parameter `def` held by `resource` ("" when none).
  std::string ValueOf(const std::string& type, const search::SearchParameterDef& def,
                      const StoredResource& resource) const;

  // The parameter's FHIRPath items per resource of `type` (same order as corpus.OfType).
  std::vector<fhirpath::Collection> Evaluate(const std::string& type, const std::string& expr,
                                             int* eval_errors) const;

  const fhirpath::Engine& engine_;
  const Corpus& corpus_;
  const search::ParameterRegistry& registry_;
  fhirpath::Environment env_;
  fhirpath::EvalOptions options_;
};

}  // namespace hestia::testing::sdiff
