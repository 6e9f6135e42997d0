import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { Message } from '@google-cloud/pubsub';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import pino from 'pino';
import { StripeDriftAccountMessage } from '../../contracts/messages.js';
import { deadLetterSubscriptionName } from '../../contracts/topology.js';
import { plan } from '../../core/planner.js';
import { CalendarDate } from '../../domain/common.js';
import { DEFAULT_PLANNER_CONFIG } from '../../domain/plan.js';
import type { PipelineDeps } from '../../pipeline/deps.js';
import { gatherAsOfMirror, gatherLive, sourcesOf } from '../../pipeline/gather.js';
import { replayAccounts } from '../../pipeline/replay.js';
import { CliError, type Out } from '../io.js';
import { PLAN_EXIT_CODES, summarise } from './plan.js';

/**
 * Operator commands against a deployment (or the local stack started with `run-local --keep`): the
 * environment names the endpoints, as for the functions themselves (docs/deploy.md, "code contract").
 */

async function environmentDeps(): Promise<PipelineDeps> {
  const { createPipelineDeps } = await import('../../adapters/factory.js');
  // stdout carries the command's answer; logs go to stderr, quiet unless LOG_LEVEL asks.
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  return createPipelineDeps(process.env, { log });
}

function date(value: string): string {
  if (!CalendarDate.safeParse(value).success) throw new InvalidArgumentError('must be a date YYYY-MM-DD');
  return value;
}

const today = () => new Date().toISOString().slice(0, 10);

export function registerOperate(
  program: Command,
  out: Out,
  depsOf: () => Promise<PipelineDeps> = environmentDeps,
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
      date,
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
      const deps = await depsOf();
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
    });

  program
    .command('replay')
    .description(
      'Republish accounts for reprocessing through gather and plan-apply, with trigger = replay and who asked. Dry-run unless --apply.',
    )
    .option('--accounts <ids>', 'comma-separated account ids', (v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .option('--file <path>', 'a file with one account id per line')
    .option(
      '--from-dead-letter',
      'take the accounts from the gather dead-letter subscription (acks what it replays)',
      false,
    )
    .option('--snapshot-date <date>', 'the snapshot date the replay run is filed under', date, today())
    .option(
      '--as-of <date>',
      'gather the company stores as the mirror of this snapshot date holds them (labelled NOT LIVE; never applied, so not with --apply)',
      date,
    )
    .option('--requested-by <who>', 'who asks (recorded in every audit row)', userInfo().username)
    .option('--apply', 'write to Stripe (default: dry-run)', false)
    .option('--max <n>', 'refuse to replay more accounts than this', (v) => Number.parseInt(v, 10), 500)
    .action(
      async (options: {
        accounts?: string[];
        file?: string;
        fromDeadLetter: boolean;
        snapshotDate: string;
        asOf?: string;
        requestedBy: string;
        apply: boolean;
        max: number;
      }) => {
        if (options.asOf !== undefined && options.apply)
          throw new CliError('--as-of reads the mirror, which is never applied: drop --apply (or --as-of)');
        const ids = new Set<string>(options.accounts ?? []);
        if (options.file) {
          const text = await readFile(options.file, 'utf8').catch((e: NodeJS.ErrnoException) => {
            throw new CliError(`cannot read ${options.file}: ${e.code ?? 'error'}`);
          });
          for (const line of text.split('\n')) if (line.trim() && !line.startsWith('#')) ids.add(line.trim());
        }
        const deps = await depsOf();
        const acks: Message[] = [];
        let closeDeadLetter = async () => {};
        if (options.fromDeadLetter) {
          const drained = await drainDeadLetter(options.max);
          closeDeadLetter = drained.close;
          for (const m of drained.messages) {
            const parsed = StripeDriftAccountMessage.safeParse(JSON.parse(m.data.toString('utf8')));
            if (parsed.success) ids.add(parsed.data.accountId);
            acks.push(m);
          }
        }
        if (ids.size === 0)
          throw new CliError('nothing to replay: give --accounts, --file or --from-dead-letter');
        if (ids.size > options.max)
          throw new CliError(`${ids.size} accounts exceed --max ${options.max}: replay in smaller sets`);
        const result = await replayAccounts(deps, {
          accountIds: [...ids],
          snapshotDate: options.asOf ?? options.snapshotDate,
          truth: options.asOf === undefined ? 'live' : 'mirror',
          requestedBy: options.requestedBy,
          apply: options.apply,
          nonce: new Date().toISOString(),
        });
        for (const m of acks) m.ack();
        await closeDeadLetter();
        out.stdout(
          `${JSON.stringify({ runId: result.runId, accounts: result.published.length, dryRun: result.dryRun, requestedBy: options.requestedBy }, null, 2)}\n`,
        );
        process.stderr.write(
          `Replayed ${result.published.length} account(s) as run ${result.runId}${result.dryRun ? ' (dry-run: add --apply to write)' : ''}. Follow it in cfbill_migrations_audit: WHERE run_id = '${result.runId}'\n`,
        );
      },
    );
}

/** Pulls what the gather dead-letter subscription holds (stopping after a quiet second). */
async function drainDeadLetter(max: number): Promise<{ messages: Message[]; close: () => Promise<void> }> {
  const { createPubSub } = await import('../../adapters/pubsub.js');
  const project = process.env.GOOGLE_CLOUD_PROJECT;
  if (!project) throw new CliError('GOOGLE_CLOUD_PROJECT is required to read the dead-letter subscription');
  const sub = createPubSub(project).subscription(deadLetterSubscriptionName('gather'), {
    flowControl: { maxMessages: max },
  });
  const got: Message[] = [];
  await new Promise<void>((resolve) => {
    let timer = setTimeout(resolve, 3000);
    sub.on('message', (m: Message) => {
      got.push(m);
      clearTimeout(timer);
      timer = setTimeout(resolve, 1000);
      if (got.length >= max) resolve();
    });
  });
  // Stop receiving more, but keep the subscription open so the caller acks only what it replayed.
  sub.removeAllListeners('message');
  return { messages: got, close: () => sub.close() };
}
