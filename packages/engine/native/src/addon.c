/*
 * The Node-API half of the companion. It is context-aware (NAPI_MODULE_INIT): the main thread and every
 * worker thread get their own exports object over the same process-global slot table, and it keeps no
 * per-environment state, so nothing needs cleaning up when a worker exits.
 */
#include "addon.h"

#include <stdio.h>
#include <stdlib.h>

#include <node_api.h>

#define RC_ERR_INVALID_ARGUMENT "ERR_RAPSQLITE_INVALID_ARGUMENT"
#define RC_ERR_CLOSED "ERR_RAPSQLITE_CLOSED"
#define RC_MAX_SAFE_INTEGER 9007199254740991.0

/* Any failing napi_* call leaves a pending exception or is a programming error: bail out with undefined. */
#define RC_CALL(env, call)                \
  do {                                    \
    if ((call) != napi_ok) return NULL;   \
  } while (0)

static napi_value rc_boolean(napi_env env, int value) {
  napi_value result;
  RC_CALL(env, napi_get_boolean(env, value != 0, &result));
  return result;
}

static int rc_is_nullish(napi_env env, napi_value value) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return 0;
  return type == napi_undefined || type == napi_null;
}

/* Reads a safe non-negative integer; throws and returns -1 otherwise. */
static int rc_get_id(napi_env env, napi_value value, const char *what, double *out) {
  napi_valuetype type;
  double number;
  if (napi_typeof(env, value, &type) != napi_ok) return -1;
  if (type != napi_number || napi_get_value_double(env, value, &number) != napi_ok || !(number >= 0) ||
      number > RC_MAX_SAFE_INTEGER || number != (double)(int64_t)number) {
    char message[96];
    snprintf(message, sizeof(message), "%s must be a non-negative safe integer", what);
    napi_throw_type_error(env, RC_ERR_INVALID_ARGUMENT, message);
    return -1;
  }
  *out = number;
  return 0;
}

/* Looks up a live slot owned by the calling thread; throws when there is none (declared in addon.h). */
rc_conn *rc_owned_conn(napi_env env, double slot) {
  rc_conn *conn;
  int owned;
  rc_lock();
  conn = rc_slot_find_locked(slot);
  owned = conn != NULL && rc_same_thread(conn->owner, rc_current_thread());
  rc_unlock();
  if (conn == NULL) {
    napi_throw_error(env, RC_ERR_CLOSED, "the companion slot does not name an open connection");
    return NULL;
  }
  /* The connection can only close on its owner thread, i.e. this one, so it stays valid after unlocking. */
  if (!owned) {
    napi_throw_error(env, RC_ERR_INVALID_ARGUMENT,
                     "this companion call must run on the thread that owns the connection");
    return NULL;
  }
  return conn;
}

/* setActive(slot, token): records the request now running on the connection (0: none). */
static napi_value rc_js_set_active(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  double slot, token;
  rc_conn *conn;
  RC_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, RC_ERR_INVALID_ARGUMENT, "setActive(slot, token) needs two arguments");
    return NULL;
  }
  if (rc_get_id(env, argv[0], "slot", &slot) != 0 || rc_get_id(env, argv[1], "token", &token) != 0) return NULL;
  rc_lock();
  conn = rc_slot_find_locked(slot);
  if (conn != NULL) {
    conn->active_token = (int64_t)token;
    rc_atomic_store(&conn->cancelled, 0);
  }
  rc_unlock();
  return rc_boolean(env, conn != NULL);
}

/* interrupt(slot, token?): interrupts the connection if it is open and (when given) token is the active one. */
static napi_value rc_js_interrupt(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  double slot, token = 0;
  int any = 1, done = 0;
  rc_conn *conn;
  RC_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, RC_ERR_INVALID_ARGUMENT, "interrupt(slot, token?) needs a slot");
    return NULL;
  }
  if (rc_get_id(env, argv[0], "slot", &slot) != 0) return NULL;
  if (argc >= 2 && !rc_is_nullish(env, argv[1])) {
    if (rc_get_id(env, argv[1], "token", &token) != 0) return NULL;
    any = 0;
  }
  rc_lock();
  conn = rc_slot_find_locked(slot);
  if (conn != NULL && (any || (token != 0 && conn->active_token == (int64_t)token))) {
    /* Sticky for the rest of the request, so that statements it starts later stop too (see rc_conn). Not when
     * no request is active: a caller that never uses setActive would otherwise interrupt every later statement. */
    if (conn->active_token != 0) rc_atomic_store(&conn->cancelled, 1);
    rc_fence();
    /* sqlite3_interrupt is safe from any thread; the mutex keeps the connection from being freed meanwhile. */
    conn->api->interruptx(conn->db);
    done = 1;
  }
  rc_unlock();
  return rc_boolean(env, done);
}

/* isLive(slot): whether the slot names an open connection. */
static napi_value rc_js_is_live(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  double slot;
  int live;
  RC_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, RC_ERR_INVALID_ARGUMENT, "isLive(slot) needs a slot");
    return NULL;
  }
  if (rc_get_id(env, argv[0], "slot", &slot) != 0) return NULL;
  rc_lock();
  live = rc_slot_find_locked(slot) != NULL;
  rc_unlock();
  return rc_boolean(env, live);
}

/*
 * isInterrupted(slot): whether SQLite's interrupt flag is set on the connection. It stays set after the
 * interrupted statement ends while any other statement (an open cursor) is still running, and then fails every
 * statement that steps, until all of them are reset or finalized.
 */
static napi_value rc_js_is_interrupted(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  double slot;
  int interrupted = 0;
  rc_conn *conn;
  RC_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, RC_ERR_INVALID_ARGUMENT, "isInterrupted(slot) needs a slot");
    return NULL;
  }
  if (rc_get_id(env, argv[0], "slot", &slot) != 0) return NULL;
  rc_lock();
  conn = rc_slot_find_locked(slot);
  /* sqlite3_is_interrupted exists from SQLite 3.41.0 on. */
  if (conn != NULL && conn->api->libversion_number() >= 3041000) interrupted = conn->api->is_interrupted(conn->db);
  rc_unlock();
  return rc_boolean(env, interrupted);
}

/* liveSlots(): how many connections currently hold a slot in this process. */
static napi_value rc_js_live_slots(napi_env env, napi_callback_info info) {
  napi_value result;
  uint32_t count;
  (void)info;
  rc_lock();
  count = rc_slot_count_locked();
  rc_unlock();
  RC_CALL(env, napi_create_uint32(env, count, &result));
  return result;
}

/* Copies a JavaScript string array into a malloc'd list of UTF-8 strings; throws and returns -1 on failure. */
static int rc_get_string_list(napi_env env, napi_value value, const char *what, char ***out, size_t *count) {
  bool is_array;
  uint32_t length, i;
  char **list;
  *out = NULL;
  *count = 0;
  if (rc_is_nullish(env, value)) return 0;
  if (napi_is_array(env, value, &is_array) != napi_ok) return -1;
  if (!is_array) {
    char message[96];
    snprintf(message, sizeof(message), "%s must be an array of strings", what);
    napi_throw_type_error(env, RC_ERR_INVALID_ARGUMENT, message);
    return -1;
  }
  if (napi_get_array_length(env, value, &length) != napi_ok) return -1;
  if (length == 0) return 0;
  list = (char **)calloc(length, sizeof(*list));
  if (list == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return -1;
  }
  for (i = 0; i < length; i++) {
    napi_value element;
    napi_valuetype type;
    size_t size;
    if (napi_get_element(env, value, i, &element) != napi_ok || napi_typeof(env, element, &type) != napi_ok) break;
    if (type != napi_string) {
      char message[96];
      snprintf(message, sizeof(message), "%s must be an array of strings", what);
      napi_throw_type_error(env, RC_ERR_INVALID_ARGUMENT, message);
      break;
    }
    if (napi_get_value_string_utf8(env, element, NULL, 0, &size) != napi_ok) break;
    list[i] = (char *)malloc(size + 1);
    if (list[i] == NULL) {
      napi_throw_error(env, NULL, "out of memory");
      break;
    }
    if (napi_get_value_string_utf8(env, element, list[i], size + 1, &size) != napi_ok) break;
  }
  *out = list;
  *count = length;
  return i == length ? 0 : -1;
}

/*
 * setAuthorizer(slot, denyMask, denyTables, pragmasAnyArg, pragmasNoArg) installs an authorizer;
 * setAuthorizer(slot, null) removes it. Owner thread only: sqlite3_set_authorizer is not thread-safe on a
 * connection opened without a mutex, and the callback reads the rules without locking.
 */
static napi_value rc_js_set_authorizer(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  double slot, mask;
  rc_conn *conn;
  rc_rules *rules;
  int rc;
  RC_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, RC_ERR_INVALID_ARGUMENT, "setAuthorizer(slot, rules) needs two arguments");
    return NULL;
  }
  if (rc_get_id(env, argv[0], "slot", &slot) != 0) return NULL;
  conn = rc_owned_conn(env, slot);
  if (conn == NULL) return NULL;
  if (rc_is_nullish(env, argv[1])) {
    rc = rc_install_authorizer(conn, NULL);
  } else {
    if (rc_get_id(env, argv[1], "denyMask", &mask) != 0) return NULL;
    rules = (rc_rules *)calloc(1, sizeof(*rules));
    if (rules == NULL) {
      napi_throw_error(env, NULL, "out of memory");
      return NULL;
    }
    rules->deny_mask = (uint64_t)mask;
    if ((argc > 2 && rc_get_string_list(env, argv[2], "denyTables", &rules->deny_tables, &rules->n_deny_tables)) ||
        (argc > 3 &&
         rc_get_string_list(env, argv[3], "pragmasAnyArg", &rules->pragmas_any_arg, &rules->n_pragmas_any_arg)) ||
        (argc > 4 &&
         rc_get_string_list(env, argv[4], "pragmasNoArg", &rules->pragmas_no_arg, &rules->n_pragmas_no_arg))) {
      rc_rules_free(rules);
      return NULL;
    }
    rc = rc_install_authorizer(conn, rules);
  }
  if (rc != SQLITE_OK) {
    napi_throw_error(env, NULL, "sqlite3_set_authorizer failed");
    return NULL;
  }
  return NULL;
}

/* Reads a string argument into a malloc'd buffer; throws and returns NULL on failure. */
static char *rc_get_string(napi_env env, napi_value value, const char *what) {
  size_t length;
  char *out;
  napi_valuetype type;
  char message[96];
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_string ||
      napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) {
    snprintf(message, sizeof(message), "%s must be a string", what);
    napi_throw_type_error(env, RC_ERR_INVALID_ARGUMENT, message);
    return NULL;
  }
  out = (char *)malloc(length + 1);
  if (out == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  if (napi_get_value_string_utf8(env, value, out, length + 1, &length) != napi_ok) {
    free(out);
    return NULL;
  }
  return out;
}

/*
 * registerInnocuous(slot, name, impl, nArgs, deterministic): makes `name` an innocuous SQL function forwarding to
 * `impl`. Owner thread only.
 */
static napi_value rc_js_register_innocuous(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  double slot;
  int32_t n_args;
  bool deterministic = false;
  rc_conn *conn;
  char *name = NULL, *impl = NULL;
  int rc;
  RC_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, RC_ERR_INVALID_ARGUMENT, "registerInnocuous(slot, name, impl, nArgs, deterministic?) needs four arguments");
    return NULL;
  }
  if (rc_get_id(env, argv[0], "slot", &slot) != 0) return NULL;
  if (napi_get_value_int32(env, argv[3], &n_args) != napi_ok || n_args < -1 || n_args > 127) {
    napi_throw_type_error(env, RC_ERR_INVALID_ARGUMENT, "nArgs must be an integer from -1 to 127");
    return NULL;
  }
  if (argc > 4) napi_get_value_bool(env, argv[4], &deterministic);
  conn = rc_owned_conn(env, slot);
  if (conn == NULL) return NULL;
  name = rc_get_string(env, argv[1], "name");
  if (name == NULL) return NULL;
  impl = rc_get_string(env, argv[2], "impl");
  if (impl == NULL) {
    free(name);
    return NULL;
  }
  rc = rc_register_innocuous(conn, name, impl, n_args, deterministic ? 1 : 0);
  free(name);
  free(impl);
  if (rc != SQLITE_OK) {
    napi_throw_error(env, NULL, "sqlite3_create_function_v2 failed for an innocuous function");
    return NULL;
  }
  return NULL;
}

/*
 * takeProfile(slot, out): writes [statement count, total ns, last statement ns] into the Float64Array out and
 * resets the counters. Owner thread only (the counters are written by SQLite callbacks on that thread).
 */
static napi_value rc_js_take_profile(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  double slot;
  rc_conn *conn;
  bool is_typed_array;
  napi_typedarray_type type;
  size_t length;
  void *data;
  double *out;
  RC_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, RC_ERR_INVALID_ARGUMENT, "takeProfile(slot, out) needs two arguments");
    return NULL;
  }
  if (rc_get_id(env, argv[0], "slot", &slot) != 0) return NULL;
  RC_CALL(env, napi_is_typedarray(env, argv[1], &is_typed_array));
  if (is_typed_array) RC_CALL(env, napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL));
  if (!is_typed_array || type != napi_float64_array || length < 3) {
    napi_throw_type_error(env, RC_ERR_INVALID_ARGUMENT, "out must be a Float64Array of length 3 or more");
    return NULL;
  }
  conn = rc_owned_conn(env, slot);
  if (conn == NULL) return NULL;
  out = (double *)data;
  out[0] = conn->profile_count;
  out[1] = conn->profile_total_ns;
  out[2] = conn->profile_last_ns;
  conn->profile_count = 0;
  conn->profile_total_ns = 0;
  conn->profile_last_ns = 0;
  return NULL;
}

/*
 * schemaProbe(slot): a signature of how often the connection's prepared statements were recompiled by SQLite after
 * a schema change (SQLITE_STMTSTATUS_REPREPARE), weighted by each statement's address so that a statement
 * finalized in the meantime cannot cancel another's recompilation. It changes exactly when some statement was
 * recompiled since the last call (or one that had been was finalized). A statement compiled against an old schema
 * is recompiled at its first step after the change, so the worker probes after a statement ran instead of reading
 * PRAGMA schema_version, which costs a read transaction, before every batch. Owner thread only.
 */
static napi_value rc_js_schema_probe(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  double slot;
  rc_conn *conn;
  sqlite3_stmt *stmt;
  uint64_t signature = 0;
  napi_value out;
  RC_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, RC_ERR_INVALID_ARGUMENT, "schemaProbe(slot) needs one argument");
    return NULL;
  }
  if (rc_get_id(env, argv[0], "slot", &slot) != 0) return NULL;
  conn = rc_owned_conn(env, slot);
  if (conn == NULL) return NULL;
  for (stmt = conn->api->next_stmt(conn->db, NULL); stmt != NULL; stmt = conn->api->next_stmt(conn->db, stmt)) {
    int count = conn->api->stmt_status(stmt, SQLITE_STMTSTATUS_REPREPARE, 0);
    if (count != 0) {
      /* A 64-bit mix (splitmix64's finalizer) of the address, so that equal sums of counts do not collide. */
      uint64_t h = (uint64_t)(uintptr_t)stmt;
      h = (h ^ (h >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
      h = (h ^ (h >> 27)) * UINT64_C(0x94d049bb133111eb);
      h ^= h >> 31;
      signature += h * (uint64_t)count;
    }
  }
  /* 53 bits: exact as a JavaScript number. */
  RC_CALL(env, napi_create_double(env, (double)(signature & UINT64_C(0x1fffffffffffff)), &out));
  return out;
}

/* Declared in addon.h, for hooks.c and fastpath.c too. */
int rc_set_function(napi_env env, napi_value exports, const char *name, napi_callback callback) {
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, NULL, &fn) != napi_ok) return -1;
  return napi_set_named_property(env, exports, name, fn) == napi_ok ? 0 : -1;
}

static int rc_set_string(napi_env env, napi_value exports, const char *name, const char *value) {
  napi_value string;
  if (napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &string) != napi_ok) return -1;
  return napi_set_named_property(env, exports, name, string) == napi_ok ? 0 : -1;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value abi;
  if (rc_set_function(env, exports, "setActive", rc_js_set_active) != 0 ||
      rc_set_function(env, exports, "interrupt", rc_js_interrupt) != 0 ||
      rc_set_function(env, exports, "isLive", rc_js_is_live) != 0 ||
      rc_set_function(env, exports, "isInterrupted", rc_js_is_interrupted) != 0 ||
      rc_set_function(env, exports, "liveSlots", rc_js_live_slots) != 0 ||
      rc_set_function(env, exports, "setAuthorizer", rc_js_set_authorizer) != 0 ||
      rc_set_function(env, exports, "takeProfile", rc_js_take_profile) != 0 ||
      rc_set_function(env, exports, "schemaProbe", rc_js_schema_probe) != 0 ||
      rc_set_function(env, exports, "registerInnocuous", rc_js_register_innocuous) != 0 ||
      rc_hooks_exports(env, exports) != 0 ||
      rc_fast_exports(env, exports) != 0 ||
      rc_set_string(env, exports, "version", RC_VERSION) != 0 ||
      rc_set_string(env, exports, "entryPoint", RC_ENTRY_POINT) != 0 ||
      rc_set_string(env, exports, "slotFunction", RC_SLOT_FUNCTION) != 0 ||
      napi_create_uint32(env, RC_ABI_VERSION, &abi) != napi_ok ||
      napi_set_named_property(env, exports, "abiVersion", abi) != napi_ok) {
    return NULL;
  }
  return exports;
}
