/*
 * The fast path: the connection's owner thread (a worker), while its JavaScript is idle, waits inside C for simple
 * prepared-statement requests and runs them itself, answering the caller's thread through one process-wide Node-API
 * threadsafe function. No JavaScript and no MessagePort run on the worker side, and the connection keeps one thread.
 *
 * Threads and locks:
 * - fastSubmit (caller's thread) copies a request, then under rc_lock() finds the slot and, under the slot's fast
 *   mutex (lock order: rc_lock, then the fast mutex, never the other way round), queues it if the owner is serving.
 * - fastServe (owner thread) allocates the slot's fast state for the duration of one call, publishes it in the
 *   connection under rc_lock(), serves, then unpublishes it under rc_lock() before freeing it. Whoever reaches the
 *   state holds rc_lock() meanwhile, so it never outlives its users. Only the owner thread touches `db`, and only
 *   inside fastServe; the statements it prepares are finalized before fastServe returns (better-sqlite3 closes with
 *   sqlite3_close, which fails while foreign statements exist).
 * - The threadsafe function is guarded by its own leaf mutex: the owner threads call it under that mutex, and its
 *   finalizer (the caller's environment is torn down) clears it under the same mutex, so no thread ever calls a
 *   deleted one.
 */
#if defined(__APPLE__)
#define _DARWIN_C_SOURCE 1
#else
#define _POSIX_C_SOURCE 200809L
#endif

#include "addon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>

#ifndef _WIN32
#include <errno.h>
#include <time.h>
#endif

#define RF_ERR_INVALID_ARGUMENT "ERR_RAPSQLITE_INVALID_ARGUMENT"
#define RF_ERR_INTEGER_OVERFLOW "ERR_RAPSQLITE_INTEGER_OVERFLOW"
#define RF_MAX_SAFE_INTEGER 9007199254740991.0
#define RF_MAX_SAFE_INT64 INT64_C(9007199254740991)
/* Statements kept per fastServe call (least recently used one finalized beyond). */
#define RF_CACHE_SIZE 64

enum { RF_RUN = 0, RF_GET = 1, RF_ALL = 2 };
enum { RF_NUMBER = 0, RF_AUTO = 1, RF_BIGINT = 2 };
enum { RF_OK = 0, RF_ERROR = 1, RF_FALLBACK = 2 };
enum { RF_NULL = 0, RF_DOUBLE = 1, RF_INT64 = 2, RF_TEXT = 3, RF_BLOB = 4 };
/* Reply error codes that are not SQLite's. */
#define RF_CODE_OVERFLOW (-1)

/* ---- Platform: a mutex and a condition variable with a relative timeout. ---- */

#ifdef _WIN32
typedef SRWLOCK rf_mutex;
typedef CONDITION_VARIABLE rf_cond;
static void rf_mutex_init(rf_mutex *m) { InitializeSRWLock(m); }
static void rf_mutex_destroy(rf_mutex *m) { (void)m; }
static void rf_mutex_lock(rf_mutex *m) { AcquireSRWLockExclusive(m); }
static void rf_mutex_unlock(rf_mutex *m) { ReleaseSRWLockExclusive(m); }
static void rf_cond_init(rf_cond *c) { InitializeConditionVariable(c); }
static void rf_cond_destroy(rf_cond *c) { (void)c; }
static void rf_cond_signal(rf_cond *c) { WakeConditionVariable(c); }
static void rf_cond_wait_ns(rf_cond *c, rf_mutex *m, int64_t ns) {
  DWORD ms = (DWORD)((ns + 999999) / 1000000);
  SleepConditionVariableSRW(c, m, ms == 0 ? 1 : ms, 0);
}
#define rf_pause() YieldProcessor()
#else
typedef pthread_mutex_t rf_mutex;
typedef pthread_cond_t rf_cond;
static void rf_mutex_init(rf_mutex *m) { pthread_mutex_init(m, NULL); }
static void rf_mutex_destroy(rf_mutex *m) { pthread_mutex_destroy(m); }
static void rf_mutex_lock(rf_mutex *m) { pthread_mutex_lock(m); }
static void rf_mutex_unlock(rf_mutex *m) { pthread_mutex_unlock(m); }
static void rf_cond_init(rf_cond *c) {
#if defined(__APPLE__)
  pthread_cond_init(c, NULL);
#else
  /* Timeouts on the monotonic clock, the one rc_now_ns reads. */
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(c, &attr);
  pthread_condattr_destroy(&attr);
#endif
}
static void rf_cond_destroy(rf_cond *c) { pthread_cond_destroy(c); }
static void rf_cond_signal(rf_cond *c) { pthread_cond_signal(c); }
static void rf_cond_wait_ns(rf_cond *c, rf_mutex *m, int64_t ns) {
  struct timespec t;
#if defined(__APPLE__)
  t.tv_sec = (time_t)(ns / 1000000000);
  t.tv_nsec = (long)(ns % 1000000000);
  pthread_cond_timedwait_relative_np(c, m, &t);
#else
  int64_t at = rc_now_ns() + ns;
  t.tv_sec = (time_t)(at / 1000000000);
  t.tv_nsec = (long)(at % 1000000000);
  pthread_cond_timedwait(c, m, &t);
#endif
}
#if defined(__x86_64__) || defined(__i386__)
#define rf_pause() __builtin_ia32_pause()
#elif defined(__aarch64__) || defined(__arm__)
#define rf_pause() __asm__ __volatile__("yield")
#else
#define rf_pause() ((void)0)
#endif
#endif

/* ---- Requests and replies. ---- */

/* A byte buffer that grows by doubling; `failed` records an allocation failure. */
typedef struct rf_bytes {
  char *data;
  size_t length;
  size_t capacity;
  int failed;
} rf_bytes;

static int rf_reserve(rf_bytes *b, size_t more) {
  size_t needed = b->length + more, capacity;
  char *data;
  if (needed <= b->capacity) return 0;
  capacity = b->capacity == 0 ? 256 : b->capacity;
  while (capacity < needed) capacity *= 2;
  data = (char *)realloc(b->data, capacity);
  if (data == NULL) {
    b->failed = 1;
    return -1;
  }
  b->data = data;
  b->capacity = capacity;
  return 0;
}

/* Appends n bytes and returns their offset (garbage once `failed` is set). */
static size_t rf_append(rf_bytes *b, const void *bytes, size_t n) {
  size_t at = b->length;
  if (n == 0 || rf_reserve(b, n) != 0) return at;
  memcpy(b->data + at, bytes, n);
  b->length += n;
  return at;
}

typedef struct rf_param {
  int type;
  double d;
  int64_t i;
  /* RF_TEXT, RF_BLOB: bytes in the request's data. */
  size_t offset;
  size_t length;
} rf_param;

struct rf_channel;

typedef struct rf_request {
  struct rf_request *next;
  /* Where the reply goes: the channel of the environment that submitted the request. */
  struct rf_channel *channel;
  double id;
  int kind;
  int mode;
  /* The SQL (NUL-terminated) at offset 0 of data, then the text and blob parameters. */
  size_t sql_length;
  rf_bytes data;
  uint32_t n_params;
  rf_param params[1];
} rf_request;

static void rf_request_free(rf_request *r) {
  if (r == NULL) return;
  free(r->data.data);
  free(r);
}

typedef struct rf_cell {
  int type;
  int64_t i;
  double d;
  size_t offset;
  size_t length;
} rf_cell;

typedef struct rf_reply {
  double slot;
  double id;
  int status;
  int in_transaction;
  int kind;
  int mode;
  /* RF_ERROR: an SQLite extended code or RF_CODE_OVERFLOW, and the message in bytes. */
  int code;
  size_t message_offset;
  size_t message_length;
  /* run */
  int64_t changes;
  int64_t rowid;
  /* get / all: the column names (cells of type RF_TEXT) then n_rows * n_columns cells. */
  int n_columns;
  size_t n_rows;
  rf_cell *cells;
  size_t n_cells;
  size_t cells_capacity;
  int cells_failed;
  rf_bytes bytes;
} rf_reply;

static void rf_reply_free(rf_reply *reply) {
  if (reply == NULL) return;
  free(reply->cells);
  free(reply->bytes.data);
  free(reply);
}

static rf_cell *rf_new_cell(rf_reply *reply) {
  if (reply->n_cells == reply->cells_capacity) {
    size_t capacity = reply->cells_capacity == 0 ? 16 : reply->cells_capacity * 2;
    rf_cell *cells = (rf_cell *)realloc(reply->cells, capacity * sizeof(*cells));
    if (cells == NULL) {
      reply->cells_failed = 1;
      return NULL;
    }
    reply->cells = cells;
    reply->cells_capacity = capacity;
  }
  return &reply->cells[reply->n_cells++];
}

/* ---- Process-wide state. ---- */

/*
 * One channel per environment (thread) that called fastInit: its threadsafe function, guarded by rf_tsfn_mutex (a
 * leaf lock). A channel is never freed: requests in flight point at it, and its tsfn is cleared (under the mutex)
 * when its environment goes away, so that a late reply is dropped instead of sent to a freed function.
 */
#ifdef _WIN32
static SRWLOCK rf_tsfn_mutex = SRWLOCK_INIT;
#else
static pthread_mutex_t rf_tsfn_mutex = PTHREAD_MUTEX_INITIALIZER;
#endif
typedef struct rf_channel {
  napi_env env;
  napi_threadsafe_function tsfn;
  struct rf_channel *next;
} rf_channel;
static rf_channel *rf_channels = NULL;

/* The live channel of env, or NULL. The caller holds rf_tsfn_mutex. */
static rf_channel *rf_channel_of_locked(napi_env env) {
  rf_channel *c;
  for (c = rf_channels; c != NULL; c = c->next) {
    if (c->env == env && c->tsfn != NULL) return c;
  }
  return NULL;
}

static void rf_tsfn_lock(void) {
#ifdef _WIN32
  AcquireSRWLockExclusive(&rf_tsfn_mutex);
#else
  pthread_mutex_lock(&rf_tsfn_mutex);
#endif
}

static void rf_tsfn_unlock(void) {
#ifdef _WIN32
  ReleaseSRWLockExclusive(&rf_tsfn_mutex);
#else
  pthread_mutex_unlock(&rf_tsfn_mutex);
#endif
}

/* Set once by fastKickAll (process exit): fastServe returns at once from then on. */
static rc_atomic_int rf_kick_all = 0;

typedef struct rf_cached {
  char *sql;
  size_t length;
  uint64_t hash;
  sqlite3_stmt *stmt;
  uint64_t used;
} rf_cached;

/* Function names whose verdict is remembered per fastServe call. */
#define RF_VERDICTS 32

typedef struct rf_verdict {
  char *name;
  int unsafe;
} rf_verdict;

/* A slot's fast state, alive for one fastServe call. */
struct rc_fast {
  rf_mutex mutex;
  rf_cond cond;
  /* Under mutex. */
  rf_request *head;
  rf_request *tail;
  int serving;
  /* Written under mutex, polled without it while spinning. */
  rc_atomic_int pending;
  rc_atomic_int kicked;
  /* The serving states, linked under rc_lock() (fastKickAll walks them). */
  struct rc_fast *prev;
  struct rc_fast *next;
  /* Owner thread only. */
  rc_conn *conn;
  rf_cached cache[RF_CACHE_SIZE];
  int n_cached;
  uint64_t clock;
  /* Whether each SQL function name seen so far may be an application-defined one (see rf_may_call_javascript). */
  rf_verdict verdicts[RF_VERDICTS];
  int n_verdicts;
  sqlite3_stmt *function_probe;
};

static struct rc_fast *rf_serving_list = NULL;

/* ---- Argument helpers. ---- */

static int rf_get_number(napi_env env, napi_value value, const char *what, double min, double max, double *out) {
  napi_valuetype type;
  double number;
  if (napi_typeof(env, value, &type) != napi_ok) return -1;
  if (type != napi_number || napi_get_value_double(env, value, &number) != napi_ok || !(number >= min) ||
      number > max || number != (double)(int64_t)number) {
    char message[112];
    snprintf(message, sizeof(message), "%s must be an integer from %.0f to %.0f", what, min, max);
    napi_throw_type_error(env, RF_ERR_INVALID_ARGUMENT, message);
    return -1;
  }
  *out = number;
  return 0;
}

/* ---- The caller's side: the threadsafe function. ---- */

#define RF_CODE(name) {name, #name}
static const struct {
  int code;
  const char *name;
} rf_codes[] = {
    /* The names better-sqlite3 gives (its src/util/constants.cpp), so that both paths report the same codes. Codes
       it does not list (e.g. SQLITE_BUSY_TIMEOUT) become UNKNOWN_SQLITE_ERROR_<n> there, and so they do here. */
    RF_CODE(SQLITE_OK), RF_CODE(SQLITE_ERROR), RF_CODE(SQLITE_INTERNAL), RF_CODE(SQLITE_PERM), RF_CODE(SQLITE_ABORT),
    RF_CODE(SQLITE_BUSY), RF_CODE(SQLITE_LOCKED), RF_CODE(SQLITE_NOMEM), RF_CODE(SQLITE_READONLY),
    RF_CODE(SQLITE_INTERRUPT), RF_CODE(SQLITE_IOERR), RF_CODE(SQLITE_CORRUPT), RF_CODE(SQLITE_NOTFOUND),
    RF_CODE(SQLITE_FULL), RF_CODE(SQLITE_CANTOPEN), RF_CODE(SQLITE_PROTOCOL), RF_CODE(SQLITE_EMPTY),
    RF_CODE(SQLITE_SCHEMA), RF_CODE(SQLITE_TOOBIG), RF_CODE(SQLITE_CONSTRAINT), RF_CODE(SQLITE_MISMATCH),
    RF_CODE(SQLITE_MISUSE), RF_CODE(SQLITE_NOLFS), RF_CODE(SQLITE_AUTH), RF_CODE(SQLITE_FORMAT), RF_CODE(SQLITE_RANGE),
    RF_CODE(SQLITE_NOTADB), RF_CODE(SQLITE_NOTICE), RF_CODE(SQLITE_WARNING), RF_CODE(SQLITE_ROW), RF_CODE(SQLITE_DONE),
    RF_CODE(SQLITE_ERROR_MISSING_COLLSEQ), RF_CODE(SQLITE_ERROR_RETRY), RF_CODE(SQLITE_ERROR_SNAPSHOT),
    RF_CODE(SQLITE_IOERR_READ), RF_CODE(SQLITE_IOERR_SHORT_READ), RF_CODE(SQLITE_IOERR_WRITE),
    RF_CODE(SQLITE_IOERR_FSYNC), RF_CODE(SQLITE_IOERR_DIR_FSYNC), RF_CODE(SQLITE_IOERR_TRUNCATE),
    RF_CODE(SQLITE_IOERR_FSTAT), RF_CODE(SQLITE_IOERR_UNLOCK), RF_CODE(SQLITE_IOERR_RDLOCK),
    RF_CODE(SQLITE_IOERR_DELETE), RF_CODE(SQLITE_IOERR_BLOCKED), RF_CODE(SQLITE_IOERR_NOMEM),
    RF_CODE(SQLITE_IOERR_ACCESS), RF_CODE(SQLITE_IOERR_CHECKRESERVEDLOCK), RF_CODE(SQLITE_IOERR_LOCK),
    RF_CODE(SQLITE_IOERR_CLOSE), RF_CODE(SQLITE_IOERR_DIR_CLOSE), RF_CODE(SQLITE_IOERR_SHMOPEN),
    RF_CODE(SQLITE_IOERR_SHMSIZE), RF_CODE(SQLITE_IOERR_SHMLOCK), RF_CODE(SQLITE_IOERR_SHMMAP),
    RF_CODE(SQLITE_IOERR_SEEK), RF_CODE(SQLITE_IOERR_DELETE_NOENT), RF_CODE(SQLITE_IOERR_MMAP),
    RF_CODE(SQLITE_IOERR_GETTEMPPATH), RF_CODE(SQLITE_IOERR_CONVPATH), RF_CODE(SQLITE_IOERR_VNODE),
    RF_CODE(SQLITE_IOERR_AUTH), RF_CODE(SQLITE_IOERR_BEGIN_ATOMIC), RF_CODE(SQLITE_IOERR_COMMIT_ATOMIC),
    RF_CODE(SQLITE_IOERR_ROLLBACK_ATOMIC), RF_CODE(SQLITE_IOERR_DATA), RF_CODE(SQLITE_IOERR_CORRUPTFS),
    RF_CODE(SQLITE_IOERR_IN_PAGE), RF_CODE(SQLITE_LOCKED_SHAREDCACHE), RF_CODE(SQLITE_LOCKED_VTAB),
    RF_CODE(SQLITE_BUSY_RECOVERY), RF_CODE(SQLITE_BUSY_SNAPSHOT), RF_CODE(SQLITE_CANTOPEN_NOTEMPDIR),
    RF_CODE(SQLITE_CANTOPEN_ISDIR), RF_CODE(SQLITE_CANTOPEN_FULLPATH), RF_CODE(SQLITE_CANTOPEN_CONVPATH),
    RF_CODE(SQLITE_CANTOPEN_DIRTYWAL), RF_CODE(SQLITE_CANTOPEN_SYMLINK), RF_CODE(SQLITE_CORRUPT_VTAB),
    RF_CODE(SQLITE_CORRUPT_SEQUENCE), RF_CODE(SQLITE_CORRUPT_INDEX), RF_CODE(SQLITE_READONLY_RECOVERY),
    RF_CODE(SQLITE_READONLY_CANTLOCK), RF_CODE(SQLITE_READONLY_ROLLBACK), RF_CODE(SQLITE_READONLY_DBMOVED),
    RF_CODE(SQLITE_READONLY_CANTINIT), RF_CODE(SQLITE_READONLY_DIRECTORY), RF_CODE(SQLITE_ABORT_ROLLBACK),
    RF_CODE(SQLITE_CONSTRAINT_CHECK), RF_CODE(SQLITE_CONSTRAINT_COMMITHOOK), RF_CODE(SQLITE_CONSTRAINT_FOREIGNKEY),
    RF_CODE(SQLITE_CONSTRAINT_FUNCTION), RF_CODE(SQLITE_CONSTRAINT_NOTNULL), RF_CODE(SQLITE_CONSTRAINT_PRIMARYKEY),
    RF_CODE(SQLITE_CONSTRAINT_TRIGGER), RF_CODE(SQLITE_CONSTRAINT_UNIQUE), RF_CODE(SQLITE_CONSTRAINT_VTAB),
    RF_CODE(SQLITE_CONSTRAINT_ROWID), RF_CODE(SQLITE_CONSTRAINT_PINNED), RF_CODE(SQLITE_CONSTRAINT_DATATYPE),
    RF_CODE(SQLITE_NOTICE_RECOVER_WAL), RF_CODE(SQLITE_NOTICE_RECOVER_ROLLBACK), RF_CODE(SQLITE_NOTICE_RBU),
    RF_CODE(SQLITE_WARNING_AUTOINDEX), RF_CODE(SQLITE_AUTH_USER), RF_CODE(SQLITE_OK_LOAD_PERMANENTLY),
    RF_CODE(SQLITE_OK_SYMLINK),
};

static napi_status rf_code_string(napi_env env, int code, napi_value *out) {
  size_t i;
  char name[48];
  if (code == RF_CODE_OVERFLOW) return napi_create_string_utf8(env, RF_ERR_INTEGER_OVERFLOW, NAPI_AUTO_LENGTH, out);
  for (i = 0; i < sizeof(rf_codes) / sizeof(rf_codes[0]); i++) {
    if (rf_codes[i].code == code) return napi_create_string_utf8(env, rf_codes[i].name, NAPI_AUTO_LENGTH, out);
  }
  snprintf(name, sizeof(name), "UNKNOWN_SQLITE_ERROR_%d", code);
  return napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, out);
}

/* An INTEGER as the mode wants it; mode number is checked on the owner thread (an unsafe value is an error there). */
static napi_status rf_integer(napi_env env, int64_t v, int bigint, napi_value *out) {
  if (!bigint && v <= RF_MAX_SAFE_INT64 && v >= -RF_MAX_SAFE_INT64) return napi_create_double(env, (double)v, out);
  return napi_create_bigint_int64(env, v, out);
}

static napi_status rf_cell_value(napi_env env, const rf_reply *reply, const rf_cell *cell, napi_value *out) {
  switch (cell->type) {
    case RF_INT64:
      return rf_integer(env, cell->i, reply->mode == RF_BIGINT, out);
    case RF_DOUBLE:
      return napi_create_double(env, cell->d, out);
    case RF_TEXT:
      return napi_create_string_utf8(env, reply->bytes.data + cell->offset, cell->length, out);
    case RF_BLOB:
      return napi_create_buffer_copy(env, cell->length, reply->bytes.data + cell->offset, NULL, out);
    default:
      return napi_get_null(env, out);
  }
}

/* One row object: own enumerable properties in column order (a duplicate name keeps the last column's value). */
static napi_status rf_row(napi_env env, const rf_reply *reply, const napi_value *keys, size_t row, napi_value *out) {
  const rf_cell *cells = reply->cells + reply->n_columns * (row + 1);
  napi_status status = napi_create_object(env, out);
  int c;
  for (c = 0; status == napi_ok && c < reply->n_columns; c++) {
    napi_value value;
    const rf_cell *name = &reply->cells[c];
    status = rf_cell_value(env, reply, &cells[c], &value);
    if (status != napi_ok) break;
    if (name->length == 9 && memcmp(reply->bytes.data + name->offset, "__proto__", 9) == 0) {
      /* Assigning __proto__ would set the prototype: the column becomes an own data property, as on the regular path. */
      napi_property_descriptor own = {NULL, keys[c], NULL, NULL, NULL, value,
                                      (napi_property_attributes)(napi_writable | napi_enumerable | napi_configurable), NULL};
      status = napi_define_properties(env, *out, 1, &own);
    } else {
      status = napi_set_property(env, *out, keys[c], value);
    }
  }
  return status;
}

static napi_status rf_payload(napi_env env, const rf_reply *reply, napi_value *out) {
  napi_status status;
  napi_value keys_small[16], *keys = keys_small;
  size_t r;
  int c;
  if (reply->status == RF_FALLBACK) return napi_get_undefined(env, out);
  if (reply->status == RF_ERROR) {
    napi_value code, message;
    status = napi_create_object(env, out);
    if (status == napi_ok) status = rf_code_string(env, reply->code, &code);
    if (status == napi_ok) {
      status = napi_create_string_utf8(env, reply->bytes.data == NULL ? "" : reply->bytes.data + reply->message_offset,
                                       reply->message_length, &message);
    }
    if (status == napi_ok) status = napi_set_named_property(env, *out, "code", code);
    if (status == napi_ok) status = napi_set_named_property(env, *out, "message", message);
    return status;
  }
  if (reply->kind == RF_RUN) {
    napi_value changes, rowid;
    status = napi_create_array_with_length(env, 2, out);
    if (status == napi_ok) status = napi_create_double(env, (double)reply->changes, &changes);
    if (status == napi_ok) status = rf_integer(env, reply->rowid, reply->mode == RF_BIGINT, &rowid);
    if (status == napi_ok) status = napi_set_element(env, *out, 0, changes);
    if (status == napi_ok) status = napi_set_element(env, *out, 1, rowid);
    return status;
  }
  if (reply->kind == RF_GET && reply->n_rows == 0) return napi_get_undefined(env, out);
  if (reply->n_columns > 16) {
    keys = (napi_value *)malloc((size_t)reply->n_columns * sizeof(*keys));
    if (keys == NULL) return napi_generic_failure;
  }
  status = napi_ok;
  for (c = 0; status == napi_ok && c < reply->n_columns; c++) {
    const rf_cell *name = &reply->cells[c];
    status = napi_create_string_utf8(env, reply->bytes.data + name->offset, name->length, &keys[c]);
  }
  if (status == napi_ok && reply->kind == RF_GET) {
    status = rf_row(env, reply, keys, 0, out);
  } else if (status == napi_ok) {
    status = napi_create_array_with_length(env, reply->n_rows, out);
    for (r = 0; status == napi_ok && r < reply->n_rows; r++) {
      /* One scope per row: its cells' handles die with it, the row lives on in the array. */
      napi_handle_scope scope;
      napi_value row;
      status = napi_open_handle_scope(env, &scope);
      if (status != napi_ok) break;
      status = rf_row(env, reply, keys, r, &row);
      if (status == napi_ok) status = napi_set_element(env, *out, (uint32_t)r, row);
      napi_close_handle_scope(env, scope);
    }
  }
  if (keys != keys_small) free(keys);
  return status;
}

/* Runs on the caller's thread: callback(slot, id, status, payload, inTransaction). With env NULL the threadsafe
   function is being torn down and the reply is only freed. */
static void rf_call_js(napi_env env, napi_value callback, void *context, void *data) {
  rf_reply *reply = (rf_reply *)data;
  napi_value argv[5], recv;
  (void)context;
  if (env != NULL && callback != NULL && napi_create_double(env, reply->slot, &argv[0]) == napi_ok &&
      napi_create_double(env, reply->id, &argv[1]) == napi_ok &&
      napi_create_int32(env, reply->status, &argv[2]) == napi_ok && rf_payload(env, reply, &argv[3]) == napi_ok &&
      napi_get_boolean(env, reply->in_transaction != 0, &argv[4]) == napi_ok &&
      napi_get_undefined(env, &recv) == napi_ok) {
    /* An exception thrown by the callback is reported by Node as uncaught. */
    napi_call_function(env, recv, callback, 5, argv, NULL);
  }
  rf_reply_free(reply);
}

static void rf_tsfn_finalize(napi_env env, void *data, void *hint) {
  rf_channel *channel = (rf_channel *)data;
  (void)env;
  (void)hint;
  rf_tsfn_lock();
  channel->tsfn = NULL;
  channel->env = NULL;
  rf_tsfn_unlock();
}

/* Hands the reply to the thread that submitted the request, or frees it when that thread is gone. */
static void rf_deliver(rf_channel *channel, rf_reply *reply) {
  napi_status status = napi_closing;
  rf_tsfn_lock();
  if (channel != NULL && channel->tsfn != NULL) status = napi_call_threadsafe_function(channel->tsfn, reply, napi_tsfn_nonblocking);
  rf_tsfn_unlock();
  if (status != napi_ok) rf_reply_free(reply);
}

/* fastInit(callback): creates the calling environment's channel (once per environment; later calls are no-ops). */
static napi_value rf_js_init(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], name;
  napi_valuetype type;
  napi_threadsafe_function tsfn;
  rf_channel *channel;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, RF_ERR_INVALID_ARGUMENT, "fastInit(callback) needs a function");
    return NULL;
  }
  rf_tsfn_lock();
  if (rf_channel_of_locked(env) != NULL) {
    rf_tsfn_unlock();
    return NULL;
  }
  channel = (rf_channel *)calloc(1, sizeof(*channel));
  if (channel == NULL) {
    rf_tsfn_unlock();
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  if (napi_create_string_utf8(env, "rapsqlite.fastpath", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, channel, rf_tsfn_finalize, NULL, rf_call_js,
                                      &tsfn) != napi_ok) {
    rf_tsfn_unlock();
    free(channel);
    return NULL;
  }
  /* The connection keeps the process alive by other means; this must not. */
  napi_unref_threadsafe_function(env, tsfn);
  channel->env = env;
  channel->tsfn = tsfn;
  channel->next = rf_channels;
  rf_channels = channel;
  rf_tsfn_unlock();
  return NULL;
}

/* Copies one parameter into the request; returns 0, or -1 for a value the fast path does not bind. */
static int rf_copy_param(napi_env env, napi_value value, rf_request *r, rf_param *p) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return -1;
  switch (type) {
    case napi_null:
      p->type = RF_NULL;
      return 0;
    case napi_number:
      p->type = RF_DOUBLE;
      return napi_get_value_double(env, value, &p->d) == napi_ok ? 0 : -1;
    case napi_bigint: {
      bool lossless = false;
      p->type = RF_INT64;
      if (napi_get_value_bigint_int64(env, value, &p->i, &lossless) != napi_ok || !lossless) return -1;
      return 0;
    }
    case napi_string: {
      size_t length;
      if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return -1;
      if (rf_reserve(&r->data, length + 1) != 0) return -1;
      if (napi_get_value_string_utf8(env, value, r->data.data + r->data.length, length + 1, &length) != napi_ok) {
        return -1;
      }
      p->type = RF_TEXT;
      p->offset = r->data.length;
      p->length = length;
      r->data.length += length;
      return 0;
    }
    case napi_object: {
      bool is_typed_array = false;
      napi_typedarray_type array_type;
      size_t length;
      void *bytes;
      if (napi_is_typedarray(env, value, &is_typed_array) != napi_ok || !is_typed_array) return -1;
      if (napi_get_typedarray_info(env, value, &array_type, &length, &bytes, NULL, NULL) != napi_ok ||
          array_type != napi_uint8_array) {
        return -1;
      }
      p->type = RF_BLOB;
      p->offset = rf_append(&r->data, bytes, length);
      p->length = length;
      return r->data.failed ? -1 : 0;
    }
    default:
      return -1;
  }
}

/* fastSubmit(slot, id, kind, sql, params, mode): queues a request if the slot's owner is serving. */
static napi_value rf_js_submit(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6], result;
  double slot, id, kind, mode;
  napi_valuetype type;
  uint32_t n_params = 0, i;
  bool is_array = false;
  size_t sql_length;
  rf_request *r;
  rc_conn *conn;
  struct rc_fast *f;
  int queued = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 6) {
    napi_throw_type_error(env, RF_ERR_INVALID_ARGUMENT, "fastSubmit(slot, id, kind, sql, params, mode) needs six arguments");
    return NULL;
  }
  if (rf_get_number(env, argv[0], "slot", 0, RF_MAX_SAFE_INTEGER, &slot) != 0 ||
      rf_get_number(env, argv[1], "id", 1, RF_MAX_SAFE_INTEGER, &id) != 0 ||
      rf_get_number(env, argv[2], "kind", 0, 2, &kind) != 0 || rf_get_number(env, argv[5], "mode", 0, 2, &mode) != 0) {
    return NULL;
  }
  if (napi_typeof(env, argv[3], &type) != napi_ok || type != napi_string ||
      napi_get_value_string_utf8(env, argv[3], NULL, 0, &sql_length) != napi_ok) {
    napi_throw_type_error(env, RF_ERR_INVALID_ARGUMENT, "sql must be a string");
    return NULL;
  }
  if (napi_typeof(env, argv[4], &type) != napi_ok) return NULL;
  if (type != napi_undefined) {
    if (napi_is_array(env, argv[4], &is_array) != napi_ok) return NULL;
    if (!is_array || napi_get_array_length(env, argv[4], &n_params) != napi_ok || n_params > 32766) {
      napi_get_boolean(env, false, &result);
      return result;
    }
  }
  r = (rf_request *)calloc(1, sizeof(*r) + (n_params > 0 ? n_params - 1 : 0) * sizeof(rf_param));
  if (r == NULL || rf_reserve(&r->data, sql_length + 1) != 0) {
    rf_request_free(r);
    napi_get_boolean(env, false, &result);
    return result;
  }
  r->id = id;
  r->kind = (int)kind;
  r->mode = (int)mode;
  r->n_params = n_params;
  if (napi_get_value_string_utf8(env, argv[3], r->data.data, sql_length + 1, &sql_length) != napi_ok) {
    rf_request_free(r);
    return NULL;
  }
  r->sql_length = sql_length;
  r->data.length = sql_length + 1;
  for (i = 0; i < n_params; i++) {
    napi_value element;
    if (napi_get_element(env, argv[4], i, &element) != napi_ok) {
      /* A throwing getter: let its exception through. */
      rf_request_free(r);
      return NULL;
    }
    if (rf_copy_param(env, element, r, &r->params[i]) != 0) break;
  }
  /* Without the channel (fastInit not called, or its thread gone) a reply could not be delivered: run nothing. */
  rf_tsfn_lock();
  r->channel = rf_channel_of_locked(env);
  if (r->channel == NULL) i = n_params + 1;
  rf_tsfn_unlock();
  if (i == n_params) {
    rc_lock();
    conn = rc_slot_find_locked(slot);
    f = conn != NULL ? conn->fast : NULL;
    if (f != NULL) {
      rf_mutex_lock(&f->mutex);
      if (f->serving) {
        if (f->tail != NULL) f->tail->next = r;
        else f->head = r;
        f->tail = r;
        rc_atomic_store(&f->pending, rc_atomic_load(&f->pending) + 1);
        rf_cond_signal(&f->cond);
        queued = 1;
      }
      rf_mutex_unlock(&f->mutex);
    }
    rc_unlock();
  }
  if (!queued) rf_request_free(r);
  napi_get_boolean(env, queued != 0, &result);
  return result;
}

static void rf_kick_locked(struct rc_fast *f) {
  rf_mutex_lock(&f->mutex);
  rc_atomic_store(&f->kicked, 1);
  rf_cond_signal(&f->cond);
  rf_mutex_unlock(&f->mutex);
}

/* fastKick(slot): makes the slot's fastServe return soon; returns whether the owner was serving. Any thread. */
static napi_value rf_js_kick(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  double slot;
  rc_conn *conn;
  int kicked = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) {
    napi_throw_type_error(env, RF_ERR_INVALID_ARGUMENT, "fastKick(slot) needs a slot");
    return NULL;
  }
  if (rf_get_number(env, argv[0], "slot", 0, RF_MAX_SAFE_INTEGER, &slot) != 0) return NULL;
  rc_lock();
  conn = rc_slot_find_locked(slot);
  if (conn != NULL) conn->kicks++;
  if (conn != NULL && conn->fast != NULL) {
    rf_kick_locked(conn->fast);
    kicked = 1;
  }
  rc_unlock();
  napi_get_boolean(env, kicked != 0, &result);
  return result;
}

/* fastKickAll(): kicks every serving slot, and makes every later fastServe return at once. Any thread. */
static napi_value rf_js_kick_all(napi_env env, napi_callback_info info) {
  struct rc_fast *f;
  (void)env;
  (void)info;
  rc_atomic_store(&rf_kick_all, 1);
  rc_lock();
  for (f = rf_serving_list; f != NULL; f = f->next) rf_kick_locked(f);
  rc_unlock();
  return NULL;
}

/* ---- The owner's side. ---- */

static uint64_t rf_hash(const char *s, size_t n) {
  uint64_t h = UINT64_C(14695981039346656037);
  size_t i;
  for (i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= UINT64_C(1099511628211);
  }
  return h;
}

/* What better-sqlite3 accepts after a statement: whitespace, ';' and comments (an unterminated one included). */
static int rf_blank_tail(const char *tail) {
  char c;
  while ((c = *tail) != 0) {
    if (c == ' ' || c == ';' || (c >= '\t' && c <= '\r')) {
      tail++;
    } else if (c == '/' && tail[1] == '*') {
      tail += 2;
      while (*tail != 0 && !(tail[0] == '*' && tail[1] == '/')) tail++;
      if (*tail != 0) tail += 2;
    } else if (c == '-' && tail[1] == '-') {
      tail += 2;
      while (*tail != 0 && *tail != '\n') tail++;
      if (*tail != 0) tail++;
    } else {
      return 0;
    }
  }
  return 1;
}

/* Formats an error reply from the connection's current error. */
static void rf_set_error(rf_reply *reply, int code, const char *message) {
  reply->status = RF_ERROR;
  reply->code = code;
  if (message == NULL) message = "";
  reply->message_length = strlen(message);
  reply->message_offset = rf_append(&reply->bytes, message, reply->message_length);
  if (reply->bytes.failed) reply->message_length = 0;
}

/*
 * Whether the function `name` (as EXPLAIN shows it) may be application-defined: better-sqlite3 implements those in
 * JavaScript, which must not run inside fastServe (a JavaScript exception would stay pending in better-sqlite3's
 * environment, and its next call would abort the process). SQLite's own functions are safe; so are C extensions', but
 * they cannot be told apart from JavaScript ones, so they fall back too. Unknown → unsafe.
 */
static int rf_function_unsafe(struct rc_fast *f, const char *name, size_t length) {
  const sqlite3_api_routines *api = f->conn->api;
  int i, rc, unsafe = 1;
  char *copy;
  for (i = 0; i < f->n_verdicts; i++) {
    if (strlen(f->verdicts[i].name) == length && memcmp(f->verdicts[i].name, name, length) == 0) {
      return f->verdicts[i].unsafe;
    }
  }
  if (f->function_probe == NULL &&
      api->prepare_v3(f->conn->db,
                      "SELECT 1 FROM pragma_function_list WHERE lower(name) = lower(?1) AND builtin = 0", -1, 0,
                      &f->function_probe, NULL) != SQLITE_OK) {
    f->function_probe = NULL;
    return 1;
  }
  if (api->bind_text(f->function_probe, 1, name, (int)length, SQLITE_TRANSIENT) == SQLITE_OK) {
    rc = api->step(f->function_probe);
    if (rc == SQLITE_DONE) unsafe = 0;
  }
  api->reset(f->function_probe);
  api->clear_bindings(f->function_probe);
  if (f->n_verdicts < RF_VERDICTS && (copy = (char *)malloc(length + 1)) != NULL) {
    memcpy(copy, name, length);
    copy[length] = 0;
    f->verdicts[f->n_verdicts].name = copy;
    f->verdicts[f->n_verdicts].unsafe = unsafe;
    f->n_verdicts++;
  }
  return unsafe;
}

/*
 * Whether running the request's statement might run JavaScript or change the schema, read from its EXPLAIN listing
 * (trigger programs included): a call to an application-defined function or aggregate, any virtual table (JavaScript
 * ones cannot be told apart from C ones), or a schema change (after which cached statements would be recompiled, maybe
 * with triggers that call JavaScript, unexamined). When unsure: yes.
 */
static int rf_may_call_javascript(struct rc_fast *f, const rf_request *r) {
  static const char prefix[] = "EXPLAIN ";
  const sqlite3_api_routines *api = f->conn->api;
  sqlite3_stmt *explain = NULL;
  size_t n = sizeof(prefix) - 1;
  char *sql = (char *)malloc(n + r->sql_length + 1);
  int rc, unsafe = 0;
  if (sql == NULL) return 1;
  memcpy(sql, prefix, n);
  memcpy(sql + n, r->data.data, r->sql_length + 1);
  rc = api->prepare_v3(f->conn->db, sql, (int)(n + r->sql_length + 1), 0, &explain, NULL);
  free(sql);
  if (rc != SQLITE_OK || explain == NULL) {
    api->finalize(explain);
    return 1;
  }
  while (!unsafe && (rc = api->step(explain)) == SQLITE_ROW) {
    const char *op = (const char *)api->column_text(explain, 1);
    if (op == NULL) continue;
    if (op[0] == 'V' && op[1] >= 'A' && op[1] <= 'Z') {
      /* VOpen, VFilter, VUpdate, …: a virtual table. */
      unsafe = 1;
    } else if (strcmp(op, "ParseSchema") == 0 || strcmp(op, "DropTable") == 0 || strcmp(op, "DropIndex") == 0 ||
               strcmp(op, "DropTrigger") == 0 || strcmp(op, "SqlExec") == 0 || strcmp(op, "Vacuum") == 0 ||
               strcmp(op, "SetCookie") == 0) {
      unsafe = 1;
    } else if (strcmp(op, "Function") == 0 || strcmp(op, "PureFunc") == 0 || strncmp(op, "Agg", 3) == 0) {
      /* P4 is "name(nArg)". */
      const char *p4 = (const char *)api->column_text(explain, 5);
      const char *paren = p4 == NULL ? NULL : strrchr(p4, '(');
      unsafe = paren == NULL || rf_function_unsafe(f, p4, (size_t)(paren - p4));
    }
  }
  if (!unsafe && rc != SQLITE_DONE) unsafe = 1;
  api->finalize(explain);
  return unsafe;
}

/*
 * The statement for `sql`: from this call's cache, else prepared (and cached). Returns SQLITE_OK with *stmt NULL
 * for SQL the fast path leaves to the caller (no statement, or more than one).
 */
static int rf_statement(struct rc_fast *f, const rf_request *r, sqlite3_stmt **stmt) {
  const sqlite3_api_routines *api = f->conn->api;
  const char *sql = r->data.data;
  uint64_t hash = rf_hash(sql, r->sql_length);
  const char *tail = NULL;
  rf_cached *slot = NULL;
  int i, rc;
  *stmt = NULL;
  for (i = 0; i < f->n_cached; i++) {
    rf_cached *entry = &f->cache[i];
    if (entry->hash == hash && entry->length == r->sql_length && memcmp(entry->sql, sql, r->sql_length) == 0) {
      entry->used = ++f->clock;
      *stmt = entry->stmt;
      return SQLITE_OK;
    }
  }
  /* The length includes the NUL terminator, as better-sqlite3 passes it (SQLite then need not copy the SQL). */
  rc = api->prepare_v3(f->conn->db, sql, (int)(r->sql_length + 1), SQLITE_PREPARE_PERSISTENT, stmt, &tail);
  if (rc != SQLITE_OK) {
    *stmt = NULL;
    return rc;
  }
  if (*stmt == NULL) return SQLITE_OK;
  if (tail != NULL && !rf_blank_tail(tail)) {
    api->finalize(*stmt);
    *stmt = NULL;
    return SQLITE_OK;
  }
  /* A statement that may call JavaScript is cached as "fall back", so that it is examined once per call. */
  if (rf_may_call_javascript(f, r)) {
    api->finalize(*stmt);
    *stmt = NULL;
  }
  if (f->n_cached == RF_CACHE_SIZE) {
    /* Evicts the least recently used statement; the last entry fills its place. */
    slot = &f->cache[0];
    for (i = 1; i < RF_CACHE_SIZE; i++) {
      if (f->cache[i].used < slot->used) slot = &f->cache[i];
    }
    api->finalize(slot->stmt);
    free(slot->sql);
    *slot = f->cache[--f->n_cached];
  }
  slot = &f->cache[f->n_cached];
  slot->sql = (char *)malloc(r->sql_length + 1);
  if (slot->sql == NULL) {
    /* Run it uncached: the caller finalizes a statement it does not find in the cache. */
    return SQLITE_OK;
  }
  memcpy(slot->sql, sql, r->sql_length + 1);
  slot->length = r->sql_length;
  slot->hash = hash;
  slot->stmt = *stmt;
  slot->used = ++f->clock;
  f->n_cached++;
  return SQLITE_OK;
}

static int rf_is_cached(const struct rc_fast *f, const sqlite3_stmt *stmt) {
  int i;
  for (i = 0; i < f->n_cached; i++) {
    if (f->cache[i].stmt == stmt) return 1;
  }
  return 0;
}

/*
 * Whether the statement's parameters are bound by position: all anonymous (`?`), or all numbered with their own
 * index (`?1`, `?2`, … as the engine binds an array to numbered parameters). Names (`:x @x $x`) and mixes are left
 * to the caller, which reports them as better-sqlite3 does.
 */
static int rf_positional(const sqlite3_api_routines *api, sqlite3_stmt *stmt, int count) {
  int k, anonymous = 0, numbered = 0;
  for (k = 1; k <= count; k++) {
    const char *name = api->bind_parameter_name(stmt, k);
    char expected[16];
    if (name == NULL) {
      anonymous++;
      continue;
    }
    snprintf(expected, sizeof(expected), "?%d", k);
    if (strcmp(name, expected) != 0) return 0;
    numbered++;
  }
  return anonymous == 0 || numbered == 0;
}

static int rf_bind(const sqlite3_api_routines *api, sqlite3_stmt *stmt, const rf_request *r) {
  uint32_t k;
  int rc = SQLITE_OK;
  for (k = 0; rc == SQLITE_OK && k < r->n_params; k++) {
    const rf_param *p = &r->params[k];
    int index = (int)k + 1;
    if (p->length > 0x7fffffff) return SQLITE_TOOBIG;
    switch (p->type) {
      case RF_NULL:
        rc = api->bind_null(stmt, index);
        break;
      case RF_DOUBLE:
        /* better-sqlite3 binds every JavaScript number as a double. */
        rc = api->bind_double(stmt, index, p->d);
        break;
      case RF_INT64:
        rc = api->bind_int64(stmt, index, (sqlite3_int64)p->i);
        break;
      case RF_TEXT:
        /* The request outlives the statement's use of it (bindings are cleared before the request is freed). */
        rc = api->bind_text(stmt, index, r->data.data + p->offset, (int)p->length, SQLITE_STATIC);
        break;
      default:
        /* An empty buffer is an empty blob, not NULL, as better-sqlite3 binds it. */
        rc = p->length == 0 ? api->bind_zeroblob(stmt, index, 0)
                            : api->bind_blob(stmt, index, r->data.data + p->offset, (int)p->length, SQLITE_STATIC);
        break;
    }
  }
  return rc;
}

static void rf_set_active(rc_conn *conn, double token) {
  rc_lock();
  conn->active_token = (int64_t)token;
  rc_atomic_store(&conn->cancelled, 0);
  rc_unlock();
}

/* Copies the current row (and, before the first row, the column names) into the reply. */
static void rf_copy_row(const sqlite3_api_routines *api, sqlite3_stmt *stmt, rf_reply *reply, int *overflow_column) {
  int c;
  if (reply->n_rows == 0) {
    reply->n_columns = api->column_count(stmt);
    for (c = 0; c < reply->n_columns; c++) {
      const char *name = api->column_name(stmt, c);
      rf_cell *cell = rf_new_cell(reply);
      if (cell == NULL) return;
      cell->type = RF_TEXT;
      cell->length = name == NULL ? 0 : strlen(name);
      cell->offset = rf_append(&reply->bytes, name, cell->length);
    }
  }
  for (c = 0; c < reply->n_columns; c++) {
    rf_cell *cell = rf_new_cell(reply);
    if (cell == NULL) return;
    cell->type = RF_NULL;
    switch (api->column_type(stmt, c)) {
      case SQLITE_INTEGER:
        cell->type = RF_INT64;
        cell->i = (int64_t)api->column_int64(stmt, c);
        if (reply->mode == RF_NUMBER && *overflow_column < 0 &&
            (cell->i > RF_MAX_SAFE_INT64 || cell->i < -RF_MAX_SAFE_INT64)) {
          *overflow_column = c;
        }
        break;
      case SQLITE_FLOAT:
        cell->type = RF_DOUBLE;
        cell->d = api->column_double(stmt, c);
        break;
      case SQLITE_TEXT: {
        const unsigned char *text = api->column_text(stmt, c);
        cell->type = RF_TEXT;
        cell->length = (size_t)api->column_bytes(stmt, c);
        cell->offset = rf_append(&reply->bytes, text, text == NULL ? 0 : cell->length);
        break;
      }
      case SQLITE_BLOB: {
        const void *blob = api->column_blob(stmt, c);
        cell->type = RF_BLOB;
        cell->length = (size_t)api->column_bytes(stmt, c);
        cell->offset = rf_append(&reply->bytes, blob, blob == NULL ? 0 : cell->length);
        break;
      }
      default:
        break;
    }
  }
  reply->n_rows++;
}

static void rf_overflow_error(rf_reply *reply, int column) {
  const rf_cell *name = &reply->cells[column];
  /* The engine's own words (U+00B1 plus-minus, U+2212 minus). */
  static const char before[] = "Column \"";
  static const char after[] = "\" holds an integer beyond \xC2\xB1(2^53\xE2\x88\x92" "1); read it with { integers: 'bigint' } or 'auto'";
  rf_bytes *b = &reply->bytes;
  size_t start = b->length;
  rf_append(b, before, sizeof(before) - 1);
  /* The name is copied before it is appended: the buffer may move. */
  if (rf_reserve(b, name->length) == 0) {
    memmove(b->data + b->length, b->data + name->offset, name->length);
    b->length += name->length;
  }
  rf_append(b, after, sizeof(after) - 1);
  reply->status = RF_ERROR;
  reply->code = RF_CODE_OVERFLOW;
  reply->message_offset = start;
  reply->message_length = b->failed ? 0 : b->length - start;
}

/* Runs one request on the owner thread and returns its reply (NULL only when out of memory). */
static rf_reply *rf_run(struct rc_fast *f, rf_request *r) {
  rc_conn *conn = f->conn;
  const sqlite3_api_routines *api = conn->api;
  sqlite3 *db = conn->db;
  sqlite3_stmt *stmt = NULL;
  rf_reply *reply = (rf_reply *)calloc(1, sizeof(*reply));
  int rc, count, overflow_column = -1;
  if (reply == NULL) return NULL;
  reply->slot = conn->id;
  reply->id = r->id;
  reply->kind = r->kind;
  reply->mode = r->mode;
  reply->status = RF_FALLBACK;

  rc = rf_statement(f, r, &stmt);
  if (rc != SQLITE_OK) {
    rf_set_error(reply, api->extended_errcode(db), api->errmsg(db));
    goto done;
  }
  if (stmt == NULL) goto done;
  count = api->column_count(stmt);
  if ((r->kind == RF_RUN) != (count == 0)) goto release;
  count = api->bind_parameter_count(stmt);
  if (count != (int)r->n_params || !rf_positional(api, stmt, count)) goto release;
  if (rf_bind(api, stmt, r) != SQLITE_OK) {
    /* Too big for SQLite: better-sqlite3 reports it itself, and nothing ran. */
    api->clear_bindings(stmt);
    goto release;
  }

  rf_set_active(conn, r->id);
  if (r->kind == RF_RUN) {
    sqlite3_int64 before = api->libversion_number() >= 3037000 ? api->total_changes64(db) : api->total_changes(db);
    rc = api->step(stmt);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
      sqlite3_int64 after;
      api->reset(stmt);
      /* As better-sqlite3 counts: 0 when the statement changed nothing (sqlite3_changes keeps the last write's). */
      after = api->libversion_number() >= 3037000 ? api->total_changes64(db) : api->total_changes(db);
      reply->changes = after == before ? 0 : (api->libversion_number() >= 3037000 ? api->changes64(db) : api->changes(db));
      reply->rowid = (int64_t)api->last_insert_rowid(db);
      reply->status = RF_OK;
    } else {
      rf_set_error(reply, api->extended_errcode(db), api->errmsg(db));
      api->reset(stmt);
    }
  } else {
    do {
      rc = api->step(stmt);
      if (rc == SQLITE_ROW) rf_copy_row(api, stmt, reply, &overflow_column);
    } while (rc == SQLITE_ROW && r->kind == RF_ALL && !reply->cells_failed);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
      reply->status = RF_OK;
    } else {
      rf_set_error(reply, api->extended_errcode(db), api->errmsg(db));
    }
    api->reset(stmt);
    if (reply->status == RF_OK && overflow_column >= 0) rf_overflow_error(reply, overflow_column);
  }
  api->clear_bindings(stmt);
  rf_set_active(conn, 0);
  if (reply->cells_failed || reply->bytes.failed) {
    reply->bytes.length = 0;
    reply->bytes.failed = 0;
    reply->n_rows = 0;
    reply->n_columns = 0;
    rf_set_error(reply, SQLITE_NOMEM, "out of memory");
  }
  reply->in_transaction = !api->get_autocommit(db);
  if (!rf_is_cached(f, stmt)) api->finalize(stmt);
  return reply;

release:
  if (!rf_is_cached(f, stmt)) api->finalize(stmt);
done:
  reply->in_transaction = !api->get_autocommit(db);
  return reply;
}

static void rf_answer(struct rc_fast *f, rf_request *r) {
  rf_reply *reply = rf_run(f, r);
  rf_channel *channel = r->channel;
  rf_request_free(r);
  if (reply != NULL) rf_deliver(channel, reply);
}

static void rf_fast_free(struct rc_fast *f) {
  int i;
  for (i = 0; i < f->n_cached; i++) {
    f->conn->api->finalize(f->cache[i].stmt);
    free(f->cache[i].sql);
  }
  for (i = 0; i < f->n_verdicts; i++) free(f->verdicts[i].name);
  f->conn->api->finalize(f->function_probe);
  rf_cond_destroy(&f->cond);
  rf_mutex_destroy(&f->mutex);
  free(f);
}

/*
 * fastServe(slot, spinMicros, maxMs): serves the slot's fast requests on its owner thread. Returns 1 when kicked,
 * 0 when maxMs passed, 2 when fastKickAll was called or the slot is closed. Before returning it stops accepting
 * requests, runs every request still queued and finalizes every statement it prepared.
 */
static napi_value rf_js_serve(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], out;
  double slot, spin_micros, max_ms;
  int64_t started, deadline, spin_ns, last, now;
  rc_conn *conn;
  struct rc_fast *f;
  rf_request *r, *rest;
  int result = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) {
    napi_throw_type_error(env, RF_ERR_INVALID_ARGUMENT, "fastServe(slot, spinMicros, maxMs) needs three arguments");
    return NULL;
  }
  if (rf_get_number(env, argv[0], "slot", 0, RF_MAX_SAFE_INTEGER, &slot) != 0 ||
      rf_get_number(env, argv[1], "spinMicros", 0, 1e9, &spin_micros) != 0 ||
      rf_get_number(env, argv[2], "maxMs", 0, 1e9, &max_ms) != 0) {
    return NULL;
  }
  /* A closed slot (or one never opened) has nothing to serve: 2, as after fastKickAll. */
  rc_lock();
  conn = rc_slot_find_locked(slot);
  rc_unlock();
  if (conn == NULL) {
    napi_create_int32(env, 2, &out);
    return out;
  }
  conn = rc_owned_conn(env, slot);
  if (conn == NULL) return NULL;
  if (rc_atomic_load(&rf_kick_all)) {
    napi_create_int32(env, 2, &out);
    return out;
  }
  f = (struct rc_fast *)calloc(1, sizeof(*f));
  if (f == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  rf_mutex_init(&f->mutex);
  rf_cond_init(&f->cond);
  f->conn = conn;
  f->serving = 1;
  rc_lock();
  if (conn->fast != NULL) {
    rc_unlock();
    rf_fast_free(f);
    napi_throw_error(env, RF_ERR_INVALID_ARGUMENT, "fastServe is already running on this connection");
    return NULL;
  }
  if (conn->kicks != conn->kicks_seen) {
    /* Kicked since the last call: the caller has posted a message the owner must take first. */
    conn->kicks_seen = conn->kicks;
    rc_unlock();
    rf_fast_free(f);
    napi_create_int32(env, 1, &out);
    return out;
  }
  conn->fast = f;
  f->next = rf_serving_list;
  if (rf_serving_list != NULL) rf_serving_list->prev = f;
  rf_serving_list = f;
  rc_unlock();

  started = rc_now_ns();
  deadline = started + (int64_t)(max_ms * 1e6);
  spin_ns = (int64_t)(spin_micros * 1e3);
  last = started;
  rf_mutex_lock(&f->mutex);
  for (;;) {
    /* Checked after every request, so that a steady stream still ends the call (statements stay cached no longer). */
    if (rc_atomic_load(&rf_kick_all)) {
      result = 2;
      break;
    }
    if (rc_atomic_load(&f->kicked)) {
      result = 1;
      break;
    }
    now = rc_now_ns();
    if (now >= deadline) {
      result = 0;
      break;
    }
    if (f->head == NULL) {
      if (now - last < spin_ns) {
        /* Poll without the lock for a while: a wake-up through the condition variable costs far more. */
        rf_mutex_unlock(&f->mutex);
        while (!rc_atomic_load(&f->pending) && !rc_atomic_load(&f->kicked) && !rc_atomic_load(&rf_kick_all)) {
          now = rc_now_ns();
          if (now - last >= spin_ns || now >= deadline) break;
          rf_pause();
        }
        rf_mutex_lock(&f->mutex);
        continue;
      }
      rf_cond_wait_ns(&f->cond, &f->mutex, deadline - now);
      continue;
    }
    r = f->head;
    f->head = r->next;
    if (f->head == NULL) f->tail = NULL;
    rc_atomic_store(&f->pending, rc_atomic_load(&f->pending) - 1);
    rf_mutex_unlock(&f->mutex);
    r->next = NULL;
    rf_answer(f, r);
    last = rc_now_ns();
    rf_mutex_lock(&f->mutex);
  }
  /* Later submits return false from here on; what is queued already is still answered. */
  f->serving = 0;
  rest = f->head;
  f->head = f->tail = NULL;
  rc_atomic_store(&f->pending, 0);
  rf_mutex_unlock(&f->mutex);
  while (rest != NULL) {
    r = rest;
    rest = r->next;
    r->next = NULL;
    rf_answer(f, r);
  }

  rc_lock();
  conn->fast = NULL;
  /* The kicks that came while serving are answered by this return. */
  conn->kicks_seen = conn->kicks;
  if (f->prev != NULL) f->prev->next = f->next;
  else rf_serving_list = f->next;
  if (f->next != NULL) f->next->prev = f->prev;
  rc_unlock();
  rf_fast_free(f);
  napi_create_int32(env, result, &out);
  return out;
}

int rc_fast_exports(napi_env env, napi_value exports) {
  if (rc_set_function(env, exports, "fastInit", rf_js_init) != 0 || rc_set_function(env, exports, "fastSubmit", rf_js_submit) != 0 ||
      rc_set_function(env, exports, "fastKick", rf_js_kick) != 0 || rc_set_function(env, exports, "fastKickAll", rf_js_kick_all) != 0 ||
      rc_set_function(env, exports, "fastServe", rf_js_serve) != 0) {
    return -1;
  }
  return 0;
}
