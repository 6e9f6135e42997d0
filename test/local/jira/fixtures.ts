import type { JiraIssue } from '../../../local/jira/index.js';
import { syntheticTickets } from '../../../local/jira/index.js';
import { createWorld } from '../../../local/synthetic/world.js';

/** Three weeks of synthetic tickets ending Sunday 2026-05-10 (about 165), from a 200-account world. */
export const world = createWorld({ accounts: 200, endDate: '2026-05-10', seed: 7 });
export const tickets: JiraIssue[] = syntheticTickets({ world, weeks: 3 });

/** The JQL the project sends for one week of tickets. */
export const WEEK_JQL =
  'project in (BILL, CUSTESC) AND created >= "2026-05-04 00:00" AND created < "2026-05-11 00:00" ORDER BY created ASC';

/** The tickets WEEK_JQL matches, in its order. */
export const weekTickets = tickets
  .filter((t) => t.created >= '2026-05-04T00:00:00.000Z' && t.created < '2026-05-11T00:00:00.000Z')
  .sort((a, b) => a.created.localeCompare(b.created));

/** What the search endpoint returns for an issue (the union of the shapes these tests read). */
export interface Page {
  issues: Array<{ id: string; key?: string; self?: string; fields?: Record<string, unknown> }>;
  nextPageToken?: string;
  isLast: boolean;
}
