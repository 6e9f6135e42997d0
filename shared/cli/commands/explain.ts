import type { Command } from 'commander';
import type { Adapters } from '../../adapters/factory.js';
import { Id } from '../../domain/common.js';
import { type AccountReport, accountReport } from '../../support/account-report.js';
import { environmentAdapters } from '../environment.js';
import { CliError, type Out } from '../io.js';

/**
 * `driftcontrol explain ACCOUNT [--live] [--json]` (docs/support.md): why remediation did or did not fire
 * for the account, in one sentence first — the same sentence the console's account page shows — then the
 * evidence: the drift lifecycle per system, every attempt from the audit table, the Stripe dashboard
 * links, and with --live the plan of every store read now. Writes nothing.
 */

const short = (iso: string) => iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z');

export function formatAccountReport(report: AccountReport): string {
  const e = report.explanation;
  const lines = [e.sentence, `Next step: ${e.action}`, ''];
  if (report.problems.length > 0) {
    lines.push('Reads that failed (the answer uses what could be read):');
    for (const p of report.problems) lines.push(`  ${p}`);
    lines.push('');
  }
  lines.push('Drift lifecycle:');
  for (const system of ['stripe', 'www'] as const) {
    const l = report.lifecycle[system];
    lines.push(
      l === null
        ? `  ${system.padEnd(6)} none recorded`
        : `  ${system.padEnd(6)} ${l.status} — first seen ${short(l.firstSeenAt)}, last seen ${short(l.lastSeenAt)}${l.healedAt ? `, healed ${short(l.healedAt)}` : ''}; ${l.attempts} check(s); last ${l.lastOutcome} (${l.lastTrigger}, run ${l.lastRunId})`,
    );
  }
  lines.push('', `Attempts (${report.attempts.length}, newest first):`);
  for (const r of [...report.attempts].reverse()) {
    const what = [
      r.restrictions.length > 0 ? r.restrictions.join(',') : null,
      r.error_code,
      r.change_ids.length > 0 ? `${r.change_ids.length} change(s), ${r.stripe_writes} written` : null,
    ].filter((x) => x !== null);
    lines.push(
      `  ${short(r.finished_at)}  ${r.system.padEnd(6)} ${r.stage.padEnd(10)} ${`${r.outcome}${r.will_retry ? ' (will retry)' : ''}`.padEnd(20)} ${r.trigger}${r.requested_by ? ` by ${r.requested_by}` : ''} ${r.run_id}${what.length > 0 ? `  [${what.join('; ')}]` : ''}`,
    );
    if (r.reason) lines.push(`      ${r.reason}`);
  }
  if (report.halts.length > 0) {
    lines.push('', 'Nightly runs that halted lately:');
    for (const h of report.halts)
      lines.push(`  ${h.run_id} (${h.system}): ${h.error_code ?? 'halted'} — ${h.reason ?? ''}`);
  }
  if (report.tickets.length > 0) {
    lines.push('', 'Tickets that name the account:');
    for (const t of report.tickets)
      lines.push(
        `  ${t.key.padEnd(14)} ${t.created.slice(0, 10)}  ${t.molecule ?? 'unclassified'} · ${t.atom} (${t.taxonomyVersion})`,
      );
  }
  lines.push('', 'Stripe dashboard:');
  if (report.links.length === 0) lines.push('  no Stripe customer mapped in subs-api');
  for (const l of report.links) lines.push(`  ${l.kind.padEnd(12)} ${l.url}`);
  if (report.live !== null) {
    const p = report.live.plan;
    lines.push('', `Live plan (every store read now, ${report.live.asOf}):`);
    if (p === null) lines.push('  subs-api does not know the account');
    else {
      lines.push(
        `  outcome ${p.outcome}: ${p.changes.length} change(s) to apply, ${p.blockedChanges.length} blocked, ${p.droppedChanges.length} dropped by a gate`,
      );
      for (const r of p.restrictions.filter((x) => x.applies))
        lines.push(`  restriction ${r.name}: ${r.reason}`);
      for (const c of [...p.changes, ...p.blockedChanges])
        lines.push(`  change ${c.id} ${c.kind} ${c.target.id} (${c.drift.join(', ')})`);
      for (const f of p.findings) lines.push(`  needs a human: ${f.kind}: ${f.detail}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function registerExplain(
  program: Command,
  out: Out,
  adaptersOf: () => Promise<Adapters> = () => environmentAdapters('explain', { readOnlyStripe: true }),
): void {
  program
    .command('explain')
    .argument('<account>', 'account id')
    .description(
      'Why remediation did or did not fire for the account: one sentence from the audit table, then the drift lifecycle, every attempt, Stripe dashboard links. Writes nothing.',
    )
    .option('--live', 'also read every store now and show the plan (writes nothing)', false)
    .option('--json', 'print the whole report as JSON, for scripts', false)
    .action(async (accountId: string, options: { live: boolean; json: boolean }) => {
      const id = Id.safeParse(accountId);
      if (!id.success) throw new CliError(`not an account id: ${JSON.stringify(accountId)}`);
      const deps = await adaptersOf();
      try {
        const report = await accountReport(deps, id.data, {
          live: options.live,
          dashboardBase: deps.consoleSettings.stripeDashboardUrl,
        });
        out.stdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatAccountReport(report));
      } finally {
        await deps.close();
      }
    });
}
