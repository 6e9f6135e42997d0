import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT_ID_FIELD,
  type AdfNode,
  basicAuth,
  FIELD_IDS,
  type LocalJira,
  startLocalJira,
} from '../../../local/jira/index.js';
import { type Page, tickets, WEEK_JQL, weekTickets } from './fixtures.js';

let jira: LocalJira;

beforeAll(async () => {
  jira = await startLocalJira();
});
afterAll(() => jira.stop());
beforeEach(() => {
  jira.reset();
  jira.seed({ issues: tickets });
});

interface Answer<T = Page> {
  status: number;
  headers: Headers;
  body: T;
}

async function call<T = Page>(
  path: string,
  init: { method?: string; body?: unknown; auth?: string | null } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  const auth = init.auth === undefined ? basicAuth() : init.auth;
  if (auth !== null) headers.Authorization = auth;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${jira.url}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
}

/** GET /rest/api/3/search/jql; arrays become repeated parameters, as jira.js sends them. */
function search(params: Record<string, string | number | string[]>, auth?: string | null) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const value of Array.isArray(v) ? v : [v]) q.append(k, String(value));
  }
  return call(`/rest/api/3/search/jql?${q}`, { auth });
}

const searchPost = (body: unknown, auth?: string | null) =>
  call('/rest/api/3/search/jql', { method: 'POST', body, auth });

async function pageThrough(fetchPage: (token: string | undefined) => Promise<Answer>): Promise<Page[]> {
  const pages: Page[] = [];
  let token: string | undefined;
  do {
    const answer = await fetchPage(token);
    expect(answer.status).toBe(200);
    pages.push(answer.body);
    token = answer.body.nextPageToken;
    expect(token === undefined).toBe(answer.body.isLast);
  } while (token !== undefined);
  return pages;
}

const jiraError = (message: string) => ({ errorMessages: [expect.stringContaining(message)], errors: {} });

describe('search paging', () => {
  it('pages a week through nextPageToken (GET) in created order, exactly the week', async () => {
    const pages = await pageThrough((token) =>
      search({
        jql: WEEK_JQL,
        maxResults: 20,
        fields: 'key,created',
        ...(token ? { nextPageToken: token } : {}),
      }),
    );
    expect(weekTickets.length).toBeGreaterThan(40);
    expect(pages.length).toBe(Math.ceil(weekTickets.length / 20));
    for (const page of pages.slice(0, -1)) expect(page.issues).toHaveLength(20);
    expect(pages.flatMap((p) => p.issues.map((i) => i.key))).toEqual(weekTickets.map((t) => t.key));
  });

  it('pages the same through POST, with fields as an array', async () => {
    const pages = await pageThrough((token) =>
      searchPost({ jql: WEEK_JQL, maxResults: 35, fields: ['key'], nextPageToken: token ?? null }),
    );
    expect(pages.flatMap((p) => p.issues.map((i) => i.key))).toEqual(weekTickets.map((t) => t.key));
  });

  it('orders by key: project, then issue number', async () => {
    const pages = await pageThrough((token) =>
      searchPost({
        jql: 'project in (CUSTESC, BILL) AND created >= "2026-05-04" ORDER BY key ASC',
        fields: ['key'],
        maxResults: 100,
        ...(token ? { nextPageToken: token } : {}),
      }),
    );
    const keys = pages.flatMap((p) => p.issues.map((i) => i.key as string));
    const parts = keys.map((k) => k.split('-') as [string, string]);
    const sorted = [...parts].sort(([pa, na], [pb, nb]) =>
      pa === pb ? Number(na) - Number(nb) : pa < pb ? -1 : 1,
    );
    expect(parts).toEqual(sorted);
    expect(new Set(keys).size).toBe(weekTickets.length);
  });

  it('pages hold 50 by default, at most 100 with fields and 5000 with ids only', async () => {
    const jql = 'project in (BILL, CUSTESC) AND created >= "2026-01-01"';
    expect(tickets.length).toBeGreaterThan(100);
    expect((await search({ jql, fields: 'key' })).body.issues).toHaveLength(50);
    expect((await search({ jql, fields: 'key', maxResults: 1000 })).body.issues).toHaveLength(100);
    const idsOnly = await search({ jql, maxResults: 1000 });
    expect(idsOnly.body.issues).toHaveLength(tickets.length);
    expect(idsOnly.body.isLast).toBe(true);
  });

  it('refuses a page token from another query, and a made-up one', async () => {
    const first = await search({ jql: WEEK_JQL, maxResults: 10 });
    const token = first.body.nextPageToken as string;
    const other = await search({ jql: 'project = BILL AND created >= "2026-05-04"', nextPageToken: token });
    expect(other.status).toBe(400);
    expect(other.body).toEqual(jiraError('next page token is invalid'));
    expect((await search({ jql: WEEK_JQL, nextPageToken: 'bm9wZQ' })).status).toBe(400);
  });
});

describe('fields', () => {
  it('returns issue ids only when no fields (or only id) are asked for, as Jira does', async () => {
    for (const params of [{}, { fields: 'id' }] as Array<Record<string, string>>) {
      const { body } = await search({ jql: WEEK_JQL, maxResults: 5, ...params });
      expect(body.issues).toEqual(weekTickets.slice(0, 5).map((t) => ({ id: t.id })));
    }
  });

  it('returns only the requested fields', async () => {
    const { body } = await search({ jql: WEEK_JQL, maxResults: 5, fields: ['summary', ACCOUNT_ID_FIELD] });
    for (const [i, issue] of body.issues.entries()) {
      const t = weekTickets[i]!;
      expect(issue).toEqual({
        id: t.id,
        key: t.key,
        self: `${jira.url}/rest/api/3/issue/${t.id}`,
        fields: { summary: t.summary, [ACCOUNT_ID_FIELD]: t.accountIds },
      });
    }
  });

  it('*all gives every field in Jira shapes, -name drops one, and in-process properties never leak', async () => {
    const all = await searchPost({ jql: WEEK_JQL, fields: ['*all'], maxResults: 100 });
    const t = weekTickets[0]!;
    expect(all.body.issues[0]?.fields).toEqual({
      summary: t.summary,
      description: t.description,
      labels: t.labels,
      created: `${t.created.slice(0, 23)}+0000`,
      project: t.key.startsWith('BILL')
        ? { id: '10000', key: 'BILL', name: 'Billing' }
        : { id: '10001', key: 'CUSTESC', name: 'Customer Escalations' },
      issuetype: { name: t.issueType },
      status: { name: t.status },
      [ACCOUNT_ID_FIELD]: t.accountIds,
    });
    for (const issue of all.body.issues) {
      expect(issue.fields?.created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
    }
    const text = JSON.stringify(all.body);
    expect(text).not.toContain('intendedAtom');
    expect(text).not.toContain('"cause"');

    const navigable = await search({ jql: WEEK_JQL, fields: '*navigable,-description', maxResults: 1 });
    expect(Object.keys(navigable.body.issues[0]?.fields ?? {}).sort()).toEqual(
      FIELD_IDS.filter((f) => f !== 'description').sort(),
    );
  });

  it('serves descriptions as ADF documents', async () => {
    await call('/_admin/issues', {
      method: 'POST',
      body: {
        key: 'BILL-999',
        summary: 'ADF shape',
        created: '2026-05-05T10:00:00Z',
        description: 'First line\nsecond line\n\n- one\n- two\n\n```json\n{"a": 1}\n```',
      },
    });
    const { body } = await search({
      jql: 'project = BILL AND created >= "2026-05-05 10:00" AND created < "2026-05-05 10:01"',
      fields: 'description',
    });
    expect(body.issues.map((i) => i.fields?.description)).toEqual([
      {
        type: 'doc',
        version: 1,
        content: [
          {
            type: 'paragraph',
            content: [
              { type: 'text', text: 'First line' },
              { type: 'hardBreak' },
              { type: 'text', text: 'second line' },
            ],
          },
          {
            type: 'bulletList',
            content: ['one', 'two'].map((text) => ({
              type: 'listItem',
              content: [{ type: 'paragraph', content: [{ type: 'text', text }] }],
            })),
          },
          { type: 'codeBlock', attrs: { language: 'json' }, content: [{ type: 'text', text: '{"a": 1}' }] },
        ],
      },
    ]);

    // Every generated description is a valid doc: block nodes hold nodes, text nodes hold text.
    const check = (node: AdfNode) => {
      if (node.type === 'text') expect(node.text).toMatch(/\S/);
      for (const child of node.content ?? []) check(child);
    };
    const all = await searchPost({ jql: WEEK_JQL, fields: ['description'], maxResults: 100 });
    for (const issue of all.body.issues) {
      const doc = issue.fields?.description as { type: string; version: number; content: AdfNode[] } | null;
      if (doc === null) continue;
      expect([doc.type, doc.version]).toEqual(['doc', 1]);
      for (const node of doc.content) check(node);
    }
  });
});

describe('JQL', () => {
  it.each([
    ['', 'Unbounded JQL queries are not allowed here'],
    ['ORDER BY created ASC', 'Unbounded JQL queries are not allowed here'],
    ['project = BILL OR project = CUSTESC', 'does not support OR'],
    ['assignee = currentUser()', "Field 'assignee' does not exist"],
    ['project = NOPE', "The value 'NOPE' does not exist for the field 'project'."],
    ['project != BILL', "The operator '!=' is not supported by the 'project' field"],
    ['project NOT IN (BILL)', "The operator 'NOT IN' is not supported"],
    ['created >= "2026-13-01"', "Date value '2026-13-01' for field 'created' is invalid"],
    ['created >= -5d', "Date value '-5d' for field 'created' is invalid"],
    ['created >= startOfWeek()', 'does not support JQL functions'],
    ['created = "2026-05-04"', "The operator '=' is not supported by the 'created' field"],
    ['project in (BILL, CUSTESC', "Expecting ')' before the end of the query."],
    ['project = "BILL', "The quoted string 'BILL' has not been completed."],
    ['project = BILL AND', 'Expecting a field name before the end of the query.'],
    ['project = BILL foo', "Expecting either 'OR' or 'AND' but got 'foo'. (line 1, character 16)"],
    ['project BILL', "Expecting operator but got 'BILL'"],
    ['project = BILL ORDER BY summary', "Field 'summary' does not exist"],
  ])('refuses %j with a Jira 400', async (jql, message) => {
    const res = await search({ jql });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(jiraError(message));
  });

  it('refuses bad JQL over POST too', async () => {
    const res = await searchPost({ jql: 'status = Open' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(jiraError("Field 'status' does not exist"));
  });

  it.each([
    'project in (bill, custesc) and created >= 2026-05-04 and created<"2026-05-11" order by created',
    'PROJECT IN ("BILL", \'CUSTESC\') AND createdDate >= "2026/05/04" AND created <= "2026-05-11 00:00"',
    'project in (10000, "Customer Escalations") AND created >= "2026-05-04 00:00" AND created < "2026-05-11"',
  ])('reads the supported spellings: %s', async (jql) => {
    const { body } = await searchPost({ jql, fields: ['key'], maxResults: 100 });
    expect(body.issues.map((i) => i.key).sort()).toEqual(weekTickets.map((t) => t.key).sort());
  });

  it('narrows by project and orders descending', async () => {
    const { body } = await searchPost({
      jql: 'project = CUSTESC AND created >= "2026-05-04" ORDER BY created DESC',
      fields: ['key'],
      maxResults: 100,
    });
    const expected = weekTickets.filter((t) => t.key.startsWith('CUSTESC-')).reverse();
    expect(body.issues.map((i) => i.key)).toEqual(expected.map((t) => t.key));
  });
});

describe('auth', () => {
  it.each([
    ['no credentials', null],
    ['a wrong token', basicAuth({ email: 'dev@example.com', token: 'nope' })],
    ['an unknown email', basicAuth({ email: 'someone@example.com', token: 'local-jira-dev-token' })],
    ['a bearer token', 'Bearer local-jira-dev-token'],
  ])('answers %s with 401 and Jira’s body', async (_name, auth) => {
    const res = await search({ jql: WEEK_JQL }, auth);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      errorMessages: ['Client must be authenticated to access this resource.'],
      errors: {},
    });
  });

  it('accepts the configured tokens only', async () => {
    const bot = { email: 'bot@example.com', token: 'bot-token' };
    const other = await startLocalJira({ tokens: [bot], issues: tickets.slice(0, 3) });
    try {
      const get = (auth: string) =>
        fetch(`${other.url}/rest/api/3/search/jql?jql=project%3DBILL`, { headers: { Authorization: auth } });
      expect((await get(basicAuth())).status).toBe(401);
      expect((await get(basicAuth(bot))).status).toBe(200);
    } finally {
      await other.stop();
    }
  });
});

describe('throttling and faults', () => {
  it('answers an injected 429 with Retry-After and Jira’s rate-limit headers, then recovers', async () => {
    const fault = await call('/_admin/faults', {
      method: 'POST',
      body: { status: 429, count: 2, retryAfterSeconds: 7 },
    });
    expect(fault.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const before = Date.now();
      const res = await search({ jql: WEEK_JQL });
      expect(res.status).toBe(429);
      expect(res.body).toEqual(jiraError('Rate limit exceeded'));
      expect(res.headers.get('retry-after')).toBe('7');
      expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(res.headers.get('x-ratelimit-limit')).toMatch(/^\d+$/);
      expect(res.headers.get('ratelimit-reason')).toBe('jira-burst-based');
      const reset = Date.parse(res.headers.get('x-ratelimit-reset') ?? '');
      expect(reset).toBeGreaterThanOrEqual(before + 6000);
      expect(reset).toBeLessThanOrEqual(Date.now() + 8000);
    }
    expect((await search({ jql: WEEK_JQL })).status).toBe(200);
  });

  it('answers an injected 503, with Retry-After when given', async () => {
    jira.injectFault({ status: 503, retryAfterSeconds: 3 });
    const res = await search({ jql: WEEK_JQL });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
    expect((await search({ jql: WEEK_JQL })).status).toBe(200);
  });

  it('refuses a bad fault', async () => {
    const res = await call<{ error: { code: string } }>('/_admin/faults', {
      method: 'POST',
      body: { status: 500 },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_fault');
  });

  it('limits requests per rolling second when configured', async () => {
    const limited = await startLocalJira({
      rateLimit: { requestsPerSecond: 3 },
      issues: tickets.slice(0, 3),
    });
    try {
      const get = () =>
        fetch(`${limited.url}/rest/api/3/search/jql?jql=project%3DBILL`, {
          headers: { Authorization: basicAuth() },
        });
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await get());
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
      expect(answers.map((a) => a.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
      expect(answers[3]?.headers.get('retry-after')).toBe('1');
      expect(answers[3]?.headers.get('x-ratelimit-limit')).toBe('3');
      limited.setRateLimit(undefined);
      expect((await get()).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});

describe('request log and other routes', () => {
  it('records method, path, status, JQL and page token of API requests, not admin calls', async () => {
    const first = await search({ jql: WEEK_JQL, maxResults: 30 });
    await searchPost({ jql: WEEK_JQL, maxResults: 30, nextPageToken: first.body.nextPageToken });
    await search({ jql: WEEK_JQL }, null);
    const { body } = await call<{ requests: Array<Record<string, unknown>> }>('/_admin/requests');
    expect(body.requests).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: '/rest/api/3/search/jql',
        status: 200,
        jql: WEEK_JQL,
        nextPageToken: null,
      }),
      expect.objectContaining({
        method: 'POST',
        status: 200,
        jql: WEEK_JQL,
        nextPageToken: first.body.nextPageToken,
      }),
      expect.objectContaining({ method: 'GET', status: 401, jql: WEEK_JQL }),
    ]);
    expect(jira.requests()).toEqual(body.requests);
  });

  it.each([
    ['GET', '/rest/api/3/search?jql=project%3DBILL', 410, 'The requested API has been removed'],
    ['POST', '/rest/api/3/search', 410, 'The requested API has been removed'],
    ['GET', '/rest/api/3/issue/10001', 404, 'No resource'],
    ['PUT', '/rest/api/3/search/jql', 405, 'Method PUT is not allowed'],
  ])('%s %s -> %i', async (method, path, status, message) => {
    const res = await call(path, { method });
    expect(res.status).toBe(status);
    expect(res.body).toEqual(jiraError(message));
  });

  it.each([
    ['not JSON', '{jql'],
    ['an unknown property', { jql: WEEK_JQL, max_results: 10 }],
    ['fields as a string', { jql: WEEK_JQL, fields: 'key' }],
  ])('answers a POST body with %s with Jira’s invalid-payload 400', async (_name, body) => {
    const res = await searchPost(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(jiraError('Invalid request payload'));
  });
});

describe('admin', () => {
  type Err = { error: { code: string; message: string } };

  it.each([
    ['a bad key', { key: 'bill-1', summary: 's', created: '2026-05-04T00:00:00Z' }],
    ['an unknown project', { key: 'OPS-1', summary: 's', created: '2026-05-04T00:00:00Z' }],
    ['no created', { key: 'BILL-5000', summary: 's' }],
    [
      'an unknown property',
      { key: 'BILL-5000', summary: 's', created: '2026-05-04T00:00:00Z', assignee: 'x' },
    ],
  ])('refuses a seed with %s and changes nothing', async (_name, issue) => {
    const good = { key: 'BILL-4999', summary: 'fine', created: '2026-05-04T00:00:00Z' };
    const res = await call<Err>('/_admin/seed', { method: 'POST', body: { issues: [good, issue] } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_seed');
    expect(jira.issues()).toHaveLength(tickets.length);
  });

  it('adds one issue (409 when its key exists), lists records with their in-process properties, resets', async () => {
    const added = await call<Record<string, unknown>>('/_admin/issues', {
      method: 'POST',
      body: {
        key: 'CUSTESC-900',
        summary: 'added',
        created: '2026-05-06T08:00:00+02:00',
        accountIds: ['acc_0000001'],
      },
    });
    expect(added.body).toMatchObject({
      key: 'CUSTESC-900',
      created: '2026-05-06T06:00:00.000Z',
      description: null,
      labels: [],
      issueType: 'Task',
      status: 'Open',
      accountIds: ['acc_0000001'],
    });
    const again = await call<Err>('/_admin/issues', {
      method: 'POST',
      body: { key: 'CUSTESC-900', summary: 'again', created: '2026-05-06T08:00:00Z' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('issue_exists');

    const listed = await call<{ issues: Array<{ key: string; intendedAtom?: string }> }>('/_admin/issues');
    expect(listed.body.issues).toHaveLength(tickets.length + 1);
    expect(listed.body.issues.filter((i) => i.intendedAtom !== undefined)).toHaveLength(tickets.length);

    expect((await call('/_admin/reset', { method: 'POST' })).status).toBe(200);
    expect(jira.issues()).toEqual([]);
    expect(jira.requests()).toEqual([]);
  });

  it('replaces an issue seeded again under the same key, keeping its id', async () => {
    const t = tickets[0]!;
    // Jira's own timestamp format is accepted too (a seed from a Jira export).
    jira.seed({ issues: [{ key: t.key, summary: 'rewritten', created: '2026-05-04T09:12:33.000+0200' }] });
    const stored = jira.issues().find((i) => i.key === t.key);
    expect(stored).toMatchObject({ id: t.id, summary: 'rewritten', created: '2026-05-04T07:12:33.000Z' });
  });
});
