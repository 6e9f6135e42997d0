import { z } from 'zod';

/**
 * Every number is bounded: a value outside its range (NaN, 1e308) would switch a valve off silently.
 *
 * Global driftcontrol config: one Firestore document (config/driftcontrol), read at the start of every
 * run and again by plan-apply before every write, so the kill switch acts within one message.
 * A missing document means these defaults, which are fail-safe: dry-run on until an operator turns it off.
 * Terraform never writes this document (it would overwrite an operator's kill switch).
 */
export const DriftControlConfig = z.strictObject({
  /** Halts every run and every apply. */
  killSwitch: z.boolean().default(false),
  /** Plan and audit everything, write nothing to Stripe or www. */
  dryRun: z.boolean().default(true),
  /** Blast radius: more new-drift accounts than this halts the run. */
  maxNewDriftAccounts: z.number().int().min(1).max(1_000_000).default(500),
  /** Blast radius: a larger share of all mirrored accounts than this halts the run. */
  maxNewDriftShare: z.number().min(0).max(1).default(0.02),
  /** An empty new-drift set halts the run too (a broken view looks like a quiet day), unless allowed. */
  allowEmptyNewDrift: z.boolean().default(false),
  /** At most this many accounts are published per run; the rest are excluded with reason run_cap. */
  perRunCap: z.number().int().min(0).max(1_000_000).default(200),
  /** An account healed within this many hours is excluded (anti-flapping). */
  cooldownHours: z
    .number()
    .int()
    .min(0)
    .max(24 * 365)
    .default(72),
  invoiceDateTooNearDays: z.number().int().min(0).max(365).default(3),
  /**
   * plan-apply refuses a view whose oldest part was read longer ago than this (a late redelivery, a
   * replayed dead letter): a write acts only on fresh truth (docs/design.md, "Live truth").
   */
  maxViewAgeSeconds: z.number().int().min(5).max(3600).default(300),
  /**
   * Stripe budgets per second for the whole deployment, shared by every instance that calls Stripe
   * (docs/design.md, "Stripe's rate limit"; Stripe allows 100 reads and 100 writes a second in live mode,
   * 25 in test mode, for everything the company runs on the account, not only this system).
   */
  stripeReadsPerSecond: z.number().min(0.1).max(100).default(50),
  stripeWritesPerSecond: z.number().min(0.1).max(100).default(25),
  /** Mirror sanity: fewest accounts a snapshot partition may hold. */
  minMirrorAccounts: z.number().int().min(0).max(1_000_000_000).default(1),
  /**
   * Drift lifecycle (docs/design.md, "Drift lifecycle"): drift open this long without a heal is persistent
   * and not healed automatically, on both paths (24 h: what the nightly snapshot diff means).
   */
  persistentAfterHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24),
  /**
   * Event-driven checks (docs/design.md, "Events"): an account's check waits this long after its latest
   * change event, so a burst of events makes one check and the change has settled when it is read.
   */
  eventSettleSeconds: z.number().int().min(0).max(86_400).default(60),
  /**
   * The settle delay after an OPE change event: longer, so the company's own OPE-to-Stripe sync acts
   * first and the check finds nothing to heal when it did.
   */
  opeSettleSeconds: z.number().int().min(0).max(86_400).default(300),
  /** A stream of events postpones an account's check at most this long after its first event. */
  eventMaxWaitSeconds: z.number().int().min(0).max(86_400).default(900),
  /** Blast radius of the event path: at most this many event-driven checks start per clock hour. */
  maxEventChecksPerHour: z.number().int().min(0).max(1_000_000).default(500),
  /** Mirror sanity: largest relative change of the account count between consecutive snapshots. */
  maxMirrorAccountChange: z.number().min(0).max(1).default(0.2),
});
export type DriftControlConfig = z.infer<typeof DriftControlConfig>;

export const DEFAULT_CONFIG: DriftControlConfig = DriftControlConfig.parse({});
