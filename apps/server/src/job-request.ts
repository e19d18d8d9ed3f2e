/** The body of POST /api/recordings/:name/jobs, validated. */
import { z } from 'zod';
import type { JobRequest } from './api-types.js';

const position = z.number().int().nonnegative().refine(Number.isSafeInteger, 'must be a safe integer');

export const jobRequestSchema = z
  .object({
    type: z.enum(['verify', 'replay', 'diagnose', 'seek']),
    analyses: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be an analysis name')).max(16).optional(),
    icount: position.optional(),
    parallel: z.number().int().min(1).max(256).optional(),
    allLanes: z.boolean().optional(),
    slices: z.array(z.number().int().nonnegative()).min(1).max(100_000).optional(),
  })
  .strict();

// The schema and the shared API type must not drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _same: Same<z.infer<typeof jobRequestSchema>, JobRequest> = true;
void _same;

export const uploadQuerySchema = z.object({ name: z.string().min(1).max(128) }).strict();
