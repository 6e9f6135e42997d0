/**
 * The BigQuery -> DuckDB compatibility layer, construct by construct: each BigQuery expression is
 * translated and run on DuckDB, and must give BigQuery's answer; constructs outside the subset are rejected
 * with an error naming them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalWarehouse } from '../../../local/bigquery/engine.js';
import { UnsupportedSqlError } from '../../../local/bigquery/translate/errors.js';
import type { BqQueryParameter } from '../../../local/bigquery/translate/parameters.js';
import { translateSelect } from '../../../local/bigquery/translate/statements.js';

let db: LocalWarehouse;
beforeAll(async () => {
  db = await LocalWarehouse.open();
});
afterAll(() => db.close());

async function value(bigquerySql: string, params: BqQueryParameter[] = []): Promise<unknown> {
  const sql = translateSelect(bigquerySql, params);
  const r = await db.exclusive((c) => c.runAndReadAll(sql));
  const v = r.getRowsJS()[0]?.[0];
  return typeof v === 'bigint' ? Number(v) : v;
}

const p = (name: string, type: string, v: string): BqQueryParameter => ({
  name,
  parameterType: { type },
  parameterValue: { value: v },
});

describe('functions', () => {
  const cases: [string, unknown][] = [
    [`SELECT JSON_VALUE('{"a":"x"}', '$.a')`, 'x'],
    [`SELECT JSON_VALUE('{"a":{"b":1}}', '$.a')`, null],
    [`SELECT JSON_VALUE('not json', '$.a')`, null],
    [`SELECT JSON_VALUE('{"n":5}', '$.n')`, '5'],
    [`SELECT JSON_EXTRACT_SCALAR('{"a":"y"}', '$.a')`, 'y'],
    [`SELECT JSON_QUERY('{"a":{"b":1}}', '$.a')`, '{"b":1}'],
    [`SELECT ARRAY_LENGTH(JSON_VALUE_ARRAY('{"a":["x","y"]}', '$.a'))`, 2],
    [`SELECT SAFE_CAST('x' AS INT64)`, null],
    [`SELECT SAFE_CAST('12' AS INT64)`, 12],
    [`SELECT CAST(DATE_SUB(DATE '2026-03-01', INTERVAL 1 DAY) AS STRING)`, '2026-02-28'],
    [`SELECT CAST(DATE_ADD(DATE '2026-02-28', INTERVAL 1 DAY) AS STRING)`, '2026-03-01'],
    [`SELECT DATE_DIFF(DATE '2026-03-01', DATE '2026-02-27', DAY)`, 2],
    [`SELECT TIMESTAMP_DIFF(TIMESTAMP '2026-01-02 09:00:00', TIMESTAMP '2026-01-01 10:00:00', DAY)`, 0],
    [`SELECT TIMESTAMP('2026-01-01T02:00:00+02:00') = TIMESTAMP '2026-01-01 00:00:00'`, true],
    [`SELECT TIMESTAMP(DATE '2026-01-01') = TIMESTAMP '2026-01-01 00:00:00 UTC'`, true],
    [`SELECT COUNTIF(x > 1) FROM UNNEST([1, 2, 3]) AS x`, 2],
    [`SELECT LOGICAL_OR(x > 2) FROM UNNEST([1, 2, 3]) AS x`, true],
    [`SELECT IF(1 < 2, 'a', 'b')`, 'a'],
    [`SELECT ARRAY_TO_STRING(ARRAY_CONCAT(['a'], ['b']), ',')`, 'a,b'],
    [`SELECT ARRAY_LENGTH(ARRAY_AGG(x IGNORE NULLS ORDER BY x)) FROM UNNEST([3, NULL, 1]) AS x`, 2],
    [`SELECT SAFE.PARSE_JSON('{') IS NULL`, true],
    [`SELECT "double-quoted string"`, 'double-quoted string'],
    [`SELECT 'it''s'`, "it's"],
    [`SELECT 7 / 2`, 3.5],
    [`SELECT CAST(NULL AS INT64) / 0`, null],
    [`SELECT IEEE_DIVIDE(1, 0)`, Number.POSITIVE_INFINITY],
    [`SELECT IEEE_DIVIDE(-1, 0)`, Number.NEGATIVE_INFINITY],
    [`SELECT IEEE_DIVIDE(0, 0)`, Number.NaN],
    [`SELECT IEEE_DIVIDE(6, 4)`, 1.5],
    [`SELECT IEEE_DIVIDE(NULL, 0)`, null],
    [`SELECT SAFE_DIVIDE(1, 0)`, null],
    [`SELECT SAFE_DIVIDE(6, 4)`, 1.5],
  ];
  for (const [sql, want] of cases) it(sql, async () => expect(await value(sql)).toEqual(want));
});

describe('syntax', () => {
  it('backticked and project-qualified names map to dataset.table', () => {
    expect(translateSelect('SELECT 1 FROM `proj.billing_mirror.ope_items` AS i')).toContain(
      'billing_mirror.ope_items',
    );
    expect(translateSelect('SELECT 1 FROM `billing_mirror`.`ope_items`')).toContain(
      'billing_mirror.ope_items',
    );
  });

  it('@params become typed literals; strings cannot break out', async () => {
    expect(await value('SELECT @s', [p('s', 'STRING', "x'; DROP TABLE t; --")])).toBe("x'; DROP TABLE t; --");
    expect(await value('SELECT CAST(@d AS STRING)', [p('d', 'DATE', '2026-11-24')])).toBe('2026-11-24');
    expect(await value('SELECT @n + 1', [p('n', 'INT64', '41')])).toBe(42);
    expect(await value('SELECT @b', [p('b', 'BOOL', 'true')])).toBe(true);
    expect(
      await value('SELECT UNIX_MICROS(@t)', [p('t', 'TIMESTAMP', '2026-01-01T01:00:00.000001+01:00')]),
    ).toBe(1767225600000001);
    const arr: BqQueryParameter = {
      name: 'ids',
      parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } },
      parameterValue: { arrayValues: [{ value: 'a' }, { value: 'b' }] },
    };
    expect(await value("SELECT 'b' IN UNNEST(@ids)", [arr])).toBe(true);
    expect(await value("SELECT 'c' NOT IN UNNEST(@ids)", [arr])).toBe(true);
    expect(() => translateSelect('SELECT @missing')).toThrow(/@missing/);
    expect(() => translateSelect('SELECT @n', [p('n', 'INT64', '1 OR 1=1')])).toThrow(UnsupportedSqlError);
    expect(() => translateSelect('SELECT @d', [p('d', 'DATE', "2026-01-01' OR '")])).toThrow(
      UnsupportedSqlError,
    );
  });

  it('STRUCT literals, SELECT * EXCEPT, UNNEST ... WITH OFFSET (0-based)', async () => {
    expect(await value("SELECT STRUCT(1 AS a, 'x' AS b).b")).toBe('x');
    expect(
      await value('SELECT COUNT(*) FROM (SELECT * EXCEPT (a) FROM (SELECT 1 AS a, 2 AS b)) WHERE b = 2'),
    ).toBe(1);
    expect(
      await value(
        "SELECT STRING_AGG(CONCAT(e, CAST(o AS STRING)), ',' ORDER BY o) FROM UNNEST(['x', 'y']) AS e WITH OFFSET AS o",
      ),
    ).toBe('x0,y1');
    expect(await value('SELECT ARRAY_LENGTH(ARRAY<STRING>[])')).toBe(0);
  });

  it('QUALIFY, EXCEPT DISTINCT and CTEs read twice (materialised) work', async () => {
    expect(
      await value(
        'SELECT x FROM UNNEST([3, 1, 2]) AS x WHERE TRUE QUALIFY ROW_NUMBER() OVER (ORDER BY x) = 1',
      ),
    ).toBe(1);
    expect(await value('SELECT COUNT(*) FROM (SELECT 1 AS x EXCEPT DISTINCT SELECT 2 AS x)')).toBe(1);
    const sql = translateSelect('WITH c AS (SELECT 1 AS x) SELECT a.x FROM c AS a JOIN c AS b ON a.x = b.x');
    expect(sql).toContain('AS MATERIALIZED');
    expect(
      await value('WITH c AS (SELECT 1 AS x) SELECT a.x + b.x FROM c AS a JOIN c AS b ON a.x = b.x'),
    ).toBe(2);
  });
});

describe('rejections name the construct', () => {
  const rejected: [string, RegExp][] = [
    ['SELECT GREATEST(1, 2)', /function GREATEST/],
    ['SELECT AS STRUCT 1 AS a', /select as struct/],
    ['SELECT 1; SELECT 2', /multi-statement/],
    ['SELECT ?', /^Syntax error: Unexpected end of script at \[1:9\]$/],
    ["SELECT b'abc'", /blob literal/],
    ['SELECT x FROM UNNEST([1])', /UNNEST in FROM without an alias/],
    ['WITH RECURSIVE r AS (SELECT 1 AS n) SELECT n FROM r', /WITH RECURSIVE/],
    ['SELECT ARRAY_AGG(x LIMIT 1) FROM UNNEST([1]) AS x', /LIMIT/],
  ];
  for (const [sql, re] of rejected) {
    it(sql, () => {
      expect(() => translateSelect(sql)).toThrow(re);
    });
  }
});
