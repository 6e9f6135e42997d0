import type { JiraIssue, JiraProject } from './issues.js';

/**
 * The issue fields the local Jira serves, and how a search's `fields` parameter picks them (Jira Cloud's
 * rules for /rest/api/3/search/jql): a comma list, repeatable; `*all` and `*navigable` give every field
 * (all of these are navigable); `-name` drops one (exclusions alone apply to `*navigable`); unknown names
 * are ignored, as Jira does. With no `fields`, or only `id`, the endpoint returns issue ids only.
 */

/**
 * The "Cloudflare Account ID" custom field of the local Jira: the account ids a ticket names (string[] or
 * null). Custom field ids differ between Jira sites; production configures its own, this is the local one.
 */
export const ACCOUNT_ID_FIELD = 'customfield_10042';

export const FIELD_IDS = [
  'summary',
  'description',
  'labels',
  'created',
  'project',
  'issuetype',
  'status',
  ACCOUNT_ID_FIELD,
] as const;
export type FieldId = (typeof FIELD_IDS)[number];

/** An issue as the search endpoint returns it: only `id` when ids only were asked for. */
export interface RestIssue {
  id: string;
  key?: string;
  self?: string;
  fields?: Partial<Record<FieldId, unknown>>;
}

/** The fields to return, or null for ids only. */
export function selectFields(requested: readonly string[] | undefined): FieldId[] | null {
  const names = (requested ?? [])
    .flatMap((f) => f.split(','))
    .map((f) => f.trim())
    .filter((f) => f !== '');
  if (names.every((n) => n === 'id')) return null;
  const excluded = new Set(names.filter((n) => n.startsWith('-')).map((n) => n.slice(1)));
  const included = names.filter((n) => !n.startsWith('-'));
  const everything = included.length === 0 || included.some((n) => n === '*all' || n === '*navigable');
  const chosen = everything ? [...FIELD_IDS] : FIELD_IDS.filter((f) => included.includes(f));
  return chosen.filter((f) => !excluded.has(f));
}

/** Jira's timestamp format: `2026-05-04T09:12:33.000+0000` (from a stored `...Z` instant). */
export function jiraTimestamp(iso: string): string {
  return `${iso.slice(0, 23)}+0000`;
}

function fieldValue(issue: JiraIssue, project: JiraProject, field: FieldId): unknown {
  switch (field) {
    case 'summary':
      return issue.summary;
    case 'description':
      return issue.description;
    case 'labels':
      return issue.labels;
    case 'created':
      return jiraTimestamp(issue.created);
    case 'project':
      return { id: project.id, key: project.key, name: project.name };
    case 'issuetype':
      return { name: issue.issueType };
    case 'status':
      return { name: issue.status };
    case ACCOUNT_ID_FIELD:
      return issue.accountIds;
  }
}

/** The REST shape of an issue; in-process-only properties (intendedAtom, cause) never appear. */
export function renderIssue(
  issue: JiraIssue,
  project: JiraProject,
  fields: readonly FieldId[] | null,
  self: string,
): RestIssue {
  if (fields === null) return { id: issue.id };
  return {
    id: issue.id,
    key: issue.key,
    self,
    fields: Object.fromEntries(fields.map((f) => [f, fieldValue(issue, project, f)])),
  };
}
