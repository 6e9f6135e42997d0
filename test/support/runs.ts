import type { RunContext } from '../../shared/contracts/messages.js';

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
