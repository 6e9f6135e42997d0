import { randomUUID } from 'node:crypto';
import type { TicketClassificationRow } from '../domain/ticket-classification.js';
import type { Clock, TicketRunLedgerPort, TicketSourcePort, TicketStorePort } from '../ports/index.js';
import type { Classification, TicketClassifier } from '../tickets/classifier.js';
import type { Ticket } from '../tickets/ticket.js';
import { parseWeek, weekOf, weekRange } from '../tickets/weeks.js';

/**
 * classify-tickets' core (docs/tickets.md): one ISO week of BILL and CUSTESC tickets read whole from Jira,
 * classified by one taxonomy version, landed in BigQuery — once per version and week (a ledger, like
 * detection's), again only when asked (`force`: a backfill under a new version, a corrected week).
 */

export interface TicketDeps {
  readonly tickets: TicketSourcePort;
  readonly ticketStore: TicketStorePort;
  readonly ticketRuns: TicketRunLedgerPort;
  readonly clock: Clock;
}

export interface ClassifyWeekRequest {
  readonly week: string;
  readonly force: boolean;
}

export interface ClassifyWeekSummary {
  readonly tickets: number;
  readonly classified: number;
  /** Unclassified tickets by reason (low_confidence, empty, non_english, ...). */
  readonly unclassified: Record<string, number>;
  readonly byAtom: Record<string, number>;
}

export type ClassifyWeekResult =
  | {
      readonly status: 'classified';
      readonly week: string;
      readonly runId: string;
      readonly taxonomyVersion: string;
      readonly summary: ClassifyWeekSummary;
    }
  | {
      readonly status: 'already_ran';
      readonly week: string;
      readonly runId: string;
      readonly finishedAt: string;
    }
  | { readonly status: 'in_progress'; readonly week: string; readonly runId: string };

/** How long a week's claim holds: a run that died loses the week after this. */
export const TICKET_RUN_LEASE_MS = 15 * 60_000;
const SUMMARY_CHARS = 300;

/** The row that lands for one classified ticket. */
export function classificationRow(
  ticket: Ticket,
  result: Classification,
  runId: string,
  classifiedAt: string,
): TicketClassificationRow {
  const created = new Date(ticket.created.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')).toISOString();
  return {
    key: ticket.key,
    project: ticket.project,
    created,
    week: weekOf(created),
    summary: ticket.summary.slice(0, SUMMARY_CHARS),
    atom: result.atom,
    molecule: result.molecule,
    confidence: Math.round(result.confidence * 1e4) / 1e4,
    evidence: result.evidence.slice(0, 20).map((e) => e.slice(0, 200)),
    reason: result.reason,
    truncated: result.truncated,
    taxonomy_version: result.taxonomyVersion,
    account_ids: result.accountIds,
    run_id: runId,
    classified_at: classifiedAt,
  };
}

export function summarise(results: readonly Classification[]): ClassifyWeekSummary {
  const unclassified: Record<string, number> = {};
  const byAtom: Record<string, number> = {};
  for (const r of results) {
    byAtom[r.atom] = (byAtom[r.atom] ?? 0) + 1;
    if (r.reason !== null) unclassified[r.reason] = (unclassified[r.reason] ?? 0) + 1;
  }
  return {
    tickets: results.length,
    classified: results.filter((r) => r.reason === null).length,
    unclassified,
    byAtom,
  };
}

export async function classifyWeek(
  deps: TicketDeps,
  classifier: TicketClassifier,
  request: ClassifyWeekRequest,
): Promise<ClassifyWeekResult> {
  const week = parseWeek(request.week);
  const version = classifier.version;
  const runId = `tickets-${version}-${week}-${randomUUID().slice(0, 8)}`;
  const claim = await deps.ticketRuns.claim(version, week, {
    runId,
    nowMs: deps.clock.now().getTime(),
    leaseMs: TICKET_RUN_LEASE_MS,
    force: request.force,
  });
  if (claim.outcome === 'done')
    return { status: 'already_ran', week, runId: claim.runId, finishedAt: claim.finishedAt };
  if (claim.outcome === 'in_progress') return { status: 'in_progress', week, runId: claim.runId };

  const { fromIso, toIso } = weekRange(week);
  let results: Classification[];
  try {
    const tickets = await deps.tickets.ticketsCreated(fromIso, toIso);
    const classifiedAt = deps.clock.now().toISOString();
    // The classifier never throws for a ticket (bad tickets are unclassified with a reason), so one odd
    // ticket cannot cost the week; every ticket read gets its row.
    results = tickets.map((t) => classifier.classify(t));
    const rows = tickets.map((t, i) =>
      classificationRow(t, results[i] as Classification, runId, classifiedAt),
    );
    await deps.ticketStore.insertClassifications(rows);
  } catch (error) {
    // The week is free again at once (the scheduler's retry, an operator with the right grants); rows
    // that did land are superseded by the next run's (the views read the latest).
    await deps.ticketRuns.abandon(version, week, runId, (error as Error).message).catch(() => undefined);
    throw error;
  }
  const summary = summarise(results);
  await deps.ticketRuns.finish(version, week, runId, { ...summary });
  return { status: 'classified', week, runId, taxonomyVersion: version, summary };
}
