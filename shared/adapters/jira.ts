import { setTimeout as sleep } from 'node:timers/promises';
import { createCloudClient, isRateLimitError } from 'jira.js';
import { UpstreamError } from '../ports/errors.js';
import type { TicketSourcePort } from '../ports/index.js';
import { type Ticket, Ticket as TicketSchema } from '../tickets/ticket.js';

/**
 * TicketSourcePort over Jira Cloud's REST API v3 through jira.js (docs/tickets.md, "Reading Jira"):
 * `POST /rest/api/3/search/jql`, paged by `nextPageToken`, asking for the fields the classifier needs and
 * nothing else. A 429 is waited out as its `Retry-After` says (bounded), then the same page is asked
 * again; other failures go up as an UpstreamError (the scheduler retries the run).
 *
 * JQL dates are read in the API user's time zone: the user whose token this is must have UTC in its
 * Jira profile (docs/deploy.md), so a week is the same week everywhere.
 */

export interface JiraTicketSourceOptions {
  /** e.g. https://example.atlassian.net */
  readonly baseUrl: string;
  readonly email: string;
  readonly apiToken: string;
  readonly projects: readonly string[];
  /** The custom field holding the account ids a ticket names (e.g. customfield_10042); null: none. */
  readonly accountIdField: string | null;
  /** Largest page Jira serves for these fields is 100. */
  readonly pageSize?: number;
  /** Longest single wait a 429 may ask for before the read gives up (default 60 s). */
  readonly maxRetryAfterMs?: number;
  /** 429s waited out per page before the read gives up (default 5). */
  readonly maxRateLimitRetries?: number;
}

const FIELDS = ['summary', 'description', 'created', 'labels', 'project'] as const;
const PROJECT_KEY = /^[A-Z][A-Z0-9_]*$/;

/** `2026-05-04T00:00:00.000Z` -> `"2026-05-04 00:00"` (JQL's minute precision; UTC, see above). */
export function jqlInstant(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`not a date-time: ${iso}`);
  if (d.getUTCSeconds() !== 0 || d.getUTCMilliseconds() !== 0)
    throw new Error(`JQL compares to the minute: ${iso} has seconds`);
  return `"${d.toISOString().slice(0, 16).replace('T', ' ')}"`;
}

export function weekJql(projects: readonly string[], fromIso: string, toIso: string): string {
  for (const p of projects) if (!PROJECT_KEY.test(p)) throw new Error(`not a Jira project key: ${p}`);
  return `project in (${projects.join(', ')}) AND created >= ${jqlInstant(fromIso)} AND created < ${jqlInstant(toIso)} ORDER BY created ASC`;
}

export class JiraTicketSource implements TicketSourcePort {
  private readonly client: ReturnType<typeof createCloudClient>;

  constructor(private readonly options: JiraTicketSourceOptions) {
    this.client = createCloudClient({
      host: options.baseUrl,
      auth: { type: 'basic', email: options.email, apiToken: options.apiToken },
    });
  }

  async ticketsCreated(fromIso: string, toIso: string): Promise<Ticket[]> {
    const jql = weekJql(this.options.projects, fromIso, toIso);
    const fields = [...FIELDS, ...(this.options.accountIdField ? [this.options.accountIdField] : [])];
    const out: Ticket[] = [];
    let nextPageToken: string | undefined;
    do {
      const page = await this.page(jql, fields, nextPageToken);
      for (const issue of page.issues ?? []) out.push(this.toTicket(issue as JiraIssue));
      nextPageToken = page.nextPageToken ?? undefined;
    } while (nextPageToken);
    return out;
  }

  private async page(jql: string, fields: string[], nextPageToken: string | undefined) {
    const maxRetries = this.options.maxRateLimitRetries ?? 5;
    for (let retries = 0; ; retries++) {
      try {
        return await this.client.issueSearch.searchAndReconsileIssuesUsingJqlPost({
          jql,
          fields,
          maxResults: this.options.pageSize ?? 100,
          ...(nextPageToken ? { nextPageToken } : {}),
        });
      } catch (err) {
        if (isRateLimitError(err) && retries < maxRetries) {
          const wait = err.retryAfterMs ?? 1000 * 2 ** retries;
          const bound = this.options.maxRetryAfterMs ?? 60_000;
          if (wait <= bound) {
            await sleep(wait);
            continue;
          }
        }
        throw new UpstreamError(
          `Jira search failed (${jql}${nextPageToken ? ', a later page' : ''}): ${err instanceof Error ? err.message : String(err)}`,
          'jira',
          true,
          (err as { status?: number }).status ?? null,
          { cause: err },
        );
      }
    }
  }

  /** One issue as a Ticket; an issue Jira served that does not parse is a Jira-side problem, named. */
  private toTicket(issue: JiraIssue): Ticket {
    const f = issue.fields ?? {};
    const field = this.options.accountIdField;
    const rawIds = field ? f[field] : null;
    const accountIds = Array.isArray(rawIds) ? rawIds.filter((x): x is string => typeof x === 'string') : [];
    const project = (f.project as { key?: string } | undefined)?.key ?? String(issue.key).split('-')[0];
    const parsed = TicketSchema.safeParse({
      key: issue.key,
      project,
      created: f.created,
      summary: typeof f.summary === 'string' ? f.summary : '',
      description: f.description ?? null,
      labels: Array.isArray(f.labels) ? f.labels : [],
      accountIds,
    });
    if (!parsed.success)
      throw new UpstreamError(
        `Jira issue ${String(issue.key)} does not read as a ticket: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        'jira',
        true,
      );
    return parsed.data;
  }
}

interface JiraIssue {
  key?: string;
  fields?: Record<string, unknown> & { project?: unknown };
}
