import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNightlyCycle } from '../../local/run/cycle.js';
import type { LocalPipeline } from '../../local/run/pipeline.js';
import { AUDIT_TABLE, DATASETS, TICKET_CLASSIFICATIONS_TABLE } from '../../shared/contracts/topology.js';
import { addWeeks, weekOf } from '../../shared/tickets/weeks.js';
import { startTestPipeline } from './support.js';

/**
 * The weekly ticket signal end to end (docs/tickets.md): after a nightly run on the synthetic world, 27
 * weeks of BILL and CUSTESC tickets are read from the local Jira through jira.js by classify-tickets over
 * HTTP, classified by the V6 taxonomy, landed in the local BigQuery, and the digest's drift links are
 * checked against what the audit table says about the accounts the drift tickets name.
 */
describe('classify-tickets on the local stack', () => {
  let p: LocalPipeline;
  let lastWeek: string;
  let weeks: string[];
  const results: { status: number; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    p = await startTestPipeline({ accounts: 300, seed: 7 });
    const summary = await runNightlyCycle(p);
    expect(summary.drained).toBe(true);
    lastWeek = weekOf(`${p.snapshotDate}T00:00:00Z`);
    weeks = Array.from({ length: 27 }, (_, i) => addWeeks(lastWeek, i - 26));
    for (const week of weeks) {
      const r = await p.classifyTickets({ week });
      results.push(r as { status: number; body: Record<string, unknown> });
    }
  }, 300_000);
  afterAll(async () => {
    await p?.stop();
  });

  const count = async (sql: string) => {
    const [rows] = await p.bq.query({ query: sql });
    return Number((rows[0] as { n: number }).n);
  };

  it('classifies every week once, every ticket of the local Jira landing in BigQuery', async () => {
    expect(results.map((r) => [r.status, r.body.status])).toEqual(weeks.map(() => [200, 'classified']));
    const issues = p.jira.issues().length;
    expect(issues).toBeGreaterThan(27 * 40);
    expect(
      await count(`SELECT COUNT(DISTINCT key) AS n FROM ${DATASETS.tickets}.${TICKET_CLASSIFICATIONS_TABLE}`),
    ).toBe(issues);
    const classified = results.reduce(
      (n, r) => n + Number((r.body.summary as { classified: number }).classified),
      0,
    );
    // The source's rate is 96.3%; synthetic tickets written from templates should do at least as well.
    expect(classified / issues).toBeGreaterThan(0.9);
    // Through the real client: every page asked by nextPageToken with the fields named explicitly.
    const searches = p.jira.requests().filter((r) => r.path.endsWith('/search/jql'));
    expect(searches.length).toBeGreaterThanOrEqual(27);
    expect(searches.every((r) => r.status === 200)).toBe(true);
  });

  it("links the drift tickets to their accounts' drift and heals, as the audit table has them", async () => {
    const driftTickets = p.jira.issues().filter((i) => i.cause !== undefined);
    expect(driftTickets.length).toBeGreaterThan(0);
    const [links] = await p.bq.query({
      query: `SELECT key, account_id, new_drift_14d, heal_attempted, heal_applied, heal_blocked,
                     blocking_restrictions
              FROM ${DATASETS.observability}.ticket_account_drift WHERE taxonomy_version = 'v6'`,
    });
    const byKey = new Map(
      (links as { key: string; account_id: string }[]).map((l) => [`${l.key}|${l.account_id}`, l]),
    );
    const [published] = await p.bq.query({
      query: `SELECT DISTINCT account_id FROM ${DATASETS.audit}.${AUDIT_TABLE}
              WHERE stage = 'detect' AND outcome = 'published' AND account_id IS NOT NULL`,
    });
    const newDrift = new Set((published as { account_id: string }[]).map((r) => r.account_id));
    const [healed] = await p.bq.query({
      query: `SELECT account_id, outcome FROM ${DATASETS.observability}.audit_final_outcomes WHERE stage = 'plan_apply'`,
    });
    const healOutcome = new Map(
      (healed as { account_id: string; outcome: string }[]).map((r) => [r.account_id, r.outcome]),
    );
    let linkedWithDrift = 0;
    for (const t of driftTickets) {
      const accountId = t.cause?.accountId as string;
      const link = byKey.get(`${t.key}|${accountId}`) as
        | { new_drift_14d: boolean; heal_attempted: boolean; heal_applied: boolean; heal_blocked: boolean }
        | undefined;
      expect(link, `${t.key} names ${accountId}`).toBeDefined();
      expect(link?.new_drift_14d).toBe(newDrift.has(accountId));
      expect(link?.heal_attempted).toBe(healOutcome.has(accountId));
      expect(link?.heal_applied).toBe(healOutcome.get(accountId) === 'applied');
      expect(link?.heal_blocked).toBe(healOutcome.get(accountId) === 'blocked');
      if (link?.new_drift_14d) linkedWithDrift += 1;
    }
    // The world's new-drift accounts do file tickets: the links are not all empty.
    expect(linkedWithDrift).toBeGreaterThan(0);
  });

  it('answers a digest for the last week whose per-atom sentences carry the drift counts', () => {
    const last = results.at(-1)?.body as { digest: string };
    expect(last.digest).toContain(`# Ticket digest — week of ${lastWeek} (taxonomy v6)`);
    expect(last.digest).toMatch(/had new drift in the 14 days before/);
    expect(last.digest).toContain('```mermaid');
  });

  it('runs a week once per version; force runs it again and the latest rows are the ones read', async () => {
    const again = await p.classifyTickets({ week: lastWeek });
    expect(again.body).toMatchObject({ status: 'already_ran' });
    const forced = await p.classifyTickets({ week: lastWeek, force: true });
    expect(forced.body).toMatchObject({ status: 'classified' });
    const inWeek = p.jira.issues().filter((i) => weekOf(i.created) === lastWeek).length;
    expect(
      await count(
        `SELECT COUNT(*) AS n FROM ${DATASETS.observability}.ticket_classifications_latest WHERE week = DATE '${lastWeek}'`,
      ),
    ).toBe(inWeek);
  });

  it('refuses a bad request with a clear error', async () => {
    const bad = await p.classifyTickets({ week: '2026-11-25' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/not a Monday/);
  });
});
