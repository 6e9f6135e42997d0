import { describe, expect, it } from 'vitest';
import { JqlError, parseJql } from '../../../local/jira/index.js';

const utc = (s: string) => Date.parse(`${s}Z`);

describe('parseJql', () => {
  it('reads the week query the project sends', () => {
    expect(
      parseJql(
        'project in (BILL, CUSTESC) AND created >= "2026-05-04 00:00" AND created < "2026-05-11 00:00" ORDER BY created ASC',
      ),
    ).toEqual({
      projectClauses: [['BILL', 'CUSTESC']],
      createdBounds: [
        { operator: '>=', at: utc('2026-05-04T00:00:00') },
        { operator: '<', at: utc('2026-05-11T00:00:00') },
      ],
      orderBy: [{ field: 'created', direction: 'ASC' }],
    });
  });

  it('reads project =, several sort keys, and every date spelling as UTC', () => {
    expect(
      parseJql(
        "Project = 'BILL' and CREATED > 2026/05/04 and created <= '2026-05-04 13:45' order by key desc, created",
      ),
    ).toEqual({
      projectClauses: [['BILL']],
      createdBounds: [
        { operator: '>', at: utc('2026-05-04T00:00:00') },
        { operator: '<=', at: utc('2026-05-04T13:45:00') },
      ],
      orderBy: [
        { field: 'key', direction: 'DESC' },
        { field: 'created', direction: 'ASC' },
      ],
    });
  });

  it('keeps escaped quotes inside a quoted value', () => {
    expect(parseJql('project = "Bob\\"s"').projectClauses).toEqual([['Bob"s']]);
  });

  it.each([
    '2026-02-30',
    '2026-05-04 24:00',
    '2026-05-04 10:60',
    '2026-5-4',
    '2026-05-04T00:00',
    '04/05/2026',
  ])('refuses the date %s', (date) => {
    expect(() => parseJql(`created >= "${date}"`)).toThrow(JqlError);
  });

  it('reads && as AND, and names || and ! as the OR and NOT it does not support', () => {
    expect(parseJql('project = BILL && created > 2026-01-01')).toEqual(
      parseJql('project = BILL AND created > 2026-01-01'),
    );
    expect(() => parseJql('project = BILL || project = CUSTESC')).toThrow(/does not support OR/);
    expect(() => parseJql('!project = BILL')).toThrow(/does not support NOT/);
  });
});
