/*
 * rapsqlite native companion: shared declarations.
 *
 * One shared library is both an SQLite loadable extension (extension.c) and a Node-API addon (addon.c).
 * Both halves meet in the process-global slot table (slots.c): the extension registers each connection it is
 * loaded into, the addon looks connections up by slot id. The table is guarded by one mutex, and a slot is
 * cleared (under that mutex) by the xDestroy of an SQL function that SQLite calls while it closes the
 * connection, before the sqlite3 object is freed. Hence a pointer read from a live slot under the mutex
 * always points to an open (or closing, but not yet freed) connection.
 */
#ifndef RAPSQLITE_COMPANION_H
#define RAPSQLITE_COMPANION_H

#include <stddef.h>
#include <stdint.h>

#include "sqlite3ext.h"

#ifdef _WIN32
#include <windows.h>
typedef DWORD rc_thread_id;
#else
#include <pthread.h>
typedef pthread_t rc_thread_id;
#endif

/* Sequentially consistent atomics on one int, and a full fence. */
#ifdef _MSC_VER
typedef volatile LONG rc_atomic_int;
#define rc_atomic_load(p) ((int)InterlockedCompareExchange((p), 0, 0))
#define rc_atomic_store(p, v) ((void)InterlockedExchange((p), (LONG)(v)))
#define rc_fence() MemoryBarrier()
#else
typedef int rc_atomic_int;
#define rc_atomic_load(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define rc_atomic_store(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define rc_fence() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

/* Bumped whenever the Node-API surface changes in a way the TypeScript loader must know about. */
#define RC_ABI_VERSION 4
#define RC_VERSION "0.1.0"
/* Entry point SQLite would derive itself from "rapsqlite_companion.node"; passed explicitly anyway. */
#define RC_ENTRY_POINT "sqlite3_rapsqlitecompanion_init"
#define RC_SLOT_FUNCTION "rapsqlite_companion_slot"

/* Statements whose start time is remembered at once (interleaved cursors on one connection). */
#define RC_PROFILE_RING 16

/* Authorizer rules, compiled on the TypeScript side: a bitmask of denied action codes plus name lists. */
typedef struct rc_rules {
  uint64_t deny_mask;
  char **deny_tables;
  size_t n_deny_tables;
  /* Pragmas allowed with or without an argument (read-only whatever the argument, e.g. table_info). */
  char **pragmas_any_arg;
  size_t n_pragmas_any_arg;
  /* Pragmas allowed only in their query form, without an argument (e.g. user_version). */
  char **pragmas_no_arg;
  size_t n_pragmas_no_arg;
} rc_rules;

typedef struct rc_profile_start {
  void *stmt;
  int64_t start_ns;
} rc_profile_start;

/* One connection the extension was loaded into. Allocated at init, freed by the slot function's xDestroy. */
typedef struct rc_conn {
  sqlite3 *db;
  /* The API table of the SQLite copy that owns db (the only copy the companion binds to in a process). */
  const sqlite3_api_routines *api;
  /* Whether the trace hook (and possibly the authorizer) point at this struct. */
  int hooks_installed;
  /* Public id: generation and index, so that a stale id never addresses a later connection. */
  double id;
  uint32_t index;
  /* The thread that loaded the extension, i.e. the only thread that may run statements on db. */
  rc_thread_id owner;

  /* Written under the table mutex: the request currently running on db (0 when idle). */
  int64_t active_token;
  /*
   * Set (under the mutex) when the active request was interrupted, cleared by the next setActive. Read without
   * the lock at each statement start, on the owner thread: sqlite3_step clears SQLite's own interrupt flag when
   * no other statement is running, so an interrupt that lands between setActive and the first step, or between
   * two statements of one request, would otherwise be lost.
   */
  rc_atomic_int cancelled;

  /* Owner thread only (written in SQLite callbacks on that thread, read by takeProfile on that thread). */
  rc_rules *rules;
  double profile_count;
  double profile_total_ns;
  double profile_last_ns;
  rc_profile_start starts[RC_PROFILE_RING];
  unsigned next_start;
  /* Owner thread only: the update hook's change buffer (hooks.c), NULL while no hook is installed. */
  struct rc_changes *changes;
  /*
   * The fast path's state (fastpath.c) while the owner thread is inside fastServe, else NULL. Set and cleared by the
   * owner under the table mutex; other threads read it and use it only while holding the table mutex.
   */
  struct rc_fast *fast;
  /*
   * Under the table mutex: fastKick counts here even while the owner is not serving, and fastServe returns at once
   * when a kick came since the last one it saw, so that a kick landing just before the owner starts to serve (the
   * caller posted a message the owner has not looked for yet) is not lost.
   */
  uint32_t kicks;
  uint32_t kicks_seen;
} rc_conn;

/* Table mutex. */
void rc_lock(void);
void rc_unlock(void);

/* Registers conn in a free slot and sets conn->id and conn->index. Returns 0, or -1 when out of memory. */
int rc_slot_register(rc_conn *conn);
/* Clears conn's slot (takes the mutex itself). */
void rc_slot_release(rc_conn *conn);
/* Looks up a live connection by public id. The caller must hold the mutex. */
rc_conn *rc_slot_find_locked(double id);
/* Number of live slots. The caller must hold the mutex. */
uint32_t rc_slot_count_locked(void);

rc_thread_id rc_current_thread(void);
int rc_same_thread(rc_thread_id a, rc_thread_id b);
/* Monotonic clock in nanoseconds. */
int64_t rc_now_ns(void);

void rc_rules_free(rc_rules *rules);

/* Removes conn's update hook, if any, and frees its change buffer (hooks.c). Owner thread only. */
void rc_changes_free(rc_conn *conn);

/*
 * Registers `name` as an SQLITE_INNOCUOUS function (deterministic when asked) that forwards every call to the
 * function `impl` (registered by better-sqlite3, which cannot set that flag), so that it may be used in indexes,
 * generated columns, views and triggers under trusted_schema = OFF. Owner thread only. Returns an SQLite code.
 */
int rc_register_innocuous(rc_conn *conn, const char *name, const char *impl, int n_args, int deterministic);

/* Installs (rules != NULL) or removes the authorizer on conn's connection; takes ownership of rules.
 * Owner thread only. Returns an SQLite result code. */
int rc_install_authorizer(rc_conn *conn, rc_rules *rules);

#endif
