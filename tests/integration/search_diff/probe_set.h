// Private to the differential test's probe generators (probes.cc, probes_chain.cc,
// probes_fulltext.cc): the collector that turns a search value and a predicate into a Probe
// with its expected ids, and value sampling.
// Thread-safety: single-threaded use.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "oracle.h"
#include "probes.h"

namespace hestia::testing::sdiff {

inline constexpr std::size_t kSamples = 3;
inline constexpr char kNoSuchCode[] = "sdiff-no-such-value";

using Pred = std::function<bool(std::size_t)>;

// Collects the probes of one parameter and computes their expected ids.
class ProbeSet {
 public:
  ProbeSet(const std::vector<const StoredResource*>& resources, std::string code)
      : resources_(resources), code_(std::move(code)) {}

  // `modifier` is "" or ":not", ":exact", …; `value` is the search value, escaped as FHIR
  // requires but not URL-encoded.
  void Add(const std::string& modifier, const std::string& value, const Pred& pred) {
    Probe p;
    p.shown = code_ + modifier + "=" + value;
    if (!seen_.insert(p.shown).second) return;
    p.query = code_ + modifier + "=" + UrlEncode(value);
    for (std::size_t i = 0; i < resources_.size(); ++i) {
      if (pred(i)) p.expected.push_back(resources_[i]->id);
    }
    std::sort(p.expected.begin(), p.expected.end());
    probes_.push_back(std::move(p));
  }

  std::vector<Probe> Take() { return std::move(probes_); }

 private:
  const std::vector<const StoredResource*>& resources_;
  std::string code_;
  std::set<std::string> seen_;
  std::vector<Probe> probes_;
};

// Up to `n` keys of `counts` (sorted by key): the most frequent first, then keys spread evenly
// over the sorted order, so that both common and rare values are probed.
std::vector<std::string> Pick(const std::map<std::string, int>& counts, std::size_t n);
// ASCII lower case.
std::string Lower(std::string s);

}  // namespace hestia::testing::sdiff
