import type { AccountViewMessage } from '../contracts/messages.js';
import { idempotencyKey, type PreconditionMismatch, preconditionVerdict } from '../core/apply-policy.js';
import { driftSignature } from '../core/lifecycle.js';
import { plan } from '../core/planner.js';
import { stampRunId } from '../core/stamp.js';
import {
  changedParts,
  diffDecisions,
  foreignTargets,
  isTruthPart,
  viewFreshness,
} from '../core/truth-check.js';
import type { AccountView } from '../domain/account-view.js';
import { AuditOutcome } from '../domain/audit.js';
import type { DriftControlConfig } from '../domain/config.js';
import type { Change, Plan } from '../domain/plan.js';
import { emitAudit } from './audit.js';
import type { Disposition, PipelineDeps } from './deps.js';
import { failureOf } from './failures.js';
import { gatherLive } from './gather.js';

/**
 * plan-apply's core (docs/design.md, "Product decisions that move money" and "Live truth"). The message's
 * view is a trigger, never authority: it is planned to see whether anything is to be done, but before the
 * first write plan-apply holds a per-account lease, refuses a view older than the configured bound, reads
 * the account live itself, plans again, and writes only when the live plan makes the same decision (same
 * changes with the same preconditions, same restrictions) on objects the account's live Stripe customer
 * owns. Each change is then re-checked against live Stripe and written once with a deterministic
 * idempotency key. Every outcome is audited; nothing moved by a stale, moved or forged view.
 */

export const LEASE_TTL_MS = 5 * 60_000;
const STAGE = 'plan_apply';

export interface PlanApplyResult {
  readonly disposition: Disposition;
  readonly outcome: AuditOutcome;
  readonly plan: Plan | null;
  readonly stripeWrites: number;
  readonly reason: string;
}

function describe(plan: Plan) {
  return {
    outcome: plan.outcome,
    // What drifted, so "why" can name it whatever the outcome (docs/support.md).
    drift: {
      account: plan.accountDrift,
      items: plan.elements
        .filter((e) => e.drift.length > 0)
        .map((e) => ({ key: e.key, class: e.elementClass, drift: e.drift })),
    },
    changes: plan.changes.map((c) => ({
      id: c.id,
      method: c.operation.sdkMethod,
      target: c.target.id,
      drift: c.drift,
    })),
    blockedChanges: plan.blockedChanges.map((c) => c.id),
    droppedChanges: plan.droppedChanges.map((d) => ({ id: d.change.id, by: d.droppedBy })),
    findings: plan.findings.map((f) => ({ kind: f.kind, detail: f.detail })),
    moneyEffect: plan.moneyEffect,
    restrictions: plan.restrictions.filter((r) => r.applies).map((r) => ({ name: r.name, reason: r.reason })),
  };
}

/** Why a carried plan may not be written, as an audited refusal; null when the live plan agrees. */
interface Refusal {
  readonly code: 'foreign_object' | 'truth_moved' | 'stale_plan';
  readonly reason: string;
  readonly result: Record<string, unknown>;
}

/**
 * Compares the carried plan with the plan of the live view. A carried change missing from the live plan
 * is fine only when live Stripe carries its stamp (an earlier delivery wrote it before a crash).
 */
async function checkAgainstLive(
  deps: PipelineDeps,
  carriedView: AccountView,
  carried: Plan,
  live: AccountView,
  livePlan: Plan,
): Promise<{ refusal: Refusal } | { refusal: null; alreadyApplied: number }> {
  const foreign = foreignTargets(carried.changes, live);
  if (foreign.length > 0) {
    return {
      refusal: {
        code: 'foreign_object',
        reason: `the view targets ${foreign.map((c) => `${c.target.object} ${c.target.id}`).join(', ')}, which the account's live Stripe customer does not own: nothing written`,
        result: { foreign: foreign.map((c) => ({ change: c.id, target: c.target })) },
      },
    };
  }
  const diff = diffDecisions(carried, livePlan);
  let alreadyApplied = 0;
  const unexplained: Change[] = [];
  for (const change of diff.onlyCarried) {
    const verdict = preconditionVerdict(change, await deps.stripe.readLive(change.target));
    if (verdict.verdict === 'already_applied') alreadyApplied += 1;
    else unexplained.push(change);
  }
  if (unexplained.length === 0 && diff.onlyLive.length === 0 && diff.restrictions.length === 0)
    return { refusal: null, alreadyApplied };
  const parts = changedParts(carriedView, live);
  const truth = parts.filter(isTruthPart);
  const result = {
    changedParts: parts,
    notInLivePlan: unexplained.map((c) => c.id),
    onlyInLivePlan: diff.onlyLive.map((c) => c.id),
    restrictionsDiffer: diff.restrictions,
    livePlan: describe(livePlan),
  };
  return {
    refusal:
      truth.length > 0
        ? {
            code: 'truth_moved',
            reason: `the truth moved since gather (${truth.join(', ')}): the live plan differs, nothing written; the next detection re-plans`,
            result,
          }
        : {
            code: 'stale_plan',
            reason: `Stripe changed since gather (${parts.join(', ') || 'restriction inputs'}): the live plan differs, nothing written`,
            result,
          },
  };
}

/** Final outcomes that say where an account's drift stands (a halt or a held lease says nothing of it). */
const OBSERVED: ReadonlySet<AuditOutcome> = new Set([
  'applied',
  'noop',
  'blocked',
  'needs_human',
  'dry_run',
  'stale',
  'failed',
]);

export async function planAndApply(
  deps: PipelineDeps,
  message: AccountViewMessage,
  messageId: string,
): Promise<PlanApplyResult> {
  const startedAt = deps.clock.now();
  const { run, view } = message;
  const accountId = view.accountId;
  const config: DriftControlConfig = await deps.control.getConfig();
  let p: Plan | null = null;
  const audit = (outcome: AuditOutcome, extra: Partial<Parameters<typeof emitAudit>[1]> = {}) =>
    emitAudit(deps, {
      run,
      stage: STAGE,
      accountId,
      outcome,
      startedAt,
      finishedAt: deps.clock.now(),
      planHash: p?.planHash ?? null,
      restrictions: p?.restrictions.filter((r) => r.applies).map((r) => r.name) ?? [],
      changeIds: p?.changes.map((c) => c.id) ?? [],
      params: { viewAsOf: view.asOf, truth: message.truth ?? 'live', messageId },
      result: p ? describe(p) : {},
      ...extra,
    });
  // Best effort: the lifecycle says where drift stands, it decides no write here; a Firestore failure
  // after Stripe writes went through must not turn an applied outcome into a failed one.
  const observeLifecycle = async (planned: Plan, outcome: AuditOutcome) => {
    try {
      return await deps.lifecycle.observe(run.system, accountId, {
        at: deps.clock.now().toISOString(),
        signature: driftSignature(planned),
        outcome,
        runId: run.runId,
        trigger: run.trigger,
      });
    } catch (error) {
      deps.log.warn({ event: 'lifecycle_not_observed', account_id: accountId, err: error }, 'lifecycle');
      return null;
    }
  };
  const done = async (
    outcome: AuditOutcome,
    disposition: Disposition,
    reason: string,
    extra: Partial<Parameters<typeof emitAudit>[1]> = {},
  ) => {
    // The account's drift lifecycle, from this final word on the live truth (docs/design.md, "Drift
    // lifecycle"): written first so the row says where the drift stands; a redelivery of the same run
    // changes nothing.
    const lifecycle =
      disposition === 'ack' && p !== null && (message.truth ?? 'live') === 'live' && OBSERVED.has(outcome)
        ? await observeLifecycle(p, outcome)
        : null;
    const row = await audit(outcome, {
      reason,
      ...extra,
      ...(lifecycle ? { result: { ...(extra.result ?? describe(p as Plan)), lifecycle } } : {}),
    });
    // An acked outcome is this run's final word on the account: a later delivery adds no second one.
    if (disposition === 'ack')
      await deps.control.recordFinal(run.runId, STAGE, accountId, { outcome, rowId: row.row_id });
    return { disposition, outcome, plan: p, stripeWrites: extra.stripeWrites ?? 0, reason };
  };

  const prior = await deps.control.finalOutcome(run.runId, STAGE, accountId);
  if (prior !== null) {
    deps.log.info(
      { event: 'already_final', account_id: accountId, run_id: run.runId, outcome: prior.outcome },
      'this run already has a final outcome for the account; nothing more to do',
    );
    return {
      disposition: 'ack',
      outcome: AuditOutcome.parse(prior.outcome),
      plan: null,
      stripeWrites: 0,
      reason: `already final in run ${run.runId}: ${prior.outcome}`,
    };
  }

  if (config.killSwitch)
    return done('halted', 'ack', 'kill switch is on: nothing applied', { errorCode: 'kill_switch' });

  const plannerConfig = { invoiceDateTooNearDays: config.invoiceDateTooNearDays };
  p = plan(view, plannerConfig);
  switch (p.outcome) {
    case 'noop':
      // Detection published it as new drift in the mirror; the stores, read live, no longer disagree.
      return run.trigger === 'scheduled' && (message.truth ?? 'live') === 'live'
        ? done(
            'noop',
            'ack',
            `drift in the mirror of ${run.snapshotDate}, not in the live stores: nothing to do`,
            { errorCode: 'mirror_drift_not_live' },
          )
        : done('noop', 'ack', 'already in the desired state');
    case 'blocked':
      return done(
        'blocked',
        'ack',
        p.restrictions
          .filter((r) => r.applies)
          .map((r) => `${r.name}: ${r.reason}`)
          .join('; '),
      );
    case 'needs_human':
      return done('needs_human', 'ack', p.findings.map((f) => f.detail).join('; '));
    case 'changes':
      break;
  }
  if (message.truth === 'mirror') {
    return done(
      'dry_run',
      'ack',
      `an as-of view of the mirror of ${run.snapshotDate} is never applied: would apply ${p.changes.length} change(s) on that truth`,
      { errorCode: 'as_of_view' },
    );
  }
  if (run.dryRun || config.dryRun) {
    return done('dry_run', 'ack', `dry-run: would apply ${p.changes.length} change(s)`);
  }
  const freshness = viewFreshness(view, deps.clock.now().getTime(), config.maxViewAgeSeconds);
  if (!freshness.fresh) {
    return done('stale', 'ack', `${freshness.reason}: nothing written; the next detection re-plans`, {
      errorCode: 'stale_view',
      result: { ...describe(p), oldestPart: freshness.part, ageSeconds: freshness.ageSeconds },
    });
  }

  const holder = `${run.runId}:${p.planHash.slice(0, 12)}`;
  if (!(await deps.control.acquireLease(accountId, holder, LEASE_TTL_MS, deps.clock.now().getTime()))) {
    const current = await deps.control.leaseHolder(accountId, deps.clock.now().getTime());
    if (current?.startsWith(`${run.runId}:`)) {
      // A duplicate of this run's own message is applying right now; it records the run's final outcome.
      deps.log.info({ event: 'duplicate_in_flight', account_id: accountId, run_id: run.runId }, 'duplicate');
      return {
        disposition: 'ack',
        outcome: 'noop',
        plan: p,
        stripeWrites: 0,
        reason: 'a duplicate is in flight',
      };
    }
    // Another run is applying to this account now: it does the work; this attempt ends here, audited.
    return done(
      'excluded',
      'ack',
      `another run (${current?.split(':')[0] ?? 'unknown'}) holds the account's lease and is applying to it: nothing written by this run`,
      { errorCode: 'lease_held' },
    );
  }
  let writes = 0;
  try {
    // The truth every write acts on, read now: the message only said where to look.
    const live = await gatherLive(deps, accountId);
    if (live === null) {
      return await done(
        'stale',
        'ack',
        `account ${accountId} is no longer known to subs-api: nothing written`,
        {
          errorCode: 'truth_moved',
        },
      );
    }
    const livePlan = plan(live, plannerConfig);
    const check = await checkAgainstLive(deps, view, p, live, livePlan);
    if (check.refusal !== null) {
      return await done('stale', 'ack', check.refusal.reason, {
        errorCode: check.refusal.code,
        result: { ...describe(p), ...check.refusal.result },
      });
    }

    // Check every precondition against live Stripe right before the first write, so a plan that went
    // stale since the live read writes nothing at all.
    const fresh: Change[] = [];
    const stale: { change: string; mismatches: readonly PreconditionMismatch[] }[] = [];
    let alreadyApplied = check.alreadyApplied;
    for (const change of livePlan.changes) {
      const verdict = preconditionVerdict(change, await deps.stripe.readLive(change.target));
      if (verdict.verdict === 'fresh') fresh.push(change);
      else if (verdict.verdict === 'already_applied') alreadyApplied += 1;
      else stale.push({ change: change.id, mismatches: verdict.mismatches });
    }
    if (stale.length > 0) {
      return await done(
        'stale',
        'ack',
        `Stripe changed since gather: ${stale.map((s) => s.change).join(', ')}`,
        { errorCode: 'stale_plan', result: { ...describe(p), stale } },
      );
    }
    for (const change of fresh) {
      await deps.stripe.write(
        change,
        stampRunId(change, run.runId),
        idempotencyKey(accountId, change, p.planHash),
      );
      writes += 1;
    }
    await deps.control.markHealed(accountId, deps.clock.now().getTime(), run.runId);
    return await done(
      'applied',
      'ack',
      `applied ${writes} change(s)${alreadyApplied ? `, ${alreadyApplied} already applied by an earlier delivery` : ''}`,
      { stripeWrites: writes },
    );
  } catch (error) {
    const failure = failureOf(error);
    return await done('failed', failure.retryable ? 'retry' : 'ack', failure.message, {
      errorCode: failure.code,
      attemptKey: messageId,
      willRetry: failure.retryable,
      stripeWrites: writes,
    });
  } finally {
    await deps.control.releaseLease(accountId, holder);
  }
}
