/** The body of POST /api/recordings/:name/jobs, validated. */
import { z } from 'zod';
import type { JobRequest, JobType } from './api-types.js';

const position = z.number().int().nonnegative().refine(Number.isSafeInteger, 'must be a safe integer');

const REPLAYS: JobType[] = ['verify', 'replay', 'diagnose'];
/** The job types each optional field means something to: a field sent to any other type is refused, not silently ignored. */
const APPLIES_TO: Record<Exclude<keyof JobRequest, 'type'>, JobType[]> = {
  analyses: REPLAYS,
  icount: ['seek'],
  parallel: REPLAYS,
  allLanes: REPLAYS,
  slices: REPLAYS,
};

export const jobRequestSchema = z
  .object({
    type: z.enum(['verify', 'replay', 'diagnose', 'seek']),
    analyses: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be an analysis name')).max(16).optional(),
    icount: position.optional(),
    parallel: z.number().int().min(1).max(256).optional(),
    allLanes: z.boolean().optional(),
    slices: z.array(z.number().int().nonnegative()).min(1).max(100_000).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const [field, types] of Object.entries(APPLIES_TO)) {
      if (r[field as keyof typeof APPLIES_TO] !== undefined && !types.includes(r.type)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field], message: `does not apply to a ${r.type} job (only to ${types.join(', ')})` });
      }
    }
  });

// The schema and the shared API type must not drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _same: Same<z.infer<typeof jobRequestSchema>, JobRequest> = true;
void _same;

export const uploadQuerySchema = z.object({ name: z.string().min(1).max(128) }).strict();
