import type { Classification, UnclassifiedReason } from './classifier.js';
import { type AtomId, type MoleculeId, type Outcome, type Taxonomy, UNCLASSIFIED } from './taxonomy.js';

/**
 * How well a classifier did on labelled tickets. Pure: it compares expected outcomes with classifications
 * and renders the comparison; it neither reads files nor classifies.
 *
 * "In-taxonomy" tickets are those labelled with an atom. Their figures are given two ways: over the ones
 * the classifier placed (how good its answers are) and over all of them, an unclassified answer counting as
 * wrong (how much of the work it takes off people). Tickets labelled `unclassified` are scored separately:
 * giving one an atom is a false classification.
 */

export interface LabelledClassification {
  readonly expected: Outcome;
  readonly classification: Classification;
}

export interface AtomFigures {
  readonly atom: AtomId;
  /** Tickets labelled with the atom. */
  readonly support: number;
  /** Tickets the classifier gave the atom. */
  readonly predicted: number;
  readonly correct: number;
  /** correct / predicted (null when never predicted). */
  readonly precision: number | null;
  /** correct / support, an unclassified answer counting as a miss (null when no support). */
  readonly recall: number | null;
}

export interface MoleculeFigures {
  readonly molecule: MoleculeId;
  readonly support: number;
  readonly classified: number;
  /** Tickets placed in an atom of the right molecule. */
  readonly correct: number;
  /** correct / classified. */
  readonly accuracy: number | null;
  /** correct / support. */
  readonly accuracyAll: number | null;
}

export interface WrongTicket {
  readonly key: string;
  readonly expected: Outcome;
  readonly predicted: Outcome;
  readonly reason: UnclassifiedReason | null;
  readonly confidence: number;
  readonly evidence: readonly string[];
}

export interface Evaluation {
  readonly taxonomyVersion: string;
  readonly total: number;
  readonly inTaxonomy: number;
  readonly classified: number;
  /** Share of in-taxonomy tickets the classifier placed in an atom. */
  readonly classificationRate: number | null;
  /** Over classified in-taxonomy tickets. */
  readonly atomAccuracy: number | null;
  readonly moleculeAccuracy: number | null;
  /** Over all in-taxonomy tickets, unclassified counting as wrong. */
  readonly atomAccuracyAll: number | null;
  readonly moleculeAccuracyAll: number | null;
  readonly perAtom: AtomFigures[];
  readonly perMolecule: MoleculeFigures[];
  /** Rows: expected outcome; columns: predicted outcome; both in `outcomes` order. */
  readonly confusion: { readonly outcomes: Outcome[]; readonly counts: number[][] };
  readonly unclassifiedLabelled: {
    readonly total: number;
    /** Given an atom although labelled unclassified. */
    readonly falselyClassified: number;
    readonly falseClassificationRate: number | null;
  };
  /** Why tickets came out unclassified, over all tickets. */
  readonly reasons: Partial<Record<UnclassifiedReason, number>>;
  /** Every ticket whose outcome differs from its label, in input order. */
  readonly wrong: WrongTicket[];
}

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

export function evaluate(results: readonly LabelledClassification[], taxonomy: Taxonomy): Evaluation {
  const moleculeOf = new Map(taxonomy.atoms.map((a) => [a.id, a.molecule]));
  const outcomes: Outcome[] = [...taxonomy.atoms.map((a) => a.id), UNCLASSIFIED];
  const index = new Map(outcomes.map((o, i) => [o, i]));
  const counts = outcomes.map(() => outcomes.map(() => 0));
  const reasons: Partial<Record<UnclassifiedReason, number>> = {};

  let inTaxonomy = 0;
  let classified = 0;
  let atomCorrect = 0;
  let moleculeCorrect = 0;
  let unclassifiedLabelled = 0;
  let falselyClassified = 0;
  const wrong: WrongTicket[] = [];

  for (const { expected, classification: c } of results) {
    const row = index.get(expected);
    const column = index.get(c.atom);
    if (row === undefined || column === undefined)
      throw new RangeError(
        `${c.key}: outcome ${row === undefined ? expected : c.atom} is not in ${taxonomy.version}`,
      );
    (counts[row] as number[])[column] = ((counts[row] as number[])[column] as number) + 1;
    if (c.reason !== null) reasons[c.reason] = (reasons[c.reason] ?? 0) + 1;

    if (expected === UNCLASSIFIED) {
      unclassifiedLabelled++;
      if (c.atom !== UNCLASSIFIED) falselyClassified++;
    } else {
      inTaxonomy++;
      if (c.atom !== UNCLASSIFIED) {
        classified++;
        if (c.atom === expected) atomCorrect++;
        if (moleculeOf.get(c.atom) === moleculeOf.get(expected)) moleculeCorrect++;
      }
    }
    if (c.atom !== expected) {
      wrong.push({
        key: c.key,
        expected,
        predicted: c.atom,
        reason: c.reason,
        confidence: c.confidence,
        evidence: c.evidence,
      });
    }
  }

  const perAtom = taxonomy.atoms.map((a): AtomFigures => {
    const i = index.get(a.id) as number;
    const support = (counts[i] as number[]).reduce((x, y) => x + y, 0);
    const predicted = counts.reduce((x, r) => x + (r[i] as number), 0);
    const correct = (counts[i] as number[])[i] as number;
    return {
      atom: a.id,
      support,
      predicted,
      correct,
      precision: ratio(correct, predicted),
      recall: ratio(correct, support),
    };
  });

  const perMolecule = taxonomy.molecules.map((m): MoleculeFigures => {
    let support = 0;
    let inMolecule = 0;
    let correct = 0;
    for (const { expected, classification: c } of results) {
      if (expected === UNCLASSIFIED || moleculeOf.get(expected) !== m.id) continue;
      support++;
      if (c.atom === UNCLASSIFIED) continue;
      inMolecule++;
      if (moleculeOf.get(c.atom) === m.id) correct++;
    }
    return {
      molecule: m.id,
      support,
      classified: inMolecule,
      correct,
      accuracy: ratio(correct, inMolecule),
      accuracyAll: ratio(correct, support),
    };
  });

  return {
    taxonomyVersion: taxonomy.version,
    total: results.length,
    inTaxonomy,
    classified,
    classificationRate: ratio(classified, inTaxonomy),
    atomAccuracy: ratio(atomCorrect, classified),
    moleculeAccuracy: ratio(moleculeCorrect, classified),
    atomAccuracyAll: ratio(atomCorrect, inTaxonomy),
    moleculeAccuracyAll: ratio(moleculeCorrect, inTaxonomy),
    perAtom,
    perMolecule,
    confusion: { outcomes, counts },
    unclassifiedLabelled: {
      total: unclassifiedLabelled,
      falselyClassified,
      falseClassificationRate: ratio(falselyClassified, unclassifiedLabelled),
    },
    reasons,
    wrong,
  };
}

// ---------------------------------------------------------------- Markdown

const percent = (value: number | null): string => (value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`);

const table = (header: readonly string[], rows: readonly (readonly (string | number)[])[]): string =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

/** Keeps a table cell on one line and free of the column separator. */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ');

/** `#` repeated `level` times, then the text. */
const heading = (level: number, text: string): string => `${'#'.repeat(level)} ${text}`;

/** The count of tickets and the headline figures, as a table, with the reasons for unclassified answers. */
export function renderHeadline(evaluation: Evaluation): string[] {
  const e = evaluation;
  const u = e.unclassifiedLabelled;
  return [
    `Taxonomy ${e.taxonomyVersion}; ${e.total} tickets, ${e.inTaxonomy} labelled with an atom, ${u.total} labelled unclassified.`,
    '',
    table(
      ['figure', 'value', 'over'],
      [
        [
          'classification rate',
          percent(e.classificationRate),
          `${e.classified} of ${e.inTaxonomy} in-taxonomy tickets`,
        ],
        ['atom accuracy', percent(e.atomAccuracy), `${e.classified} classified in-taxonomy tickets`],
        ['molecule accuracy', percent(e.moleculeAccuracy), `${e.classified} classified in-taxonomy tickets`],
        [
          'atom accuracy (unclassified = wrong)',
          percent(e.atomAccuracyAll),
          `${e.inTaxonomy} in-taxonomy tickets`,
        ],
        [
          'molecule accuracy (unclassified = wrong)',
          percent(e.moleculeAccuracyAll),
          `${e.inTaxonomy} in-taxonomy tickets`,
        ],
        [
          'false-classification rate',
          percent(u.falseClassificationRate),
          `${u.falselyClassified} of ${u.total} unclassified-labelled tickets given an atom`,
        ],
        ['wrong tickets', String(e.wrong.length), `${e.total} tickets`],
      ],
    ),
    '',
    `Unclassified answers by reason: ${
      Object.entries(e.reasons)
        .map(([reason, n]) => `${reason} ${n}`)
        .join(', ') || 'none'
    }.`,
  ];
}

/** Per atom, per molecule, the confusion matrix and every wrong ticket, under headings of `level`. */
export function renderDetails(evaluation: Evaluation, level = 2): string[] {
  const e = evaluation;
  const abbreviations = new Map(
    e.confusion.outcomes.map((o) => [
      o,
      o
        .split('-')
        .map((w) => w.slice(0, 4))
        .join('-'),
    ]),
  );
  return [
    heading(level, 'Per atom'),
    '',
    table(
      ['atom', 'support', 'predicted', 'correct', 'precision', 'recall'],
      e.perAtom.map((a) => [
        a.atom,
        a.support,
        a.predicted,
        a.correct,
        percent(a.precision),
        percent(a.recall),
      ]),
    ),
    '',
    heading(level, 'Per molecule'),
    '',
    table(
      ['molecule', 'support', 'classified', 'correct', 'accuracy (classified)', 'accuracy (all)'],
      e.perMolecule.map((m) => [
        m.molecule,
        m.support,
        m.classified,
        m.correct,
        percent(m.accuracy),
        percent(m.accuracyAll),
      ]),
    ),
    '',
    heading(level, 'Confusion matrix'),
    '',
    'Rows: expected; columns: predicted (abbreviated in the same order).',
    '',
    table(
      ['expected \\ predicted', ...e.confusion.outcomes.map((o) => abbreviations.get(o) as string)],
      e.confusion.outcomes.map((o, i) => [
        o,
        ...(e.confusion.counts[i] as number[]).map((n) => (n === 0 ? '.' : n)),
      ]),
    ),
    '',
    heading(level, 'Wrong tickets'),
    '',
    e.wrong.length === 0
      ? 'None.'
      : table(
          ['key', 'expected', 'predicted', 'confidence', 'evidence'],
          e.wrong.map((w) => [
            w.key,
            w.expected,
            w.reason === null ? w.predicted : `${w.predicted} (${w.reason})`,
            w.confidence.toFixed(2),
            cell(w.evidence.join('; ')),
          ]),
        ),
  ];
}

/** One evaluation as a whole Markdown document: title, preamble, headline, details. */
export function renderMarkdown(
  evaluation: Evaluation,
  title: string,
  preamble: readonly string[] = [],
): string {
  return [
    heading(1, title),
    '',
    ...preamble,
    ...(preamble.length > 0 ? [''] : []),
    heading(2, 'Headline'),
    '',
    ...renderHeadline(evaluation),
    '',
    ...renderDetails(evaluation, 2),
    '',
  ].join('\n');
}
