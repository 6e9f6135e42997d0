import type { Command } from 'commander';
import { type ClassifyWeekResult, classifyWeek } from '../../pipeline/classify-tickets.js';
import { DIGEST_WINDOW_WEEKS, weeklyDigest } from '../../pipeline/ticket-digest.js';
import type { Classification } from '../../tickets/classifier.js';
import { classifierFor, latestTaxonomyVersion } from '../../tickets/classifiers.js';
import { loadTaxonomy } from '../../tickets/taxonomy.js';
import { parseExportLine } from '../../tickets/ticket.js';
import { addWeeks, lastCompleteWeek, parseWeek, weeksBetween } from '../../tickets/weeks.js';
import { environmentAdapters } from '../environment.js';
import { CliError, type Out, readInput } from '../io.js';

/**
 * `driftcontrol tickets classify|digest|explain` (docs/tickets.md): the weekly ticket signal by hand —
 * classify a week or a backfill of weeks from Jira into BigQuery (the function's core, once per week and
 * taxonomy version unless --force), classify an NDJSON export offline (--file: nothing is read from or
 * written to any store), print the digest of a week, or show how one ticket was classified and why.
 */

function week(value: string, flag: string): string {
  try {
    return parseWeek(value);
  } catch (error) {
    throw new CliError(`${flag}: ${(error as Error).message}`);
  }
}

function taxonomyVersion(value: string | undefined): string {
  const v = value ?? process.env.TAXONOMY_VERSION ?? latestTaxonomyVersion();
  try {
    loadTaxonomy(v);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  return v;
}

/** One JSON line per ticket of an export; a line that does not parse gets a line saying why, never a crash. */
export function classifyExport(
  text: string,
  version: string,
  accountIdPattern: string | undefined,
): { lines: string[]; errors: number } {
  const classifier = classifierFor(version, accountIdPattern);
  const lines: string[] = [];
  let errors = 0;
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const parsed = parseExportLine(line);
    if (!parsed.ok) {
      errors += 1;
      lines.push(
        JSON.stringify({ line: i + 1, error: { field: parsed.error.field, message: parsed.error.message } }),
      );
      return;
    }
    const r: Classification = classifier.classify(parsed.ticket);
    lines.push(
      JSON.stringify({
        key: r.key,
        atom: r.atom,
        molecule: r.molecule,
        confidence: r.confidence,
        evidence: r.evidence,
        reason: r.reason,
        account_ids: r.accountIds,
        taxonomy_version: r.taxonomyVersion,
      }),
    );
  });
  return { lines, errors };
}

function describeResult(r: ClassifyWeekResult): string {
  if (r.status === 'already_ran')
    return `${r.week}: already classified (run ${r.runId}, ${r.finishedAt}); --force to run again`;
  if (r.status === 'in_progress')
    return `${r.week}: another run holds this week (${r.runId}); try again later`;
  const unclassified = Object.entries(r.summary.unclassified)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return `${r.week}: ${r.summary.tickets} tickets, ${r.summary.classified} classified${unclassified ? ` (unclassified: ${unclassified})` : ''}`;
}

export function registerTickets(program: Command, out: Out): void {
  const tickets = program
    .command('tickets')
    .description('The weekly ticket signal: classify Jira tickets by the taxonomy, and link them to drift.');

  tickets
    .command('classify')
    .description(
      'Classify a week (or weeks) of BILL and CUSTESC tickets from Jira into BigQuery, or an export.',
    )
    .option(
      '--week <monday>',
      'the week to classify (its Monday, YYYY-MM-DD); default the last complete week',
    )
    .option('--from <monday>', 'backfill from this week ...')
    .option('--to <monday>', '... to this week, both included (default the last complete week)')
    .option('--weeks <n>', `backfill the last N complete weeks (e.g. ${DIGEST_WINDOW_WEEKS})`)
    .option('--taxonomy <version>', 'taxonomy version (default TAXONOMY_VERSION or the newest shipped)')
    .option('--force', 'classify again weeks this version already classified')
    .option('--file <path>', 'classify an NDJSON export offline ("-" for stdin): one JSON result per line')
    .action(
      async (opts: {
        week?: string;
        from?: string;
        to?: string;
        weeks?: string;
        taxonomy?: string;
        force?: boolean;
        file?: string;
      }) => {
        const version = taxonomyVersion(opts.taxonomy);
        if (opts.file !== undefined) {
          const { lines, errors } = classifyExport(
            await readInput(opts.file),
            version,
            process.env.TICKET_ACCOUNT_ID_PATTERN,
          );
          out.stdout(lines.length > 0 ? `${lines.join('\n')}\n` : '');
          if (errors > 0) out.setExit(2);
          return;
        }
        const last = lastCompleteWeek(new Date());
        let targets: string[];
        if (opts.week !== undefined) targets = [week(opts.week, '--week')];
        else if (opts.weeks !== undefined) {
          const n = Number(opts.weeks);
          if (!Number.isInteger(n) || n < 1 || n > 520)
            throw new CliError(`--weeks must be 1 to 520, got "${opts.weeks}"`);
          targets = weeksBetween(addWeeks(last, -(n - 1)), last);
        } else if (opts.from !== undefined) {
          const to = opts.to === undefined ? last : week(opts.to, '--to');
          targets = weeksBetween(week(opts.from, '--from'), to);
          if (targets.length === 0) throw new CliError('--from is after --to');
        } else targets = [last];
        const a = await environmentAdapters('tickets classify');
        try {
          const classifier = classifierFor(version, a.env.ticketAccountIdPattern);
          for (const w of targets) {
            const result = await classifyWeek(a, classifier, { week: w, force: opts.force === true });
            out.stdout(`${describeResult(result)}\n`);
          }
        } finally {
          await a.close();
        }
      },
    );

  tickets
    .command('digest')
    .description(
      `The weekly digest (Markdown): molecules over ${DIGEST_WINDOW_WEEKS} weeks, and tickets linked to drift.`,
    )
    .option('--week <monday>', 'the week (its Monday); default the last complete week')
    .option('--taxonomy <version>', 'taxonomy version (default TAXONOMY_VERSION or the newest shipped)')
    .action(async (opts: { week?: string; taxonomy?: string }) => {
      const version = taxonomyVersion(opts.taxonomy);
      const w = opts.week === undefined ? lastCompleteWeek(new Date()) : week(opts.week, '--week');
      const a = await environmentAdapters('tickets digest');
      try {
        const molecules = loadTaxonomy(version).molecules.map((m) => m.id);
        out.stdout(await weeklyDigest(a.ticketStore, { week: w, taxonomyVersion: version, molecules }));
      } finally {
        await a.close();
      }
    });

  tickets
    .command('explain')
    .argument('<key>', 'a Jira issue key, e.g. BILL-123')
    .description('How a ticket was classified and why, and what its accounts had of drift (from BigQuery).')
    .option('--taxonomy <version>', 'taxonomy version (default TAXONOMY_VERSION or the newest shipped)')
    .option('--weeks <n>', 'how many weeks back to look for it', String(DIGEST_WINDOW_WEEKS))
    .action(async (key: string, opts: { taxonomy?: string; weeks: string }) => {
      if (!/^[A-Z][A-Z0-9_]*-[1-9]\d*$/.test(key)) throw new CliError(`not a Jira issue key: ${key}`);
      const version = taxonomyVersion(opts.taxonomy);
      const n = Number(opts.weeks);
      if (!Number.isInteger(n) || n < 1 || n > 520)
        throw new CliError(`--weeks must be 1 to 520, got "${opts.weeks}"`);
      const a = await environmentAdapters('tickets explain');
      try {
        // This week too: a ticket of the week in progress may have been classified by hand.
        const toWeek = addWeeks(lastCompleteWeek(new Date()), 1);
        const filter = { taxonomyVersion: version, fromWeek: addWeeks(toWeek, -n), toWeek };
        const rows = (
          await a.ticketStore.readView<Record<string, unknown>>('ticket_classifications_latest', filter)
        ).filter((r) => r.key === key);
        if (rows.length === 0)
          throw new CliError(`${key} has no ${version} classification in the last ${n} weeks`);
        const links = (
          await a.ticketStore.readView<Record<string, unknown>>('ticket_account_drift', filter)
        ).filter((r) => r.key === key);
        out.stdout(`${JSON.stringify({ classification: rows[0], accounts: links }, null, 2)}\n`);
      } finally {
        await a.close();
      }
    });
}
