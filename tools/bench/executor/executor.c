// A feasibility experiment, not part of any package: SQLite driven by a dedicated C thread, the caller's request and
// the answer passed through memory, the caller woken by a Node-API thread-safe function (libuv's uv_async_send).
// It answers one question for docs/benchmarks.md: how fast can one awaited call be when no JavaScript and no
// structured clone sit on the SQLite thread's side? It serves two fixed statements of the benchmark's schema (a
// point get and an insert), one request at a time (the caller awaits each), and never closes. Built and run by
// tools/bench/executor.ts.
#define NAPI_VERSION 8
#include <node_api.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sqlite3.h"

typedef struct {
  sqlite3 *db;
  sqlite3_stmt *get;
  sqlite3_stmt *ins;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  _Atomic uint32_t seq;
  _Atomic int sleeping;
  uint32_t done;
  int kind;
  int64_t arg;
  int rc;
  int64_t id, category, created_at, changes, rowid;
  double price;
  char name[256];
  char payload[1024];
  int has_row;
  napi_threadsafe_function tsfn;
  long spin_ns;
} Ctx;

#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

static long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void copy_text(char *dst, size_t cap, const unsigned char *src) {
  size_t n = src ? strlen((const char *)src) : 0;
  if (n >= cap) n = cap - 1;
  if (n) memcpy(dst, src, n);
  dst[n] = 0;
}

static void *executor(void *arg) {
  Ctx *c = arg;
  for (;;) {
    uint32_t want = c->done + 1;
    long until = now_ns() + c->spin_ns;
    while (atomic_load_explicit(&c->seq, memory_order_acquire) < want && now_ns() < until) CPU_RELAX();
    if (atomic_load_explicit(&c->seq, memory_order_acquire) < want) {
      pthread_mutex_lock(&c->mu);
      atomic_store(&c->sleeping, 1);
      while (atomic_load(&c->seq) < want) pthread_cond_wait(&c->cv, &c->mu);
      atomic_store(&c->sleeping, 0);
      pthread_mutex_unlock(&c->mu);
    }
    if (c->kind == 0) {
      sqlite3_bind_int64(c->get, 1, c->arg);
      c->rc = sqlite3_step(c->get);
      c->has_row = c->rc == SQLITE_ROW;
      if (c->has_row) {
        c->id = sqlite3_column_int64(c->get, 0);
        copy_text(c->name, sizeof c->name, sqlite3_column_text(c->get, 1));
        c->category = sqlite3_column_int64(c->get, 2);
        c->price = sqlite3_column_double(c->get, 3);
        c->created_at = sqlite3_column_int64(c->get, 4);
        copy_text(c->payload, sizeof c->payload, sqlite3_column_text(c->get, 5));
      }
      sqlite3_reset(c->get);
    } else {
      sqlite3_bind_text(c->ins, 1, "name", -1, SQLITE_STATIC);
      sqlite3_bind_int64(c->ins, 2, c->arg);
      sqlite3_bind_int64(c->ins, 3, c->arg);
      c->rc = sqlite3_step(c->ins);
      c->changes = sqlite3_changes(c->db);
      c->rowid = sqlite3_last_insert_rowid(c->db);
      sqlite3_reset(c->ins);
    }
    c->done = want;
    napi_call_threadsafe_function(c->tsfn, NULL, napi_tsfn_nonblocking);
  }
  return NULL;
}

static void call_js(napi_env env, napi_value cb, void *context, void *data) {
  (void)data;
  Ctx *c = context;
  napi_value result, undef, v;
  napi_get_undefined(env, &undef);
  if (c->kind == 0) {
    if (!c->has_row) {
      result = undef;
    } else {
      napi_create_object(env, &result);
      napi_create_int64(env, c->id, &v);
      napi_set_named_property(env, result, "id", v);
      napi_create_string_utf8(env, c->name, NAPI_AUTO_LENGTH, &v);
      napi_set_named_property(env, result, "name", v);
      napi_create_int64(env, c->category, &v);
      napi_set_named_property(env, result, "category", v);
      napi_create_double(env, c->price, &v);
      napi_set_named_property(env, result, "price", v);
      napi_create_int64(env, c->created_at, &v);
      napi_set_named_property(env, result, "created_at", v);
      napi_create_string_utf8(env, c->payload, NAPI_AUTO_LENGTH, &v);
      napi_set_named_property(env, result, "payload", v);
    }
  } else {
    napi_create_int64(env, c->changes, &result);
  }
  napi_call_function(env, undef, cb, 1, &result, NULL);
}

static Ctx *ctx;

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[1024];
  size_t len;
  napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len);
  int64_t spin_us;
  napi_get_value_int64(env, argv[2], &spin_us);
  ctx = calloc(1, sizeof *ctx);
  ctx->spin_ns = spin_us * 1000;
  sqlite3_open_v2(path, &ctx->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  sqlite3_exec(ctx->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL, NULL);
  sqlite3_prepare_v3(ctx->db, "SELECT id, name, category, price, created_at, payload FROM items WHERE id = ?", -1, SQLITE_PREPARE_PERSISTENT, &ctx->get, NULL);
  sqlite3_prepare_v3(ctx->db, "INSERT INTO bench_write (name, value, created_at) VALUES (?, ?, ?)", -1, SQLITE_PREPARE_PERSISTENT, &ctx->ins, NULL);
  pthread_mutex_init(&ctx->mu, NULL);
  pthread_cond_init(&ctx->cv, NULL);
  napi_value name;
  napi_create_string_utf8(env, "proto", NAPI_AUTO_LENGTH, &name);
  napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, NULL, NULL, ctx, call_js, &ctx->tsfn);
  napi_unref_threadsafe_function(env, ctx->tsfn);
  pthread_create(&ctx->thread, NULL, executor, ctx);
  return NULL;
}

static napi_value js_post(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t kind;
  int64_t arg;
  napi_get_value_int32(env, argv[0], &kind);
  napi_get_value_int64(env, argv[1], &arg);
  ctx->kind = kind;
  ctx->arg = arg;
  atomic_fetch_add_explicit(&ctx->seq, 1, memory_order_release);
  if (atomic_load(&ctx->sleeping)) {
    pthread_mutex_lock(&ctx->mu);
    pthread_cond_signal(&ctx->cv);
    pthread_mutex_unlock(&ctx->mu);
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value f;
  napi_create_function(env, "open", NAPI_AUTO_LENGTH, js_open, NULL, &f);
  napi_set_named_property(env, exports, "open", f);
  napi_create_function(env, "post", NAPI_AUTO_LENGTH, js_post, NULL, &f);
  napi_set_named_property(env, exports, "post", f);
  return exports;
}
