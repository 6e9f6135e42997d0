/**
 * The two ways a translation fails. UnsupportedSqlError names a BigQuery construct outside the documented
 * subset (docs/warehouse.md): the local warehouse refuses it rather than risk a silently wrong answer.
 * SqlSyntaxError carries the parser's message for SQL that does not parse as BigQuery SQL.
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
  constructor(message: string) {
    super(message);
    this.name = 'SqlSyntaxError';
  }
}
