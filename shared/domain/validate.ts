import type { z } from 'zod';

/**
 * Boundary validation: every input from outside (a file, a message, an HTTP body) passes through here.
 * A failure names each offending field path and what was wrong with it, never a stack trace alone.
 */

export interface ValidationIssue {
  /** Dotted path with [index] for arrays, e.g. `ope.data.subscriptions[0].items[1].quantity`. */
  readonly path: string;
  readonly message: string;
  /** The JSON kind of the offending value: string, number, object, array, null, missing, ... */
  readonly received: string;
}

export class ValidationError extends Error {
  readonly code = 'invalid_input';
  constructor(
    /** What was being validated, e.g. "AccountView". */
    readonly subject: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    super(
      `invalid ${subject}: ${issues
        .slice(0, 10)
        .map(
          (i) =>
            `${i.path || '(root)'}: ${i.message}${i.received === 'missing' ? '' : ` (got ${i.received})`}`,
        )
        .join('; ')}${issues.length > 10 ? `; and ${issues.length - 10} more` : ''}`,
    );
    this.name = 'ValidationError';
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

export function kindOf(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part as string];
  }
  return current;
}

/** Parses `input` with `schema`, or throws a ValidationError listing every issue. */
export function validate<S extends z.ZodType>(schema: S, subject: string, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    subject,
    result.error.issues.map((issue) => {
      const received = kindOf(valueAt(input, issue.path));
      const expected = 'expected' in issue ? String(issue.expected) : undefined;
      const message =
        received === 'missing' && expected ? `is required (expected ${expected})` : issue.message;
      return { path: formatPath(issue.path), message, received };
    }),
  );
}

/** Parses JSON text, then validates it; malformed JSON is a ValidationError too, with its position. */
export function parseJson<S extends z.ZodType>(schema: S, subject: string, text: string): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(subject, [
      { path: '', message: `not valid JSON: ${(error as Error).message}`, received: 'text' },
    ]);
  }
  return validate(schema, subject, value);
}
