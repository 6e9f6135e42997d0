/**
 * The history check of the chaos run (docs/operations.md, "Chaos run"): given what was recorded — the
 * local Stripe's request log, every audit row that landed (duplicates included), the final-outcome view,
 * what was dead-lettered, the second run's writes and every healed account's live plan — it says whether
 * the pipeline kept its promises, and counts what happened. Pure: the chaos runner gathers the inputs.
 *
 * The promises (issue "trust nothing on the wire"):
 *  - no change is written to Stripe twice, and every write belongs to a plan_apply row naming it that
 *    says it wrote (`applied`, or a failure after some of its writes went through: `stripe_writes` > 0);
 *  - exactly one final row per run, stage and subject (account, or zone for www), and every subject a run
 *    took on has one — unless its message was dead-lettered, which is kept and replayed, never lost;
 *  - the final-outcome view agrees, even with the duplicate rows BigQuery's best-effort de-duplication
 *    lets through;
 *  - a second run over the same drift writes nothing; every healed account plans to noop.
 */

/** One request of the local Stripe's log, as much of it as the check reads. */
export interface StripeRequest {
  readonly method: string;
  readonly path: string;
  readonly objectId: string | null;
  readonly idempotencyKey: string | null;
  readonly applied: boolean;
  readonly replayed: boolean;
  readonly status: number;
  readonly fault: string | null;
  readonly params: unknown;
}

/** One audit row as landed in the raw table (a duplicate appears twice). */
export interface LandedAuditRow {
  readonly row_id: string;
  readonly run_id: string;
  readonly system: string;
  readonly stage: string;
  readonly account_id: string | null;
  readonly zone_id: string | null;
  readonly outcome: string;
  readonly will_retry: boolean;
  readonly error_code: string | null;
  readonly change_ids: readonly string[];
  /** Writes Stripe executed in this attempt: a failed attempt may have written some before it failed. */
  readonly stripe_writes: number;
}

/** One row of the final-outcome view (shared/warehouse/sql/views/11_audit_final_outcomes.sql). */
export interface FinalViewRow {
  readonly row_id: string;
  readonly run_id: string;
  readonly system: string;
  readonly stage: string;
  readonly subject: string;
}

export interface HistoryInput {
  readonly stripeRequests: readonly StripeRequest[];
  readonly auditRows: readonly LandedAuditRow[];
  readonly finalView: readonly FinalViewRow[];
  /** Subjects taken on by each run that has no detect rows (replays: what the operator's command published). */
  readonly replayed: Readonly<Record<string, readonly string[]>>;
  /** Subjects whose message of a run was dead-lettered (`${runId} ${subject}`). */
  readonly deadLettered: ReadonlySet<string>;
  /** Executed Stripe writes before and after the second run. */
  readonly secondRun: { readonly writesBefore: number; readonly writesAfter: number };
  /** The live plan of every account some run healed. */
  readonly replans: readonly { readonly accountId: string; readonly outcome: string }[];
}

export interface HistoryCounts {
  readonly stripeRequests: number;
  readonly stripeFaultsSeen: number;
  readonly stripeWrites: number;
  /** Retries Stripe answered from its idempotency record instead of writing again. */
  readonly idempotentReplays: number;
  readonly changesWritten: number;
  readonly auditRowsLanded: number;
  readonly auditAttempts: number;
  /** Rows that landed more than once (BigQuery's best-effort de-duplication let them through). */
  readonly duplicateRowsAbsorbed: number;
  readonly finalRows: number;
  readonly finalsByStage: Readonly<Record<string, number>>;
  /** Final rows the history should hold: one per subject and stage each run reached. */
  readonly finalsExpected: number;
  readonly deadLettered: number;
  /** Expected final rows that never landed and were not dead-lettered either. */
  readonly finalsLost: number;
  readonly healedAccounts: number;
  readonly secondRunWrites: number;
}

export interface HistoryVerdict {
  readonly ok: boolean;
  readonly violations: readonly string[];
  readonly counts: HistoryCounts;
}

const CHANGE_ID_KEY = 'driftcontrol_change_id';
const COMMENT = /^driftcontrol (?:run \S+ change )?(\S+)$/;
/** Stages with one final word per subject and run. */
const FINAL_STAGES = new Set(['detect', 'gather', 'plan_apply', 'www_resync']);

/** A write's change id, from the stamp it carries (metadata, or a cancel's cancellation comment). */
export function changeIdOfWrite(params: unknown): string | null {
  const p = (params ?? {}) as {
    metadata?: Record<string, unknown>;
    cancellation_details?: { comment?: unknown };
  };
  const fromMetadata = p.metadata?.[CHANGE_ID_KEY];
  if (typeof fromMetadata === 'string') return fromMetadata;
  const comment = p.cancellation_details?.comment;
  return typeof comment === 'string' ? (COMMENT.exec(comment.trim())?.[1] ?? null) : null;
}

export function isExecutedWrite(r: StripeRequest): boolean {
  return r.method !== 'GET' && r.applied && !r.replayed;
}

const subjectOf = (r: { account_id: string | null; zone_id: string | null }) =>
  r.zone_id ?? r.account_id ?? '';
const keyOf = (run: string, system: string, stage: string, subject: string) =>
  `${run} ${system} ${stage} ${subject}`;

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
}

/** Lists at most a few examples of a violation, with how many there are. */
function examples(what: string, items: readonly string[]): string {
  const shown = items.slice(0, 5).join('; ');
  return `${items.length} ${what}: ${shown}${items.length > 5 ? '; …' : ''}`;
}

/** Each attempt once: rows sharing the deterministic row id are one attempt (as the views read them). */
function attemptsOf(rows: readonly LandedAuditRow[]): Map<string, LandedAuditRow> {
  const attempts = new Map<string, LandedAuditRow>();
  for (const row of rows) if (!attempts.has(row.row_id)) attempts.set(row.row_id, row);
  return attempts;
}

/** The final (not retried) attempts of each run, system, stage and subject. */
function finalRowsOf(attempts: Map<string, LandedAuditRow>): Map<string, LandedAuditRow[]> {
  const finals = new Map<string, LandedAuditRow[]>();
  for (const row of attempts.values()) {
    if (row.will_retry || !FINAL_STAGES.has(row.stage) || subjectOf(row) === '') continue;
    const key = keyOf(row.run_id, row.system, row.stage, subjectOf(row));
    finals.set(key, [...(finals.get(key) ?? []), row]);
  }
  return finals;
}

interface ExpectedFinal {
  readonly run: string;
  readonly system: string;
  readonly stage: string;
  readonly subject: string;
}

/**
 * The final rows a history must hold: for every subject detect published, one from the stage that takes
 * it on (gather, or www-resync for a zone); the same for every account a replay published; and one from
 * plan-apply for every account gather published a view of.
 */
function expectedFinals(
  attempts: Map<string, LandedAuditRow>,
  replayed: Readonly<Record<string, readonly string[]>>,
): ExpectedFinal[] {
  const expected: ExpectedFinal[] = [];
  for (const row of attempts.values()) {
    if (row.stage !== 'detect' || row.outcome !== 'published' || subjectOf(row) === '') continue;
    expected.push({
      run: row.run_id,
      system: row.system,
      stage: row.system === 'www' ? 'www_resync' : 'gather',
      subject: subjectOf(row),
    });
  }
  for (const [run, subjects] of Object.entries(replayed))
    for (const subject of subjects) expected.push({ run, system: 'stripe', stage: 'gather', subject });
  for (const row of attempts.values()) {
    if (row.stage === 'gather' && row.outcome === 'published' && !row.will_retry)
      expected.push({ run: row.run_id, system: row.system, stage: 'plan_apply', subject: subjectOf(row) });
  }
  return expected;
}

/** Expected final rows not landed yet (`run system stage subject`): the chaos run waits for none. */
export function outstandingFinals(
  rows: readonly LandedAuditRow[],
  replayed: Readonly<Record<string, readonly string[]>>,
): string[] {
  const attempts = attemptsOf(rows);
  const finals = finalRowsOf(attempts);
  return expectedFinals(attempts, replayed)
    .map((e) => keyOf(e.run, e.system, e.stage, e.subject))
    .filter((key) => !finals.has(key));
}

export function checkHistory(input: HistoryInput): HistoryVerdict {
  const violations: string[] = [];
  const fail = (what: string, items: readonly string[]) => {
    if (items.length > 0) violations.push(examples(what, items));
  };

  // --- Stripe: no change written twice, every write audited as applied.
  const writes = input.stripeRequests.filter(isExecutedWrite);
  fail(
    'writes executed twice under one idempotency key',
    [...countBy(writes, (w) => w.idempotencyKey ?? '(none)')]
      .filter(([, n]) => n > 1)
      .map(([k, n]) => `${k} ×${n}`),
  );
  const byChange = countBy(writes, (w) => changeIdOfWrite(w.params) ?? '(unstamped)');
  fail(
    'changes written more than once',
    [...byChange].filter(([k, n]) => k !== '(unstamped)' && n > 1).map(([k, n]) => `${k} ×${n}`),
  );
  fail(
    'writes without a change stamp',
    writes.filter((w) => changeIdOfWrite(w.params) === null).map((w) => `${w.method} ${w.path}`),
  );

  // --- Audit: de-duplicate by the deterministic row id, as the views do.
  const attempts = attemptsOf(input.auditRows);
  const appliedChanges = new Set<string>();
  for (const row of attempts.values())
    if (row.stage === 'plan_apply' && (row.outcome === 'applied' || Number(row.stripe_writes) > 0))
      for (const id of row.change_ids) appliedChanges.add(id);
  fail(
    'changes written to Stripe that no audit row names as written',
    [...byChange.keys()].filter((id) => id !== '(unstamped)' && !appliedChanges.has(id)),
  );

  const finals = finalRowsOf(attempts);
  fail(
    'run/stage/subject keys with more than one final row',
    [...finals]
      .filter(([, rows]) => rows.length > 1)
      .map(
        ([k, rows]) =>
          `${k}: ${rows.map((r) => `${r.outcome}${r.error_code ? `/${r.error_code}` : ''}`).join(', ')}`,
      ),
  );

  // --- Every subject a run took on has its final word at each stage it reached (or was dead-lettered).
  const expected = expectedFinals(attempts, input.replayed);
  const unfinished = expected.filter((e) => !finals.has(keyOf(e.run, e.system, e.stage, e.subject)));
  fail(
    'subjects with no final row that were not dead-lettered either (lost)',
    unfinished
      .filter((e) => !input.deadLettered.has(`${e.run} ${e.subject}`))
      .map((e) => keyOf(e.run, e.system, e.stage, e.subject)),
  );

  // --- The final-outcome view says the same, one row per key, with duplicates in the table.
  const viewKeys = countBy(input.finalView, (r) => keyOf(r.run_id, r.system, r.stage, r.subject));
  fail(
    'keys the final-outcome view lists more than once',
    [...viewKeys].filter(([, n]) => n > 1).map(([k]) => k),
  );
  const viewed = new Map(input.finalView.map((r) => [keyOf(r.run_id, r.system, r.stage, r.subject), r]));
  const disagreements: string[] = [];
  for (const [key, rows] of finals) {
    if (rows.length !== 1) continue;
    const shown = viewed.get(key);
    if (shown === undefined) disagreements.push(`${key}: missing from the view`);
    else if (shown.row_id !== rows[0]?.row_id) disagreements.push(`${key}: the view shows another row`);
  }
  for (const key of viewed.keys()) if (!finals.has(key)) disagreements.push(`${key}: only in the view`);
  fail('final rows the view disagrees on', disagreements);

  // --- The second run and the healed accounts.
  const secondRunWrites = input.secondRun.writesAfter - input.secondRun.writesBefore;
  if (secondRunWrites !== 0) violations.push(`the second run wrote ${secondRunWrites} time(s) to Stripe`);
  fail(
    'healed accounts whose live plan is not noop',
    input.replans.filter((r) => r.outcome !== 'noop').map((r) => `${r.accountId}: ${r.outcome}`),
  );

  const finalRows = [...finals.values()].reduce((n, rows) => n + rows.length, 0);
  const finalsByStage: Record<string, number> = {};
  for (const rows of finals.values())
    for (const r of rows) finalsByStage[r.stage] = (finalsByStage[r.stage] ?? 0) + 1;
  return {
    ok: violations.length === 0,
    violations,
    counts: {
      stripeRequests: input.stripeRequests.length,
      stripeFaultsSeen: input.stripeRequests.filter((r) => r.fault !== null).length,
      stripeWrites: writes.length,
      idempotentReplays: input.stripeRequests.filter((r) => r.replayed).length,
      changesWritten: [...byChange.keys()].filter((k) => k !== '(unstamped)').length,
      auditRowsLanded: input.auditRows.length,
      auditAttempts: attempts.size,
      duplicateRowsAbsorbed: input.auditRows.length - attempts.size,
      finalRows,
      finalsByStage,
      finalsExpected: expected.length,
      deadLettered: unfinished.filter((e) => input.deadLettered.has(`${e.run} ${e.subject}`)).length,
      finalsLost: unfinished.filter((e) => !input.deadLettered.has(`${e.run} ${e.subject}`)).length,
      healedAccounts: input.replans.length,
      secondRunWrites,
    },
  };
}
