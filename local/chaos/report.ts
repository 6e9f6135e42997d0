import type { ChaosReport } from './run.js';

/** The chaos run's report for people: what was done to the pipeline, then what the history check found. */
export function formatChaosReport(r: ChaosReport): string {
  const c = r.verdict.counts;
  const sum = (o: Record<string, number | undefined>) =>
    Object.values(o).reduce((s: number, n) => s + (n ?? 0), 0);
  const terminal = sum({ ...r.faults, latency: 0 });
  const detect = new Map<string, number>();
  for (const call of r.detectCalls)
    detect.set(`${call.system} ${call.answer}`, (detect.get(`${call.system} ${call.answer}`) ?? 0) + 1);
  const lines = [
    `Chaos run: ${r.accounts} accounts (seed ${r.seed}), snapshot ${r.snapshotDate}, ${(r.elapsedMs / 1000).toFixed(0)} s`,
    '',
    'What was done to it',
    `  Stripe faults          ${terminal} failed requests (${Object.entries(r.faults)
      .filter(([k, n]) => k !== 'latency' && n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}) and ${r.faults.latency} slowed`,
    `  crashed instances      ${sum(r.kills)} (${Object.entries(r.kills)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')})`,
    `  scheduler calls        ${r.detectCalls.length} overlapping: ${[...detect].map(([k, n]) => `${k} ×${n}`).join(', ')}`,
    `  operator replays       ${r.replays.length} at once: ${r.replays.map((x) => `${x.operator} ${x.published}${x.refused ? ` refused ${x.refused}` : ''}`).join(', ')}`,
    `  dead letters replayed  ${r.deadLetters.accounts} account(s), ${r.deadLetters.zones} zone(s), ${r.deadLetters.setAside} set aside`,
    '',
    'What the history shows',
    `  Stripe                 ${c.stripeRequests} requests, ${c.stripeFaultsSeen} shaped by a fault; ${c.stripeWrites} writes of ${c.changesWritten} changes; ${c.idempotentReplays} retries answered from the idempotency record`,
    `  changes written twice  ${r.verdict.violations.some((v) => v.includes('written more than once') || v.includes('executed twice')) ? 'SOME (see below)' : '0'}`,
    `  audit                  ${c.auditRowsLanded} rows landed, ${c.auditAttempts} attempts (${c.duplicateRowsAbsorbed} duplicates absorbed by the views)`,
    `  final rows             ${c.finalRows} (${Object.entries(c.finalsByStage)
      .map(([k, n]) => `${k} ${n}`)
      .join(
        ', ',
      )}), one per run, stage and subject; of the ${c.finalsExpected} the runs owed, ${c.finalsExpected - c.deadLettered - c.finalsLost} landed, ${c.deadLettered} were dead-lettered and replayed, ${c.finalsLost} were lost`,
    `  second run             ${r.secondRun.detectAnswers.join(', ')}; ${r.secondRun.replayedAccounts} accounts replayed, ${r.secondRun.writes} Stripe writes`,
    `  healed accounts        ${c.healedAccounts}, each re-read live and planned: ${r.verdict.violations.some((v) => v.includes('not noop')) ? 'NOT all noop' : 'all noop'}`,
    '',
    r.verdict.ok ? 'History check: OK' : `History check: ${r.verdict.violations.length} violation(s)`,
    ...r.verdict.violations.map((v) => `  - ${v}`),
  ];
  return `${lines.join('\n')}\n`;
}
