/**
 * The weekly ticket digest (docs/tickets.md, "The digest"): what an engineering manager reads on Monday —
 * the week's tickets per molecule against the weeks before, how many the taxonomy could place, which
 * unclassified tickets to read, and, per atom, whether the accounts those tickets name had drift in the
 * 14 days before and what became of its heal. Pure: rows from the ticket views in, Markdown out (with a
 * Mermaid chart of the window, which GitHub, GitLab and most wikis draw, and a text sparkline per
 * molecule for a terminal).
 */

export interface WeeklyMoleculeRow {
  readonly week: string;
  readonly molecule: string;
  readonly tickets: number;
  readonly week_tickets: number;
  readonly share: number;
  readonly classification_rate: number;
  readonly prev_4w_avg: number | null;
  readonly prev_26w_avg: number | null;
  readonly delta_vs_4w: number | null;
}

export interface AtomDriftRow {
  readonly week: string;
  readonly atom: string;
  readonly molecule: string | null;
  readonly tickets: number;
  readonly tickets_naming_accounts: number;
  readonly accounts_named: number;
  readonly accounts_new_drift: number;
  readonly accounts_heal_attempted: number;
  readonly accounts_heal_applied: number;
  readonly accounts_heal_blocked: number;
  readonly top_blocking_restriction: string | null;
  readonly top_blocking_restriction_accounts: number;
}

export interface UnclassifiedTicket {
  readonly key: string;
  readonly summary: string;
  readonly reason: string | null;
  readonly confidence: number;
}

export interface DigestInput {
  readonly week: string;
  readonly taxonomyVersion: string;
  /** Every week of the window, oldest first (the last is `week`). */
  readonly weeks: readonly string[];
  /** Molecule ids in the taxonomy's order (`unclassified` is added). */
  readonly molecules: readonly string[];
  readonly weekly: readonly WeeklyMoleculeRow[];
  readonly atoms: readonly AtomDriftRow[];
  readonly unclassified: readonly UnclassifiedTicket[];
}

const UNCLASSIFIED = 'unclassified';
const SPARK = '▁▂▃▄▅▆▇█';
const TOP_UNCLASSIFIED = 10;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values
    .map((v) => (max === 0 ? SPARK[0] : SPARK[Math.round((v / max) * (SPARK.length - 1))]))
    .join('');
}

/** "+3 vs 4-week avg 5.0" / "n/a" */
function trend(row: WeeklyMoleculeRow | undefined): string {
  if (!row || row.prev_4w_avg === null || row.prev_4w_avg === undefined) return 'no earlier weeks';
  const delta = num(row.delta_vs_4w);
  const sign = delta > 0 ? '+' : '';
  return `${sign}${delta.toFixed(1)} vs 4-week avg ${num(row.prev_4w_avg).toFixed(1)}`;
}

/** One sentence per atom: "entitlement-drift: 6 tickets, 4 of their accounts had new drift, 3 blocked by X". */
export function atomSentence(row: AtomDriftRow): string {
  const parts = [`${row.atom}: ${num(row.tickets)} ticket${num(row.tickets) === 1 ? '' : 's'}`];
  if (num(row.accounts_named) === 0) {
    parts.push('no account named');
    return parts.join(', ');
  }
  parts.push(
    `${num(row.accounts_new_drift)} of ${num(row.accounts_named)} named accounts had new drift in the 14 days before`,
  );
  if (num(row.accounts_heal_attempted) > 0) {
    parts.push(`${num(row.accounts_heal_applied)} healed`);
    if (num(row.accounts_heal_blocked) > 0)
      parts.push(
        `${num(row.accounts_heal_blocked)} blocked${row.top_blocking_restriction ? ` (most by ${row.top_blocking_restriction}: ${num(row.top_blocking_restriction_accounts)})` : ''}`,
      );
  } else if (num(row.accounts_new_drift) > 0) {
    parts.push('no heal attempted');
  }
  return parts.join(', ');
}

function mermaidChart(input: DigestInput, series: Map<string, number[]>): string[] {
  const labels = input.weeks.map((w) => `"${w.slice(5)}"`).join(', ');
  const max = Math.max(1, ...[...series.values()].flat());
  const lines = [
    '```mermaid',
    'xychart-beta',
    `  title "Tickets per molecule, ${input.weeks.length} weeks to ${input.week}"`,
    `  x-axis [${labels}]`,
    `  y-axis "tickets" 0 --> ${Math.ceil(max * 1.1)}`,
  ];
  for (const values of series.values()) lines.push(`  line [${values.join(', ')}]`);
  lines.push('```', '', `Lines, in order: ${[...series.keys()].join(', ')}.`);
  return lines;
}

export function renderDigest(input: DigestInput): string {
  const molecules = [...input.molecules.filter((m) => m !== UNCLASSIFIED), UNCLASSIFIED];
  const byWeekMolecule = new Map(input.weekly.map((r) => [`${r.week}|${r.molecule}`, r]));
  const series = new Map(
    molecules.map((m) => [m, input.weeks.map((w) => num(byWeekMolecule.get(`${w}|${m}`)?.tickets))]),
  );
  const thisWeek = input.weekly.filter((r) => r.week === input.week);
  const total = num(thisWeek[0]?.week_tickets);
  const rate = thisWeek[0] ? num(thisWeek[0].classification_rate) : 0;
  const windowTotal = [...series.values()].flat().reduce((a, b) => a + b, 0);
  const windowUnclassified = (series.get(UNCLASSIFIED) ?? []).reduce((a, b) => a + b, 0);
  const out: string[] = [
    `# Ticket digest — week of ${input.week} (taxonomy ${input.taxonomyVersion})`,
    '',
    total === 0
      ? 'No BILL or CUSTESC tickets were classified for this week.'
      : `${total} tickets this week; ${pct(rate)} classified. Over the ${input.weeks.length} weeks: ${windowTotal} tickets, ${pct(windowTotal === 0 ? 0 : 1 - windowUnclassified / windowTotal)} classified.`,
    '',
    '## Molecules',
    '',
    '| molecule | this week | trend | 26-week avg | weeks |',
    '|---|---:|---|---:|---|',
  ];
  for (const m of molecules) {
    const row = byWeekMolecule.get(`${input.week}|${m}`);
    const avg26 = row?.prev_26w_avg;
    out.push(
      `| ${m} | ${num(row?.tickets)} | ${trend(row)} | ${avg26 === null || avg26 === undefined ? '—' : num(avg26).toFixed(1)} | ${sparkline(series.get(m) ?? [])} |`,
    );
  }
  out.push('', ...mermaidChart(input, series), '', '## Tickets and drift, per atom', '');
  const atoms = input.atoms
    .filter((a) => a.week === input.week)
    .sort((a, b) => num(b.tickets) - num(a.tickets) || a.atom.localeCompare(b.atom));
  if (atoms.length === 0) out.push('No classified tickets this week.');
  for (const a of atoms) out.push(`- ${atomSentence(a)}.`);
  out.push('', '## Unclassified tickets to read', '');
  const top = [...input.unclassified]
    .sort((a, b) => num(b.confidence) - num(a.confidence) || a.key.localeCompare(b.key))
    .slice(0, TOP_UNCLASSIFIED);
  if (top.length === 0) out.push('None: every ticket this week was placed.');
  for (const t of top)
    out.push(
      `- ${t.key} (${t.reason ?? 'unclassified'}, best guess ${pct(num(t.confidence))}): ${oneLine(t.summary)}`,
    );
  out.push('');
  return out.join('\n');
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  // A summary is the customer's text: keep the table and list shape intact.
  return (flat.length > 120 ? `${flat.slice(0, 117)}...` : flat).replace(/[|`]/g, ' ');
}
