import { ErrorCodes } from '../errors/codes.ts';
import type { AuthorizerRules } from '../native/authorizer-rules.ts';
import { registerFunction } from '../worker/user-code.ts';
import type { FunctionRegistration } from '../connection/connection.ts';
import { WorkerError } from '../worker/worker-error.ts';
import type { RequestHandler } from './handler.ts';

/** `register`: a user function or aggregate, imported inside the worker. */
export const register: RequestHandler<'register'> = {
  kind: 'register',
  writes: 'never',
  harmless: true,
  execute: (session, { extra }) => registerFunction(session, extra as FunctionRegistration),
  decode: () => undefined,
};

/** `authorize`: installs (or, with null, removes) the authorizer, through the companion. */
export const authorize: RequestHandler<'authorize'> = {
  kind: 'authorize',
  writes: 'never',
  harmless: true,
  execute(session, { extra }) {
    if (session.companion === undefined) throw new WorkerError(ErrorCodes.UNSUPPORTED, 'The authorizer needs the native companion, which is not available');
    session.companion.setAuthorizer(session.slot, (extra ?? null) as AuthorizerRules | null);
    // Statements prepared under the old rules must be checked again under the new ones.
    session.cache.clear();
    return undefined;
  },
  decode: () => undefined,
};

/** `invalidate`: forgets the cached statements. */
export const invalidate: RequestHandler<'invalidate'> = {
  kind: 'invalidate',
  writes: 'never',
  harmless: true,
  execute(session) {
    session.cache.clear();
    return undefined;
  },
  decode: () => undefined,
};

/** `close`: finalizes every statement and closes the connection; the worker then ends. */
export const close: RequestHandler<'close'> = {
  kind: 'close',
  writes: 'never',
  harmless: true,
  execute(session) {
    for (const id of [...session.cursors.keys()]) session.closeCursor(id);
    session.cache.clear();
    session.db.close();
    return undefined;
  },
  decode: () => undefined,
};
