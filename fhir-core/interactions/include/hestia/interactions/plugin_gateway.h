// The FHIR API plug-ins call (hestia_host_api read/search/create/update/delete/transaction),
// served by the FHIR service itself.
//
// Owns: turning a plugins::GatewayRequest into a Request for `service` — the same routing,
// rules and interceptors as an HTTP request, with the calling user's Authorization header
// and request id — and its Response back into JSON text. Implemented in plugin_operations.cc.
// Thread-safety: the gateway is as thread-safe as `service`.
#pragma once

#include "hestia/interactions/service.h"
#include "hestia/plugins/host.h"

namespace hestia::interactions {

// `service` must outlive every use of the gateway (PluginHost::Stop first).
plugins::Gateway MakePluginGateway(Service* service);

}  // namespace hestia::interactions
