import { STATUS_CODES } from 'node:http';
import { Catch, HttpException, type ArgumentsHost, type HttpServer } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { errorStatus, resolveErrorStatuses, type ErrorStatusMap } from '@rapsqlite/http';

/** Options of {@link RapsqliteExceptionFilter}. */
export interface RapsqliteExceptionFilterOptions {
  /** Statuses merged over `DEFAULT_ERROR_STATUSES` (constraint 409, busy 503, timeout 504…). */
  readonly statuses?: Readonly<Record<string, number>>;
}

/**
 * An exception filter that answers rapsqlite's coded errors with an HTTP status and a JSON body
 * `{ statusCode, error, code, message }`, and leaves every other exception to Nest's default handling. Opt-in:
 *
 * @example
 * ```ts
 * const app = await NestFactory.create(AppModule);
 * app.useGlobalFilters(new RapsqliteExceptionFilter(app.getHttpAdapter()));
 * ```
 */
export class RapsqliteExceptionFilter extends BaseExceptionFilter {
  readonly #statuses: ErrorStatusMap;

  constructor(applicationRef?: HttpServer, options: RapsqliteExceptionFilterOptions = {}) {
    super(applicationRef);
    this.#statuses = resolveErrorStatuses(options.statuses ?? true, '@rapsqlite/nestjs: RapsqliteExceptionFilter `statuses`');
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const status = errorStatus(exception, this.#statuses);
    if (status === undefined) {
      super.catch(exception, host);
      return;
    }
    const { code, message } = exception as { code?: unknown; message?: unknown };
    super.catch(new HttpException({ statusCode: status, error: STATUS_CODES[status], code, message }, status, { cause: exception }), host);
  }
}
Catch()(RapsqliteExceptionFilter);
