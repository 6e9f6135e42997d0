import { randomUUID } from 'node:crypto';
import Bottleneck from 'bottleneck';
import {
  DEFAULT_SHARE_TIMING,
  MIN_WANT_PER_SECOND,
  RATE_KINDS,
  type RateKind,
  type ShareTiming,
  usableUntilMs,
} from '../../core/rate-shares.js';
import { StripeCallError } from '../../ports/errors.js';
import type { RateSharePort } from '../../ports/index.js';

/**
 * This instance's part of the deployment's Stripe budget (docs/design.md, "Stripe's rate limit"): every
 * request to Stripe (reads and writes, list pages and SDK retries alike) waits here for a slot. The
 * deployment-wide budget per kind lives in Firestore config; the instance holds a lease on a share of it
 * (FirestoreRateShares) that it renews while it has work and gives back when idle, so the instances in
 * service at any moment — one or fifty — never ask Stripe for more than the budget together.
 *
 * Without a `shares` store (a single process: tests, a local tool) the instance uses the whole budget.
 */

export const DEFAULT_RENEW_EVERY_MS = 2_000;
/**
 * Every claim rewrites one Firestore document per kind, which sustains about one write a second: with
 * more instances holding shares, each renews less often (the holders' count x this), so the document
 * sees about one routine renewal a second whatever the instance count. Leases are claimed to last
 * three renewals (the adapter's timing), so a slower renewal never lets a held lease lapse.
 */
export const RENEW_SPACING_PER_HOLDER_MS = 1_000;
/** An instance with no Stripe request for this long gives its share back (others may use it). */
export const IDLE_AFTER_MS = 5_000;
/** A newcomer that found no room asks again this soon, not a whole renewal later. */
export const WAITING_RENEW_MS = 300;
/**
 * An instance whose requests queue while its share is below its fair target asks again this soon (the
 * others shrink to their targets at their own renewals). Not sooner: every claim rewrites one shared
 * document, and a stampede of claims would slow every instance's renewal.
 */
export const GROWING_RENEW_MS = 1_000;
export const DEFAULT_MAX_QUEUE_WAIT_MS = 60_000;

export interface Budgets {
  readonly read: number;
  readonly write: number;
}

export interface RateBudgetOptions {
  /** The deployment's budgets per second (Firestore config), read at most once per `budgetTtlMs`. */
  readonly budgets: () => Promise<Budgets>;
  readonly budgetTtlMs?: number;
  readonly shares?: RateSharePort | undefined;
  readonly functionName?: string;
  readonly instanceId?: string;
  readonly timing?: ShareTiming;
  readonly renewEveryMs?: number;
  /**
   * A request that waited longer than this for a slot is not sent: it fails as retryable (Pub/Sub
   * redelivers it; plan-apply re-checks under a fresh account lease). Kept well under plan-apply's lease.
   */
  readonly maxQueueWaitMs?: number;
  readonly now?: () => number;
}

export interface RateBudgetStats {
  /** Requests let through, by kind. */
  readonly sent: Record<RateKind, number>;
  /** 429 answers seen (each retried or passed on), by kind. */
  readonly rateLimited: Record<RateKind, number>;
  /** The share in force now (requests per second), by kind. */
  readonly sharePerSecond: Record<RateKind, number>;
}

interface KindState {
  readonly limiter: Bottleneck;
  share: number;
  /** The fair target of the last grant: below it, the share is still growing. */
  target: number;
  usableUntilMs: number;
  waiting: number;
  /** Whether a request had to queue behind another since the last renewal. */
  queuedSinceRenewal: boolean;
  arrivals: number;
  arrivalsSinceMs: number;
  lastActiveMs: number;
  lastClaimAtMs: number;
  /** The expiry of the lease this instance last wrote (0: none), to give back that lease and no other. */
  leaseExpiresAtMs: number;
  /** Instances holding a share of this kind at the last claim, this one included. */
  holders: number;
  sent: number;
  rateLimited: number;
  renewing: Promise<void> | null;
  timer: NodeJS.Timeout | null;
  /** Resolved when a usable share arrives; recreated whenever the share drops to nothing. */
  ready: Deferred;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  readonly done: boolean;
}

export class StripeRateBudget {
  private readonly kinds: Record<RateKind, KindState>;
  private readonly now: () => number;
  private readonly timing: ShareTiming;
  private readonly instanceId: string;
  private budgetCache: { value: Budgets; readAtMs: number } | null = null;
  private closed = false;

  constructor(private readonly options: RateBudgetOptions) {
    this.now = options.now ?? Date.now;
    this.timing = options.timing ?? DEFAULT_SHARE_TIMING;
    this.instanceId = options.instanceId ?? randomUUID();
    const state = (): KindState => ({
      limiter: new Bottleneck({ minTime: 0 }),
      share: 0,
      target: 0,
      usableUntilMs: 0,
      waiting: 0,
      queuedSinceRenewal: false,
      arrivals: 0,
      arrivalsSinceMs: this.now(),
      lastActiveMs: 0,
      lastClaimAtMs: 0,
      leaseExpiresAtMs: 0,
      holders: 1,
      sent: 0,
      rateLimited: 0,
      renewing: null,
      timer: null,
      ready: deferred(),
    });
    this.kinds = { read: state(), write: state() };
  }

  /**
   * Waits for a slot of `kind`, then returns: the caller sends its request at once. Throws a retryable
   * StripeCallError (code queue_timeout) when no slot came within `maxQueueWaitMs`.
   */
  async acquire(kind: RateKind, what: string, subject: string, deadlineMs?: number): Promise<void> {
    const k = this.kinds[kind];
    const queuedAt = this.now();
    const deadline = deadlineMs ?? queuedAt + this.maxQueueWaitMs();
    k.arrivals += 1;
    k.waiting += 1;
    if (k.waiting > 1) k.queuedSinceRenewal = true;
    k.lastActiveMs = queuedAt;
    try {
      for (;;) {
        // Requests queueing behind this one: the share is too small for the work, ask for more now.
        this.ensureRenewing(kind, k.waiting > 1);
        if (!this.usable(k)) {
          // A share that lapsed leaves `ready` resolved: wait for the next grant, not the old one.
          if (k.ready.done) k.ready = deferred();
          await raceDeadline(k.ready.promise, deadline, this.now);
        }
        if (this.usable(k)) {
          // A slot that would come after the deadline is refused now, without taking it: a backlog of
          // requests that all expire at the front would otherwise spend every slot and send nothing.
          const queued = k.limiter.counts();
          const ahead = (queued.RECEIVED ?? 0) + (queued.QUEUED ?? 0) + (queued.RUNNING ?? 0);
          if (this.now() + (ahead * 1000) / k.share > deadline)
            throw this.refused(kind, what, subject, queuedAt, deadline);
          await k.limiter.schedule(() => Promise.resolve());
        }
        if (this.now() > deadline) throw this.refused(kind, what, subject, queuedAt, deadline);
        // The lease may have lapsed while queued (a renewal failing): check again before sending.
        if (this.usable(k)) break;
      }
      k.sent += 1;
    } finally {
      k.waiting -= 1;
    }
  }

  /** How long a request may wait for a slot before it is refused (default 60 s). */
  maxQueueWaitMs(): number {
    return this.options.maxQueueWaitMs ?? DEFAULT_MAX_QUEUE_WAIT_MS;
  }

  private refused(kind: RateKind, what: string, subject: string, queuedAt: number, deadline: number) {
    return new StripeCallError(
      `${what} waited ${this.now() - queuedAt} ms for a Stripe ${kind} slot and would not get one by its deadline (${Math.max(0, deadline - queuedAt)} ms after it asked): not sent`,
      { httpStatus: null, type: 'rate_limit_queue', code: 'queue_timeout' },
      true,
      subject,
    );
  }

  /** Counts a 429 Stripe answered (the HTTP client retries it). */
  noteRateLimited(kind: RateKind): void {
    this.kinds[kind].rateLimited += 1;
  }

  stats(): RateBudgetStats {
    const by = (f: (k: KindState) => number) =>
      Object.fromEntries(RATE_KINDS.map((kind) => [kind, f(this.kinds[kind])])) as Record<RateKind, number>;
    return {
      sent: by((k) => k.sent),
      rateLimited: by((k) => k.rateLimited),
      sharePerSecond: by((k) => (this.usable(k) ? k.share : 0)),
    };
  }

  /** Gives the shares back and stops renewing. */
  async close(): Promise<void> {
    this.closed = true;
    for (const kind of RATE_KINDS) {
      const k = this.kinds[kind];
      if (k.timer) clearTimeout(k.timer);
      k.timer = null;
      await k.renewing?.catch(() => undefined);
      // Nothing is sent on a share being given back.
      const expiresAtMs = k.leaseExpiresAtMs;
      k.share = 0;
      k.usableUntilMs = 0;
      await k.limiter.stop({ dropWaitingJobs: false }).catch(() => undefined);
      if (this.options.shares && expiresAtMs > 0) {
        await this.options.shares.release(kind, this.instanceId, expiresAtMs).catch(() => undefined);
      }
    }
  }

  private usable(k: KindState): boolean {
    return k.share > 0 && this.now() < k.usableUntilMs;
  }

  private async budgets(): Promise<Budgets> {
    const ttl = this.options.budgetTtlMs ?? 30_000;
    const cached = this.budgetCache;
    if (cached && this.now() - cached.readAtMs < ttl) return cached.value;
    try {
      const value = await this.options.budgets();
      this.budgetCache = { value, readAtMs: this.now() };
      return value;
    } catch (err) {
      // Keep the last budget in force: a config read failing must neither lift the limit nor stop calls.
      if (cached) return cached.value;
      throw err;
    }
  }

  /**
   * Starts a renewal now unless one is running or scheduled. A caller with no usable share, or with
   * requests queueing (`urgent`), does not wait for a renewal scheduled far off: it renews now, at most
   * once per WAITING_RENEW_MS, asking for the whole budget (fair sharing caps what it gets). Otherwise a
   * share that shrank while the instance was between bursts would pace its next burst at a trickle.
   */
  private ensureRenewing(kind: RateKind, urgent = false): void {
    const k = this.kinds[kind];
    if (this.closed || k.renewing) return;
    if (k.timer) {
      const sinceClaim = this.now() - k.lastClaimAtMs;
      if (this.usable(k)) {
        // Queueing helps only while the share is below its fair target; at the target, wait.
        if (!urgent || k.share >= k.target || sinceClaim < GROWING_RENEW_MS) return;
      } else if (sinceClaim < WAITING_RENEW_MS) return;
      clearTimeout(k.timer);
      k.timer = null;
    }
    k.renewing = this.renew(kind).finally(() => {
      k.renewing = null;
      this.schedule(kind);
    });
  }

  /** Renews while the instance had work within IDLE_AFTER_MS; idle, it gives the share back. */
  private schedule(kind: RateKind): void {
    const k = this.kinds[kind];
    if (this.closed) return;
    const idle = this.now() - k.lastActiveMs > IDLE_AFTER_MS && k.waiting === 0;
    if (idle) {
      if (this.options.shares && k.leaseExpiresAtMs > 0) {
        const expiresAtMs = k.leaseExpiresAtMs;
        k.usableUntilMs = 0;
        k.share = 0;
        k.leaseExpiresAtMs = 0;
        k.ready = deferred();
        // As a renewal: a claim waits for the release (ensureRenewing), and the release deletes only the
        // lease this instance last wrote, never a newer one.
        const shares = this.options.shares;
        k.renewing = shares
          .release(kind, this.instanceId, expiresAtMs)
          .catch(() => undefined)
          .finally(() => {
            k.renewing = null;
          });
      }
      return;
    }
    // Never less often than three times a lease, so a held lease is renewed before it lapses.
    const every = Math.min(
      Math.max(
        this.options.renewEveryMs ?? DEFAULT_RENEW_EVERY_MS,
        this.options.shares ? k.holders * RENEW_SPACING_PER_HOLDER_MS : 0,
      ),
      (this.timing.ttlMs - this.timing.skewMs) / 3,
    );
    const delay = this.usable(k) ? every : Math.min(WAITING_RENEW_MS, every);
    k.timer = setTimeout(() => {
      k.timer = null;
      this.ensureRenewing(kind);
    }, delay);
    k.timer.unref();
  }

  private async renew(kind: RateKind): Promise<void> {
    const k = this.kinds[kind];
    let budget: number;
    try {
      budget = (await this.budgets())[kind];
    } catch {
      return; // no budget known yet: nothing is sent until one is
    }
    const nowMs = this.now();
    k.lastClaimAtMs = nowMs;
    const elapsedS = Math.max((nowMs - k.arrivalsSinceMs) / 1000, 0.001);
    // Work queued: ask for everything (fair sharing caps it). Otherwise what arrived with a quarter on
    // top: a share held but unused is budget no other instance can use, and a burst that outgrows it
    // queues, which asks for more at once.
    // Queued at any moment since the last renewal counts, not only at this instant: sampling one quiet
    // moment between bursts would hand the share away just before the next burst.
    const queued = k.waiting > 0 || k.queuedSinceRenewal;
    const want = queued ? budget : Math.max(MIN_WANT_PER_SECOND, (k.arrivals / elapsedS) * 1.25);
    k.queuedSinceRenewal = false;
    k.arrivals = 0;
    k.arrivalsSinceMs = nowMs;
    const shares = this.options.shares;
    if (!shares) {
      k.target = budget;
      this.apply(k, budget, Number.POSITIVE_INFINITY);
      return;
    }
    try {
      const grant = await shares.claim({
        kind,
        instanceId: this.instanceId,
        functionName: this.options.functionName ?? 'unknown',
        budgetPerSecond: budget,
        wantPerSecond: Math.min(want, budget),
        nowMs,
      });
      // A share is used only from after the claim committed, and only as long as its lease lasts.
      k.target = grant.targetPerSecond;
      k.holders = grant.othersHolding + 1;
      k.leaseExpiresAtMs = grant.expiresAtMs;
      this.apply(k, grant.sharePerSecond, usableUntilMs(grant.expiresAtMs, this.timing));
    } catch {
      // Keep the current lease until it runs out (acquire checks); a renewal soon after may succeed.
    }
  }

  private apply(k: KindState, sharePerSecond: number, usableUntil: number): void {
    k.share = sharePerSecond;
    k.usableUntilMs = usableUntil;
    if (sharePerSecond > 0) {
      // Starts evenly spaced: a backlog never exceeds the share within any second.
      k.limiter.updateSettings({ minTime: Math.ceil(1000 / sharePerSecond) });
      if (this.usable(k)) k.ready.resolve();
    } else {
      k.ready = deferred();
    }
  }
}

function deferred(): Deferred {
  let settle: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    settle = r;
  });
  const d = {
    promise,
    done: false,
    resolve() {
      d.done = true;
      settle();
    },
  };
  return d;
}

/** Resolves when `promise` does or a short poll later (the share may change without a resolve). */
async function raceDeadline(promise: Promise<void>, deadlineMs: number, now: () => number): Promise<void> {
  const wait = Math.max(0, Math.min(250, deadlineMs - now()));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((r) => (timer = setTimeout(r, wait)))]);
  if (timer) clearTimeout(timer);
}
