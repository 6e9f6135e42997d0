import type { Command } from 'commander';
import type { Adapters } from '../../adapters/factory.js';
import { plan } from '../../core/planner.js';
import { DEFAULT_PLANNER_CONFIG } from '../../domain/plan.js';
import { gatherAsOfMirror, gatherLive, sourcesOf } from '../../pipeline/gather.js';
import { calendarDate } from '../arguments.js';
import { environmentAdapters } from '../environment.js';
import { CliError, type Out } from '../io.js';
import { PLAN_EXIT_CODES, summarise } from './plan.js';

/**
 * `driftcontrol gather ACCOUNT`: live investigation (docs/operations.md). Reads the account from every
 * store now — or, with --as-of, the company stores as the mirror of a date held them, labelled NOT LIVE —
 * and prints the view, the plan and every restriction. Writes nothing.
 */
export function registerGather(
  program: Command,
  out: Out,
  adaptersOf: () => Promise<Adapters> = () => environmentAdapters('gather'),
): void {
  program
    .command('gather')
    .argument('<account>', 'account id')
    .description(
      'Live investigation: read the account from every store now (subs-api, OPE, billing_prod, cf_prod, Stripe, gates) and show the unified view, each part with the time it was read, every element class, all restrictions and the planned diff. Applies nothing.',
    )
    .option(
      '--as-of <date>',
      'instead of the live stores, read the company stores as the nightly mirror of this snapshot date holds them (what detection saw; labelled NOT LIVE)',
      calendarDate,
    )
    .option(
      '--format <format>',
      'summary (default), plan (the Plan JSON) or full (view and plan JSON)',
      'summary',
    )
    .addHelpText(
      'after',
      '\nExit codes as for `plan`: 0 nothing to do, 2 changes, 3 blocked or needs a human, 1 error.',
    )
    .action(async (accountId: string, options: { asOf?: string; format: string }) => {
      const deps = await adaptersOf();
      try {
        const config = await deps.control.getConfig();
        const view =
          options.asOf === undefined
            ? await gatherLive(deps, accountId)
            : await gatherAsOfMirror(deps, accountId, options.asOf);
        if (view === null)
          throw new CliError(
            options.asOf === undefined
              ? `account ${accountId} is not known to subs-api`
              : `account ${accountId} is not in the mirror for ${options.asOf}`,
          );
        const truth =
          options.asOf === undefined
            ? 'live: every store read now'
            : `NOT LIVE: the company stores as the mirror of ${options.asOf} holds them (Stripe and gates read now); never applied`;
        const p = plan(view, {
          ...DEFAULT_PLANNER_CONFIG,
          invoiceDateTooNearDays: config.invoiceDateTooNearDays,
        });
        if (options.format === 'full')
          out.stdout(
            `${JSON.stringify({ truth: options.asOf === undefined ? 'live' : 'mirror', view, plan: p }, null, 2)}\n`,
          );
        else if (options.format === 'plan') out.stdout(`${JSON.stringify(p, null, 2)}\n`);
        else {
          const lines = [
            summarise(p),
            `  truth: ${truth}`,
            '  sources (read at):',
            ...sourcesOf(view).map(([name, asOf]) => `    ${name.padEnd(22)} ${asOf}`),
            '  elements:',
            ...p.elements.map(
              (e) =>
                `    ${e.key.padEnd(28)} ${e.elementClass.padEnd(20)} ${e.drift.join(',') || '-'}  (${e.reason})`,
            ),
            '  restrictions:',
            ...p.restrictions.map(
              (r) => `    ${r.applies ? 'APPLIES' : 'ok     '} ${r.name.padEnd(28)} ${r.reason}`,
            ),
          ];
          out.stdout(`${lines.join('\n')}\n`);
        }
        out.setExit(PLAN_EXIT_CODES[p.outcome]);
      } finally {
        await deps.close();
      }
    });
}
