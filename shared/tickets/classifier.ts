import { CLOUDFLARE_ACCOUNT_ID, mergeAccountIds } from './account-ids.js';
import { CueIndex } from './classifier/cues.js';
import { decide } from './classifier/decision.js';
import { describeFeature, type Features, isCueFeature, ticketFeatures } from './classifier/features.js';
import { notEnglish } from './classifier/language.js';
import { LinearModel } from './classifier/model.js';
import { readTicket } from './classifier/reading.js';
import { readSummaryAndDescription, type SummaryAndDescription } from './classifier/text.js';
import { type MoleculeId, type Outcome, type Taxonomy, UNCLASSIFIED } from './taxonomy.js';
import type { Ticket } from './ticket.js';

/**
 * The ticket classifier: places a ticket in one atom of a taxonomy version, or says why it is unclassified.
 *
 * How a ticket is decided (each step in its own module under ./classifier/):
 *  1. reading.ts: its text is read (the description as plain text or ADF, the first `maxDescriptionChars`).
 *  2. text.ts: the text is cleaned of noise that says nothing about the ask (ids, URLs, e-mails, domain
 *     names, stack frames) and split by wink-nlp into words with their stems; language.ts: a ticket mostly
 *     written in another language stops here.
 *  3. cues.ts: the taxonomy's cue phrases (per atom, for `unclassified`, and the precedence rules' signals)
 *     are found in the words; negated phrases do not count ("no dispute opened").
 *  4. features.ts, model.ts: a linear softmax model trained at load on the taxonomy's examples scores every
 *     outcome from the ticket's word stems, adjacent pairs, negated words, and the cue phrases and signals
 *     found.
 *  5. decision.ts: the precedence rules settle the close calls between two atoms; an atom with no cue
 *     phrase of its own needs a higher confidence; below the threshold the ticket is unclassified.
 *
 * Deterministic: training and classification use no randomness and no clock, and ties keep taxonomy order.
 * Explainable: every answer carries its evidence (the rule that decided, the cue phrases found, the
 * features that weighed most) and a confidence.
 */

export type UnclassifiedReason =
  | 'low_confidence'
  | 'empty'
  | 'non_english'
  | 'unreadable_description'
  | 'no_evidence';

export interface Classification {
  readonly key: string;
  readonly atom: Outcome;
  readonly molecule: MoleculeId | null;
  /**
   * 0..1: the classifier's confidence in its best atom. For an unclassified ticket this is the confidence of
   * the best atom it rejected (0 when no atom was scored: empty, not English, unreadable).
   */
  readonly confidence: number;
  /** What decided it, human-readable: rules, cue phrases, the words that weighed most; at most 8. */
  readonly evidence: string[];
  readonly reason: UnclassifiedReason | null;
  /** Only the first part of the description was read. */
  readonly truncated: boolean;
  /** The ticket's account ids and those its text names, deduplicated and sorted. */
  readonly accountIds: string[];
  readonly taxonomyVersion: string;
}

export interface TicketClassifier {
  readonly version: string;
  classify(ticket: Ticket): Classification;
}

export interface ClassifierOptions {
  /** The account id format named in ticket text; production's Cloudflare account ids by default. */
  readonly accountIdPattern?: RegExp;
}

const MAX_EVIDENCE = 8;
/** Cue phrases of the winner shown in its evidence. */
const MAX_CUES_SHOWN = 4;

export function createClassifier(taxonomy: Taxonomy, options: ClassifierOptions = {}): TicketClassifier {
  const settings = taxonomy.classifier;
  const accountIdPattern = options.accountIdPattern ?? CLOUDFLARE_ACCOUNT_ID;
  const outcomes: Outcome[] = [...taxonomy.atoms.map((a) => a.id), UNCLASSIFIED];
  const moleculeOf = new Map(taxonomy.atoms.map((a) => [a.id, a.molecule]));

  const cues = new CueIndex();
  for (const atom of taxonomy.atoms) cues.add(atom.id, atom.cues);
  cues.add(UNCLASSIFIED, taxonomy.unclassified.cues);
  const signals = new CueIndex();
  for (const signal of taxonomy.signals) signals.add(signal.id, signal.cues);

  /** What the model and the decision need to know of a ticket's text: cue phrases, signals, features. */
  const examine = (text: SummaryAndDescription) => {
    const found = cues.find(text.all.words);
    const present = signals.find(text.all.words);
    return {
      found,
      present: new Set(present.keys()),
      features: ticketFeatures(text.summary.words, text.description.words, found, present, settings),
    };
  };

  const model = LinearModel.train(
    taxonomy.examples.map((example) => {
      const text = readSummaryAndDescription(example.summary, example.description);
      return { features: examine(text).features, outcome: example.atom };
    }),
    outcomes,
    settings,
  );

  /** The features that weighed most for `outcome`, as evidence (its cue phrases are listed by themselves). */
  const strongest = (features: Features, outcome: Outcome, count: number): string[] =>
    model
      .strongest(features, outcome)
      .filter((f) => !isCueFeature(f))
      .slice(0, Math.max(0, count))
      .map((f) => describeFeature(f, features));

  const classify = (ticket: Ticket): Classification => {
    const read = readTicket(ticket, settings.maxDescriptionChars);
    const texts = read.ok ? [read.summary, read.description] : [read.summary];
    const result = (
      atom: Outcome,
      confidence: number,
      reason: UnclassifiedReason | null,
      evidence: readonly string[],
    ): Classification => {
      // Notes about the reading (unknown ADF nodes) are always kept; what decided fills the rest.
      const notes =
        read.ok && read.unknownNodes.length > 0 ? [`unknown ADF nodes: ${read.unknownNodes.join(', ')}`] : [];
      return {
        key: ticket.key,
        atom,
        molecule: atom === UNCLASSIFIED ? null : (moleculeOf.get(atom) ?? null),
        confidence: Math.round(confidence * 1000) / 1000,
        evidence: [...evidence.slice(0, MAX_EVIDENCE - notes.length), ...notes],
        reason,
        truncated: read.truncated,
        accountIds: mergeAccountIds(ticket.accountIds, texts, accountIdPattern),
        taxonomyVersion: taxonomy.version,
      };
    };

    if (!read.ok) return result(UNCLASSIFIED, 0, 'unreadable_description', [read.detail]);
    if (read.summary.trim() === '' && read.description.trim() === '') {
      // An ADF document with content but no text we can read is unreadable rather than empty.
      return read.textless
        ? result(UNCLASSIFIED, 0, 'unreadable_description', ['no readable text in the description'])
        : result(UNCLASSIFIED, 0, 'empty', []);
    }

    const text = readSummaryAndDescription(read.summary, read.description);
    if (notEnglish(text.all, settings))
      return result(UNCLASSIFIED, 0, 'non_english', ['mostly written in a language other than English']);

    const { found, present, features } = examine(text);
    const scores = model.scores(features);
    if (scores === null)
      return result(UNCLASSIFIED, 0, 'no_evidence', ['no word or cue phrase the model knows']);
    const decision = decide(scores, outcomes, found, present, taxonomy.precedence, settings);

    const rule = decision.rule === null ? [] : [`rule ${decision.rule.rule}: ${decision.rule.why}`];
    const explain = (outcome: Outcome, phrases: readonly string[], before: readonly string[]): string[] => {
      const evidence = [...before, ...rule, ...phrases.slice(0, MAX_CUES_SHOWN).map((p) => `cue "${p}"`)];
      return [...evidence, ...strongest(features, outcome, MAX_EVIDENCE - evidence.length)];
    };
    if (decision.kind === 'atom') {
      const { winner, confidence } = decision;
      return result(winner.outcome, confidence, null, explain(winner.outcome, winner.cues, []));
    }
    const { leader, guess, confidence, reason, why } = decision;
    const best = guess === null ? [] : [`best guess ${guess.outcome} (${confidence.toFixed(2)})`];
    return result(UNCLASSIFIED, confidence, reason, explain(leader.outcome, leader.cues, [why, ...best]));
  };

  return { version: taxonomy.version, classify };
}
