import { describe, expect, it } from 'vitest';
import { runChaos } from '../../local/chaos/run.js';
import { uniqueProjectId, useEmulators } from '../setup/emulators.js';
import { usePostgres } from '../setup/postgres.js';

/**
 * The chaos run end to end (`npm run chaos`, smaller): Stripe failing at a steady rate, function instances
 * crashed and restarted, overlapping scheduler calls and three operators replaying at once — and the
 * recorded history keeps every promise (local/chaos/history.ts says which ones).
 */
describe('chaos run', () => {
  it('under faults, crashes, overlapping calls and concurrent replays the history keeps every promise', {
    timeout: 600_000,
  }, async () => {
    const [, postgres] = await Promise.all([useEmulators(), usePostgres()]);
    const report = await runChaos({
      accounts: 200,
      seed: 7,
      projectId: uniqueProjectId('chaos'),
      emulators: false,
      existingPostgres: { port: postgres.port },
      chaosWindowMs: 20_000,
      killIntervalMs: 2_000,
      replayAccounts: 12,
    });
    expect(report.verdict.violations).toEqual([]);
    // It really was chaos: Stripe failed, instances died, calls overlapped.
    const failed = report.faults.rate_limit + report.faults.api_error + report.faults.connection_reset;
    expect(failed).toBeGreaterThan(0);
    expect(Object.values(report.kills).reduce((s, n) => s + (n ?? 0), 0)).toBeGreaterThanOrEqual(3);
    for (const system of ['stripe', 'www'])
      expect(report.detectCalls.filter((c) => c.system === system && c.answer === 'completed')).toHaveLength(
        1,
      );
    expect(report.replays.map((r) => r.exitCode)).toEqual([0, 0, 0]);
    // And the pipeline still did its work: changes written, healed accounts plan to noop, nothing twice.
    expect(report.verdict.counts.stripeWrites).toBeGreaterThan(0);
    expect(report.verdict.counts.healedAccounts).toBeGreaterThan(0);
    expect(report.secondRun).toMatchObject({
      detectAnswers: ['stripe:already_ran', 'www:already_ran'],
      writes: 0,
    });
    expect(report.secondRun.replayedAccounts).toBeGreaterThan(0);
  });
});
