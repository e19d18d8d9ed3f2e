import type { z } from 'zod';
import { badRequest } from './http-error.js';

/** Parses `value` with `schema`, or a 400 naming the first problem. */
export function validate<S extends z.ZodTypeAny>(schema: S, value: unknown, what: string): z.infer<S> {
  if (value === undefined || value === null) throw badRequest(`${what}: missing (send a JSON object with Content-Type: application/json)`);
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue.path.length ? issue.path.join('.') : 'top level';
  throw badRequest(`${what}: ${where}: ${issue.message}`);
}
