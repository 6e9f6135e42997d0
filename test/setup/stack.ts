import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.js';
import { useEmulators } from './emulators.js';
import { usePostgres } from './postgres.js';

/**
 * The local stack for one test file: the global setup's emulators and PostgreSQL server (waited for) plus
 * this file's own local Stripe, subs-api and www (fast, in-process, isolated from other files). Call
 * `stop()` in afterAll; it leaves the shared emulators and server running. Use a project id of your own
 * (`uniqueProjectId`), and database names of your own.
 */
export async function startTestStack(
  options: Omit<LocalStackOptions, 'emulators' | 'existingEmulators' | 'postgres' | 'existingPostgres'> = {},
): Promise<LocalStack> {
  const [hosts, postgres] = await Promise.all([useEmulators(), usePostgres()]);
  return startLocalStack({
    ...options,
    emulators: false,
    existingEmulators: hosts,
    existingPostgres: { port: postgres.port },
  });
}
