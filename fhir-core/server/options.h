// The options of `hestia serve`: one table, read by Config (hestia/base/config.h) from
// defaults, hestia.yaml, HESTIA_… environment variables and flags.
#pragma once

#include <vector>

#include "hestia/base/config.h"

namespace hestia::server {

const std::vector<OptionSpec>& ServeOptions();

}  // namespace hestia::server
