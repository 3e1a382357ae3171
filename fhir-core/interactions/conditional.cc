// Conditional matching under an advisory lock. See conditional.h.
#include "conditional.h"

#include <algorithm>

#include "hestia/search/criteria.h"

namespace hestia::interactions {

Result<std::vector<storage::Match>> LockAndMatch(const Context& ctx, storage::Transaction& txn,
                                                 const std::string& type, std::string_view query) {
  HESTIA_ASSIGN_OR_RETURN(search::Criteria criteria,
                          search::ParseConditionalCriteria(type, query, *ctx.params));
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
  return txn.Find(criteria, 2);
}

}  // namespace hestia::interactions
