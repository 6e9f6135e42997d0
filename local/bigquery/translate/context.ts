/**
 * The state one statement's translation threads through the rewrite: the parameter literals, the CTE
 * names in scope and how often each is read, and the views to expand as CTEs with how often each is read.
 */
export interface Ctx {
  params: Map<string, string>;
  /** Names of CTEs in scope, never dataset-qualified. */
  cteNames: Set<string>;
  /** References per CTE name in the statement (a CTE read twice is materialised once). */
  cteRefs: Map<string, number>;
  /** Views to expand as CTEs (dataset.view, lower-case) and how often each is read. */
  expandViews?: ReadonlySet<string>;
  viewsRead: Map<string, number>;
}
