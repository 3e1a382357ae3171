// Conditional matching under an advisory lock. See conditional.h.
#include "conditional.h"

#include <algorithm>

#include "hestia/search/executor.h"
#include "hestia/search/query.h"

namespace hestia::interactions {

Result<std::vector<storage::Match>> LockAndMatch(const Context& ctx, storage::Transaction& txn,
                                                 const std::string& type, std::string_view query) {
  const auto registry = ctx.Params();
  search::ParseOptions options;
  options.base_url = ctx.options.base_url;
  HESTIA_ASSIGN_OR_RETURN(search::Query criteria,
                          search::ParseConditional(type, query, *registry, options));
  std::vector<std::string> parts;
  std::string_view rest = query;
  if (!rest.empty() && rest.front() == '?') rest.remove_prefix(1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    parts.emplace_back(rest.substr(0, amp));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  std::sort(parts.begin(), parts.end());
  std::string key;
  for (const auto& p : parts) key += p + "&";
  HESTIA_RETURN_IF_ERROR(txn.LockKey(search::ParamHash(type, "?" + key)));
  HESTIA_ASSIGN_OR_RETURN(auto found, search::FindMatches(criteria, *registry, 2, txn));
  std::vector<storage::Match> matches;
  for (auto& m : found) matches.push_back({m.pk, std::move(m.id), m.version});
  return matches;
}

}  // namespace hestia::interactions
