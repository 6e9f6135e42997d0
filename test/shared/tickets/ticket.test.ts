import { describe, expect, it } from 'vitest';
import { parseExportLine, TicketParseError } from '../../../shared/tickets/ticket.js';

const line = (overrides: Record<string, unknown> = {}, drop: string[] = []) => {
  const fields: Record<string, unknown> = {
    key: 'BILL-24001',
    project: 'BILL',
    created: '2026-09-11T20:34:05Z',
    summary: 'Bought annual, getting charged every month',
    description: 'Hi, I paid yearly.',
    labels: ['billing'],
    account_ids: ['acc_0004821'],
    ...overrides,
  };
  for (const name of drop) delete fields[name];
  return JSON.stringify(fields);
};

describe('parseExportLine accepts export lines', () => {
  it('maps the export fields onto a Ticket and ignores the others', () => {
    const parsed = parseExportLine(line({ expected_atom: 'annual-monthly-confusion', note: 'x' }));
    expect(parsed).toEqual({
      ok: true,
      ticket: {
        key: 'BILL-24001',
        project: 'BILL',
        created: '2026-09-11T20:34:05Z',
        summary: 'Bought annual, getting charged every month',
        description: 'Hi, I paid yearly.',
        labels: ['billing'],
        accountIds: ['acc_0004821'],
      },
    });
  });

  it.each([
    [
      'an ADF description is kept as the object',
      { description: { type: 'doc', version: 1, content: [] } },
      [],
    ],
    ['a null description', { description: null }, []],
    ['Jira offsets without a colon', { created: '2026-09-11T20:34:05.000+0000' }, []],
    ['a CUSTESC key', { key: 'CUSTESC-8713', project: 'CUSTESC' }, []],
    ['missing optional fields', {}, ['description', 'labels', 'account_ids']],
  ])('%s', (_, overrides, drop) => {
    const parsed = parseExportLine(line(overrides, drop));
    expect(parsed.ok).toBe(true);
  });

  it('reads a missing description as null and missing lists as empty', () => {
    const parsed = parseExportLine(line({}, ['description', 'labels', 'account_ids']));
    expect(parsed.ok && parsed.ticket).toMatchObject({ description: null, labels: [], accountIds: [] });
  });
});

describe('parseExportLine names the field it rejects', () => {
  it.each([
    ['not JSON', '{"key": "BILL-1",', 'line'],
    ['a JSON array', '[1, 2]', 'line'],
    ['a JSON string', '"BILL-1"', 'line'],
    ['no key', line({}, ['key']), 'key'],
    ['a key that is not a Jira key', line({ key: 'bill 1' }), 'key'],
    ['a key of another project', line({ key: 'CUSTESC-1' }), 'key'],
    ['a lower-case project', line({ project: 'bill', key: 'BILL-1' }), 'project'],
    ['a created date that is not ISO', line({ created: '11/09/2026' }), 'created'],
    ['a created date that does not exist', line({ created: '2026-13-45T99:00:00Z' }), 'created'],
    ['a summary that is not text', line({ summary: 42 }), 'summary'],
    ['no summary', line({}, ['summary']), 'summary'],
    ['a description that is a number', line({ description: 7 }), 'description'],
    ['labels that are not a list', line({ labels: 'billing' }), 'labels'],
    ['an account id that is not text', line({ account_ids: [4821] }), 'account_ids'],
  ])('%s -> %s', (_, input, field) => {
    const parsed = parseExportLine(input);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toBeInstanceOf(TicketParseError);
    expect(parsed.error.field).toBe(field);
    expect(parsed.error.message.startsWith(`${field}: `)).toBe(true);
  });
});
