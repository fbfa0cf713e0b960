/*
 * The process-global table of connections the extension is loaded into, and small platform helpers.
 *
 * The library is loaded once per process (SQLite's dlopen and Node's dlopen of the same file share one
 * handle), so these statics are shared by every worker thread and every Node-API environment.
 */
#define _POSIX_C_SOURCE 200809L

#include "companion.h"

#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
static SRWLOCK rc_mutex = SRWLOCK_INIT;
void rc_lock(void) { AcquireSRWLockExclusive(&rc_mutex); }
void rc_unlock(void) { ReleaseSRWLockExclusive(&rc_mutex); }
rc_thread_id rc_current_thread(void) { return GetCurrentThreadId(); }
int rc_same_thread(rc_thread_id a, rc_thread_id b) { return a == b; }
int64_t rc_now_ns(void) {
  static LARGE_INTEGER freq;
  LARGE_INTEGER now;
  if (freq.QuadPart == 0) QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&now);
  return (int64_t)((double)now.QuadPart * 1e9 / (double)freq.QuadPart);
}
#else
#include <time.h>
static pthread_mutex_t rc_mutex = PTHREAD_MUTEX_INITIALIZER;
void rc_lock(void) { pthread_mutex_lock(&rc_mutex); }
void rc_unlock(void) { pthread_mutex_unlock(&rc_mutex); }
rc_thread_id rc_current_thread(void) { return pthread_self(); }
int rc_same_thread(rc_thread_id a, rc_thread_id b) { return pthread_equal(a, b); }
int64_t rc_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
#endif

/*
 * A public id is generation * 2^RC_INDEX_BITS + index. Generations only grow, so an id handed out for a
 * connection that has since closed can never match the connection that reuses its index. Ids stay below
 * 2^53, exact as JavaScript numbers.
 */
#define RC_INDEX_BITS 20
#define RC_MAX_SLOTS (1u << RC_INDEX_BITS)
#define RC_MAX_GENERATION 8589934591.0 /* 2^33 - 1 */

static rc_conn **rc_slots = NULL;
static double *rc_generations = NULL;
static uint32_t rc_capacity = 0;
static uint32_t rc_live = 0;
static uint32_t rc_hint = 0;

static int rc_grow_locked(void) {
  uint32_t next = rc_capacity == 0 ? 64 : rc_capacity * 2;
  rc_conn **slots;
  double *generations;
  if (next > RC_MAX_SLOTS || next <= rc_capacity) return -1;
  slots = (rc_conn **)realloc(rc_slots, next * sizeof(*slots));
  if (slots == NULL) return -1;
  rc_slots = slots;
  generations = (double *)realloc(rc_generations, next * sizeof(*generations));
  if (generations == NULL) return -1;
  rc_generations = generations;
  memset(rc_slots + rc_capacity, 0, (next - rc_capacity) * sizeof(*slots));
  memset(rc_generations + rc_capacity, 0, (next - rc_capacity) * sizeof(*generations));
  rc_capacity = next;
  return 0;
}

int rc_slot_register(rc_conn *conn) {
  uint32_t i, index = 0;
  int found = 0;
  rc_lock();
  if (rc_live == rc_capacity && rc_grow_locked() != 0) {
    rc_unlock();
    return -1;
  }
  for (i = 0; i < rc_capacity; i++) {
    uint32_t candidate = (rc_hint + i) % rc_capacity;
    if (rc_slots[candidate] == NULL && rc_generations[candidate] < RC_MAX_GENERATION) {
      index = candidate;
      found = 1;
      break;
    }
  }
  if (!found) {
    rc_unlock();
    return -1;
  }
  rc_generations[index] += 1;
  conn->index = index;
  conn->id = rc_generations[index] * (double)RC_MAX_SLOTS + (double)index;
  conn->active_token = 0;
  rc_slots[index] = conn;
  rc_live++;
  rc_hint = index + 1;
  rc_unlock();
  return 0;
}

void rc_slot_release(rc_conn *conn) {
  rc_lock();
  if (conn->index < rc_capacity && rc_slots[conn->index] == conn) {
    rc_slots[conn->index] = NULL;
    rc_live--;
  }
  rc_unlock();
}

rc_conn *rc_slot_find_locked(double id) {
  double index;
  rc_conn *conn;
  if (!(id >= 1.0) || id > 9007199254740991.0) return NULL;
  index = id - (double)(uint64_t)(id / (double)RC_MAX_SLOTS) * (double)RC_MAX_SLOTS;
  if (index >= (double)rc_capacity) return NULL;
  conn = rc_slots[(uint32_t)index];
  if (conn == NULL || conn->id != id) return NULL;
  return conn;
}

uint32_t rc_slot_count_locked(void) { return rc_live; }

static void rc_free_list(char **list, size_t n) {
  size_t i;
  if (list == NULL) return;
  for (i = 0; i < n; i++) free(list[i]);
  free(list);
}

void rc_rules_free(rc_rules *rules) {
  if (rules == NULL) return;
  rc_free_list(rules->deny_tables, rules->n_deny_tables);
  rc_free_list(rules->pragmas_any_arg, rules->n_pragmas_any_arg);
  rc_free_list(rules->pragmas_no_arg, rules->n_pragmas_no_arg);
  free(rules);
}
