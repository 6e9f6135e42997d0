import { describe, expect, it } from 'vitest';
import {
  DRIFT_TICKET_ATOM,
  MOLECULE_IDS,
  MOLECULE_MIX,
  MOLECULES,
  moleculeOf,
  syntheticTickets,
  TICKET_LABELS,
  UNCLASSIFIED,
} from '../../../local/jira/index.js';
import { TEMPLATES } from '../../../local/jira/ticket-templates.js';
import { accountIndexOf, buildAccount, createWorld } from '../../../local/synthetic/world.js';

const DAY = 86_400_000;
// endDate 2026-11-24 is a Tuesday: the last of the 27 weeks is still running.
const world = createWorld({ accounts: 200, endDate: '2026-11-24', seed: 11 });
const tickets = syntheticTickets({ world });
const last = world.dates.length - 1;
const firstMonday = Date.parse('2026-11-23T00:00:00Z') - 26 * 7 * DAY;
const weekOf = (created: string) => Math.floor((Date.parse(created) - firstMonday) / (7 * DAY));
const mix = (molecule: (typeof MOLECULE_IDS)[number]) =>
  MOLECULE_MIX[molecule] / Object.values(MOLECULE_MIX).reduce((a, b) => a + b, 0);

describe('syntheticTickets', () => {
  it('spreads about 55 a week over 27 ISO weeks, none after endDate', () => {
    const perWeek = new Array<number>(27).fill(0);
    for (const t of tickets) {
      const w = weekOf(t.created);
      expect(w).toBeGreaterThanOrEqual(0);
      perWeek[w] = (perWeek[w] ?? 0) + 1;
    }
    expect(perWeek).toHaveLength(27);
    for (const n of perWeek.slice(0, -1)) {
      expect(n).toBeGreaterThanOrEqual(45);
      expect(n).toBeLessThanOrEqual(66);
    }
    // Monday and Tuesday of the last week so far (plus its drift tickets).
    expect(perWeek[26]).toBeGreaterThan(10);
    expect(perWeek[26]).toBeLessThan(40);
    expect(tickets.every((t) => t.created < '2026-11-25T00:00:00.000Z')).toBe(true);
  });

  it('keeps the molecule mix, ~3% unclassified, every atom present', () => {
    const classified = tickets.filter((t) => t.intendedAtom !== UNCLASSIFIED);
    const unclassified = tickets.length - classified.length;
    expect(unclassified / tickets.length).toBeGreaterThan(0.015);
    expect(unclassified / tickets.length).toBeLessThan(0.05);
    for (const molecule of MOLECULE_IDS) {
      const n = classified.filter((t) => moleculeOf(t.intendedAtom as never) === molecule).length;
      expect(Math.abs(n / classified.length - mix(molecule))).toBeLessThan(0.02);
    }
    const labels = new Set(tickets.map((t) => t.intendedAtom));
    expect([...labels].sort()).toEqual([...TICKET_LABELS].sort());
  });

  it('writes each atom from at least 6 templates, and varies the text', () => {
    for (const label of TICKET_LABELS) expect(TEMPLATES[label].length).toBeGreaterThanOrEqual(6);
    for (const atom of Object.values(MOLECULES).flat()) {
      const texts = tickets.filter((t) => t.intendedAtom === atom).map((t) => JSON.stringify(t.description));
      expect(new Set(texts).size).toBeGreaterThan(texts.length * 0.8);
    }
    expect(tickets.some((t) => t.description === null)).toBe(true);
  });

  it('files ~70% in BILL, ~30% in CUSTESC, keys and ids in created order', () => {
    const bill = tickets.filter((t) => t.key.startsWith('BILL-')).length / tickets.length;
    expect(bill).toBeGreaterThan(0.64);
    expect(bill).toBeLessThan(0.76);
    const sorted = [...tickets].sort((a, b) => a.created.localeCompare(b.created));
    expect(sorted).toEqual(tickets);
    for (const project of ['BILL', 'CUSTESC']) {
      const numbers = tickets
        .filter((t) => t.key.startsWith(`${project}-`))
        .map((t) => Number(t.key.split('-')[1]));
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    }
    expect(tickets.map((t) => t.id)).toEqual(tickets.map((_, i) => String(10_001 + i)));
    expect(
      tickets.filter((t) => t.intendedAtom === 'operational').every((t) => t.key.startsWith('BILL-')),
    ).toBe(true);
  });

  it('names an account on ~60%: clean world accounts lately, outside ids only in older weeks', () => {
    const named = tickets.filter((t) => t.accountIds !== null);
    expect(named.length / tickets.length).toBeGreaterThan(0.52);
    expect(named.length / tickets.length).toBeLessThan(0.68);
    const inWorld = (id: string) => accountIndexOf(id) < world.accounts;
    for (const t of named.filter((t) => weekOf(t.created) >= 25 && !t.cause)) {
      const id = t.accountIds![0]!;
      expect(inWorld(id)).toBe(true);
      expect(buildAccount(world, accountIndexOf(id), last).scenario).toMatch(/^clean/);
    }
    expect(named.some((t) => !inWorld(t.accountIds![0]!))).toBe(true);
    const mentioned = named.filter((t) => JSON.stringify(t.description).includes(t.accountIds![0]!));
    expect(mentioned.length / named.length).toBeGreaterThan(0.3);
    expect(mentioned.length / named.length).toBeLessThan(0.8);
  });

  it('files the tickets drift-active accounts would file, dated after the drift showed', () => {
    const drift = tickets.filter((t) => t.cause);
    expect(drift).toHaveLength(11);
    const snapshot = Date.parse(`${world.dates[last]}T00:00:00Z`);
    for (const t of drift) {
      const { accountId, scenario } = t.cause!;
      const state = buildAccount(world, accountIndexOf(accountId), last);
      expect([state.scenario, state.driftActive]).toEqual([scenario, true]);
      expect(t.intendedAtom).toBe(DRIFT_TICKET_ATOM[scenario]);
      expect(t.accountIds).toEqual([accountId]);
      const created = Date.parse(t.created);
      expect(created).toBeGreaterThanOrEqual(Math.max(snapshot, Date.parse('2026-11-23T00:00:00Z')));
      expect(created).toBeLessThan(snapshot + DAY);
    }
    expect(new Set(drift.map((t) => t.cause!.accountId)).size).toBe(drift.length);
  });

  it('files one ticket per drift-active account when asked for more than there are', () => {
    const all = syntheticTickets({ world, weeks: 1, driftTickets: 10_000 }).filter((t) => t.cause);
    let active = 0;
    for (let i = 0; i < world.accounts; i++) {
      const s = buildAccount(world, i, last);
      if (s.scenario.startsWith('drift_') && s.driftActive) active++;
    }
    expect(active).toBeGreaterThan(11);
    expect(all).toHaveLength(active);
  });

  it('is deterministic in its seed', () => {
    const recent = syntheticTickets({ world, weeks: 4 });
    expect(syntheticTickets({ world, weeks: 4 })).toEqual(recent);
    const other = syntheticTickets({ world, weeks: 4, seed: 12 });
    expect(other.map((t) => t.summary)).not.toEqual(recent.map((t) => t.summary));
    // A calendar week draws from its own stream: the same weeks read the same in a longer run.
    const regular = (list: typeof tickets) =>
      list
        .filter((t) => weekOf(t.created) >= 23 && !t.cause)
        .map((t) => [t.created, t.summary, t.accountIds]);
    expect(regular(recent)).toEqual(regular(tickets));
  });

  it('stays fast on a 20,000-account world', () => {
    const big = createWorld({ accounts: 20_000, endDate: '2026-11-29' });
    const started = performance.now();
    const generated = syntheticTickets({ world: big });
    expect(generated.length).toBeGreaterThan(1400);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses options it cannot honour', () => {
    expect(() => syntheticTickets({ world, weeks: 0 })).toThrow(RangeError);
    expect(() => syntheticTickets({ world, endDate: '2026-11-31' })).toThrow(RangeError);
    // The world's drift is dated after endDate's week: its tickets would have to be filed in the future.
    expect(() => syntheticTickets({ world, endDate: '2026-10-01' })).toThrow(
      /drift tickets cannot be placed/,
    );
  });
});
