import { createHash } from 'node:crypto';
import type { Store } from './schema.js';

/**
 * Where one local pipeline's databases live on a PostgreSQL server shared with other pipelines (the test
 * run's), and the variables that hand their URLs to the functions (the factory reads the same ones in
 * production, pointing at the read replicas).
 */

export const STORE_URL_VARIABLES = {
  ope: 'OPE_DATABASE_URL',
  billing_prod: 'BILLING_PROD_DATABASE_URL',
  cf_prod: 'CF_PROD_DATABASE_URL',
} as const satisfies Record<Store, string>;
export type StoreUrlVariable = (typeof STORE_URL_VARIABLES)[Store];

/** PostgreSQL truncates identifiers beyond 63 bytes: two long project ids could then share a name. */
const MAX_IDENTIFIER = 63;

/** `<project id as an identifier>_<store>`, with a hash of the project id when it would be too long. */
export function storeDatabaseName(projectId: string, store: Store): string {
  const slug = projectId.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  const name = `${slug}_${store}`;
  if (name.length <= MAX_IDENTIFIER && slug === projectId.replace(/-/g, '_')) return name;
  // Lossy slug (other characters, upper case) or too long: the hash keeps distinct ids distinct.
  const hash = createHash('sha256').update(projectId).digest('hex').slice(0, 10);
  return `${slug.slice(0, MAX_IDENTIFIER - store.length - hash.length - 2)}_${hash}_${store}`;
}
