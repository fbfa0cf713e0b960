import { applyDecorators, Inject, Injectable, SetMetadata, UseInterceptors, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { PoolTransactionOptions } from '@rapsqlite/pool';
import { invalid, resolveName, resolveTransactionOptions, type SqliteTransactionOptions } from './options.ts';
import { getDatabaseToken, getTransactionHostToken } from './tokens.ts';
import type { TransactionHost } from './transaction-host.ts';

const TRANSACTIONAL = 'rapsqlite:transactional';

/**
 * The interceptor behind {@link Transactional}: runs the route handler, and everything it calls, inside
 * `TransactionHost.run`, so the response is sent after COMMIT and a thrown exception rolls back.
 */
export class TransactionInterceptor implements NestInterceptor {
  readonly #moduleRef: ModuleRef;
  readonly #reflector: Reflector;

  constructor(moduleRef: ModuleRef, reflector: Reflector) {
    this.#moduleRef = moduleRef;
    this.#reflector = reflector;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { name, options } = this.#reflector.getAllAndOverride<{ name: string; options: PoolTransactionOptions } | undefined>(TRANSACTIONAL, [
      context.getHandler(),
      context.getClass(),
    ]) ?? { name: 'default', options: {} };
    let host: TransactionHost;
    try {
      host = this.#moduleRef.get<TransactionHost>(getTransactionHostToken(name), { strict: false });
    } catch (err) {
      throw Object.assign(invalid(`@Transactional() names the connection "${name}", which is not registered`), { cause: err });
    }
    // next.handle() is called inside the transaction's callback, so the handler runs in its async context.
    return from(host.run(() => lastValueFrom(next.handle(), { defaultValue: undefined }), options));
  }
}
Injectable()(TransactionInterceptor);
Inject(ModuleRef)(TransactionInterceptor, undefined, 0);
Inject(Reflector)(TransactionInterceptor, undefined, 1);

/**
 * A decorator for a controller (every route) or one route handler: the handler runs in a transaction of the named
 * connection, committed before the response is sent and rolled back when it throws. Code it calls reaches the
 * transaction through `TransactionHost.db`. Bad options throw `ERR_RAPSQLITE_INVALID_ARGUMENT` when the class is
 * defined. A write transaction holds the pool's one writer until COMMIT: every other writer waits meanwhile.
 *
 * @example
 * ```ts
 * @Post()
 * @Transactional()
 * create(@Body() body: { sku: string }) {
 *   return this.orders.place(body.sku); // uses host.db: inside this transaction
 * }
 * ```
 */
export function Transactional(options?: SqliteTransactionOptions): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(TRANSACTIONAL, resolveTransactionOptions(options)), UseInterceptors(TransactionInterceptor));
}

/** A parameter decorator that injects a connection's handle (`Database` or `Pool`). */
export function InjectDatabase(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getDatabaseToken(resolveName(name)));
}

/** A parameter decorator that injects a connection's {@link TransactionHost}. */
export function InjectTransactionHost(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getTransactionHostToken(resolveName(name)));
}

