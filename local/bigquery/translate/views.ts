/**
 * Views read as CTEs: the local execution strategy for BigQuery views (expandViewsAsCtes) and the CTE name
 * an expanded view is read under, which the rewrite puts in place of a reference to the view.
 */
import { UnsupportedSqlError } from './errors.js';

/** The CTE name a view is expanded under (see expandViewsAsCtes). */
export function viewCteName(relation: string): string {
  return `"__view__${relation.replace('.', '__')}"`;
}

/**
 * Local execution strategy for views: instead of letting DuckDB inline a view at every place it is read
 * (a layered view graph reads its lower layers many times over), the query reads each view as a CTE, and
 * a view read more than once is materialised once per query. Same rows as inlining (views are
 * deterministic); the work is proportional to the view graph, not to the number of paths through it.
 *
 * `viewBodies` maps dataset.view (lower-case) to its BigQuery SELECT.
 */
export function expandViewsAsCtes(
  mainSql: string,
  mainViewsRead: ReadonlyMap<string, number>,
  viewBodies: ReadonlyMap<string, string>,
  translateBody: (relation: string) => { sql: string; viewsRead: ReadonlyMap<string, number> },
): string {
  if (mainViewsRead.size === 0) return mainSql;
  const refs = new Map<string, number>();
  const order: string[] = [];
  const bodies = new Map<string, string>();
  const visit = (rel: string, stack: string[]) => {
    if (bodies.has(rel)) return;
    if (stack.includes(rel)) throw new UnsupportedSqlError('recursive view', [...stack, rel].join(' -> '));
    if (!viewBodies.has(rel)) throw new UnsupportedSqlError(`view ${rel}`, 'unknown view');
    const t = translateBody(rel);
    bodies.set(rel, t.sql);
    for (const [dep, n] of t.viewsRead) {
      refs.set(dep, (refs.get(dep) ?? 0) + n);
      visit(dep, [...stack, rel]);
    }
    order.push(rel);
  };
  for (const [rel, n] of mainViewsRead) {
    refs.set(rel, (refs.get(rel) ?? 0) + n);
    visit(rel, []);
  }
  const ctes = order.map(
    (rel) =>
      `${viewCteName(rel)} AS ${(refs.get(rel) ?? 0) >= 2 ? 'MATERIALIZED ' : ''}(\n${bodies.get(rel)}\n)`,
  );
  const trimmed = mainSql.trimStart();
  if (/^WITH\s/i.test(trimmed)) return `WITH ${ctes.join(',\n')},\n${trimmed.slice(5)}`;
  return `WITH ${ctes.join(',\n')}\n${trimmed}`;
}
