// Evaluates the ticket classifier (shared/tickets/classifier.ts) on the current taxonomy version.
//   npm run eval:tickets         the kept-out set (test/fixtures/tickets/v6-holdout.ndjson): prints the report
//                                and writes it to docs/tickets-eval.md. Run it to report, never to tune.
//   npm run eval:tickets -- --cv 5-fold cross-validation on the taxonomy's own examples (the training set):
//                                what the classifier's settings and cue phrases are tuned with. Prints only.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SYNTHETIC_ACCOUNT_ID } from '../shared/tickets/account-ids.js';
import { type Classification, createClassifier } from '../shared/tickets/classifier.js';
import {
  type Evaluation,
  evaluate,
  type LabelledClassification,
  renderMarkdown,
} from '../shared/tickets/evaluate.js';
import { type Example, loadTaxonomy, type Outcome, type Taxonomy } from '../shared/tickets/taxonomy.js';
import { parseExportLine, type Ticket } from '../shared/tickets/ticket.js';

const ROOT = resolve(import.meta.dirname, '..');
export const TAXONOMY_VERSION = 'v6';
export const KEPT_OUT_FILE = resolve(ROOT, 'test/fixtures/tickets/v6-holdout.ndjson');
const REPORT_FILE = resolve(ROOT, 'docs/tickets-eval.md');
const FOLDS = 5;

export interface Run {
  readonly evaluation: Evaluation;
  /** Milliseconds to build (train) the classifier, averaged over the classifiers built. */
  readonly trainMs: number;
  /** Mean milliseconds per classified ticket. */
  readonly classifyMs: number;
  /** Lines of the labelled file that are not a valid export line, with why. */
  readonly unparsed: string[];
}

function timed<T>(work: () => T): [T, number] {
  const start = performance.now();
  const value = work();
  return [value, performance.now() - start];
}

/** The kept-out set: the export lines plus their `expected_atom` label. */
export function runKeptOut(taxonomy: Taxonomy = loadTaxonomy(TAXONOMY_VERSION)): Run {
  const labelled: Array<{ ticket: Ticket; expected: Outcome }> = [];
  const unparsed: string[] = [];
  readFileSync(KEPT_OUT_FILE, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const parsed = parseExportLine(line);
      if (!parsed.ok) {
        unparsed.push(`line ${i + 1}: ${parsed.error.message}`);
        return;
      }
      const expected = (JSON.parse(line) as { expected_atom?: unknown }).expected_atom;
      if (typeof expected !== 'string') {
        unparsed.push(`line ${i + 1}: no expected_atom`);
        return;
      }
      labelled.push({ ticket: parsed.ticket, expected });
    });
  const [classifier, trainMs] = timed(() =>
    createClassifier(taxonomy, { accountIdPattern: SYNTHETIC_ACCOUNT_ID }),
  );
  const [results, totalMs] = timed(() =>
    labelled.map(
      ({ ticket, expected }): LabelledClassification => ({
        expected,
        classification: classifier.classify(ticket),
      }),
    ),
  );
  return {
    evaluation: evaluate(results, taxonomy),
    trainMs,
    classifyMs: totalMs / labelled.length,
    unparsed,
  };
}

const exampleTicket = (e: Example): Ticket => ({
  key: e.key,
  project: e.key.split('-')[0] as string,
  created: '2026-01-01T00:00:00Z',
  summary: e.summary,
  description: e.description,
  labels: [],
  accountIds: [],
});

/**
 * Stratified folds: each outcome's examples, in key order, dealt round-robin, so every fold has every
 * outcome and the split does not depend on the file's order.
 */
function foldOf(examples: readonly Example[]): Map<string, number> {
  const fold = new Map<string, number>();
  const byOutcome = new Map<string, Example[]>();
  for (const e of examples) byOutcome.set(e.atom, [...(byOutcome.get(e.atom) ?? []), e]);
  for (const group of byOutcome.values()) {
    group
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .forEach((e, i) => {
        fold.set(e.key, i % FOLDS);
      });
  }
  return fold;
}

/** k-fold cross-validation on the taxonomy's examples: each fold classified by a classifier trained on the rest. */
export function runCrossValidation(taxonomy: Taxonomy = loadTaxonomy(TAXONOMY_VERSION)): Run {
  const fold = foldOf(taxonomy.examples);
  const results = new Map<string, LabelledClassification>();
  let trainMs = 0;
  let classifyMs = 0;
  for (let k = 0; k < FOLDS; k++) {
    const training = taxonomy.examples.filter((e) => fold.get(e.key) !== k);
    const [classifier, ms] = timed(() =>
      createClassifier({ ...taxonomy, examples: training }, { accountIdPattern: SYNTHETIC_ACCOUNT_ID }),
    );
    trainMs += ms / FOLDS;
    for (const e of taxonomy.examples.filter((x) => fold.get(x.key) === k)) {
      const [classification, took] = timed((): Classification => classifier.classify(exampleTicket(e)));
      classifyMs += took / taxonomy.examples.length;
      results.set(e.key, { expected: e.atom, classification });
    }
  }
  // Report in the taxonomy's example order, whatever fold a ticket fell in.
  const ordered = taxonomy.examples.map((e) => results.get(e.key) as LabelledClassification);
  return { evaluation: evaluate(ordered, taxonomy), trainMs, classifyMs, unparsed: [] };
}

function report(run: Run, title: string, what: string): string {
  const preamble = [
    what,
    '',
    `Training at load: ${run.trainMs.toFixed(0)} ms; classifying: ${run.classifyMs.toFixed(2)} ms per ticket on average.`,
    ...(run.unparsed.length > 0
      ? ['', `Lines not evaluated (not a valid export line): ${run.unparsed.join('; ')}.`]
      : []),
  ];
  return renderMarkdown(run.evaluation, title, preamble);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  if (process.argv.includes('--cv')) {
    const what = `${FOLDS}-fold stratified cross-validation on the taxonomy's ${TAXONOMY_VERSION} examples (the training set).`;
    process.stdout.write(report(runCrossValidation(), 'Ticket classifier: cross-validation', what));
  } else {
    const what =
      'The kept-out V6 set (test/fixtures/tickets/v6-holdout.ndjson): never used to build or tune the classifier.';
    const markdown = report(runKeptOut(), 'Ticket classifier: kept-out evaluation', what);
    process.stdout.write(markdown);
    writeFileSync(REPORT_FILE, markdown);
  }
}
