import { z } from 'zod';
import { errors } from './errors.js';
import type { FormObject } from './form.js';

/**
 * Request parameters as endpoints declare them (wire values are strings; the schemas coerce them) and
 * their check against a declaration. A refusal here is Stripe's parameter validation, which happens
 * before an endpoint starts executing (errors.badParameters), so no idempotent result is saved for it.
 */

export const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
export const int = z
  .string()
  .regex(/^-?\d+$/, 'Invalid integer')
  .transform(Number);
export const nonNegInt = int.refine((n) => n >= 0, 'must be a non-negative integer');
export const expand = z.array(z.string()).optional();
/** `metadata=''` unsets all keys; `metadata[k]=''` unsets one key (Stripe's rules, with its limits). */
export const metadataParam = z.union([
  z.literal(''),
  z
    .record(
      z.string().max(40, 'Metadata keys can have up to 40 characters'),
      z.string().max(500, 'Metadata values can have up to 500 characters'),
    )
    .refine((m) => Object.keys(m).length <= 50, 'Metadata can have up to 50 keys'),
]);
export const listParams = {
  limit: int.refine((n) => n >= 1 && n <= 100, 'limit must be between 1 and 100').optional(),
  starting_after: z.string().optional(),
  ending_before: z.string().optional(),
  expand,
};
export const RetrieveOnly = z.strictObject({ expand });

function bracketPath(path: PropertyKey[]): string {
  const [head, ...rest] = path.map(String);
  return `${head ?? ''}${rest.map((p) => `[${p}]`).join('')}`;
}

/** The parameters as the schema declares them, or Stripe's error naming the first bad one (`items[1][price]`). */
export function parse<S extends z.ZodType>(schema: S, params: FormObject): z.infer<S> {
  const result = schema.safeParse(params);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw errors.badParameters('Invalid request');
  if (issue.code === 'unrecognized_keys') {
    throw errors.unknownParam(bracketPath([...issue.path, issue.keys[0] ?? '']));
  }
  const param = bracketPath(issue.path);
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    throw errors.badParameters(`Missing required param: ${param}.`, param, 'parameter_missing');
  }
  throw errors.badParameters(`Invalid ${param}: ${issue.message}`, param);
}
