/* Compiled as strict C99 with the project's warnings (-Wall -Wextra -Wpedantic -Werror): the
 * ABI header must be plain C. Touches every type so that nothing in it goes unchecked. */
#include "hestia/plugin.h"

int hestia_abi_c99_check(const hestia_host_api* api);

int hestia_abi_c99_check(const hestia_host_api* api) {
  hestia_plugin_descriptor d = {0};
  hestia_operation_def op = {0};
  hestia_interceptor_def icp = {0};
  hestia_job_def job = {0};
  hestia_subscription_def sub = {0};
  hestia_operation_request req = {0};
  hestia_write w = {0};
  hestia_event e = {0};
  d.struct_size = sizeof d;
  op.struct_size = sizeof op;
  icp.struct_size = sizeof icp;
  job.struct_size = sizeof job;
  sub.struct_size = sizeof sub;
  req.struct_size = sizeof req;
  w.struct_size = sizeof w;
  e.struct_size = sizeof e;
  return HESTIA_HOST_HAS(api, subscribe) && d.struct_size + op.struct_size + icp.struct_size +
                                                    job.struct_size + sub.struct_size +
                                                    req.struct_size + w.struct_size +
                                                    e.struct_size > 0;
}
