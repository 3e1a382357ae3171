// Bundle text assembly. See bundle_text.h.
#include "bundle_text.h"

#include "context.h"
#include "hestia/base/id.h"
#include "hestia/base/time.h"

namespace hestia::interactions {

BundleText::BundleText(std::string_view type, long long total) {
  head_ = "{\"resourceType\":\"Bundle\",\"id\":" + JsonString(NewId()) +
          ",\"meta\":{\"lastUpdated\":" + JsonString(FormatInstant(NowMicros())) +
          "},\"type\":" + JsonString(type);
  if (total >= 0) head_ += ",\"total\":" + std::to_string(total);
}

void BundleText::AddLink(std::string_view relation, std::string_view url) {
  if (!links_.empty()) links_ += ",";
  links_ += "{\"relation\":" + JsonString(relation) + ",\"url\":" + JsonString(url) + "}";
}

void BundleText::AddEntry(const std::string& entry_json) {
  if (!entries_.empty()) entries_ += ",";
  entries_ += entry_json;
}

std::string BundleText::Finish() {
  std::string out = std::move(head_);
  if (!links_.empty()) out += ",\"link\":[" + links_ + "]";
  if (!entries_.empty()) out += ",\"entry\":[" + entries_ + "]";
  out += "}";
  return out;
}

}  // namespace hestia::interactions
