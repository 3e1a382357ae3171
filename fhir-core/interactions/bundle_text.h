// Bundle assembly as text (private). Stored resources are already exact JSON text, so Bundles
// are concatenated rather than parsed and re-serialised.
#pragma once

#include <string>
#include <string_view>

namespace hestia::interactions {

class BundleText {
 public:
  // `type`: history | searchset. `total` < 0 omits Bundle.total.
  BundleText(std::string_view type, long long total);
  void AddLink(std::string_view relation, std::string_view url);
  // `entry_json` is a complete entry object's JSON text.
  void AddEntry(const std::string& entry_json);
  std::string Finish();

 private:
  std::string head_;
  std::string links_;
  std::string entries_;
};

}  // namespace hestia::interactions
