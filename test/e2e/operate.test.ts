import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPipeline } from '../../local/run/pipeline.js';
import { plan } from '../../shared/core/planner.js';
import { Plan } from '../../shared/domain/plan.js';
import { gatherLive } from '../../shared/pipeline/gather.js';
import { startTestPipeline, stripeWrites, waitForAudit } from './support.js';

/**
 * The operator commands as an operator runs them: the real CLI entry, in its own process, configured only
 * by the environment `run-local --keep` prints, against the local stack.
 */
const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'driftcontrol.mjs');

function cli(
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    // Only what an operator's shell would hold: PATH, HOME and the exports run-local --keep prints.
    const clean = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };
    const child = spawn(process.execPath, [BIN, ...args], { env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('operator commands against the local stack', { timeout: 120_000 }, () => {
  let p: LocalPipeline;
  let env: Record<string, string>;
  let healable = '';
  let blocked = '';

  beforeAll(async () => {
    p = await startTestPipeline({ accounts: 200, seed: 11 });
    env = { ...p.env };
    for (let i = 0; i < p.world.accounts && (!healable || !blocked); i++) {
      const id = `acc_${String(i).padStart(7, '0')}`;
      const view = await gatherLive(p.deps, id);
      const outcome = view ? plan(view).outcome : null;
      if (outcome === 'changes' && !healable) healable = id;
      if (outcome === 'blocked' && !blocked) blocked = id;
    }
  }, 240_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('gather reads every store now, shows the view, the diff and every restriction, and writes nothing', async () => {
    const before = stripeWrites(p).length;
    const started = Date.now();
    const summary = await cli(env, ['gather', healable]);
    expect(summary.stderr).toBe('');
    expect(summary.code).toBe(2);
    expect(summary.stdout).toContain(`account ${healable}`);
    expect(summary.stdout).toContain('truth: live: every store read now');
    for (const part of [
      'ope',
      'subs_account',
      'subs_dunning',
      'billing_prod',
      'cf_prod',
      'stripe.subscriptions',
      'gates',
    ]) {
      const at = new RegExp(`^ {4}${part.replace('.', '\\.')}\\s+(\\S+)$`, 'm').exec(summary.stdout)?.[1];
      expect(at, part).toBeDefined();
      expect(Date.parse(at as string)).toBeGreaterThanOrEqual(started - 1000);
    }
    expect(summary.stdout.match(/^ {4}(APPLIES|ok {5}) /gm)).toHaveLength(7);
    const json = await cli(env, ['gather', blocked, '--format', 'plan']);
    expect(json.code).toBe(3);
    expect(Plan.parse(JSON.parse(json.stdout)).restrictions.some((r) => r.applies)).toBe(true);
    expect(stripeWrites(p).length).toBe(before);
  });

  it('gather --as-of shows the mirror of that date, labelled not live', async () => {
    const r = await cli(env, ['gather', healable, '--as-of', p.snapshotDate]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(
      `truth: NOT LIVE: the company stores as the mirror of ${p.snapshotDate} holds them`,
    );
    expect(r.stdout).toMatch(new RegExp(`^ {4}ope\\s+${p.snapshotDate}T00:00:00\\.000Z$`, 'm'));
  });

  it.each([
    [[], 'acc_9999999 is not known to subs-api'],
    [['--as-of', '2026-11-24'], 'acc_9999999 is not in the mirror for 2026-11-24'],
  ])('gather %j names an account it cannot find', async (flags, message) => {
    const r = await cli(env, ['gather', 'acc_9999999', ...flags]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
  });

  it('replay --as-of with --apply is refused: the mirror is never applied', async () => {
    const r = await cli(env, ['replay', '--accounts', healable, '--as-of', p.snapshotDate, '--apply']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--as-of reads the mirror, which is never applied');
  });

  it('replay is a dry-run by default and applies with --apply, recording who asked', async () => {
    const dry = await cli(env, [
      'replay',
      '--accounts',
      healable,
      '--snapshot-date',
      p.snapshotDate,
      '--requested-by',
      'ops@example.test',
    ]);
    expect(dry.code).toBe(0);
    const dryRun = JSON.parse(dry.stdout) as { runId: string; dryRun: boolean };
    expect(dryRun.dryRun).toBe(true);
    const dryRows = await waitForAudit(
      p,
      "run_id = @run AND stage = 'plan_apply'",
      { run: dryRun.runId },
      (rs) => rs.length > 0,
    );
    expect(dryRows.map((r) => [r.outcome, r.trigger, r.requested_by])).toEqual([
      ['dry_run', 'replay', 'ops@example.test'],
    ]);
    const before = stripeWrites(p).length;

    const real = await cli(env, [
      'replay',
      '--accounts',
      healable,
      '--snapshot-date',
      p.snapshotDate,
      '--requested-by',
      'ops@example.test',
      '--apply',
    ]);
    const applied = JSON.parse(real.stdout) as { runId: string };
    const rows = await waitForAudit(
      p,
      "run_id = @run AND stage = 'plan_apply'",
      { run: applied.runId },
      (rs) => rs.length > 0,
    );
    expect(rows.map((r) => r.outcome)).toEqual(['applied']);
    expect(stripeWrites(p).length).toBeGreaterThan(before);
  });

  it('config set flips the kill switch the functions obey, and refuses a typo', async () => {
    const set = await cli(env, ['config', 'set', 'killSwitch=true']);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ killSwitch: true });
    expect((await p.deps.control.getConfig()).killSwitch).toBe(true);
    const typo = await cli(env, ['config', 'set', 'killswitch=false']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('killswitch');
    expect((await p.deps.control.getConfig()).killSwitch).toBe(true);
    const off = await cli(env, ['config', 'set', 'killSwitch=false']);
    expect(off.code).toBe(0);
    expect(JSON.parse((await cli(env, ['config', 'show'])).stdout).config.killSwitch).toBe(false);
  });

  it.each([
    [['maxMirrorAccountChange=1e308'], /maxMirrorAccountChange/],
    [['maxMirrorAccountChange=1000'], /maxMirrorAccountChange: .*(1|less)/],
    [['__proto__=1'], /__proto__ is not a config field/],
    [['perRunCap=NaN'], /perRunCap/],
    [['perRunCap=5', 'perRunCap=6'], /perRunCap is given twice/],
  ])('config set %j is refused in one line and changes nothing', async (pairs, message) => {
    const before = await p.deps.control.getConfig();
    const r = await cli(env, ['config', 'set', ...pairs]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await p.deps.control.getConfig()).toEqual(before);
  });

  it('replay refuses an empty request with a clear message', async () => {
    const r = await cli(env, ['replay', '--snapshot-date', p.snapshotDate]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nothing to replay');
  });
});
