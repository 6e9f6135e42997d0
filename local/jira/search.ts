import { createHash } from 'node:crypto';
import { JiraApiError, jiraErrors } from './errors.js';
import { type FieldId, type RestIssue, renderIssue, selectFields } from './fields.js';
import { compareIssueKeys, type IssueStore, type JiraIssue, type JiraProject } from './issues.js';
import { type CreatedOperator, JqlError, type JqlQuery, parseJql } from './jql.js';

/**
 * GET/POST /rest/api/3/search/jql (Jira Cloud's enhanced search): filter by the JQL subset (jql.ts), sort,
 * and page with an opaque `nextPageToken`. Pages hold 50 issues by default; a larger `maxResults` is clamped
 * to 100, or to 5000 when only ids are asked for (Jira's limits). Without ORDER BY the local Jira orders by
 * key ascending.
 */

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;
export const MAX_ID_PAGE_SIZE = 5000;

export interface SearchParams {
  jql: string;
  nextPageToken?: string | null;
  maxResults?: number;
  fields?: readonly string[];
}

export interface SearchPage {
  issues: RestIssue[];
  /** Absent on the last page, as in Jira. */
  nextPageToken?: string;
  isLast: boolean;
}

const INVALID_TOKEN = 'The provided next page token is invalid or expired.';

/** Ties the token to its query, so a token replayed with another JQL is refused rather than misread. */
const queryHash = (jql: string) => createHash('sha256').update(jql.trim()).digest('base64url').slice(0, 16);

const encodeToken = (jql: string, offset: number) =>
  Buffer.from(JSON.stringify({ q: queryHash(jql), o: offset })).toString('base64url');

function decodeToken(jql: string, token: string): number {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw jiraErrors.badRequest(INVALID_TOKEN);
  }
  const { q, o } = (decoded ?? {}) as { q?: unknown; o?: unknown };
  if (q !== queryHash(jql) || typeof o !== 'number' || !Number.isInteger(o) || o < 0)
    throw jiraErrors.badRequest(INVALID_TOKEN);
  return o;
}

const COMPARE: Record<CreatedOperator, (created: number, at: number) => boolean> = {
  '>': (created, at) => created > at,
  '>=': (created, at) => created >= at,
  '<': (created, at) => created < at,
  '<=': (created, at) => created <= at,
};

function resolveProject(projects: readonly JiraProject[], value: string): JiraProject {
  const v = value.toLowerCase();
  const project = projects.find(
    (p) => p.key.toLowerCase() === v || p.id === value || p.name.toLowerCase() === v,
  );
  if (!project) throw jiraErrors.badRequest(`The value '${value}' does not exist for the field 'project'.`);
  return project;
}

function matcher(store: IssueStore, query: JqlQuery): (issue: JiraIssue) => boolean {
  const allowed = query.projectClauses.map(
    (values) => new Set(values.map((v) => resolveProject(store.projects, v).key)),
  );
  return (issue) => {
    const project = store.projectOf(issue.key).key;
    if (!allowed.every((set) => set.has(project))) return false;
    const created = Date.parse(issue.created);
    return query.createdBounds.every(({ operator, at }) => COMPARE[operator](created, at));
  };
}

function comparator(query: JqlQuery): (a: JiraIssue, b: JiraIssue) => number {
  const order = query.orderBy.length > 0 ? query.orderBy : [{ field: 'key', direction: 'ASC' } as const];
  return (a, b) => {
    for (const { field, direction } of order) {
      const c =
        field === 'key' ? compareIssueKeys(a.key, b.key) : Date.parse(a.created) - Date.parse(b.created);
      if (c !== 0) return direction === 'ASC' ? c : -c;
    }
    // Equal sort values: key order, so pages never overlap or skip.
    return compareIssueKeys(a.key, b.key);
  };
}

function pageSize(maxResults: number | undefined, fields: readonly FieldId[] | null): number {
  if (maxResults === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(maxResults) || maxResults < 1)
    throw jiraErrors.badRequest(`The value '${maxResults}' of maxResults must be a positive integer.`);
  return Math.min(maxResults, fields === null ? MAX_ID_PAGE_SIZE : MAX_PAGE_SIZE);
}

/** One page of a search; throws JiraApiError 400 for bad JQL, an unknown project, token or page size. */
export function searchIssues(
  store: IssueStore,
  params: SearchParams,
  issueUrl: (id: string) => string,
): SearchPage {
  let query: JqlQuery;
  try {
    query = parseJql(params.jql);
  } catch (err) {
    if (err instanceof JqlError) throw new JiraApiError(400, [err.message]);
    throw err;
  }
  const fields = selectFields(params.fields);
  const size = pageSize(params.maxResults, fields);
  const offset = params.nextPageToken ? decodeToken(params.jql, params.nextPageToken) : 0;
  const hits = store.all().filter(matcher(store, query)).sort(comparator(query));
  const page = hits.slice(offset, offset + size);
  const isLast = offset + size >= hits.length;
  return {
    issues: page.map((issue) => renderIssue(issue, store.projectOf(issue.key), fields, issueUrl(issue.id))),
    ...(isLast ? {} : { nextPageToken: encodeToken(params.jql, offset + size) }),
    isLast,
  };
}
