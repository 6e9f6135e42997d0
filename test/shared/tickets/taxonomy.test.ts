import { describe, expect, it } from 'vitest';
import {
  listTaxonomyVersions,
  loadTaxonomy,
  parseTaxonomy,
  type Taxonomy,
  TaxonomyError,
  UNCLASSIFIED,
} from '../../../shared/tickets/taxonomy.js';

const v6 = loadTaxonomy('v6');

describe('the v6 taxonomy file', () => {
  it('is listed and loads (it validates)', () => {
    expect(listTaxonomyVersions()).toContain('v6');
    expect(v6.version).toBe('v6');
  });

  it('has 12 atoms in 6 molecules, and unclassified as the 13th outcome (not an atom)', () => {
    expect(v6.atoms).toHaveLength(12);
    expect(v6.molecules.map((m) => m.id)).toEqual([
      'subscription-state',
      'payment-loop',
      'invoice-quality',
      'reconciliation',
      'customer-impact',
      'operational',
    ]);
    expect(v6.atoms.map((a) => a.id)).not.toContain(UNCLASSIFIED);
    expect(v6.notes).toMatch(/13 atoms/);
    expect(v6.notes).toMatch(/unclassified/);
  });

  it.each(v6.molecules.map((m) => [m.id]))('molecule %s has atoms', (id) => {
    expect(v6.atoms.filter((a) => a.molecule === id).length).toBeGreaterThan(0);
  });

  it.each(v6.atoms.map((a) => [a.id, a]))(
    'atom %s has a definition, cue phrases and examples',
    (id, atom) => {
      expect(atom.definition.length).toBeGreaterThan(20);
      expect(atom.cues.length).toBeGreaterThan(10);
      expect(v6.examples.filter((e) => e.atom === id).length).toBeGreaterThanOrEqual(20);
    },
  );

  it('holds all 900 training examples of both authors, with unclassified ones among them, keys unique', () => {
    expect(v6.examples).toHaveLength(900);
    // The first author's 420 (train.ndjson), then the second author's 480 (train2.ndjson).
    expect(v6.examples[0]?.key).toBe('BILL-24001');
    expect(v6.examples[420]?.key).toBe('BILL-66442');
    expect(v6.examples.some((e) => e.atom === UNCLASSIFIED)).toBe(true);
    expect(new Set(v6.examples.map((e) => e.key)).size).toBe(900);
  });

  it('keeps the examples balanced: every atom has at least 60 of them', () => {
    for (const atom of v6.atoms)
      expect(v6.examples.filter((e) => e.atom === atom.id).length).toBeGreaterThanOrEqual(60);
  });

  it('writes every tie-break rule as text, and every precedence rule points at one', () => {
    expect(v6.tieBreakRules.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const ids = new Set(v6.tieBreakRules.map((r) => r.id));
    for (const p of v6.precedence) expect(ids.has(p.rule)).toBe(true);
  });

  it('ends with the dispute rule, which always wins', () => {
    expect(v6.precedence.at(-1)).toMatchObject({
      prefer: ['refund-dispute'],
      over: '*',
      when: ['dispute-filed'],
      always: true,
    });
    // Every other rule only settles the model's close calls.
    expect(v6.precedence.slice(0, -1).every((p) => !p.always)).toBe(true);
  });
});

/** The v6 document with one change, for the validation cases. */
const variant = (change: (t: Taxonomy) => void): unknown => {
  const copy = structuredClone(v6);
  change(copy);
  return copy;
};

describe('parseTaxonomy rejects a taxonomy that does not hold together', () => {
  it.each([
    [
      'an atom in an unknown molecule',
      (t: Taxonomy) => void ((t.atoms[0] as Taxonomy['atoms'][0]).molecule = 'billing'),
    ],
    ['a molecule without atoms', (t: Taxonomy) => void t.molecules.push({ id: 'empty', name: 'Empty' })],
    [
      'an atom called unclassified',
      (t: Taxonomy) => void ((t.atoms[0] as Taxonomy['atoms'][0]).id = UNCLASSIFIED),
    ],
    [
      'two atoms with one id',
      (t: Taxonomy) => void ((t.atoms[1] as Taxonomy['atoms'][0]).id = t.atoms[0]?.id as string),
    ],
    ['an atom without cue phrases', (t: Taxonomy) => void ((t.atoms[0] as Taxonomy['atoms'][0]).cues = [])],
    ['a cue phrase listed twice', (t: Taxonomy) => void t.atoms[0]?.cues.push(t.atoms[0].cues[0] as string)],
    ['a wildcard on a short stem', (t: Taxonomy) => void t.atoms[0]?.cues.push('re*')],
    [
      'an example of an unknown atom',
      (t: Taxonomy) => void ((t.examples[0] as Taxonomy['examples'][0]).atom = 'misc'),
    ],
    [
      'an atom without examples',
      (t: Taxonomy) => void (t.examples = t.examples.filter((e) => e.atom !== 'operational')),
    ],
    ['a precedence rule on an unknown signal', (t: Taxonomy) => void t.precedence[0]?.unless.push('nope')],
    ['a precedence rule on an unknown atom', (t: Taxonomy) => void t.precedence[0]?.prefer.push('nope')],
    [
      'a precedence rule citing no tie-break rule',
      (t: Taxonomy) => void ((t.precedence[0] as Taxonomy['precedence'][0]).rule = 42),
    ],
    ['a confidence threshold above 1', (t: Taxonomy) => void (t.classifier.confidenceThreshold = 1.5)],
    ['a negative rule margin', (t: Taxonomy) => void (t.classifier.ruleMargin = -1)],
    [
      'a setting the classifier does not know',
      (t: Taxonomy) => void Object.assign(t.classifier, { cueWeight: 6 }),
    ],
  ])('%s', (_, change) => {
    expect(() => parseTaxonomy(variant(change), 'v6')).toThrow(TaxonomyError);
  });

  it('rejects a file whose version is not its name', () => {
    expect(() => parseTaxonomy(v6, 'v7')).toThrow(/says version v6/);
  });

  it('accepts the unchanged document', () => {
    expect(
      parseTaxonomy(
        variant(() => {}),
        'v6',
      ).atoms,
    ).toHaveLength(12);
  });
});

describe('loadTaxonomy', () => {
  it('says which version it cannot find', () => {
    expect(() => loadTaxonomy('v99')).toThrow(expect.objectContaining({ kind: 'not_found', version: 'v99' }));
  });
});
