import { z } from 'zod';
import { SCENARIO_WEIGHTS, type Scenario } from '../synthetic/world.js';
import type { AdfDoc, AdfNode } from './adf.js';
import { textToAdf } from './adf.js';
import { TICKET_LABELS, type TicketLabel } from './taxonomy.js';

/**
 * The local Jira's issue table: the in-process record of an issue (what the REST API serves, plus what
 * only tests may see), the seed format that fills it, and the projects issues belong to.
 */

export interface JiraProject {
  id: string;
  key: string;
  name: string;
}

/** The projects this project's tickets live in; a LocalJira can be given others. */
export const DEFAULT_PROJECTS: readonly JiraProject[] = [
  { id: '10000', key: 'BILL', name: 'Billing' },
  { id: '10001', key: 'CUSTESC', name: 'Customer Escalations' },
];

export type DriftScenario = Extract<Scenario, `drift_${string}`>;

const DRIFT_SCENARIOS = SCENARIO_WEIGHTS.map(([s]) => s).filter((s): s is DriftScenario =>
  s.startsWith('drift_'),
);

/** The world account whose drift a synthetic ticket was filed about. */
export interface DriftCause {
  accountId: string;
  scenario: DriftScenario;
}

/** One issue as the local Jira stores it. */
export interface JiraIssue {
  /** Jira's numeric issue id, as a string. */
  id: string;
  /** `PROJECT-N`; the project must be one the server knows. */
  key: string;
  summary: string;
  description: AdfDoc | null;
  labels: string[];
  /** ISO 8601 instant in UTC (`2026-05-04T09:12:33.000Z`); served in Jira's format. */
  created: string;
  issueType: string;
  status: string;
  /** The Cloudflare account ids the ticket names: served as customfield_10042 (see fields.ts). */
  accountIds: string[] | null;
  /** Never served over REST: the atom the generator meant the ticket to be about (classifier checks). */
  intendedAtom?: TicketLabel;
  /** Never served over REST: the drift the generator filed the ticket about. */
  cause?: DriftCause;
}

const ISSUE_KEY = /^([A-Z][A-Z0-9_]*)-([1-9]\d*)$/;
const JIRA_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$/;

const AdfNodeSchema: z.ZodType<AdfNode> = z.lazy(() =>
  z.strictObject({
    type: z.string().min(1),
    attrs: z.record(z.string(), z.unknown()).optional(),
    content: z.array(AdfNodeSchema).optional(),
    text: z.string().min(1).optional(),
    marks: z
      .array(z.strictObject({ type: z.string().min(1), attrs: z.record(z.string(), z.unknown()).optional() }))
      .optional(),
  }),
);

const AdfDocSchema = z.strictObject({
  type: z.literal('doc'),
  version: z.literal(1),
  content: z.array(AdfNodeSchema),
});

/** One issue to seed. Defaults: id assigned, description null, no labels, type Task, status Open. */
export const JiraIssueSeedSchema = z.strictObject({
  id: z.string().regex(/^\d+$/, 'a numeric string').optional(),
  key: z.string().regex(ISSUE_KEY, 'PROJECT-N'),
  summary: z.string().min(1),
  /** An ADF document, or plain text converted with textToAdf. */
  description: z.union([AdfDocSchema, z.string(), z.null()]).optional(),
  // Jira labels cannot contain spaces.
  labels: z.array(z.string().regex(/^\S+$/, 'a label without spaces')).optional(),
  /** ISO 8601 with an offset, or Jira's own `2026-05-04T09:12:33.000+0000` (as an export has it). */
  created: z.union([
    z.iso.datetime({ offset: true }),
    z.string().regex(JIRA_TIMESTAMP, 'an ISO 8601 timestamp'),
  ]),
  issueType: z.string().min(1).optional(),
  status: z.string().min(1).optional(),
  accountIds: z.array(z.string().min(1)).nullable().optional(),
  intendedAtom: z.enum(TICKET_LABELS).optional(),
  cause: z.strictObject({ accountId: z.string().min(1), scenario: z.enum(DRIFT_SCENARIOS) }).optional(),
});
export type JiraIssueSeed = z.input<typeof JiraIssueSeedSchema>;

export const JiraSeedSchema = z.strictObject({ issues: z.array(JiraIssueSeedSchema) });
export type JiraSeed = z.input<typeof JiraSeedSchema>;

/** A seed or an added issue the store refuses; `conflict`: the key is already taken. */
export class IssueSeedError extends Error {
  constructor(
    message: string,
    readonly reason: 'invalid' | 'conflict' = 'invalid',
  ) {
    super(message);
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

const keyParts = (key: string): [string, number] => {
  const m = ISSUE_KEY.exec(key) as RegExpExecArray;
  return [m[1] as string, Number(m[2])];
};

/** Jira's key order: by project key, then by issue number (BILL-2 before BILL-10). */
export function compareIssueKeys(a: string, b: string): number {
  const [pa, na] = keyParts(a);
  const [pb, nb] = keyParts(b);
  return pa === pb ? na - nb : pa < pb ? -1 : 1;
}

export class IssueStore {
  private readonly byKey = new Map<string, JiraIssue>();

  constructor(readonly projects: readonly JiraProject[] = DEFAULT_PROJECTS) {}

  projectOf(issueKey: string): JiraProject {
    const [projectKey] = keyParts(issueKey);
    return this.projects.find((p) => p.key === projectKey) as JiraProject;
  }

  /** Validates every issue, then adds or replaces them by key; throws IssueSeedError, changing nothing. */
  seed(seed: JiraSeed): number {
    const parsed = JiraSeedSchema.safeParse(seed);
    if (!parsed.success) throw new IssueSeedError(`invalid Jira seed: ${describeIssues(parsed.error)}`);
    const issues = parsed.data.issues;
    const keys = new Set<string>();
    const idOwner = new Map([...this.byKey.values()].map((i) => [i.id, i.key]));
    for (const issue of issues) {
      if (keys.has(issue.key)) throw new IssueSeedError(`invalid Jira seed: key ${issue.key} appears twice`);
      keys.add(issue.key);
      const [projectKey] = keyParts(issue.key);
      if (!this.projects.some((p) => p.key === projectKey))
        throw new IssueSeedError(
          `invalid Jira seed: ${issue.key} is in project ${projectKey}, which the local Jira does not have (${this.projects.map((p) => p.key).join(', ')})`,
        );
      if (issue.id !== undefined) {
        const owner = idOwner.get(issue.id);
        if (owner !== undefined && owner !== issue.key)
          throw new IssueSeedError(`invalid Jira seed: id ${issue.id} of ${issue.key} is already ${owner}'s`);
        idOwner.set(issue.id, issue.key);
      }
    }
    let nextId = [...idOwner.keys()].reduce((max, id) => Math.max(max, Number(id)), 10_000) + 1;
    for (const issue of issues) {
      const id = issue.id ?? this.byKey.get(issue.key)?.id ?? String(nextId++);
      const description =
        typeof issue.description === 'string' ? textToAdf(issue.description) : (issue.description ?? null);
      this.byKey.set(issue.key, {
        id,
        key: issue.key,
        summary: issue.summary,
        description,
        labels: issue.labels ?? [],
        created: new Date(issue.created).toISOString(),
        issueType: issue.issueType ?? 'Task',
        status: issue.status ?? 'Open',
        accountIds: issue.accountIds ?? null,
        ...(issue.intendedAtom !== undefined ? { intendedAtom: issue.intendedAtom } : {}),
        ...(issue.cause !== undefined ? { cause: issue.cause } : {}),
      });
    }
    return issues.length;
  }

  /** Adds one issue; throws IssueSeedError (`conflict` when the key exists). */
  add(issue: JiraIssueSeed): JiraIssue {
    if (this.byKey.has(issue.key)) throw new IssueSeedError(`issue ${issue.key} already exists`, 'conflict');
    this.seed({ issues: [issue] });
    return this.byKey.get(issue.key) as JiraIssue;
  }

  /** Every issue, in key order. */
  all(): JiraIssue[] {
    return [...this.byKey.values()].sort((a, b) => compareIssueKeys(a.key, b.key));
  }

  reset(): void {
    this.byKey.clear();
  }
}
