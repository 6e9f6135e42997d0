import pino from 'pino';
import type { Adapters } from '../adapters/factory.js';
import { CliError } from './io.js';

/**
 * The operator commands reach a deployment (or the local stack of `run-local --keep`) through the same
 * adapters the functions build, from the same environment (docs/deploy.md, "Contract between Terraform
 * and the code"). stdout carries a command's answer; logs go to stderr, quiet unless LOG_LEVEL asks.
 */
export async function environmentAdapters(
  command: string,
  options: { readonly readOnlyStripe?: boolean } = {},
): Promise<Adapters> {
  if (!process.env.GOOGLE_CLOUD_PROJECT) throw new CliError('GOOGLE_CLOUD_PROJECT is required');
  const { createAdapters } = await import('../adapters/factory.js');
  // A command that only looks (explain) reads Stripe read-only: no write, no lease in Firestore.
  const env = options.readOnlyStripe ? { ...process.env, STRIPE_READ_ONLY: 'true' } : process.env;
  return createAdapters(env, {
    log: pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2)),
    functionName: `driftcontrol ${command}`,
  });
}
