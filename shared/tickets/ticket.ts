import { z } from 'zod';

/**
 * A Jira ticket as the classifier sees it (projects BILL and CUSTESC). The description is kept as Jira
 * returns it: plain text (older exports, the v2 API), an Atlassian Document Format object (the v3 API), or
 * null when empty. Whether an object is a readable ADF document is adf.ts's business, not the schema's: a
 * ticket with an odd description must still parse, so it can be reported as unclassified rather than lost.
 */

/** Jira's `PROJECT-123` issue key. */
const IssueKey = z.string().regex(/^[A-Z][A-Z0-9_]*-[1-9]\d*$/, 'expected a Jira issue key such as BILL-123');

/** ISO 8601 date-time; Jira writes its offset without a colon (`+0000`), which z.iso.datetime rejects. */
const IsoDateTime = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/,
    'expected an ISO 8601 date-time',
  )
  .refine(
    (s) => !Number.isNaN(Date.parse(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))),
    'not a real date-time',
  );

export const Description = z.union([z.string(), z.record(z.string(), z.unknown()), z.null()]);
export type Description = z.infer<typeof Description>;

export const Ticket = z
  .strictObject({
    key: IssueKey,
    project: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'expected a Jira project key such as BILL'),
    created: IsoDateTime,
    summary: z.string(),
    description: Description,
    labels: z.array(z.string()),
    accountIds: z.array(z.string()),
  })
  .refine((t) => t.key.startsWith(`${t.project}-`), {
    path: ['key'],
    message: 'the key does not belong to the project',
  });
export type Ticket = z.infer<typeof Ticket>;

/** The export field a problem was found in; `line` when the line is not a JSON object at all. */
export type ExportField =
  | 'line'
  | 'key'
  | 'project'
  | 'created'
  | 'summary'
  | 'description'
  | 'labels'
  | 'account_ids';

export class TicketParseError extends Error {
  override readonly name = 'TicketParseError';
  constructor(
    message: string,
    readonly field: ExportField,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type ParseResult = { ok: true; ticket: Ticket } | { ok: false; error: TicketParseError };

/** Export names for the Ticket fields that are spelled differently. */
const EXPORT_FIELD: Record<keyof Ticket, ExportField> = {
  key: 'key',
  project: 'project',
  created: 'created',
  summary: 'summary',
  description: 'description',
  labels: 'labels',
  accountIds: 'account_ids',
};

const fail = (field: ExportField, message: string, cause?: unknown): ParseResult => ({
  ok: false,
  error: new TicketParseError(`${field}: ${message}`, field, cause === undefined ? undefined : { cause }),
});

/**
 * Parses one NDJSON export line. A missing description is an empty one (null); missing labels or
 * account_ids are empty lists, as Jira omits empty fields. Every other problem is an error naming the field.
 */
export function parseExportLine(line: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (cause) {
    return fail('line', 'not valid JSON', cause);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return fail('line', 'not a JSON object');
  // Fields the export line has beyond these (expected_atom, note, ...) are ignored.
  const raw = json as Record<string, unknown>;
  const parsed = Ticket.safeParse({
    key: raw.key,
    project: raw.project,
    created: raw.created,
    summary: raw.summary,
    description: raw.description ?? null,
    labels: raw.labels ?? [],
    accountIds: raw.account_ids ?? [],
  });
  if (parsed.success) return { ok: true, ticket: parsed.data };
  const issue = parsed.error.issues[0];
  const field = EXPORT_FIELD[issue?.path[0] as keyof Ticket] ?? 'line';
  return fail(field, issue?.message ?? 'invalid', parsed.error);
}
