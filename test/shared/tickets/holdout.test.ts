import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEV_FILE,
  KEPT_OUT_FILE,
  type Run,
  runLabelled,
  TAXONOMY_VERSION,
  trainClassifier,
} from '../../../scripts/eval-tickets.js';
import { loadTaxonomy } from '../../../shared/tickets/taxonomy.js';

/**
 * The kept-out and dev sets, evaluated as `npm run eval:tickets` does (docs/tickets-eval.md).
 *
 * Kept-out (test/fixtures/tickets/v6-holdout.ndjson, a third author's 300 tickets): the floors are the
 * figures the classifier reached the one time it was evaluated on this set, after it was frozen. Two of the
 * targets (classification rate >= 96.3%, atom accuracy >= 90% on classified in-taxonomy tickets) were
 * reached and are asserted as well; molecule accuracy (93.0%) is below its target (95%).
 *
 * Dev (test/fixtures/tickets/v6-dev.ndjson, the first kept-out set, since used for tuning): the floors are
 * the figures after tuning.
 *
 * A change that lowers any of them fails here. Never tune against the kept-out set: it would stop
 * measuring anything.
 */
const KEPT_OUT = {
  total: 300,
  inTaxonomy: 276,
  unclassifiedLabelled: 24,
  classified: 273,
  atomCorrect: 254,
  moleculeCorrect: 254,
  falselyClassified: 3,
};
const DEV = {
  total: 300,
  inTaxonomy: 276,
  unclassifiedLabelled: 24,
  classified: 272,
  atomCorrect: 261,
  moleculeCorrect: 264,
  falselyClassified: 1,
};
/** The targets the kept-out set reached (molecule accuracy >= 95% it did not). */
const TARGETS = { classificationRate: 0.963, atomAccuracy: 0.9 };

let keptOut: Run;
let dev: Run;
beforeAll(() => {
  const taxonomy = loadTaxonomy(TAXONOMY_VERSION);
  const trained = trainClassifier(taxonomy);
  keptOut = runLabelled(KEPT_OUT_FILE, taxonomy, trained);
  dev = runLabelled(DEV_FILE, taxonomy, trained);
});

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

describe.each([
  ['kept-out', () => keptOut, KEPT_OUT],
  ['dev', () => dev, DEV],
] as const)('the %s evaluation', (_, run, reached) => {
  it('reads every line of the file', () => {
    const e = run().evaluation;
    expect(run().unparsed).toEqual([]);
    expect(e.total).toBe(reached.total);
    expect(e.inTaxonomy).toBe(reached.inTaxonomy);
    expect(e.unclassifiedLabelled.total).toBe(reached.unclassifiedLabelled);
  });

  it(`does not fall below the classification rate reached (${percent(reached.classified / reached.inTaxonomy)})`, () => {
    expect(run().evaluation.classificationRate).toBeGreaterThanOrEqual(
      reached.classified / reached.inTaxonomy - 1e-9,
    );
  });

  it(`does not fall below the atom accuracy reached on classified in-taxonomy tickets (${percent(reached.atomCorrect / reached.classified)})`, () => {
    expect(run().evaluation.atomAccuracy).toBeGreaterThanOrEqual(
      reached.atomCorrect / reached.classified - 1e-9,
    );
  });

  it(`does not fall below the molecule accuracy reached on classified in-taxonomy tickets (${percent(reached.moleculeCorrect / reached.classified)})`, () => {
    expect(run().evaluation.moleculeAccuracy).toBeGreaterThanOrEqual(
      reached.moleculeCorrect / reached.classified - 1e-9,
    );
  });

  it(`gives no more unclassified-labelled tickets an atom than it did (${reached.falselyClassified} of ${reached.unclassifiedLabelled})`, () => {
    expect(run().evaluation.unclassifiedLabelled.falselyClassified).toBeLessThanOrEqual(
      reached.falselyClassified,
    );
  });

  it('reports figures that add up', () => {
    const e = run().evaluation;
    const cells = e.confusion.counts.flat().reduce((a, b) => a + b, 0);
    expect(cells).toBe(e.total);
    const diagonal = e.confusion.counts.reduce((sum, row, i) => sum + (row[i] as number), 0);
    expect(e.wrong).toHaveLength(e.total - diagonal);
    expect(e.perAtom.reduce((sum, a) => sum + a.support, 0)).toBe(e.inTaxonomy);
    expect(e.perMolecule.reduce((sum, m) => sum + m.classified, 0)).toBe(e.classified);
    for (const w of e.wrong) expect(w.predicted).not.toBe(w.expected);
  });
});

describe('the targets on the kept-out set', () => {
  it('reaches the classification rate target (>= 96.3%)', () => {
    expect(keptOut.evaluation.classificationRate).toBeGreaterThanOrEqual(TARGETS.classificationRate);
  });

  it('reaches the atom accuracy target on classified in-taxonomy tickets (>= 90%)', () => {
    expect(keptOut.evaluation.atomAccuracy).toBeGreaterThanOrEqual(TARGETS.atomAccuracy);
  });
});

describe('the cost', () => {
  it('classifies a ticket well inside 5 ms on average (15 ms with room for a loaded machine)', () => {
    expect(keptOut.classifyMs).toBeLessThan(15);
  });
});
