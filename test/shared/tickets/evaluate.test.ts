import { describe, expect, it } from 'vitest';
import type { Classification } from '../../../shared/tickets/classifier.js';
import {
  evaluate,
  type LabelledClassification,
  renderDetails,
  renderHeadline,
  renderMarkdown,
} from '../../../shared/tickets/evaluate.js';
import { loadTaxonomy, type Outcome, UNCLASSIFIED } from '../../../shared/tickets/taxonomy.js';

const taxonomy = loadTaxonomy('v6');
const moleculeOf = new Map(taxonomy.atoms.map((a) => [a.id, a.molecule]));

const labelled = (
  key: string,
  expected: Outcome,
  atom: Outcome,
  reason: Classification['reason'] = null,
): LabelledClassification => ({
  expected,
  classification: {
    key,
    atom,
    molecule: atom === UNCLASSIFIED ? null : (moleculeOf.get(atom) ?? null),
    confidence: 0.9,
    evidence: ['cue "charged twice"', 'word "a | b"'],
    reason,
    truncated: false,
    accountIds: [],
    taxonomyVersion: 'v6',
  },
});

// Five tickets: right; wrong atom, right molecule; wrong molecule; unclassified; an unclassified one given an atom.
const results = [
  labelled('T-1', 'ordering-duplicate', 'ordering-duplicate'),
  labelled('T-2', 'entitlement-drift', 'ordering-duplicate'),
  labelled('T-3', 'refund-dispute', 'ordering-duplicate'),
  labelled('T-4', 'void-waive', UNCLASSIFIED, 'no_evidence'),
  labelled('T-5', UNCLASSIFIED, 'ghost-subscription'),
];

describe('evaluate', () => {
  const e = evaluate(results, taxonomy);

  it('counts the figures over classified in-taxonomy tickets, and over all of them', () => {
    expect(e).toMatchObject({ total: 5, inTaxonomy: 4, classified: 3 });
    expect(e.classificationRate).toBeCloseTo(3 / 4);
    expect(e.atomAccuracy).toBeCloseTo(1 / 3);
    expect(e.moleculeAccuracy).toBeCloseTo(2 / 3);
    expect(e.atomAccuracyAll).toBeCloseTo(1 / 4);
    expect(e.moleculeAccuracyAll).toBeCloseTo(2 / 4);
    expect(e.unclassifiedLabelled).toEqual({ total: 1, falselyClassified: 1, falseClassificationRate: 1 });
    expect(e.reasons).toEqual({ no_evidence: 1 });
    expect(e.wrong.map((w) => w.key)).toEqual(['T-2', 'T-3', 'T-4', 'T-5']);
  });

  it('rejects an outcome the taxonomy does not have', () => {
    expect(() => evaluate([labelled('T-9', 'misc', 'misc')], taxonomy)).toThrow(RangeError);
  });
});

describe('the Markdown report', () => {
  const e = evaluate(results, taxonomy);

  it('renders the headline as a table with the reasons', () => {
    const text = renderHeadline(e).join('\n');
    expect(text).toContain('| classification rate | 75.0% | 3 of 4 in-taxonomy tickets |');
    expect(text).toContain(
      '| false-classification rate | 100.0% | 1 of 1 unclassified-labelled tickets given an atom |',
    );
    expect(text).toContain('Unclassified answers by reason: no_evidence 1.');
  });

  it('renders the details under headings of the level asked, keeping table cells whole', () => {
    const text = renderDetails(e, 3).join('\n');
    for (const heading of ['Per atom', 'Per molecule', 'Confusion matrix', 'Wrong tickets'])
      expect(text).toContain(`### ${heading}\n`);
    expect(text).toContain('word "a \\| b"');
  });

  it('renders a whole document', () => {
    const text = renderMarkdown(e, 'Title', ['Preamble.']);
    expect(text.startsWith('# Title\n\nPreamble.\n\n## Headline\n')).toBe(true);
    expect(text).toContain('## Wrong tickets');
  });
});
