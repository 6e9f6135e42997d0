import type { FaultKind, FaultRule, LocalStripeServer } from '../stripe/index.js';

/**
 * The Stripe faults of the chaos run: a steady rate of every failure Stripe documents, on writes and
 * reads alike, for the whole of the first phase. Each rule hits every n-th matching request (`every`), so
 * a run is reproducible and retries eventually get through, as they do against the real API.
 */
/** The objects plan-apply writes: a subscription (update, cancel), a customer, an invoice. */
const WRITE_PATH = '^/v1/(subscriptions/sub_|customers/cus_|invoices/in_)[^/]*$';

export const CHAOS_FAULTS: readonly FaultRule[] = [
  // No rule refuses an object's writes for good: a message that fails on every delivery is dead-lettered
  // in the in-process e2e test (test/e2e/faults.test.ts), but with functions in their own processes the
  // emulator stops pushing it after two or three attempts and never dead-letters it (tried on these
  // machines; docs/operations.md, "Chaos run") — the run would report it lost, an emulator limit.
  // 429 on writes: the pipeline backs off and Pub/Sub redelivers.
  { kind: 'rate_limit', method: 'POST', path: WRITE_PATH, every: 6 },
  // The write executes, the answer is lost: the retry must be answered from the idempotency record.
  { kind: 'connection_reset', method: 'POST', path: WRITE_PATH, phase: 'after', every: 7 },
  { kind: 'connection_reset', method: 'DELETE', path: WRITE_PATH, phase: 'after', every: 2 },
  // Stripe's 500 after applying the write (it documents that a 500 may have executed).
  { kind: 'api_error', method: 'POST', path: WRITE_PATH, phase: 'after', every: 13 },
  { kind: 'api_error', method: 'POST', path: '^/v1/', every: 9 },
  { kind: 'lock_timeout', method: 'POST', path: WRITE_PATH, every: 11, shouldRetry: true },
  // Reads: gather's and plan-apply's live reads fail now and then, and are slow.
  { kind: 'api_error', method: 'GET', path: '^/v1/', every: 41 },
  { kind: 'connection_reset', method: 'GET', path: '^/v1/', every: 53 },
  { kind: 'latency', method: 'GET', path: '^/v1/', every: 5, latencyMs: 40 },
];

export interface InjectedFaults {
  /** How many requests each kind of fault has hit so far. */
  fired(): Record<FaultKind, number>;
  clear(): void;
}

export function injectChaosFaults(stripe: LocalStripeServer): InjectedFaults {
  const handles = CHAOS_FAULTS.map((rule) => ({ kind: rule.kind, handle: stripe.injectFault(rule) }));
  return {
    fired() {
      const out = { rate_limit: 0, api_error: 0, lock_timeout: 0, latency: 0, connection_reset: 0 };
      for (const { kind, handle } of handles) out[kind] += handle.fired();
      return out;
    },
    clear() {
      for (const { handle } of handles) handle.remove();
    },
  };
}
