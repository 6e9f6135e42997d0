import type { AccountViewMessage } from '../contracts/messages.js';
import { idempotencyKey, type PreconditionMismatch, preconditionVerdict } from '../core/apply-policy.js';
import { plan } from '../core/planner.js';
import { stampRunId } from '../core/stamp.js';
import type { AuditOutcome } from '../domain/audit.js';
import type { Change, Plan } from '../domain/plan.js';
import { emitAudit } from './audit.js';
import type { Disposition, PipelineDeps } from './deps.js';
import { failureOf } from './failures.js';

/**
 * plan-apply's core (docs/design.md "Product decisions that move money"): plan with the pure core, hold a per-account lease, re-read what
 * every change touches and refuse a stale plan, then write each change once with a deterministic
 * idempotency key. Every outcome is audited.
 */

export const LEASE_TTL_MS = 5 * 60_000;

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

export async function planAndApply(
  deps: PipelineDeps,
  message: AccountViewMessage,
  messageId: string,
): Promise<PlanApplyResult> {
  const startedAt = deps.clock.now();
  const { run, view } = message;
  const accountId = view.accountId;
  const config = await deps.control.getConfig();
  let p: Plan | null = null;
  const audit = (outcome: AuditOutcome, extra: Partial<Parameters<typeof emitAudit>[1]> = {}) =>
    emitAudit(deps, {
      run,
      stage: 'plan_apply',
      accountId,
      outcome,
      startedAt,
      finishedAt: deps.clock.now(),
      planHash: p?.planHash ?? null,
      restrictions: p?.restrictions.filter((r) => r.applies).map((r) => r.name) ?? [],
      changeIds: p?.changes.map((c) => c.id) ?? [],
      params: { viewAsOf: view.asOf, messageId },
      result: p ? describe(p) : {},
      ...extra,
    });
  const done = async (
    outcome: AuditOutcome,
    disposition: Disposition,
    reason: string,
    extra: Partial<Parameters<typeof emitAudit>[1]> = {},
  ) => {
    await audit(outcome, { reason, ...extra });
    return { disposition, outcome, plan: p, stripeWrites: extra.stripeWrites ?? 0, reason };
  };

  if (config.killSwitch)
    return done('halted', 'ack', 'kill switch is on: nothing applied', { errorCode: 'kill_switch' });

  p = plan(view, { invoiceDateTooNearDays: config.invoiceDateTooNearDays });
  switch (p.outcome) {
    case 'noop':
      return done('noop', 'ack', 'already in the desired state');
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
  if (run.dryRun || config.dryRun) {
    return done('dry_run', 'ack', `dry-run: would apply ${p.changes.length} change(s)`);
  }

  const holder = `${run.runId}:${p.planHash.slice(0, 12)}`;
  if (!(await deps.control.acquireLease(accountId, holder, LEASE_TTL_MS, deps.clock.now().getTime()))) {
    // Another delivery or run is applying to this account right now: come back after it (the re-read will
    // see its work). Not audited: the message returns, and its final outcome is the attempt's one row.
    deps.log.info(
      { event: 'lease_held', account_id: accountId, run_id: run.runId },
      'account lease held; retrying',
    );
    return {
      disposition: 'retry',
      outcome: 'failed',
      plan: p,
      stripeWrites: 0,
      reason: 'another apply holds the account lease',
    };
  }
  let writes = 0;
  try {
    // Check every precondition before the first write, so a stale plan writes nothing at all.
    const fresh: Change[] = [];
    const stale: { change: string; mismatches: readonly PreconditionMismatch[] }[] = [];
    let alreadyApplied = 0;
    for (const change of p.changes) {
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
        {
          errorCode: 'stale_plan',
          result: { ...describe(p), stale },
        },
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
