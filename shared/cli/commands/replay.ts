import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { Adapters } from '../../adapters/factory.js';
import { ReplayOverrides } from '../../contracts/messages.js';
import { ValidationError } from '../../domain/validate.js';
import { ReplayAccountIds, replayAccounts, replayZones } from '../../pipeline/replay.js';
import { calendarDate, todayUtc, wholeNumber } from '../arguments.js';
import { type DeadLetterBatch, drainDeadLetters } from '../dead-letters.js';
import { environmentAdapters } from '../environment.js';
import { CliError, type Out } from '../io.js';

/**
 * `driftcontrol replay`: republish accounts for reprocessing through gather and plan-apply (trigger =
 * replay, who asked). Dry-run unless --apply. The valves of a scheduled run apply (persistent drift,
 * cooldown, per-run cap, blast radius); --include-persistent, --ignore-cooldown and --ignore-caps lift
 * them only with --reason, and every audit row of the replay records it (docs/operations.md, "Replay").
 */

interface ReplayOptions {
  accounts?: string[];
  file?: string;
  fromDeadLetter: boolean;
  snapshotDate: string;
  asOf?: string;
  requestedBy: string;
  apply: boolean;
  max: number;
  includePersistent: boolean;
  ignoreCooldown: boolean;
  ignoreCaps: boolean;
  reason?: string;
}

/** Ids are checked with the consumer's own schema before anything is published: a bad one fails loudly. */
function checkedIds(ids: readonly string[]): string[] {
  const parsed = ReplayAccountIds.safeParse([...ids]);
  if (parsed.success) return parsed.data;
  const bad = parsed.error.issues
    .slice(0, 5)
    .map((i: { path: PropertyKey[]; message: string }) => {
      const at = i.path[0];
      const id = typeof at === 'number' ? JSON.stringify(String(ids[at]).slice(0, 40)) : '';
      return `${id} ${i.message}`.trim();
    })
    .join('; ');
  throw new CliError(`invalid account id(s), nothing replayed: ${bad}`);
}

function overridesOf(o: ReplayOptions): ReplayOverrides | undefined {
  const any = o.includePersistent || o.ignoreCooldown || o.ignoreCaps;
  if (!any) {
    if (o.reason !== undefined)
      throw new CliError(
        '--reason goes with an override (--include-persistent, --ignore-cooldown, --ignore-caps)',
      );
    return undefined;
  }
  const parsed = ReplayOverrides.safeParse({
    includePersistent: o.includePersistent,
    ignoreCooldown: o.ignoreCooldown,
    ignoreCaps: o.ignoreCaps,
    reason: o.reason ?? '',
  });
  if (!parsed.success)
    throw new CliError(
      `overriding a valve needs --reason: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
    );
  return parsed.data;
}

export function registerReplay(
  program: Command,
  out: Out,
  adaptersOf: () => Promise<Adapters> = () => environmentAdapters('replay'),
): void {
  program
    .command('replay')
    .description(
      'Republish accounts for reprocessing through gather and plan-apply, with trigger = replay and who asked. Dry-run unless --apply. The valves of a scheduled run apply unless explicitly overridden with --reason.',
    )
    .option('--accounts <ids>', 'comma-separated account ids', (v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .option('--file <path>', 'a file with one account id per line (# comments)')
    .option(
      '--from-dead-letter',
      "take accounts and zones from every stage's dead-letter subscription (acks what it replays; leaves and reports what it cannot)",
      false,
    )
    .option(
      '--snapshot-date <date>',
      'the snapshot date whose triage the valves use',
      calendarDate,
      todayUtc(),
    )
    .option(
      '--as-of <date>',
      'gather the company stores as the mirror of this snapshot date holds them (labelled NOT LIVE; never applied, so not with --apply)',
      calendarDate,
    )
    .option('--requested-by <who>', 'who asks (recorded in every audit row)', userInfo().username)
    .option('--apply', 'write to Stripe (default: dry-run)', false)
    .option('--max <n>', 'refuse to replay more accounts than this (1-10000)', wholeNumber(1, 10_000), 500)
    .option('--include-persistent', 'also replay persistent drift (needs --reason)', false)
    .option('--ignore-cooldown', 'also replay accounts healed within the cooldown (needs --reason)', false)
    .option('--ignore-caps', 'lift the per-run cap and the blast radius (needs --reason)', false)
    .option('--reason <why>', 'why a valve is overridden (recorded in every audit row)')
    .action(async (options: ReplayOptions) => {
      if (options.asOf !== undefined && options.apply)
        throw new CliError('--as-of reads the mirror, which is never applied: drop --apply (or --as-of)');
      const overrides = overridesOf(options);
      const ids = new Set<string>(options.accounts ?? []);
      if (options.file) {
        const text = await readFile(options.file, 'utf8').catch((e: NodeJS.ErrnoException) => {
          throw new CliError(`cannot read ${options.file}: ${e.code ?? 'error'}`);
        });
        for (const line of text.split('\n'))
          if (line.trim() && !line.trim().startsWith('#')) ids.add(line.trim());
      }
      let dead: DeadLetterBatch | null = null;
      if (options.fromDeadLetter) {
        const project = process.env.GOOGLE_CLOUD_PROJECT;
        if (!project)
          throw new CliError('GOOGLE_CLOUD_PROJECT is required to read the dead-letter subscriptions');
        dead = await drainDeadLetters(project, options.max);
        for (const id of dead.accounts.keys()) ids.add(id);
      }
      try {
        if (ids.size === 0 && (dead?.zones.length ?? 0) === 0) {
          const setAside = dead?.setAside.length ?? 0;
          throw new CliError(
            setAside > 0
              ? `nothing to replay: ${setAside} dead letter(s) set aside (${dead?.setAside.map((s) => `${s.stage} ${s.messageId}: ${s.why}`).join('; ')})`
              : 'nothing to replay: give --accounts, --file or --from-dead-letter',
          );
        }
        if (ids.size > options.max)
          throw new CliError(`${ids.size} accounts exceed --max ${options.max}: replay in smaller sets`);
        const accountIds = ids.size > 0 ? checkedIds([...ids]) : [];
        const deps = await adaptersOf();
        try {
          const nonce = new Date().toISOString();
          const accounts =
            accountIds.length > 0
              ? await replayAccounts(deps, {
                  accountIds,
                  snapshotDate: options.asOf ?? options.snapshotDate,
                  truth: options.asOf === undefined ? 'live' : 'mirror',
                  requestedBy: options.requestedBy,
                  apply: options.apply,
                  nonce,
                  ...(overrides ? { overrides } : {}),
                })
              : null;
          const zones =
            dead && dead.zones.length > 0
              ? await replayZones(deps, {
                  zones: dead.zones.map((z) => z.zone),
                  requestedBy: options.requestedBy,
                  apply: options.apply,
                  nonce,
                })
              : null;
          dead?.settle({ accounts: accounts?.published ?? [], zones: zones?.published ?? [] });
          out.stdout(
            `${JSON.stringify(
              {
                runId: accounts?.runId ?? null,
                accounts: accounts?.published.length ?? 0,
                refused: accounts?.refused ?? null,
                zones: zones ? { runId: zones.runId, published: zones.published.length } : null,
                setAside: dead?.setAside ?? [],
                dryRun: accounts?.dryRun ?? zones?.dryRun ?? !options.apply,
                requestedBy: options.requestedBy,
              },
              null,
              2,
            )}\n`,
          );
          if (accounts?.refused) {
            out.setExit(3);
            process.stderr.write(`Replay refused: ${accounts.refused.reason}.\n`);
          } else if (accounts) {
            process.stderr.write(
              `Replayed ${accounts.published.length} account(s) as run ${accounts.runId}${accounts.dryRun ? ' (dry-run: add --apply to write)' : ''}; gather applies the valves per account (persistent drift, cooldown) and audits every outcome. Follow it in cfbill_migrations_audit: WHERE run_id = '${accounts.runId}'\n`,
            );
          }
        } finally {
          await deps.close();
        }
      } catch (error) {
        if (error instanceof ValidationError) throw new CliError(error.message);
        throw error;
      } finally {
        await dead?.close();
      }
    });
}
