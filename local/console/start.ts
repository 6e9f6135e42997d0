import type { ServedFunction } from '../run/functions.js';
import { spawnFunction } from '../run/functions.js';
import { DEV_IDENTITY, type LocalIap, startLocalIap } from './iap.js';

/**
 * The console on the local stack (docs/support.md, "Locally"): the console function in its own process,
 * configured like the deployed one — read-only Stripe, its audience, IAP's keys (here the local IAP's) —
 * behind the local IAP, which signs every request for the development identity.
 */

/** The audience the local IAP signs for and the console checks (the Cloud Run form). */
export const LOCAL_IAP_AUDIENCE = '/projects/1/locations/local/services/console';

export interface LocalConsole {
  /** Open this: the local IAP in front of the console. */
  readonly url: string;
  /** The console function itself (refuses requests without a valid assertion). */
  readonly directUrl: string;
  readonly identity: string;
  readonly iap: LocalIap;
  readonly served: ServedFunction;
  stop(): Promise<void>;
}

export interface LocalConsoleOptions {
  /** The local stack's function environment (LocalPipeline.env, or what `run-local --keep` printed). */
  readonly env: Readonly<Record<string, string>>;
  /** Where Stripe dashboard links point (the local Stripe's /dashboard). */
  readonly stripeDashboardUrl?: string;
  readonly identity?: string;
}

export async function startLocalConsole(options: LocalConsoleOptions): Promise<LocalConsole> {
  const iap = await startLocalIap({
    audience: LOCAL_IAP_AUDIENCE,
    identity: options.identity ?? DEV_IDENTITY,
  });
  try {
    const served = await spawnFunction('console', {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'warn',
      ...options.env,
      STRIPE_READ_ONLY: 'true',
      IAP_AUDIENCE: LOCAL_IAP_AUDIENCE,
      IAP_PUBLIC_KEYS_URL: iap.publicKeysUrl,
      ...(options.stripeDashboardUrl ? { STRIPE_DASHBOARD_URL: options.stripeDashboardUrl } : {}),
    });
    iap.setTarget(served.url);
    return {
      url: iap.url,
      directUrl: served.url,
      identity: iap.identity,
      iap,
      served,
      stop: async () => {
        await Promise.allSettled([served.stop(), iap.stop()]);
      },
    };
  } catch (error) {
    await iap.stop();
    throw error;
  }
}
