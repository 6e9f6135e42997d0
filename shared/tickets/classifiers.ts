import { createClassifier, type TicketClassifier } from './classifier.js';
import { listTaxonomyVersions, loadTaxonomy, TaxonomyError } from './taxonomy.js';

/**
 * One trained classifier per taxonomy version and account id pattern, built on first use and kept for
 * the life of the instance (training on the taxonomy's examples takes a fraction of a second; a weekly
 * run or a backfill of 27 weeks classifies with the same one).
 */
const built = new Map<string, TicketClassifier>();

/** The newest taxonomy shipped (shared/tickets/taxonomy/vN.yaml). */
export function latestTaxonomyVersion(): string {
  const versions = listTaxonomyVersions();
  const last = versions.at(-1);
  if (last === undefined) throw new TaxonomyError('no taxonomy is shipped', '(none)', 'not_found');
  return last;
}

export function classifierFor(
  version: string | undefined,
  accountIdPattern: string | undefined,
): TicketClassifier {
  const v = version ?? latestTaxonomyVersion();
  const key = `${v}\u0000${accountIdPattern ?? ''}`;
  let classifier = built.get(key);
  if (!classifier) {
    classifier = createClassifier(loadTaxonomy(v), {
      ...(accountIdPattern ? { accountIdPattern: new RegExp(accountIdPattern) } : {}),
    });
    built.set(key, classifier);
  }
  return classifier;
}
