import { attachLocalPostgres, type LocalPostgres, PostgresStartError } from '../../local/postgres.js';
import { waitForStatus } from './status.js';

/**
 * The PostgreSQL server the global setup started, once it answers: a handle whose `stop()` leaves it
 * running. Give your databases names of your own (e.g. from `uniqueProjectId`): every file shares the
 * server. Throws the startup error when it could not start.
 */
export async function usePostgres(timeoutMs = 30_000): Promise<LocalPostgres> {
  const status = await waitForStatus('postgres', timeoutMs);
  if (status === undefined)
    throw new PostgresStartError(`the global setup's PostgreSQL was not up within ${timeoutMs} ms`);
  if ('error' in status)
    throw new PostgresStartError(`PostgreSQL from the global setup is unavailable: ${status.error}`);
  return attachLocalPostgres(status.port);
}
