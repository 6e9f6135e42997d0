import type { RunContext } from '../../shared/contracts/messages.js';
import type { AuditRecord } from '../../shared/domain/audit.js';
import { type AuditInput, auditRecord } from '../../shared/pipeline/audit.js';

/** A run context for hand-made audit rows: the nightly Stripe run of 2026-11-24 unless told otherwise. */
export function runContext(over: Partial<RunContext> = {}): RunContext {
  return {
    runId: 'sched-stripe-2026-11-24',
    system: 'stripe',
    snapshotDate: '2026-11-24',
    trigger: 'scheduled',
    requestedBy: null,
    dryRun: false,
    ...over,
  };
}

/**
 * A builder of hand-made audit rows for one account: plan-apply rows of the nightly run by default, each a
 * minute after the last (from 2026-11-24 06:01 UTC), so their order is the order they were made in.
 */
export function auditRowsFor(
  accountId: string,
): (input: Partial<AuditInput> & Pick<AuditInput, 'outcome'>) => AuditRecord {
  let clock = Date.parse('2026-11-24T06:00:00Z');
  return (input) => {
    clock += 60_000;
    return auditRecord({
      run: runContext(),
      stage: 'plan_apply',
      accountId,
      startedAt: new Date(clock),
      finishedAt: new Date(clock),
      ...input,
    });
  };
}
