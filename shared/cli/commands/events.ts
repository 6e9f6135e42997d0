import type { Command } from 'commander';
import type { DriftLifecycle } from '../../core/lifecycle.js';
import type { PendingCheck, RecentEvent } from '../../ports/index.js';
import { environmentAdapters } from '../environment.js';
import { CliError, type Out } from '../io.js';

/**
 * `driftcontrol events [--account ID] [--limit N]`: the event path at a glance (docs/operations.md,
 * "Events"): the change events accepted lately (what became of each) and the account checks waiting
 * for their settle delay, read from the event ledger the functions write; with `--account`, that account's
 * drift lifecycle too. Read-only.
 */

export interface EventsReport {
  /** With --account: where its Stripe drift stands (null: no drift on record). */
  readonly lifecycle?: DriftLifecycle | null;
  readonly recent: readonly (RecentEvent & { readonly receivedAt: string })[];
  readonly pending: readonly (PendingCheck & { readonly dueAt: string; readonly firstEventAt: string })[];
}

export function eventsReport(
  recent: readonly RecentEvent[],
  pending: readonly PendingCheck[],
  accountId: string | undefined,
): EventsReport {
  const mine = <T extends { accountIds?: readonly string[]; accountId?: string }>(x: T) =>
    accountId === undefined || x.accountId === accountId || (x.accountIds ?? []).includes(accountId);
  return {
    recent: recent.filter(mine).map((e) => ({ ...e, receivedAt: new Date(e.receivedAtMs).toISOString() })),
    pending: pending.filter(mine).map((c) => ({
      ...c,
      dueAt: new Date(c.dueAtMs).toISOString(),
      firstEventAt: new Date(c.firstEventAtMs).toISOString(),
    })),
  };
}

export function formatEvents(report: EventsReport): string {
  const lines: string[] = [];
  if (report.lifecycle !== undefined) {
    const l = report.lifecycle;
    lines.push(
      l === null
        ? 'drift lifecycle: no drift on record'
        : `drift lifecycle: ${l.status} — first seen ${l.firstSeenAt}, last seen ${l.lastSeenAt}${l.healedAt ? `, healed ${l.healedAt}` : ''}; ${l.attempts} check(s); last ${l.lastOutcome} (${l.lastTrigger}, run ${l.lastRunId})`,
    );
  }
  lines.push(`pending checks: ${report.pending.length}`);
  for (const c of report.pending)
    lines.push(`  ${c.accountId}  due ${c.dueAt}  ${c.eventCount} event(s) from ${c.sources.join(', ')}`);
  lines.push(`recent events: ${report.recent.length}`);
  for (const e of report.recent)
    lines.push(`  ${e.receivedAt}  ${e.eventId}  ${e.type}  ${e.outcome}  ${e.accountIds.join(', ') || '-'}`);
  return `${lines.join('\n')}\n`;
}

export function registerEvents(program: Command, out: Out): void {
  program
    .command('events')
    .description('Recent change events and the account checks they scheduled (the event path).')
    .option('--account <id>', 'only what concerns this account, and its drift lifecycle')
    .option('--limit <n>', 'how many recent events to read (1-1000)', '50')
    .option('--json', 'print JSON')
    .action(async (opts: { account?: string; limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new CliError(`--limit must be a whole number from 1 to 1000, got "${opts.limit}"`);
      const a = await environmentAdapters('events');
      try {
        const report: EventsReport = {
          ...eventsReport(await a.events.recent(limit), await a.events.pending(1000), opts.account),
          ...(opts.account ? { lifecycle: await a.lifecycle.get('stripe', opts.account) } : {}),
        };
        out.stdout(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatEvents(report));
      } finally {
        await a.close();
      }
    });
}
