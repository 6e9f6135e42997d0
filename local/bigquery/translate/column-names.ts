/**
 * BigQuery's implicit column names. A select-list item that is a path (`a`, `t.a`, `s.field`, `(a)`) is
 * named after its last name; any other unnamed expression is named `f<n>_`, n counting the unnamed items of
 * that SELECT from 0 (`SELECT 1, 'a' AS b, 2` -> f0_, b, f1_). DuckDB names such items after their text
 * ("1", "(struct_pack(a := 1)).a"), so the rewrite gives each of them BigQuery's name as an alias.
 */
import { type Node, nameOf, pathOf } from './cst.js';

/** The name BigQuery gives an item: its alias or path name ('keep': DuckDB names it so too), or none. */
function implicitName(item: Node): { keep: true } | { name: string } | undefined {
  switch (item?.type) {
    case 'alias':
    case 'identifier':
    case 'all_columns':
    case 'except_columns':
    case 'replace_columns':
      return { keep: true };
    case 'member_expr':
      if (item.property?.type === 'all_columns') return { keep: true };
      return item.property?.type === 'identifier' ? { name: nameOf(item.property) as string } : undefined;
    case 'bigquery_quoted_member_expr':
      return { name: pathOf(item)?.at(-1) as string };
    case 'paren_expr': {
      // BigQuery drops the parentheses: `(a)` is the path `a`.
      const inner = implicitName(item.expr);
      return inner && 'keep' in inner ? { name: nameOf(item.expr) as string } : inner;
    }
    default:
      return undefined;
  }
}

/** The aliases a SELECT's items need to carry BigQuery's names, by item index. */
export function implicitColumnNames(selectClause: Node): Map<number, string> {
  const names = new Map<number, string>();
  let unnamed = 0;
  const items: Node[] = selectClause.columns?.items ?? [];
  items.forEach((item, index) => {
    const named = implicitName(item);
    if (named === undefined) names.set(index, `f${unnamed++}_`);
    else if ('name' in named && named.name) names.set(index, named.name);
  });
  return names;
}
