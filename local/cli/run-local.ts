import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Out } from '../../shared/cli/io.js';
import { LOCAL_COMMANDS } from '../../shared/cli/local-commands.js';
import { type LocalConsole, startLocalConsole } from '../console/start.js';
import { type CycleSummary, moveTruthAfterMirror, runNightlyCycle } from '../run/cycle.js';
import { type EventDemoResult, formatEventDemo, runEventDemo } from '../run/event-demo.js';
import { startLocalPipeline } from '../run/pipeline.js';
import { classifyTicketWeeks, formatTicketWeeks, type TicketWeeksResult } from '../run/ticket-weeks.js';
import { insertAuditHistory, syntheticAuditHistory } from '../synthetic/audit-history.js';

/**
 * `driftcontrol run-local`: the main job on the embedded default. Brings up the local stack, seeds N
 * synthetic accounts, runs the functions over real HTTP behind Pub/Sub push subscriptions, triggers
 * detection for both systems, shows progress while the pipeline drains, and prints a summary. A second
 * cycle for the same snapshot date then shows the run ledger at work (nothing changes).
 */

export function accountCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 10 || n > 100_000)
    throw new InvalidArgumentError('must be a whole number from 10 to 100000');
  return n;
}

function table(title: string, counts: Record<string, number>): string[] {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return [`  ${title}: none`];
  return [`  ${title}:`, ...entries.map(([k, n]) => `    ${k.padEnd(28)} ${String(n).padStart(6)}`)];
}

export function formatSummary(s: CycleSummary): string {
  return [
    `Nightly cycle for snapshot ${s.snapshotDate} (${(s.elapsedMs / 1000).toFixed(1)} s${s.drained ? '' : ', NOT fully drained'})`,
    '',
    'Stripe drift',
    `  new drift accounts:          ${s.stripe.newDrift}`,
    `  published to gather:         ${s.stripe.published}`,
    ...table('excluded', s.stripe.excluded),
    ...table('outcomes', s.stripe.outcomes),
    ...table('blocked by restriction', s.stripe.blockedBy),
    `  live truth differed from the mirror (noop): ${s.stripe.liveTruth.mirrorDriftNotLive}`,
    ...table('refused: truth or Stripe moved, or view too old', s.stripe.liveTruth.refusedStale),
    '',
    'WWW drift',
    `  published to www-resync:     ${s.www.published}`,
    ...table('excluded', s.www.excluded),
    ...table('outcomes', s.www.outcomes),
    '',
    `Audit rows in cfbill_migrations_audit: ${s.auditRows}`,
    `Stripe writes: ${s.stripeWrites}`,
    ...Object.entries(s.stripeWritesByMethod).map(([k, n]) => `    ${k.padEnd(28)} ${String(n).padStart(6)}`),
  ].join('\n');
}

/** A commander option parser for a whole number from 0 to `max`. */
function wholeNumberFrom0To(max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new InvalidArgumentError(`must be 0 to ${max}`);
    return n;
  };
}

export function registerRunLocal(program: Command, out: Out): void {
  program
    .command('run-local')
    .description(LOCAL_COMMANDS['run-local'])
    .option('--accounts <n>', 'synthetic accounts to generate', accountCount, 2000)
    .option('--seed <n>', 'world seed (same seed, same world)', (v) => Number.parseInt(v, 10), 42)
    .option('--dry-run', 'plan and audit everything, write nothing', false)
    .option(
      '--truth-changes <n>',
      'after the mirror lands, move the live truth of N new-drift accounts as customers would (gather reads live; detection sees the mirror)',
      wholeNumberFrom0To(1000),
      5,
    )
    .option(
      '--event-changes <n>',
      'after the nightly cycle, change N items directly in the local Stripe (as people do in its dashboard) and show them healed through Stripe events',
      wholeNumberFrom0To(100),
      3,
    )
    .option(
      '--ticket-weeks <n>',
      "after the cycles, classify the last N weeks of the synthetic Jira tickets (classify-tickets) and print the last week's digest (0: skip)",
      wholeNumberFrom0To(104),
      27,
    )
    .option('--json', 'print the summaries as one JSON document: { cycles, events, tickets }', false)
    .option('--no-second-run', 'skip the second cycle for the same snapshot date')
    .option(
      '--keep',
      'keep the stack running afterwards and print the environment for `gather` and `replay` (Ctrl-C stops it)',
      false,
    )
    .option(
      '--console',
      'afterwards, serve the support console on this run (behind the local IAP, as the development identity) and keep the stack running; prints its URL (Ctrl-C stops it)',
      false,
    )
    .option(
      '--audit-history-days <n>',
      'before the run, add N days of synthetic audit history (earlier nightly runs of acc_9… accounts) so the console has trends to show',
      wholeNumberFrom0To(400),
      0,
    )
    .action(
      async (options: {
        accounts: number;
        seed: number;
        dryRun: boolean;
        truthChanges: number;
        eventChanges: number;
        ticketWeeks: number;
        json: boolean;
        secondRun: boolean;
        keep: boolean;
        console: boolean;
        auditHistoryDays: number;
      }) => {
        const interactive = process.stderr.isTTY === true && !options.json;
        const note = (s: string) => process.stderr.write(`${s}\n`);
        note(
          `Starting the local stack with ${options.accounts} synthetic accounts (seed ${options.seed})...`,
        );
        const pipeline = await startLocalPipeline({
          accounts: options.accounts,
          seed: options.seed,
          dryRun: options.dryRun,
          onProgress: (step) => note(`  ${step}`),
        });
        let supportConsole: LocalConsole | null = null;
        const stop = async () => {
          await supportConsole?.stop();
          await pipeline.stop();
        };
        // Ctrl-C after the run finished (the console or --keep waiting) keeps the run's own exit code.
        let finished: number | null = null;
        const onSignal = () => {
          note(
            finished === null ? 'Interrupted: stopping the local stack...' : 'Stopping the local stack...',
          );
          void stop().finally(() => process.exit(finished ?? 130));
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          for (const [system, env] of Object.entries(pipeline.stack.endpoints))
            if (env) note(`  ${system.padEnd(10)} ${env}`);
          const bar = interactive
            ? new cliProgress.SingleBar(
                {
                  format: '  draining [{bar}] {value}/{total} accounts and zones | {rows} audit rows',
                  hideCursor: true,
                },
                cliProgress.Presets.shades_classic,
              )
            : null;
          if (options.auditHistoryDays > 0) {
            const history = syntheticAuditHistory({
              days: options.auditHistoryDays,
              beforeDate: new Date().toISOString().slice(0, 10),
              accountsPerDay: Math.max(5, Math.round(options.accounts / 50)),
              seed: options.seed,
              skipDates: [pipeline.snapshotDate],
            });
            await insertAuditHistory(pipeline.bq, history);
            note(
              `  added ${history.length} synthetic audit rows: ${options.auditHistoryDays} days of earlier nightly runs (accounts acc_9…)`,
            );
          }
          const moved = await moveTruthAfterMirror(pipeline, options.truthChanges);
          if (moved.length > 0)
            note(
              `  moved the live truth of ${moved.length} account(s) after the mirror landed (${moved.join(', ')}): gather reads live`,
            );
          bar?.start(1, 0, { rows: 0 });
          const first = await runNightlyCycle(pipeline, {
            onProgress: (p) => {
              bar?.setTotal(Math.max(p.published, 1));
              bar?.update(p.done, { rows: p.auditRows });
            },
          });
          bar?.stop();
          const summaries: CycleSummary[] = [first];
          if (options.secondRun) {
            note('Second cycle for the same snapshot date (the run ledger should make it a no-op)...');
            summaries.push(await runNightlyCycle(pipeline));
          }
          if (!options.json) {
            out.stdout(`${formatSummary(first)}\n`);
            const second = summaries[1];
            if (second) {
              const statuses = Object.entries(second.detect).map(
                ([sys, d]) => `${sys}: ${(d.result as { status?: string }).status}`,
              );
              out.stdout(
                `\nSecond cycle, same snapshot: ${statuses.join(', ')}; Stripe writes so far ${second.stripeWrites} (unchanged: ${second.stripeWrites === first.stripeWrites})\n`,
              );
            }
          }
          let events: EventDemoResult | null = null;
          if (options.eventChanges > 0) {
            note(
              `Changing ${options.eventChanges} item(s) directly in the local Stripe; the event path heals them...`,
            );
            events = await runEventDemo(pipeline, { changes: options.eventChanges });
            if (!options.json) out.stdout(`\n${formatEventDemo(events)}\n`);
          }
          let tickets: TicketWeeksResult | null = null;
          if (options.ticketWeeks > 0) {
            note(
              `Classifying ${options.ticketWeeks} week(s) of the synthetic Jira tickets (classify-tickets)...`,
            );
            tickets = await classifyTicketWeeks(pipeline, options.ticketWeeks);
            if (!options.json) out.stdout(`\n${formatTicketWeeks(tickets)}\n`);
          }
          if (options.json)
            out.stdout(`${JSON.stringify({ cycles: summaries, events, tickets }, null, 2)}\n`);
          // Every change got its final word (a heal, or a restriction that blocked it, with why).
          const eventsHealed = events === null || events.heals.every((h) => h.outcome !== null);
          const ticketsDone = tickets === null || tickets.weeks.every((w) => w.status === 200);
          finished = first.drained && eventsHealed && ticketsDone ? 0 : 1;
          out.setExit(finished);
          supportConsole = options.console
            ? await startLocalConsole({
                env: pipeline.env,
                stripeDashboardUrl: pipeline.stack.stripe.dashboardUrl,
              })
            : null;
          if (supportConsole !== null) {
            note(
              `\nSupport console: ${supportConsole.url}  (signed in as ${supportConsole.identity}, read-only)`,
            );
            note(`  an account:  ${supportConsole.url}/accounts/acc_0000002`);
            note(`  the runs:    ${supportConsole.url}/runs   trends: ${supportConsole.url}/trends`);
            note(`  or: npx driftcontrol explain acc_0000002 (with the environment below)`);
          }
          if (options.keep || supportConsole !== null) {
            const env = pipeline.env;
            note('\nThe stack keeps running. In another shell:');
            note(
              Object.entries(env)
                .map(([k, v]) => `  export ${k}=${v}`)
                .join('\n'),
            );
            note(`  npx driftcontrol gather acc_0000002 --snapshot-date ${pipeline.snapshotDate}`);
            note(`  npx driftcontrol replay --accounts acc_0000002 --snapshot-date ${pipeline.snapshotDate}`);
            note('Ctrl-C stops everything.');
            await new Promise<void>(() => {}); // until SIGINT/SIGTERM: onSignal stops the stack and exits
          }
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          await stop();
        }
      },
    );
}
