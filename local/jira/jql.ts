/**
 * The JQL subset the local Jira understands: exactly what this project sends, and a clear 400 for the rest.
 *
 *   query   := clause (AND clause)* [ORDER BY sort (, sort)*]
 *   clause  := project = value | project IN (value, ...) | created (> | >= | < | <=) date
 *   sort    := (created | key) [ASC | DESC]
 *
 * Keywords and field names are case-insensitive (`&&` and `&` read as AND; OR and NOT are refused), values
 * may be quoted ("..." or '...'). Project values are keys, ids or names. Dates are Jira's `yyyy-MM-dd` or
 * `yyyy-MM-dd HH:mm` (also with `/`), read as UTC; a value with a space must be quoted, as in Jira. A query
 * with no clause is unbounded, which Jira Cloud's search refuses.
 */

export class JqlError extends Error {}

export type CreatedOperator = '>' | '>=' | '<' | '<=';
export type SortField = 'created' | 'key';

export interface JqlQuery {
  /** One list per project clause; an issue matches when its project is in every list. */
  projectClauses: string[][];
  /** Bounds on `created` (epoch ms); an issue matches when it satisfies all of them. */
  createdBounds: Array<{ operator: CreatedOperator; at: number }>;
  orderBy: Array<{ field: SortField; direction: 'ASC' | 'DESC' }>;
}

type TokenKind = 'word' | 'string' | 'operator' | '(' | ')' | ',';

interface Token {
  kind: TokenKind;
  text: string;
  /** 1-based character position, as Jira's messages give it. */
  at: number;
}

const OPERATORS = ['!=', '>=', '<=', '!~', '=', '>', '<', '~'];
const WORD_STOP = /[\s()=,!<>~"'&|]/;
/** JQL's symbol spellings of its keywords. */
const SYNONYMS: ReadonlyArray<[string, string]> = [
  ['&&', 'AND'],
  ['&', 'AND'],
  ['||', 'OR'],
  ['|', 'OR'],
  ['!', 'NOT'],
];
const CREATED_OPERATORS: readonly string[] = ['>', '>=', '<', '<='];
const DATE = /^(\d{4})[-/](\d{2})[-/](\d{2})(?: (\d{2}):(\d{2}))?$/;
const UNBOUNDED =
  'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.';

const queryError = (message: string) => new JqlError(`Error in the JQL Query: ${message}`);
const where = (token: Token) => `(line 1, character ${token.at})`;

function tokenize(jql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < jql.length) {
    const c = jql[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i + 1;
    if (c === '"' || c === "'") {
      let text = '';
      for (i++; i < jql.length && jql[i] !== c; i++) text += jql[i] === '\\' ? (jql[++i] ?? '') : jql[i];
      if (i >= jql.length)
        throw queryError(`The quoted string '${text}' has not been completed. (line 1, character ${at})`);
      i++;
      tokens.push({ kind: 'string', text, at });
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c, text: c, at });
      i++;
      continue;
    }
    const operator = OPERATORS.find((op) => jql.startsWith(op, i));
    if (operator) {
      tokens.push({ kind: 'operator', text: operator, at });
      i += operator.length;
      continue;
    }
    const synonym = SYNONYMS.find(([symbol]) => jql.startsWith(symbol, i));
    if (synonym) {
      tokens.push({ kind: 'word', text: synonym[1], at });
      i += synonym[0].length;
      continue;
    }
    // Every WORD_STOP character is taken above, so a word has at least one character.
    let text = '';
    while (i < jql.length && !WORD_STOP.test(jql[i] as string)) text += jql[i++];
    tokens.push({ kind: 'word', text, at });
  }
  return tokens;
}

/** Midnight or the given minute of a Jira date value, in UTC. */
function parseDate(value: string): number {
  const m = DATE.exec(value);
  if (m) {
    const [year, month, day, hour, minute] = m.slice(1).map((part) => Number(part ?? 0)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const d = new Date(Date.UTC(year, month - 1, day, hour, minute));
    // Date.UTC rolls 2026-02-30 over to March: a date that does not survive the round trip is invalid.
    if (d.getUTCMonth() === month - 1 && d.getUTCDate() === day && hour < 24 && minute < 60)
      return d.getTime();
  }
  throw new JqlError(
    `Date value '${value}' for field 'created' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd'. The local Jira reads them as UTC and does not support relative dates or functions.`,
  );
}

class Parser {
  private i = 0;
  private readonly query: JqlQuery = { projectClauses: [], createdBounds: [], orderBy: [] };

  constructor(private readonly tokens: Token[]) {}

  parse(): JqlQuery {
    if (this.tokens.length === 0 || this.isKeyword(this.peek(), 'ORDER')) throw new JqlError(UNBOUNDED);
    for (;;) {
      this.clause();
      const next = this.peek();
      if (next === undefined) break;
      if (this.isKeyword(next, 'AND')) {
        this.i++;
        continue;
      }
      if (this.isKeyword(next, 'ORDER')) {
        this.orderBy();
        break;
      }
      if (this.isKeyword(next, 'OR'))
        throw new JqlError(
          `The local Jira does not support OR ${where(next)}: it reads project and created clauses joined with AND.`,
        );
      throw queryError(`Expecting either 'OR' or 'AND' but got '${next.text}'. ${where(next)}`);
    }
    return this.query;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private take(expecting: string): Token {
    const token = this.tokens[this.i++];
    if (token === undefined) throw queryError(`Expecting ${expecting} before the end of the query.`);
    return token;
  }

  private isKeyword(token: Token | undefined, keyword: string): boolean {
    return token?.kind === 'word' && token.text.toUpperCase() === keyword;
  }

  private clause(): void {
    const field = this.take('a field name');
    if (field.kind !== 'word' && field.kind !== 'string')
      throw queryError(`Expecting a field name but got '${field.text}'. ${where(field)}`);
    if (this.isKeyword(field, 'NOT'))
      throw new JqlError(`The local Jira does not support NOT ${where(field)}.`);
    const name = field.text.toLowerCase();
    if (name === 'project') this.projectClause();
    else if (name === 'created' || name === 'createddate') this.createdClause();
    else
      throw new JqlError(
        `Field '${field.text}' does not exist or you do not have permission to view it. (The local Jira searches on project and created only.)`,
      );
  }

  private operator(): Token {
    const op = this.take('an operator');
    const word = op.kind === 'word' ? op.text.toUpperCase() : '';
    // NOT IN and IS NOT are valid JQL the local Jira refuses: name the whole operator.
    const second = word === 'NOT' ? 'IN' : word === 'IS' ? 'NOT' : undefined;
    if (second !== undefined) {
      const next = this.peek();
      if (!this.isKeyword(next, second)) return op;
      this.i++;
      return { ...op, text: `${op.text} ${(next as Token).text}` };
    }
    if (op.kind === 'operator' || ['IN', 'WAS', 'CHANGED'].includes(word)) return op;
    throw queryError(
      `Expecting operator but got '${op.text}'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. ${where(op)}`,
    );
  }

  private unsupportedOperator(op: Token, field: string, supported: string): JqlError {
    return new JqlError(
      `The operator '${op.text.toUpperCase()}' is not supported by the '${field}' field in the local Jira (supported: ${supported}).`,
    );
  }

  private value(): string {
    const token = this.take('a value');
    if (token.kind === 'string') return token.text;
    if (token.kind !== 'word' || ['AND', 'OR', 'NOT', 'ORDER', 'IN'].includes(token.text.toUpperCase()))
      throw queryError(`Expecting either a value, list or function but got '${token.text}'. ${where(token)}`);
    if (this.peek()?.kind === '(')
      throw new JqlError(`The local Jira does not support JQL functions such as '${token.text}()'.`);
    return token.text;
  }

  private projectClause(): void {
    const op = this.operator();
    if (op.text === '=') {
      this.query.projectClauses.push([this.value()]);
      return;
    }
    if (op.text.toUpperCase() !== 'IN') throw this.unsupportedOperator(op, 'project', '=, IN');
    const open = this.take("'('");
    if (open.kind !== '(') throw queryError(`Expecting '(' but got '${open.text}'. ${where(open)}`);
    const values = [this.value()];
    for (;;) {
      const next = this.take("')'");
      if (next.kind === ')') break;
      if (next.kind !== ',') throw queryError(`Expecting ',' or ')' but got '${next.text}'. ${where(next)}`);
      values.push(this.value());
    }
    this.query.projectClauses.push(values);
  }

  private createdClause(): void {
    const op = this.operator();
    if (!CREATED_OPERATORS.includes(op.text)) throw this.unsupportedOperator(op, 'created', '>, >=, <, <=');
    this.query.createdBounds.push({ operator: op.text as CreatedOperator, at: parseDate(this.value()) });
  }

  private orderBy(): void {
    this.i++;
    const by = this.take("'by'");
    if (!this.isKeyword(by, 'BY')) throw queryError(`Expecting 'by' but got '${by.text}'. ${where(by)}`);
    for (;;) {
      const field = this.take('a field to order by');
      const name = field.text.toLowerCase();
      if (name !== 'created' && name !== 'key')
        throw new JqlError(
          `Field '${field.text}' does not exist or you do not have permission to view it. (The local Jira orders by created or key only.)`,
        );
      let direction: 'ASC' | 'DESC' = 'ASC';
      const dir = this.peek();
      if (this.isKeyword(dir, 'ASC') || this.isKeyword(dir, 'DESC')) {
        direction = (dir as Token).text.toUpperCase() as 'ASC' | 'DESC';
        this.i++;
      }
      this.query.orderBy.push({ field: name, direction });
      const next = this.peek();
      if (next === undefined) return;
      if (next.kind !== ',') throw queryError(`Expecting ',' but got '${next.text}'. ${where(next)}`);
      this.i++;
    }
  }
}

/** Parses the supported subset; throws JqlError with a Jira-style message for anything else. */
export function parseJql(jql: string): JqlQuery {
  return new Parser(tokenize(jql)).parse();
}
