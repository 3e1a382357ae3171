// Loads the demo clinic into an empty database through the FHIR service itself (PUT per
// resource), so demo data takes exactly the path client data takes.
#pragma once

#include <string>

#include "hestia/base/status.h"
#include "hestia/interactions/service.h"
#include "hestia/storage/store.h"

namespace hestia::server {

// Does nothing when the database already holds any resource. kInvalid when the file is not a
// Bundle; the first failing PUT's OperationOutcome otherwise.
Status LoadDemoData(const std::string& file, storage::Store& store, interactions::Service& service,
                    const std::string& base_url);

}  // namespace hestia::server
