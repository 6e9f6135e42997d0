/**
 * The parsed tree: BigQuery SQL parsed with the BigQuery-dialect parser of sql-parser-cst (spaces and
 * comments kept, so a rewritten tree prints back close to its input), and the structural helpers every
 * rewrite uses to read nodes (names, dotted paths, call arguments), print them, or replace them with text.
 */
import { parse, show } from 'sql-parser-cst';
import { SqlSyntaxError } from './errors.js';

// The CST is a large discriminated union; the rewriter treats it structurally.
// biome-ignore lint/suspicious/noExplicitAny: structural walk over sql-parser-cst nodes
export type Node = any;

const PARSE_OPTIONS = {
  dialect: 'bigquery',
  paramTypes: ['@name'],
  includeSpaces: true,
  includeNewlines: true,
  includeComments: true,
} as const;

/**
 * Parses BigQuery SQL into statements (throws SqlSyntaxError). `withRanges` adds each node's source offsets,
 * which only error messages need (`at [line:column]`).
 */
export function parseBigQuery(sql: string, withRanges = false): Node {
  try {
    return parse(sql, (withRanges ? { ...PARSE_OPTIONS, includeRange: true } : PARSE_OPTIONS) as never);
  } catch (e) {
    throw new SqlSyntaxError((e as Error).message);
  }
}

export function raw(text: string, like?: Node): Node {
  return { type: 'identifier', text, name: text, leading: like?.leading, trailing: like?.trailing };
}

export function nameOf(n: Node): string | undefined {
  if (!n) return undefined;
  if (n.type === 'identifier') return n.name ?? n.text;
  return undefined;
}

/** Dotted path of a table reference (a.b.c, `a.b.c`, `a`.`b`), unquoted. */
export function pathOf(n: Node): string[] | undefined {
  if (!n) return undefined;
  if (n.type === 'identifier') {
    const name: string = n.name ?? n.text;
    return n.text.startsWith('`') ? name.split('.') : [name];
  }
  if (n.type === 'member_expr') {
    const left = pathOf(n.object);
    const right = pathOf(n.property);
    return left && right ? [...left, ...right] : undefined;
  }
  if (n.type === 'bigquery_quoted_member_expr') return pathOf(n.expr);
  return undefined;
}

export const s = (n: Node): string => (n === undefined || n === null ? '' : show(n));

export function argItems(fn: Node): Node[] {
  const args = fn.args?.expr;
  if (!args) return [];
  if (args.type === 'func_args') return args.args?.items ?? [];
  if (args.type === 'list_expr') return args.items;
  return [args];
}
