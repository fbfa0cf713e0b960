/*
 * rapsqlite native companion: what the Node-API files (addon.c, hooks.c, fastpath.c) share. The SQLite extension
 * half (extension.c, slots.c) includes only companion.h.
 */
#ifndef RAPSQLITE_ADDON_H
#define RAPSQLITE_ADDON_H

#include "companion.h"

#include <node_api.h>

/*
 * The live connection of `slot` owned by the calling thread, or NULL with a JavaScript error thrown:
 * ERR_RAPSQLITE_CLOSED when the slot names no open connection, ERR_RAPSQLITE_INVALID_ARGUMENT on another thread.
 */
rc_conn *rc_owned_conn(napi_env env, double slot);

/* Sets exports[name] to a function calling `callback`. Returns 0, or -1 with the Node-API error pending. */
int rc_set_function(napi_env env, napi_value exports, const char *name, napi_callback callback);

/* The exports of hooks.c (update hook, limits) and fastpath.c (the fast path). Return 0, or -1. */
int rc_hooks_exports(napi_env env, napi_value exports);
int rc_fast_exports(napi_env env, napi_value exports);

#endif
