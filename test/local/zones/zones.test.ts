import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalSubsApi, startLocalSubsApi } from '../../../local/zones/subs-api.js';
import type { ZoneSeed } from '../../../local/zones/table.js';
import { type LocalWww, startLocalWww } from '../../../local/zones/www.js';

const AT = '2026-11-01T00:00:00.000Z';
const seed: ZoneSeed = {
  zones: [
    { zoneId: 'zone-a1', accountId: 'acct-a', planLevel: 'pro', updatedAt: '2026-10-01T00:00:00.000Z' },
    { zoneId: 'zone-a2', accountId: 'acct-a', planLevel: 'business' },
    { zoneId: 'zone-b1', accountId: 'acct-b', planLevel: 'free' },
  ],
};

let subs: LocalSubsApi;
let www: LocalWww;

beforeAll(async () => {
  subs = await startLocalSubsApi({ now: () => new Date(AT) });
  www = await startLocalWww({ now: () => new Date(AT) });
});
afterAll(async () => {
  await Promise.all([subs.stop(), www.stop()]);
});
beforeEach(() => {
  subs.zones.reset();
  www.zones.reset();
  subs.seed(seed);
  www.seed(seed);
});

/** The union of the response shapes these tests read (a zone, a zone list, or an error). */
interface Body {
  zoneId: string;
  planLevel: string;
  changed?: boolean;
  zones: Array<{ zoneId: string; updatedAt: string }>;
  error: { code: string; message: string };
}

async function call(base: string, path: string, init?: RequestInit): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, body: (await res.json()) as Body };
}

const put = (zoneId: string, body: unknown) =>
  call(www.url, `/v1/zones/${zoneId}/plan-level`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('subs-api', () => {
  it('reads a zone and the zones of an account', async () => {
    expect(await call(subs.url, '/v1/zones/zone-a1')).toEqual({
      status: 200,
      body: {
        zoneId: 'zone-a1',
        accountId: 'acct-a',
        planLevel: 'pro',
        updatedAt: '2026-10-01T00:00:00.000Z',
      },
    });
    const account = await call(subs.url, '/v1/accounts/acct-a/zones');
    expect(account.status).toBe(200);
    expect(
      account.body.zones.map((z: { zoneId: string; updatedAt: string }) => [z.zoneId, z.updatedAt]),
    ).toEqual([
      ['zone-a1', '2026-10-01T00:00:00.000Z'],
      ['zone-a2', AT],
    ]);
    expect((await call(subs.url, '/v1/accounts/acct-none/zones')).body).toEqual({
      accountId: 'acct-none',
      zones: [],
    });
  });

  it.each([
    ['GET', '/v1/zones/zone-none', 404, 'zone_not_found'],
    ['PUT', '/v1/zones/zone-a1', 405, 'method_not_allowed'],
    ['GET', '/v1/nothing', 404, 'not_found'],
  ])('%s %s -> %i %s', async (method, path, status, code) => {
    const res = await call(subs.url, path, { method });
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(typeof res.body.error.message).toBe('string');
  });
});

describe('www', () => {
  it('writes the plan level when the current level is the expected one', async () => {
    const res = await put('zone-a1', { planLevel: 'business', expectedPlanLevel: 'pro' });
    expect(res).toEqual({
      status: 200,
      body: { zoneId: 'zone-a1', accountId: 'acct-a', planLevel: 'business', updatedAt: AT, changed: true },
    });
    expect((await call(www.url, '/v1/zones/zone-a1')).body.planLevel).toBe('business');
  });

  it('refuses a concurrent change with 409 and does not overwrite it', async () => {
    // Someone else moved the zone to enterprise after the resync read it as pro.
    www.zones.set('zone-a1', 'enterprise');
    const res = await put('zone-a1', { planLevel: 'business', expectedPlanLevel: 'pro' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'plan_level_conflict',
      zoneId: 'zone-a1',
      currentPlanLevel: 'enterprise',
      expectedPlanLevel: 'pro',
    });
    expect((await call(www.url, '/v1/zones/zone-a1')).body.planLevel).toBe('enterprise');
  });

  it('answers a repeated write as a no-op (changed: false), so a redelivered resync is safe', async () => {
    await put('zone-a1', { planLevel: 'business', expectedPlanLevel: 'pro' });
    const again = await put('zone-a1', { planLevel: 'business', expectedPlanLevel: 'pro' });
    expect(again.status).toBe(200);
    expect(again.body.changed).toBe(false);
  });

  it('of two concurrent writes from the same level, exactly one wins', async () => {
    const [a, b] = await Promise.all([
      put('zone-b1', { planLevel: 'pro', expectedPlanLevel: 'free' }),
      put('zone-b1', { planLevel: 'business', expectedPlanLevel: 'free' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const winner = a.status === 200 ? 'pro' : 'business';
    expect((await call(www.url, '/v1/zones/zone-b1')).body.planLevel).toBe(winner);
  });

  it.each<[string, string, unknown, number, string]>([
    ['unknown zone', 'zone-none', { planLevel: 'pro', expectedPlanLevel: 'free' }, 404, 'zone_not_found'],
    [
      'unknown plan level',
      'zone-a1',
      { planLevel: 'platinum', expectedPlanLevel: 'pro' },
      400,
      'invalid_request',
    ],
    ['missing expectedPlanLevel', 'zone-a1', { planLevel: 'pro' }, 400, 'invalid_request'],
    [
      'extra field',
      'zone-a1',
      { planLevel: 'pro', expectedPlanLevel: 'pro', force: true },
      400,
      'invalid_request',
    ],
    ['not JSON', 'zone-a1', '{planLevel', 400, 'invalid_json'],
  ])('rejects %s', async (_name, zoneId, body, status, code) => {
    const before = www.zones.all();
    const res = await put(zoneId, body);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(www.zones.all()).toEqual(before);
  });

  it('logs requests so tests can count writes', async () => {
    await put('zone-a1', { planLevel: 'business', expectedPlanLevel: 'pro' });
    await call(www.url, '/v1/zones/zone-a1');
    expect(
      www
        .requests()
        .map((r) => [r.method, r.path, r.status])
        .slice(-2),
    ).toEqual([
      ['PUT', '/v1/zones/zone-a1/plan-level', 200],
      ['GET', '/v1/zones/zone-a1', 200],
    ]);
  });

  it('is seedable over the admin surface, validating the seed', async () => {
    const ok = await call(www.url, '/_admin/seed', {
      method: 'POST',
      body: JSON.stringify({ zones: [{ zoneId: 'zone-c1', accountId: 'acct-c', planLevel: 'enterprise' }] }),
    });
    expect(ok).toEqual({ status: 200, body: { zones: 1 } });
    const bad = await call(www.url, '/_admin/seed', {
      method: 'POST',
      body: JSON.stringify({ zones: [{ zoneId: 'zone-c2', accountId: 'acct-c', planLevel: 'gold' }] }),
    });
    expect(bad.status).toBe(400);
    expect((await call(www.url, '/v1/zones/zone-c2')).status).toBe(404);
    expect((await call(www.url, '/v1/zones/zone-c1')).body.planLevel).toBe('enterprise');
  });
});
