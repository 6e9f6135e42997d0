import type { TicketStorePort } from '../ports/index.js';
import {
  type AtomDriftRow,
  type DigestInput,
  renderDigest,
  type UnclassifiedTicket,
  type WeeklyMoleculeRow,
} from '../tickets/digest.js';
import { addWeeks, parseWeek, weeksBetween } from '../tickets/weeks.js';

/**
 * The weekly digest from the ticket views (docs/tickets.md, "The digest"): the 27-week window ending with
 * `week`, for one taxonomy version. classify-tickets returns it after a scheduled run; the CLI prints it
 * (`driftcontrol tickets digest --week …`).
 */

export const DIGEST_WINDOW_WEEKS = 27;

interface LatestRow {
  readonly key: string;
  readonly week: string;
  readonly summary: string;
  readonly atom: string;
  readonly reason: string | null;
  readonly confidence: number;
}

/** BigQuery answers DATE columns as { value } objects; plain strings from other clients. */
const dateOf = (v: unknown): string =>
  typeof v === 'object' && v !== null && 'value' in v ? String((v as { value: unknown }).value) : String(v);

export async function buildDigestInput(
  store: TicketStorePort,
  request: { week: string; taxonomyVersion: string; molecules: readonly string[] },
): Promise<DigestInput> {
  const week = parseWeek(request.week);
  const fromWeek = addWeeks(week, -(DIGEST_WINDOW_WEEKS - 1));
  const filter = { taxonomyVersion: request.taxonomyVersion, fromWeek, toWeek: week };
  const [weekly, atoms, latest] = await Promise.all([
    store.readView<WeeklyMoleculeRow>('ticket_weekly_molecules', filter),
    store.readView<AtomDriftRow>('ticket_atom_drift', { ...filter, fromWeek: week }),
    store.readView<LatestRow>('ticket_classifications_latest', { ...filter, fromWeek: week }),
  ]);
  const unclassified: UnclassifiedTicket[] = latest
    .filter((r) => r.atom === 'unclassified')
    .map((r) => ({ key: r.key, summary: r.summary, reason: r.reason, confidence: Number(r.confidence) }));
  return {
    week,
    taxonomyVersion: request.taxonomyVersion,
    weeks: weeksBetween(fromWeek, week),
    molecules: request.molecules,
    weekly: weekly.map((r) => ({ ...r, week: dateOf(r.week) })),
    atoms: atoms.map((r) => ({ ...r, week: dateOf(r.week) })),
    unclassified,
  };
}

export async function weeklyDigest(
  store: TicketStorePort,
  request: { week: string; taxonomyVersion: string; molecules: readonly string[] },
): Promise<string> {
  return renderDigest(await buildDigestInput(store, request));
}
