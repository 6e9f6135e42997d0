import { createCloudClient, isApiError, isAuthError, isRateLimitError } from 'jira.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT_ID_FIELD,
  DEV_JIRA_CREDENTIALS,
  type JiraCredentials,
  type LocalJira,
  startLocalJira,
} from '../../../local/jira/index.js';
import { tickets, WEEK_JQL, weekTickets } from './fixtures.js';

// The real client (jira.js 6, the successor of Version3Client), validating every response against its schemas.
let jira: LocalJira;

beforeAll(async () => {
  jira = await startLocalJira({ issues: tickets });
});
afterAll(() => jira.stop());
beforeEach(() => {
  jira.clearFaults();
  jira.clearRequests();
});

const client = (credentials: JiraCredentials = DEV_JIRA_CREDENTIALS) =>
  createCloudClient({
    host: jira.url,
    auth: { type: 'basic', email: credentials.email, apiToken: credentials.token },
    onSchemaMismatch: 'throw',
  });

const fields = ['summary', 'description', 'created', 'labels', ACCOUNT_ID_FIELD];

describe('jira.js against the local Jira', () => {
  it('pages a week with GET searches, every field as seeded', async () => {
    const search = client().issueSearch;
    const seen: string[] = [];
    let nextPageToken: string | undefined;
    do {
      const page = await search.searchAndReconsileIssuesUsingJql({
        jql: WEEK_JQL,
        fields,
        maxResults: 25,
        nextPageToken,
      });
      for (const issue of page.issues ?? []) {
        const t = weekTickets[seen.length]!;
        expect(issue.key).toBe(t.key);
        expect(issue.fields).toEqual({
          summary: t.summary,
          description: t.description,
          created: `${t.created.slice(0, 23)}+0000`,
          labels: t.labels,
          [ACCOUNT_ID_FIELD]: t.accountIds,
        });
        seen.push(issue.key as string);
      }
      nextPageToken = page.nextPageToken ?? undefined;
      expect(page.isLast).toBe(nextPageToken === undefined);
    } while (nextPageToken);
    expect(seen).toEqual(weekTickets.map((t) => t.key));
    // jira.js sends a fields array as repeated parameters; every page named the same JQL.
    expect(jira.requests().every((r) => r.jql === WEEK_JQL && r.status === 200)).toBe(true);
  });

  it('pages a week with POST searches', async () => {
    const search = client().issueSearch;
    const keys: string[] = [];
    let nextPageToken: string | undefined;
    do {
      const page = await search.searchAndReconsileIssuesUsingJqlPost({
        jql: WEEK_JQL,
        fields: ['key'],
        maxResults: 40,
        nextPageToken,
      });
      keys.push(...(page.issues ?? []).map((i) => i.key as string));
      nextPageToken = page.nextPageToken ?? undefined;
    } while (nextPageToken);
    expect(keys).toEqual(weekTickets.map((t) => t.key));
  });

  it('surfaces 401, 400 and 429 as jira.js typed errors', async () => {
    const bad = client({ email: 'dev@example.com', token: 'wrong' }).issueSearch;
    const e401 = await bad.searchAndReconsileIssuesUsingJql({ jql: WEEK_JQL }).catch((e: unknown) => e);
    expect(isAuthError(e401)).toBe(true);

    const search = client().issueSearch;
    const e400 = await search
      .searchAndReconsileIssuesUsingJql({ jql: 'text ~ "refund"' })
      .catch((e: unknown) => e);
    expect(isApiError(e400) && e400.status).toBe(400);
    expect(isApiError(e400) && e400.body).toEqual({
      errorMessages: [expect.stringContaining("Field 'text' does not exist")],
      errors: {},
    });

    jira.injectFault({ status: 429, retryAfterSeconds: 2 });
    const e429 = await search
      .searchAndReconsileIssuesUsingJqlPost({ jql: WEEK_JQL })
      .catch((e: unknown) => e);
    expect(isRateLimitError(e429) && e429.retryAfterMs).toBe(2000);
  });
});
