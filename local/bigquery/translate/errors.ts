/**
 * The two ways a translation fails. UnsupportedSqlError names a BigQuery construct outside the documented
 * subset (docs/warehouse.md): the local warehouse refuses it rather than risk a silently wrong answer.
 * SqlSyntaxError is SQL that does not parse as BigQuery SQL, worded as BigQuery words it
 * (`Syntax error: Unexpected "x" at [line:column]`), not as the parser does.
 */
export class UnsupportedSqlError extends Error {
  constructor(
    readonly construct: string,
    detail?: string,
  ) {
    super(
      `Unsupported BigQuery construct for the local warehouse: ${construct}${detail ? ` (${detail})` : ''}`,
    );
    this.name = 'UnsupportedSqlError';
  }
}

export class SqlSyntaxError extends Error {
  constructor(parserMessage: string) {
    // sql-parser-cst: 'Syntax Error: Unexpected "1"\nWas expecting to see: …\n--> undefined:1:7\n…'
    const detail = (/^Syntax Error: (.*)$/m.exec(parserMessage)?.[1] ?? 'Unexpected input').replace(
      'end of input',
      'end of script',
    );
    const at = /^--> .*:(\d+):(\d+)$/m.exec(parserMessage);
    super(`Syntax error: ${detail}${at ? ` at [${at[1]}:${at[2]}]` : ''}`);
    this.name = 'SqlSyntaxError';
  }
}
