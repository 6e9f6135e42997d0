import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { plan } from '../../core/planner.js';
import { AccountView } from '../../domain/account-view.js';
import { DEFAULT_PLANNER_CONFIG, type Plan, type PlanOutcome } from '../../domain/plan.js';
import { parseJson } from '../../domain/validate.js';
import { type Out, readInput } from '../io.js';

/** In the spirit of `terraform plan -detailed-exitcode`. */
export const PLAN_EXIT_CODES: Readonly<Record<PlanOutcome, number>> = {
  noop: 0,
  changes: 2,
  blocked: 3,
  needs_human: 3,
};

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError('must be a whole number of days, 0 or more');
  return n;
}

export function summarise(p: Plan): string {
  const lines = [`account ${p.accountId} at ${p.asOf}: ${p.outcome}`];
  for (const r of p.restrictions.filter((x) => x.applies)) lines.push(`  restriction ${r.name}: ${r.reason}`);
  for (const c of p.changes) {
    const money = c.moneyEffect
      ? ` (${c.moneyEffect.monthlyDeltaMinor} ${c.moneyEffect.currency}/month)`
      : '';
    lines.push(`  change ${c.id} ${c.operation.sdkMethod} ${c.target.id} [${c.drift.join(', ')}]${money}`);
  }
  for (const c of p.blockedChanges) lines.push(`  blocked ${c.id} ${c.operation.sdkMethod} ${c.target.id}`);
  for (const d of p.droppedChanges) lines.push(`  dropped ${d.change.id} by ${d.droppedBy}`);
  for (const f of p.findings) lines.push(`  finding ${f.kind}: ${f.detail}`);
  return lines.join('\n');
}

export function registerPlan(program: Command, out: Out): void {
  program
    .command('plan')
    .description('Plan the minimal Stripe changes for one AccountView (pure: reads a file, writes nothing).')
    .requiredOption('--view <file>', 'AccountView JSON file, or - for standard input')
    .option(
      '--invoice-date-too-near-days <days>',
      'InvoiceDateTooNear threshold in days',
      nonNegativeInt,
      DEFAULT_PLANNER_CONFIG.invoiceDateTooNearDays,
    )
    .option('--format <format>', 'json (the Plan) or summary (one line per decision)', 'json')
    .addHelpText(
      'after',
      '\nExit codes:\n  0  nothing to do (noop)\n  2  changes planned\n  3  blocked by a restriction, or drift that needs a human\n  1  error (unreadable file, invalid JSON, invalid AccountView)\n\nThe JSON Schemas of the input and output are in shared/schemas/.',
    )
    .action(async (options: { view: string; invoiceDateTooNearDays: number; format: string }) => {
      const view = parseJson(AccountView, 'AccountView', await readInput(options.view));
      const result = plan(view, { invoiceDateTooNearDays: options.invoiceDateTooNearDays });
      out.stdout(
        options.format === 'summary' ? `${summarise(result)}\n` : `${JSON.stringify(result, null, 2)}\n`,
      );
      out.setExit(PLAN_EXIT_CODES[result.outcome]);
    });
}
