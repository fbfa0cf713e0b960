/*
 * The SQLite-extension half of the companion.
 *
 * better-sqlite3 links SQLite statically and exports none of its symbols, so every SQLite call goes through
 * the API table passed to the entry point. A process could hold several SQLite copies (better-sqlite3,
 * node:sqlite...), each with its own table and its own struct layouts; SQLITE_EXTENSION_INIT1's single global
 * table cannot serve two of them, so the companion binds to the first copy that loads it and refuses others.
 */
#define _POSIX_C_SOURCE 200809L

#include "companion.h"

#include <stdlib.h>
#ifndef _WIN32
#include <time.h>
#endif

SQLITE_EXTENSION_INIT1

#ifdef _WIN32
#define RC_EXPORT __declspec(dllexport)
#else
#define RC_EXPORT __attribute__((visibility("default")))
#endif

static int rc_ascii_ieq(const char *a, const char *b) {
  for (;; a++, b++) {
    unsigned char ca = (unsigned char)*a, cb = (unsigned char)*b;
    if (ca >= 'A' && ca <= 'Z') ca = (unsigned char)(ca + 32);
    if (cb >= 'A' && cb <= 'Z') cb = (unsigned char)(cb + 32);
    if (ca != cb) return 0;
    if (ca == 0) return 1;
  }
}

static int rc_in_list(char *const *list, size_t n, const char *name) {
  size_t i;
  if (name == NULL) return 0;
  for (i = 0; i < n; i++) {
    if (rc_ascii_ieq(list[i], name)) return 1;
  }
  return 0;
}

/* The argument of an authorizer call that names the table the action touches, or NULL. */
static const char *rc_table_of(int action, const char *arg1, const char *arg2) {
  switch (action) {
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_DELETE:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_INSERT:
    case SQLITE_READ:
    case SQLITE_UPDATE:
    case SQLITE_ANALYZE:
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_VTABLE:
      return arg1;
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_ALTER_TABLE:
      return arg2;
    default:
      return NULL;
  }
}

/* Runs on the owner thread, while a statement is prepared; rules are only replaced on that thread. */
static int rc_authorize(void *ctx, int action, const char *arg1, const char *arg2, const char *schema,
                        const char *trigger) {
  const rc_rules *rules = ((const rc_conn *)ctx)->rules;
  (void)schema;
  (void)trigger;
  if (rules == NULL) return SQLITE_OK;
  if (action >= 0 && action < 64 && (rules->deny_mask & ((uint64_t)1 << action)) != 0) {
    if (action != SQLITE_PRAGMA) return SQLITE_DENY;
    if (!rc_in_list(rules->pragmas_any_arg, rules->n_pragmas_any_arg, arg1) &&
        !(arg2 == NULL && rc_in_list(rules->pragmas_no_arg, rules->n_pragmas_no_arg, arg1))) {
      return SQLITE_DENY;
    }
  }
  if (rules->n_deny_tables > 0 &&
      rc_in_list(rules->deny_tables, rules->n_deny_tables, rc_table_of(action, arg1, arg2))) {
    return SQLITE_DENY;
  }
  return SQLITE_OK;
}

/*
 * Runs at each statement start (SQLITE_TRACE_STMT) and end (SQLITE_TRACE_PROFILE), on the owner thread.
 *
 * Statement profiling. SQLite's own profile time has millisecond resolution (it reads the VFS clock), useless
 * for microsecond statements, so the start is taken from a monotonic clock at SQLITE_TRACE_STMT and the end at
 * SQLITE_TRACE_PROFILE. Cursors may interleave on one connection, hence a small ring keyed by statement.
 */
static int rc_trace(unsigned type, void *ctx, void *p, void *x) {
  rc_conn *conn = (rc_conn *)ctx;
  unsigned i;
  if (type == SQLITE_TRACE_STMT) {
    const char *sql = (const char *)x;
    int64_t now;
    /*
     * Pairs with the fence in interrupt(): SQLite cleared its interrupt flag before this callback, and either
     * this load sees `cancelled`, or the interrupter's sqlite3_interrupt landed after that clearing.
     */
    rc_fence();
    if (rc_atomic_load(&conn->cancelled)) conn->api->interruptx(conn->db);
    now = rc_now_ns();
    for (i = 0; i < RC_PROFILE_RING; i++) {
      if (conn->starts[i].stmt == p) {
        /* A trigger program reports "-- TRIGGER name" under its outer statement: keep the outer start. */
        if (sql != NULL && sql[0] == '-' && sql[1] == '-') return 0;
        conn->starts[i].start_ns = now;
        return 0;
      }
    }
    i = conn->next_start;
    conn->next_start = (i + 1) % RC_PROFILE_RING;
    conn->starts[i].stmt = p;
    conn->starts[i].start_ns = now;
  } else if (type == SQLITE_TRACE_PROFILE) {
    int64_t now = rc_now_ns();
    double elapsed = (double)*(const sqlite3_int64 *)x;
    for (i = 0; i < RC_PROFILE_RING; i++) {
      if (conn->starts[i].stmt == p) {
        elapsed = (double)(now - conn->starts[i].start_ns);
        conn->starts[i].stmt = NULL;
        break;
      }
    }
    conn->profile_count += 1;
    conn->profile_total_ns += elapsed;
    conn->profile_last_ns = elapsed;
  }
  return 0;
}

/*
 * Interruptible lock waits. SQLite's default busy handler sleeps through the VFS's xSleep between attempts and never
 * looks at sqlite3_interrupt, so a statement waiting for another connection's lock could not be cancelled before its
 * busy timeout. The companion wraps the connection's VFS xSleep (once per SQLite copy): a thread whose connection's
 * request was cancelled sleeps no more, the handler's loop runs out at once, and the statement fails with
 * SQLITE_BUSY, which the caller reports as the cancellation. SQLite's own handler and PRAGMA busy_timeout are kept
 * as they are. A thread owns one connection (a worker), so a thread-local pointer finds it.
 */
#ifdef _MSC_VER
static __declspec(thread) rc_conn *rc_thread_conn;
#else
static _Thread_local rc_conn *rc_thread_conn;
#endif

/* Sleeps `micros` microseconds. The wrapped xSleep chains to nothing: a wrapped VFS may belong to an SQLite copy that
   is unloaded and loaded again while the companion stays, so no pointer into a copy is kept. */
static void rc_nap(int micros) {
#ifdef _WIN32
  Sleep((DWORD)((micros + 999) / 1000));
#else
  struct timespec t;
  t.tv_sec = micros / 1000000;
  t.tv_nsec = (long)(micros % 1000000) * 1000L;
  while (nanosleep(&t, &t) != 0) {
  }
#endif
}

static int rc_cancel_pending(rc_conn *conn) {
  if (rc_atomic_load(&conn->cancelled)) return 1;
  return conn->api->libversion_number() >= 3041000 && conn->api->is_interrupted(conn->db);
}

static int rc_sleep(sqlite3_vfs *vfs, int micros) {
  rc_conn *conn = rc_thread_conn;
  int slept = 0;
  (void)vfs;
  if (conn == NULL) {
    rc_nap(micros);
    return micros;
  }
  while (slept < micros && !rc_cancel_pending(conn)) {
    int step = micros - slept < 1000 ? micros - slept : 1000;
    rc_nap(step);
    slept += step;
  }
  return slept;
}

/* Wraps the xSleep of db's VFS (once per VFS; a connection on a VFS without xSleep keeps SQLite's waits). */
static void rc_wrap_sleep(const sqlite3_api_routines *api, sqlite3 *db) {
  sqlite3_vfs *vfs = NULL;
  if (api->file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) != SQLITE_OK || vfs == NULL) return;
  if (vfs->xSleep != NULL && vfs->xSleep != rc_sleep) vfs->xSleep = rc_sleep;
}

/* A forwarding function: the connection and the name of the function it calls. */
typedef struct rc_forward {
  const sqlite3_api_routines *api;
  sqlite3 *db;
  char *impl;
} rc_forward;

static void rc_forward_free(void *p) {
  rc_forward *forward = (rc_forward *)p;
  if (forward == NULL) return;
  forward->api->free(forward->impl);
  free(forward);
}

/*
 * Runs `SELECT impl(?, …)` with the call's arguments and returns its value. The statement is prepared per call and
 * finalized at once: a statement kept across calls would keep the connection from closing (sqlite3_close refuses
 * while statements exist). The nested statement is a direct call, which trusted_schema = OFF allows.
 */
static void rc_forward_call(sqlite3_context *context, int argc, sqlite3_value **argv) {
  rc_forward *forward = (rc_forward *)sqlite3_user_data(context);
  const sqlite3_api_routines *api = forward->api;
  sqlite3_str *sql = api->str_new(forward->db);
  sqlite3_stmt *stmt = NULL;
  char *text;
  int i, rc;
  api->str_appendf(sql, "SELECT \"%w\"(", forward->impl);
  for (i = 0; i < argc; i++) api->str_appendall(sql, i == 0 ? "?" : ",?");
  api->str_appendall(sql, ")");
  text = api->str_finish(sql);
  if (text == NULL) {
    api->result_error_nomem(context);
    return;
  }
  rc = api->prepare_v2(forward->db, text, -1, &stmt, NULL);
  api->free(text);
  if (rc != SQLITE_OK) {
    api->result_error(context, api->errmsg(forward->db), -1);
    api->result_error_code(context, rc);
    return;
  }
  for (i = 0; i < argc; i++) api->bind_value(stmt, i + 1, argv[i]);
  rc = api->step(stmt);
  if (rc == SQLITE_ROW) {
    api->result_value(context, api->column_value(stmt, 0));
  } else {
    api->result_error(context, api->errmsg(forward->db), -1);
    api->result_error_code(context, api->extended_errcode(forward->db));
  }
  api->finalize(stmt);
}

int rc_register_innocuous(rc_conn *conn, const char *name, const char *impl, int n_args, int deterministic) {
  const sqlite3_api_routines *api = conn->api;
  rc_forward *forward;
  int flags = SQLITE_UTF8 | SQLITE_INNOCUOUS | (deterministic ? SQLITE_DETERMINISTIC : 0);
  forward = (rc_forward *)calloc(1, sizeof(*forward));
  if (forward == NULL) return SQLITE_NOMEM;
  forward->api = api;
  forward->db = conn->db;
  forward->impl = api->mprintf("%s", impl);
  if (forward->impl == NULL) {
    free(forward);
    return SQLITE_NOMEM;
  }
  /* On failure SQLite calls rc_forward_free itself. */
  return api->create_function_v2(conn->db, name, n_args, flags, forward, rc_forward_call, NULL, NULL, rc_forward_free);
}

static void rc_slot_function(sqlite3_context *context, int argc, sqlite3_value **argv) {
  const rc_conn *conn = (const rc_conn *)sqlite3_user_data(context);
  (void)argc;
  (void)argv;
  conn->api->result_int64(context, (sqlite3_int64)conn->id);
}

/*
 * The slot function's destructor. SQLite calls it when the connection closes (after every statement is
 * finalized, before the sqlite3 object is freed), or when the function is replaced. Clearing the slot under
 * the table mutex is what keeps interrupt() from ever reaching a freed connection.
 */
static void rc_conn_destroy(void *p) {
  rc_conn *conn = (rc_conn *)p;
  rc_slot_release(conn);
  if (rc_thread_conn == conn) rc_thread_conn = NULL;
  if (conn->hooks_installed) {
    /* Matters only when the function is replaced on a live connection: the hooks must not outlive conn. */
    conn->api->trace_v2(conn->db, 0, NULL, NULL);
    conn->api->set_authorizer(conn->db, NULL, NULL);
  }
  rc_rules_free(conn->rules);
  rc_changes_free(conn);
  free(conn);
}

int rc_install_authorizer(rc_conn *conn, rc_rules *rules) {
  rc_rules *previous = conn->rules;
  int rc;
  conn->rules = rules;
  rc = conn->api->set_authorizer(conn->db, rules != NULL ? rc_authorize : NULL, rules != NULL ? conn : NULL);
  rc_rules_free(previous);
  return rc;
}

RC_EXPORT int sqlite3_rapsqlitecompanion_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
  rc_conn *conn;
  int rc;
  rc_lock();
  /* Node unloads an addon (better-sqlite3, and the SQLite inside it) when the last thread that loaded it exits, and a
     later worker loads it again at another address. Rebinding is safe when no connection holds a slot: nothing can
     still call through the old table. With live slots, a second SQLite copy is refused. */
  if (sqlite3_api != NULL && sqlite3_api != pApi && rc_slot_count_locked() != 0) {
    rc_unlock();
    if (pzErrMsg != NULL) {
      *pzErrMsg = pApi->mprintf("rapsqlite companion is already bound to another SQLite library in this process");
    }
    return SQLITE_ERROR;
  }
  SQLITE_EXTENSION_INIT2(pApi);
  rc_unlock();
  if (pApi->libversion_number() < 3030000) {
    if (pzErrMsg != NULL) *pzErrMsg = pApi->mprintf("rapsqlite companion needs SQLite 3.30.0 or newer");
    return SQLITE_ERROR;
  }
  conn = (rc_conn *)calloc(1, sizeof(*conn));
  if (conn == NULL) return SQLITE_NOMEM;
  conn->db = db;
  conn->api = pApi;
  conn->owner = rc_current_thread();
  if (rc_slot_register(conn) != 0) {
    free(conn);
    if (pzErrMsg != NULL) *pzErrMsg = pApi->mprintf("rapsqlite companion: no free connection slot");
    return SQLITE_NOMEM;
  }
  /* On failure SQLite calls rc_conn_destroy itself, which releases the slot and frees conn. */
  rc = pApi->create_function_v2(db, RC_SLOT_FUNCTION, 0, SQLITE_UTF8 | SQLITE_DIRECTONLY, conn, rc_slot_function,
                                NULL, NULL, rc_conn_destroy);
  if (rc != SQLITE_OK) {
    if (pzErrMsg != NULL) *pzErrMsg = pApi->mprintf("rapsqlite companion: cannot register %s", RC_SLOT_FUNCTION);
    return rc;
  }
  pApi->trace_v2(db, SQLITE_TRACE_STMT | SQLITE_TRACE_PROFILE, rc_trace, conn);
  conn->hooks_installed = 1;
  rc_lock();
  rc_wrap_sleep(pApi, db);
  rc_unlock();
  rc_thread_conn = conn;
  return SQLITE_OK;
}
