// Type tests, checked by `tsc -p tsconfig.json` (the typecheck target): `req.sqlite` and the wrapped handler.
import type { Queryable } from '@rapsqlite/engine';
import express, { type RequestHandler } from 'express';
import { expectTypeOf } from 'vitest';
import { transactional } from '../src/index.ts';

const app = express();
const handler = async (req: express.Request<{ id: string }>, res: express.Response): Promise<void> => {
  expectTypeOf(req.sqlite).toEqualTypeOf<Queryable>();
  res.json(await req.sqlite.get('SELECT ? AS id', [req.params.id]));
};
const wrapped = transactional(handler);
expectTypeOf(wrapped).toEqualTypeOf(handler);
app.get('/x/:id', wrapped);
expectTypeOf(transactional(((_req, res) => void res.end()) as RequestHandler)).toEqualTypeOf<RequestHandler>();
