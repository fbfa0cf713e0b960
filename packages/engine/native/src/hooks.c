/*
 * Connection hooks of the companion: SQLite's update hook (row changes, recorded while a statement runs and taken by
 * the worker after it) and sqlite3_limit. Both run on the thread that owns the connection only: the connection is
 * opened without an SQLite mutex, and the change buffer is written by the hook and read by takeChanges on that thread,
 * without locks.
 *
 * The update hook cannot call into JavaScript (it runs inside sqlite3_step, and only the worker may touch its
 * isolate), so each change is appended to a byte buffer: [op:1][rowid:8][db length:4][db][table length:4][table].
 * takeChanges(slot, max) turns up to `max` of them into a flat JavaScript array [op, db, table, rowid, …] and keeps
 * the rest for the next call.
 */
#include "addon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>

#define RH_ERR_INVALID_ARGUMENT "ERR_RAPSQLITE_INVALID_ARGUMENT"
#define RH_MAX_SAFE_INTEGER 9007199254740991.0

struct rc_changes {
  unsigned char *data;
  size_t length;
  size_t capacity;
  /* Bytes already handed to JavaScript (the buffer is compacted when all of it is taken). */
  size_t read;
  /* Changes that could not be recorded (out of memory); reported, never silently lost. */
  double lost;
  int installed;
};

static int rh_reserve(struct rc_changes *changes, size_t more) {
  size_t needed = changes->length + more, capacity;
  unsigned char *data;
  if (needed <= changes->capacity) return 0;
  capacity = changes->capacity == 0 ? 4096 : changes->capacity;
  while (capacity < needed) capacity *= 2;
  data = (unsigned char *)realloc(changes->data, capacity);
  if (data == NULL) return -1;
  changes->data = data;
  changes->capacity = capacity;
  return 0;
}

static void rh_put(struct rc_changes *changes, const void *bytes, size_t n) {
  memcpy(changes->data + changes->length, bytes, n);
  changes->length += n;
}

/* SQLite's update hook: runs inside sqlite3_step on the owner thread, for each row a statement inserts, updates or
   deletes in a rowid table (not for WITHOUT ROWID tables, nor for the truncate optimization of DELETE without WHERE). */
static void rh_on_update(void *ctx, int op, const char *database, const char *table, sqlite3_int64 rowid) {
  struct rc_changes *changes = ((rc_conn *)ctx)->changes;
  uint32_t db_length, table_length;
  unsigned char code;
  int64_t id = (int64_t)rowid;
  if (changes == NULL) return;
  db_length = database == NULL ? 0 : (uint32_t)strlen(database);
  table_length = table == NULL ? 0 : (uint32_t)strlen(table);
  if (rh_reserve(changes, 1 + 8 + 4 + db_length + 4 + table_length) != 0) {
    changes->lost += 1;
    return;
  }
  code = (unsigned char)(op == SQLITE_INSERT ? 1 : op == SQLITE_UPDATE ? 2 : 3);
  rh_put(changes, &code, 1);
  rh_put(changes, &id, 8);
  rh_put(changes, &db_length, 4);
  rh_put(changes, database, db_length);
  rh_put(changes, &table_length, 4);
  rh_put(changes, table, table_length);
}

void rc_changes_free(rc_conn *conn) {
  if (conn->changes == NULL) return;
  if (conn->changes->installed) conn->api->update_hook(conn->db, NULL, NULL);
  free(conn->changes->data);
  free(conn->changes);
  conn->changes = NULL;
}

/* Reads a safe integer (negative allowed when `signed_ok`); throws and returns -1 otherwise. */
static int rh_get_number(napi_env env, napi_value value, const char *what, int signed_ok, double *out) {
  napi_valuetype type;
  double number;
  if (napi_typeof(env, value, &type) != napi_ok) return -1;
  if (type != napi_number || napi_get_value_double(env, value, &number) != napi_ok || !(number >= (signed_ok ? -RH_MAX_SAFE_INTEGER : 0)) ||
      number > RH_MAX_SAFE_INTEGER || number != (double)(int64_t)number) {
    char message[96];
    snprintf(message, sizeof(message), "%s must be a%s safe integer", what, signed_ok ? "" : " non-negative");
    napi_throw_type_error(env, RH_ERR_INVALID_ARGUMENT, message);
    return -1;
  }
  *out = number;
  return 0;
}

/* The live connection of the slot in `value` owned by the calling thread; throws when there is none. */
static rc_conn *rh_owned(napi_env env, napi_value value) {
  double slot;
  if (rh_get_number(env, value, "slot", 0, &slot) != 0) return NULL;
  return rc_owned_conn(env, slot);
}

/* watchChanges(slot, on): installs (true) or removes (false) the update hook; removing drops changes not taken. */
static napi_value rh_js_watch_changes(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool on = false;
  rc_conn *conn;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2 || napi_get_value_bool(env, argv[1], &on) != napi_ok) {
    napi_throw_type_error(env, RH_ERR_INVALID_ARGUMENT, "watchChanges(slot, on) needs a slot and a boolean");
    return NULL;
  }
  conn = rh_owned(env, argv[0]);
  if (conn == NULL) return NULL;
  if (!on) {
    rc_changes_free(conn);
    return NULL;
  }
  if (conn->changes == NULL) {
    conn->changes = (struct rc_changes *)calloc(1, sizeof(*conn->changes));
    if (conn->changes == NULL) {
      napi_throw_error(env, NULL, "out of memory");
      return NULL;
    }
  }
  if (!conn->changes->installed) {
    conn->api->update_hook(conn->db, rh_on_update, conn);
    conn->changes->installed = 1;
  }
  return NULL;
}

static napi_value rh_rowid(napi_env env, int64_t rowid) {
  napi_value value;
  if (rowid <= (int64_t)RH_MAX_SAFE_INTEGER && rowid >= -(int64_t)RH_MAX_SAFE_INTEGER) {
    if (napi_create_double(env, (double)rowid, &value) != napi_ok) return NULL;
  } else if (napi_create_bigint_int64(env, rowid, &value) != napi_ok) {
    return NULL;
  }
  return value;
}

/*
 * takeChanges(slot, max): up to `max` recorded changes as a flat array [op, database, table, rowid, …] (op 1 insert,
 * 2 update, 3 delete; rowid a number, or a bigint beyond 2^53), or undefined when there are none. A change that could
 * not be recorded for want of memory is reported as op 0 with its count as rowid.
 */
static napi_value rh_js_take_changes(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result, element;
  double max;
  uint32_t index = 0;
  rc_conn *conn;
  struct rc_changes *changes;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) {
    napi_throw_type_error(env, RH_ERR_INVALID_ARGUMENT, "takeChanges(slot, max) needs two arguments");
    return NULL;
  }
  conn = rh_owned(env, argv[0]);
  if (conn == NULL || rh_get_number(env, argv[1], "max", 0, &max) != 0) return NULL;
  changes = conn->changes;
  if (changes == NULL || (changes->read == changes->length && changes->lost == 0)) return NULL;
  if (napi_create_array(env, &result) != napi_ok) return NULL;
  while (changes->read < changes->length && index / 4 < max) {
    const unsigned char *p = changes->data + changes->read;
    int64_t rowid;
    uint32_t db_length, table_length;
    memcpy(&rowid, p + 1, 8);
    memcpy(&db_length, p + 9, 4);
    memcpy(&table_length, p + 13 + db_length, 4);
    if (napi_create_uint32(env, p[0], &element) != napi_ok || napi_set_element(env, result, index++, element) != napi_ok) return NULL;
    if (napi_create_string_utf8(env, (const char *)p + 13, db_length, &element) != napi_ok ||
        napi_set_element(env, result, index++, element) != napi_ok) {
      return NULL;
    }
    if (napi_create_string_utf8(env, (const char *)p + 17 + db_length, table_length, &element) != napi_ok ||
        napi_set_element(env, result, index++, element) != napi_ok) {
      return NULL;
    }
    element = rh_rowid(env, rowid);
    if (element == NULL || napi_set_element(env, result, index++, element) != napi_ok) return NULL;
    changes->read += 17 + db_length + table_length;
  }
  if (changes->read == changes->length) {
    changes->read = 0;
    changes->length = 0;
    if (changes->lost > 0 && index / 4 < max) {
      napi_value zero, empty, lost;
      if (napi_create_uint32(env, 0, &zero) != napi_ok || napi_create_string_utf8(env, "", 0, &empty) != napi_ok ||
          napi_create_double(env, changes->lost, &lost) != napi_ok || napi_set_element(env, result, index++, zero) != napi_ok ||
          napi_set_element(env, result, index++, empty) != napi_ok || napi_set_element(env, result, index++, empty) != napi_ok ||
          napi_set_element(env, result, index++, lost) != napi_ok) {
        return NULL;
      }
      changes->lost = 0;
    }
    /* A large statement's buffer is not kept for the life of the connection. */
    if (changes->capacity > (size_t)1 << 20) {
      free(changes->data);
      changes->data = NULL;
      changes->capacity = 0;
    }
  }
  return result;
}

/* limit(slot, id, value): sqlite3_limit; returns the previous value. A negative value only reads the limit. */
static napi_value rh_js_limit(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  double id, value;
  rc_conn *conn;
  int previous;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) {
    napi_throw_type_error(env, RH_ERR_INVALID_ARGUMENT, "limit(slot, id, value) needs three arguments");
    return NULL;
  }
  conn = rh_owned(env, argv[0]);
  if (conn == NULL || rh_get_number(env, argv[1], "id", 0, &id) != 0 || rh_get_number(env, argv[2], "value", 1, &value) != 0) return NULL;
  if (id > 1000 || value > 2147483647.0 || value < -2147483648.0) {
    napi_throw_range_error(env, RH_ERR_INVALID_ARGUMENT, "limit id or value out of range");
    return NULL;
  }
  /* An unknown id makes sqlite3_limit return -1 and change nothing. */
  previous = conn->api->limit(conn->db, (int)id, (int)value);
  if (napi_create_int32(env, previous, &result) != napi_ok) return NULL;
  return result;
}

int rc_hooks_exports(napi_env env, napi_value exports) {
  if (rc_set_function(env, exports, "watchChanges", rh_js_watch_changes) != 0 || rc_set_function(env, exports, "takeChanges", rh_js_take_changes) != 0 ||
      rc_set_function(env, exports, "limit", rh_js_limit) != 0) {
    return -1;
  }
  return 0;
}
