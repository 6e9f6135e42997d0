import { UPSTREAM_SERVICES } from '../ports/errors.js';

/**
 * Every code the pipeline writes into an audit row's `error_code`, with what it means to a support
 * engineer and what to do about it (docs/support.md). `explain` and the console read this one table; a
 * test scans the source for codes the pipeline can write and fails on one missing here, so a new code
 * cannot ship without an explanation.
 */

export interface CodeExplanation {
  /** What happened, as a clause: "the kill switch was on". */
  readonly meaning: string;
  /** What a person can do about it, as an imperative sentence. */
  readonly action: string;
}

export const REASON_CODES = {
  kill_switch: {
    meaning: 'the kill switch was on',
    action:
      'Nothing runs until an operator turns the kill switch off (driftcontrol config set killSwitch=false).',
  },
  mirror_not_landed: {
    meaning: 'the nightly mirror had not landed, so the run checked no account',
    action: 'Check the mirror export; the next scheduled run retries.',
  },
  mirror_incomplete: {
    meaning: 'the nightly mirror was incomplete, so the run checked no account',
    action: 'Check the mirror export; the next scheduled run retries.',
  },
  mirror_too_small: {
    meaning: 'the nightly mirror held too few accounts to trust, so the run checked no account',
    action: 'Check the mirror export; the next scheduled run retries.',
  },
  mirror_count_jump: {
    meaning: "the mirror's account count jumped between two nights, so the run checked no account",
    action: 'Confirm the mirror is right, then replay the accounts that matter.',
  },
  empty_new_drift: {
    meaning: 'the run found no new drift at all, which looks like a broken view, so it halted',
    action: 'Check the drift views; allowEmptyNewDrift lifts the valve for a quiet day.',
  },
  blast_radius_count: {
    meaning: 'the run found more new drift than the blast-radius limit allows, so it healed nothing',
    action: 'Find out why so many accounts drifted; replay accounts deliberately once understood.',
  },
  blast_radius_share: {
    meaning:
      'the run found a larger share of accounts drifted than the blast-radius limit allows, so it healed nothing',
    action: 'Find out why so many accounts drifted; replay accounts deliberately once understood.',
  },
  persistent_drift: {
    meaning: 'the drift was persistent (already there before), and only new drift is healed automatically',
    action: 'Look at why it persists; a replay with --include-persistent heals it deliberately.',
  },
  unsupported_account_type: {
    meaning: 'the account type is not one the pipeline may heal (enterprise, partner or contract)',
    action: 'Hand it to the team that owns that account type; no automatic path will heal it.',
  },
  excluded: {
    meaning: 'detection excluded the account',
    action: 'Read the reason on the attempt.',
  },
  cooldown: {
    meaning: 'the account was healed recently and is in its cooldown',
    action: 'Wait for the cooldown to pass, or replay with the cooldown lifted if it must be healed now.',
  },
  run_cap: {
    meaning: "the run's per-run cap was reached before this account",
    action: 'The next run picks it up if it is still drifted; replay it to heal it sooner.',
  },
  unknown_account: {
    meaning: 'subs-api (or the mirror, for an as-of view) did not know the account',
    action: 'Check the account id in subs-api.',
  },
  mirror_drift_not_live: {
    meaning: 'the drift was in the nightly mirror only: the live stores already agreed when checked',
    action: 'Nothing to do: the account is not drifted now.',
  },
  as_of_view: {
    meaning: 'it was an as-of replay of the mirror, which is never applied',
    action: 'Replay on the live truth to heal it.',
  },
  stale_view: {
    meaning: 'the gathered view was too old to act on by the time plan-apply ran',
    action: 'The next detection re-plans; replay it to heal it sooner.',
  },
  truth_moved: {
    meaning: "the company's stores changed between gather and apply, so the plan no longer held",
    action: 'The next detection re-plans on the new truth; replay it to heal it sooner.',
  },
  stale_plan: {
    meaning: 'Stripe changed between gather and apply, so the plan no longer held',
    action: 'The next detection re-plans; replay it to heal it sooner.',
  },
  foreign_object: {
    meaning: "the view named Stripe objects the account's live customer does not own, so nothing was written",
    action: 'Treat it as a forged or mixed-up message: check who published it.',
  },
  lease_held: {
    meaning: 'another run held the account and was applying to it at the time',
    action: "Read that run's attempt: it did the work.",
  },
  missing_in_www: {
    meaning: 'www has no row for the zone, and a zone is never created by a resync',
    action: 'Hand it to the www owners; no automatic path creates zones.',
  },
  www_conflict: {
    meaning: 'www changed the zone between detection and the resync, so it was not overwritten',
    action: 'The next detection looks again.',
  },
  unknown_zone: {
    meaning: 'subs-api or www did not know the zone',
    action: 'Check the zone id in subs-api and www.',
  },
  invalid_message: {
    meaning: 'the message that asked for it was malformed and went to the dead-letter topic',
    action: 'Read the dead letters (driftcontrol dead-letters) and replay the account.',
  },
  invalid_input: {
    meaning: 'the input was invalid',
    action: 'Read the reason on the attempt.',
  },
  invalid_store_data: {
    meaning: 'a store returned data that does not validate',
    action: 'Fix the data in the store the reason names; the attempt is retried.',
  },
  unexpected: {
    meaning: 'an unexpected error stopped the attempt',
    action: 'Read the reason and the logs; the message is retried until it dead-letters.',
  },
  stripe_rate_limit: {
    meaning: "Stripe's rate limit was hit",
    action: 'It is retried; look at the Stripe budget if it keeps happening.',
  },
  stripe_queue_timeout: {
    meaning: "no slot in the deployment's Stripe budget came free in time",
    action: 'It is retried; look at the Stripe budget if it keeps happening.',
  },
} as const satisfies Record<string, CodeExplanation>;

export type KnownReasonCode = keyof typeof REASON_CODES;

/** `<service>_error` (shared/pipeline/failures.ts): a store the attempt needed was unavailable. */
function upstream(code: string): CodeExplanation | null {
  const service = UPSTREAM_SERVICES.find((s) => code === `${s}_error`);
  return service === undefined
    ? null
    : {
        meaning: `${service} failed or was unavailable`,
        action: `Check ${service}; a transient failure is retried until the message dead-letters.`,
      };
}

/** `stripe_<code|type|status>` (shared/pipeline/failures.ts): a Stripe call failed. */
function stripe(code: string): CodeExplanation | null {
  if (!code.startsWith('stripe_')) return null;
  return {
    meaning: `a Stripe call failed (${code.slice('stripe_'.length)})`,
    action: "Read the reason; Stripe's error code is in it. A transient one is retried.",
  };
}

export function isKnownReasonCode(code: string): code is KnownReasonCode {
  return Object.hasOwn(REASON_CODES, code);
}

/** The explanation of an audit error code; null for a code the pipeline never writes. */
export function explainCode(code: string): CodeExplanation | null {
  if (isKnownReasonCode(code)) return REASON_CODES[code];
  return upstream(code) ?? stripe(code);
}

/** The services whose failures are `<service>_error`, for tests that enumerate them. */
export const UPSTREAM_ERROR_CODES: readonly string[] = UPSTREAM_SERVICES.map((s) => `${s}_error`);
