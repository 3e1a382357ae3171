/* Hestia plug-in ABI, version 1.
 *
 * Owns: the binary contract between the Hestia server (the host) and a plug-in (a shared
 * object it loads at start-up). This is the one file that must stay compatible forever; the
 * rules (../shared/ARCHITECTURE.md §6) are cited by number below:
 *   R1 Within a major version, structs only grow at the end; nothing is reordered or reused.
 *   R2 Every function table and descriptor starts with `uint32_t struct_size`.
 *   R3 Strings cross as borrowed {data, len} views, valid only until the call returns.
 *   R4 Whoever creates a handle destroys it, through its own destroy function.
 *   R5 No C++ exception, longjmp or panic crosses the boundary.
 *   R6 Payloads are FHIR JSON, so changes to the server's C++ model never change the ABI.
 * tests/unit/plugins pins the layout (offsetof asserts and the golden slot list abi_slots.txt).
 *
 * Used by: plug-ins (directly from C, or through hestia/plugin_sdk.hpp from C++) and by the
 * host loader (plugins/host). Pure C99; compiles as C and C++ with -Wall -Wextra -pedantic.
 *
 * Thread-safety: the host may call any plug-in callback from several threads at once (HTTP
 * workers, the job scheduler, the event dispatcher); callbacks must be thread-safe. Host
 * functions are thread-safe.
 *
 * Versioning: a plug-in is built against ABI major HESTIA_PLUGIN_ABI_MAJOR and states the
 * lowest minor it needs. The host loads it only when the majors are equal and the host's minor
 * is at least that minor. Before using a host function added after v1.0 a plug-in checks
 * HESTIA_HOST_HAS(api, field).
 */
#ifndef HESTIA_PLUGIN_H_
#define HESTIA_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HESTIA_PLUGIN_MAGIC 0x48504c47u /* "HPLG" */
#define HESTIA_PLUGIN_ABI_MAJOR 1u
#define HESTIA_PLUGIN_ABI_MINOR 1u

/* The name of the one symbol a plug-in exports. */
#define HESTIA_PLUGIN_ENTRY_SYMBOL "hestia_plugin_entry_v1"

/* Marks the entry point as the one exported symbol (build plug-ins -fvisibility=hidden). */
#if defined(__GNUC__) || defined(__clang__)
#define HESTIA_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define HESTIA_PLUGIN_EXPORT
#endif

/* True when the table `api` (with its struct_size) contains the function slot `field`. */
#define HESTIA_HOST_HAS(api, field)                                                     \
  ((api) != NULL &&                                                                     \
   (api)->struct_size >=                                                                \
       offsetof(hestia_host_api, field) + sizeof(((const hestia_host_api*)0)->field) && \
   (api)->field != NULL)

/* ---- Results ---------------------------------------------------------------------------- */

/* Result of every host function and plug-in callback. Fixed width, so new codes never change
 * a layout; a receiver treats an unknown non-zero code as HESTIA_ERR_INTERNAL. The HTTP status
 * each maps to is in brackets. */
typedef int32_t hestia_status;
#define HESTIA_OK 0
#define HESTIA_ERR_INVALID 1       /* [400] the request or resource breaks a rule */
#define HESTIA_ERR_NOT_FOUND 2     /* [404] */
#define HESTIA_ERR_CONFLICT 3      /* [409] */
#define HESTIA_ERR_GONE 4          /* [410] the resource is deleted */
#define HESTIA_ERR_PRECONDITION 5  /* [412] */
#define HESTIA_ERR_NOT_SUPPORTED 6 /* [400] */
#define HESTIA_ERR_UNAVAILABLE 7   /* [503] transient; the caller may retry later */
#define HESTIA_ERR_INTERNAL 8      /* [500] a defect */
#define HESTIA_ERR_STATE 9         /* [500] the function is not allowed now (e.g. after init) */

/* Log levels for hestia_host_api.log_message. */
#define HESTIA_LOG_DEBUG 0
#define HESTIA_LOG_INFO 1
#define HESTIA_LOG_WARN 2
#define HESTIA_LOG_ERROR 3

/* ---- Strings and handles ---------------------------------------------------------------- */

/* A UTF-8 string that is not NUL-terminated.
 * OWNERSHIP: borrowed (R3). The side that passes it keeps it alive until the call it is passed
 * to returns; the receiver copies what it wants to keep. {NULL, 0} is the empty string. */
typedef struct hestia_string_view {
  const char* data;
  size_t len;
} hestia_string_view;

/* The host's state for one loaded plug-in.
 * OWNERSHIP: host-owned, opaque; valid from init until shutdown returns. */
typedef struct hestia_host hestia_host;

/* The context of one callback: who is calling (the HTTP request's user, or the system for jobs
 * and events), the request id, and where an error for this call is recorded.
 * OWNERSHIP: host-owned, opaque; valid only during the callback it is passed to. */
typedef struct hestia_call hestia_call;

/* A result the host produced for the plug-in: FHIR JSON text (a resource, a Bundle, or an
 * OperationOutcome when the call failed) or a configuration value.
 * OWNERSHIP: host-created (R4): the plug-in must release it with hestia_host_api.buffer_release
 * exactly once; its text stays valid until then, on any thread. */
typedef struct hestia_buffer hestia_buffer;

/* ---- What the plug-in registers --------------------------------------------------------- */

/* Levels an operation is invoked at (bit flags). */
#define HESTIA_OP_SYSTEM 1u   /* [base]/$name */
#define HESTIA_OP_TYPE 2u     /* [base]/[type]/$name */
#define HESTIA_OP_INSTANCE 4u /* [base]/[type]/[id]/$name */

/* One invocation of a custom operation.
 * OWNERSHIP: host-owned, borrowed for the duration of the handler call (R3). */
typedef struct hestia_operation_request {
  uint32_t struct_size;
  uint32_t level;                /* one of HESTIA_OP_* */
  hestia_string_view name;       /* without the '$' */
  hestia_string_view method;     /* "GET" or "POST" */
  hestia_string_view type;       /* empty at system level */
  hestia_string_view id;         /* empty unless at instance level */
  hestia_string_view parameters; /* a Parameters resource (R6): the POST body, or built from
                                    the GET query as valueString parameters */
} hestia_operation_request;

/* Handles one operation call. Returns HESTIA_OK after calling hestia_host_api.respond, or an
 * error code after calling hestia_host_api.set_error (an error code without set_error becomes
 * a 500 OperationOutcome naming the plug-in). Must not unwind (R5). */
typedef hestia_status (*hestia_operation_fn)(void* user_data, hestia_call* call,
                                             const hestia_operation_request* request);

/* OWNERSHIP: plug-in-owned; the host copies every field during register_operation, so the
 * struct and its strings may be freed when the call returns. user_data stays the plug-in's and
 * must stay valid until shutdown. */
typedef struct hestia_operation_def {
  uint32_t struct_size;
  uint32_t levels;               /* HESTIA_OP_* flags */
  hestia_string_view name;       /* without '$'; [A-Za-z0-9-_]+ */
  hestia_string_view type;       /* resource type for type/instance levels; empty: any type */
  hestia_string_view definition; /* the OperationDefinition resource, JSON (appears in the
                                    CapabilityStatement); its url is the canonical */
  uint32_t affects_state;        /* 0: GET and POST allowed; 1: POST only */
  uint32_t reserved;             /* 0 */
  hestia_operation_fn handler;
  void* user_data;
} hestia_operation_def;

/* Write interactions an interceptor watches (bit flags). */
#define HESTIA_WRITE_CREATE 1u
#define HESTIA_WRITE_UPDATE 2u /* also patch */
#define HESTIA_WRITE_DELETE 4u

/* When an interceptor runs. */
#define HESTIA_PHASE_BEFORE 1u /* inside the write's transaction, before the write: may reject */
#define HESTIA_PHASE_AFTER 2u  /* after the commit: cannot undo, errors are logged */

/* One write seen by an interceptor.
 * OWNERSHIP: host-owned, borrowed for the duration of the interceptor call (R3). */
typedef struct hestia_write {
  uint32_t struct_size;
  uint32_t interaction; /* one HESTIA_WRITE_* */
  hestia_string_view type;
  hestia_string_view id;
  int64_t version;             /* the version written (after) or about to be written (before) */
  hestia_string_view resource; /* the resource JSON as stored; empty for deletes */
  /* Since v1.1 (present when struct_size covers it). Before phase: the current version's JSON
   * that this write replaces, read under the write's row lock (so exactly the version being
   * replaced); empty for a create or when the resource was deleted. Empty in the after phase. */
  hestia_string_view previous;
} hestia_write;

/* Before-phase: HESTIA_OK lets the write proceed; an error code plus set_error rejects it with
 * that OperationOutcome and nothing is written. After-phase: the result is logged only. */
typedef hestia_status (*hestia_interceptor_fn)(void* user_data, hestia_call* call,
                                               const hestia_write* write);

/* OWNERSHIP: as hestia_operation_def (copied during register_interceptor). */
typedef struct hestia_interceptor_def {
  uint32_t struct_size;
  uint32_t phase;          /* one HESTIA_PHASE_* */
  uint32_t interactions;   /* HESTIA_WRITE_* flags */
  uint32_t reserved;       /* 0 */
  hestia_string_view type; /* resource type; empty: every type */
  hestia_interceptor_fn handler;
  void* user_data;
} hestia_interceptor_def;

/* How a job is scheduled. */
#define HESTIA_JOB_EVERY 1u /* every `seconds` seconds */
#define HESTIA_JOB_DAILY 2u /* once a day, `seconds` after midnight UTC */

/* Runs one scheduled job; the call's user is the system. One node of a cluster runs each due
 * job (a PostgreSQL advisory lock elects it). */
typedef hestia_status (*hestia_job_fn)(void* user_data, hestia_call* call);

/* OWNERSHIP: as hestia_operation_def (copied during register_job). */
typedef struct hestia_job_def {
  uint32_t struct_size;
  uint32_t schedule;       /* one HESTIA_JOB_* */
  uint32_t seconds;        /* interval (>= 1), or seconds after midnight UTC (< 86400) */
  uint32_t reserved;       /* 0 */
  hestia_string_view name; /* unique within the plug-in */
  hestia_job_fn handler;
  void* user_data;
} hestia_job_def;

/* One committed resource change, read from the transactional outbox.
 * OWNERSHIP: host-owned, borrowed for the duration of the handler call (R3). */
typedef struct hestia_event {
  uint32_t struct_size;
  uint32_t interaction; /* one HESTIA_WRITE_* (a create is version 1 by POST or PUT) */
  int64_t sequence;     /* the outbox position; increases per subscriber */
  hestia_string_view type;
  hestia_string_view id;
  int64_t version;
  int64_t last_updated_micros; /* since the Unix epoch */
  hestia_string_view resource; /* the version's JSON; empty for deletes */
} hestia_event;

/* Receives one event; the call's user is the system. HESTIA_OK advances the subscriber's
 * position; HESTIA_ERR_UNAVAILABLE asks for redelivery later; any other error is logged and the
 * event skipped. Delivery is at least once, in commit order per subscriber. */
typedef hestia_status (*hestia_event_fn)(void* user_data, hestia_call* call,
                                         const hestia_event* event);

/* OWNERSHIP: as hestia_operation_def (copied during subscribe). */
typedef struct hestia_subscription_def {
  uint32_t struct_size;
  uint32_t interactions;   /* HESTIA_WRITE_* flags; 0 means all */
  hestia_string_view type; /* resource type; empty: every type */
  hestia_string_view name; /* unique within the plug-in; names the stored position */
  hestia_event_fn handler;
  void* user_data;
} hestia_subscription_def;

/* ---- The host function table ------------------------------------------------------------ */

/* OWNERSHIP: host-owned, static for the life of the process; append-only (R1, R2). */
typedef struct hestia_host_api {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t reserved;

  /* Writes a structured log line attributed to the plug-in. (Not named `log`: <tgmath.h>
   * makes that a macro.) */
  void (*log_message)(hestia_host* host, int32_t level, hestia_string_view message);

  /* Records the error of the current callback: the status code picks the HTTP status and
   * OperationOutcome issue.code, `diagnostics` becomes issue.diagnostics and `expression`
   * (optional, a FHIRPath) issue.expression. The last call wins. */
  void (*set_error)(hestia_call* call, hestia_status code, hestia_string_view diagnostics,
                    hestia_string_view expression);

  /* The response of an operation handler: an HTTP status (200..299) and a resource (R6). The
   * host copies the body. HESTIA_ERR_STATE outside an operation handler. */
  hestia_status (*respond)(hestia_call* call, int32_t http_status, hestia_string_view resource);

  /* The text of a buffer; valid until buffer_release. */
  hestia_string_view (*buffer_data)(const hestia_buffer* buffer);
  /* Destroys a buffer the host created (R4). NULL is ignored. */
  void (*buffer_release)(hestia_buffer* buffer);

  /* FHIR interactions as the calling user, through the same code paths (and interceptors) as
   * HTTP requests. Each returns HESTIA_OK and the result in *out (a resource, or a Bundle for
   * search and transaction), or an error code and an OperationOutcome in *out. *out is always
   * set (release it) unless the arguments are invalid (HESTIA_ERR_INVALID, *out NULL).
   * Not available during init (HESTIA_ERR_STATE). */
  hestia_status (*read)(hestia_call* call, hestia_string_view type, hestia_string_view id,
                        hestia_buffer** out);
  /* `query` is a URL query string without '?', e.g. "name=smith&_count=10". */
  hestia_status (*search)(hestia_call* call, hestia_string_view type, hestia_string_view query,
                          hestia_buffer** out);
  hestia_status (*create)(hestia_call* call, hestia_string_view type, hestia_string_view resource,
                          hestia_buffer** out);
  hestia_status (*update)(hestia_call* call, hestia_string_view type, hestia_string_view id,
                          hestia_string_view resource, hestia_buffer** out);
  /* On success *out holds an informational OperationOutcome. */
  hestia_status (*delete_resource)(hestia_call* call, hestia_string_view type,
                                   hestia_string_view id, hestia_buffer** out);
  /* `bundle` is a transaction (or batch) Bundle; *out the response Bundle. */
  hestia_status (*transaction)(hestia_call* call, hestia_string_view bundle, hestia_buffer** out);

  /* The value of `key` (dotted, relative to the plug-in's `config` in hestia.yaml) as text.
   * HESTIA_ERR_NOT_FOUND (*out NULL) when absent. An empty key gives the whole subtree as a
   * JSON object. */
  hestia_status (*config_get)(hestia_host* host, hestia_string_view key, hestia_buffer** out);

  /* Wall-clock time in microseconds since the Unix epoch (UTC). */
  int64_t (*now_micros)(hestia_host* host);

  /* Registration; only during init (HESTIA_ERR_STATE afterwards). HESTIA_ERR_INVALID with a
   * logged reason for a malformed definition or a duplicate name. */
  hestia_status (*register_operation)(hestia_host* host, const hestia_operation_def* def);
  hestia_status (*register_interceptor)(hestia_host* host, const hestia_interceptor_def* def);
  hestia_status (*register_job)(hestia_host* host, const hestia_job_def* def);
  hestia_status (*subscribe)(hestia_host* host, const hestia_subscription_def* def);
} hestia_host_api;

/* ---- The plug-in descriptor ------------------------------------------------------------- */

/* Called once after the host has checked the descriptor. The plug-in registers what it offers
 * and stores its state in *state (passed back to shutdown). Returns HESTIA_OK, or an error code
 * (with a log line explaining it) to refuse loading; the host then calls no other function of
 * the plug-in and fails start-up. `api` and `host` stay valid until shutdown returns. */
typedef hestia_status (*hestia_init_fn)(const hestia_host_api* api, hestia_host* host,
                                        void** state);
/* Called once at server shutdown, after the last callback has returned. */
typedef void (*hestia_shutdown_fn)(void* state);

/* OWNERSHIP: plug-in-owned, static storage in the plug-in; must stay valid until the host
 * unloads the plug-in. The host reads only the fields inside struct_size. */
typedef struct hestia_plugin_descriptor {
  uint32_t struct_size;
  uint32_t magic;              /* HESTIA_PLUGIN_MAGIC */
  uint32_t abi_major;          /* HESTIA_PLUGIN_ABI_MAJOR the plug-in was built for */
  uint32_t abi_minor_required; /* lowest host minor it needs */
  const char* name;            /* NUL-terminated, [a-z0-9_-]+, unique per server */
  const char* version;         /* NUL-terminated, the plug-in's own version */
  hestia_init_fn init;
  hestia_shutdown_fn shutdown;
} hestia_plugin_descriptor;

/* The one exported symbol. Returns the plug-in's descriptor (never NULL); must not fail, block
 * or call back into the host. */
typedef const hestia_plugin_descriptor* (*hestia_plugin_entry_fn)(void);
HESTIA_PLUGIN_EXPORT const hestia_plugin_descriptor* hestia_plugin_entry_v1(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HESTIA_PLUGIN_H_ */
