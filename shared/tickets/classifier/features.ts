import { NEGATIONS } from './cues.js';
import type { Word } from './text.js';

/**
 * What the model sees of a ticket: counted features of five kinds, each with how evidence shows it.
 *
 * - a word's stem (`charg`), counted `summaryWeight` times in the summary (the ask in a few words);
 * - two adjacent words of a clause (`charg twice`);
 * - a word governed by a negation a few words before it in its clause (`!pend`: "the upgrade isn't
 *   pending" says the opposite of "the upgrade is pending");
 * - an atom's cue phrases found (`cue=ghost-subscription`, once per distinct phrase, up to a cap);
 * - a precedence signal found (`signal=dispute-filed`).
 *
 * English stop words are left out but for those that still say something about a billing ask.
 */

/** Stop words that still say something about a billing ask ("charged twice", "still active", "same zone"). */
const MEANINGFUL_STOP_WORDS = new Set([
  ...NEGATIONS,
  'twice',
  'again',
  'still',
  'same',
  'only',
  'both',
  'two',
  'second',
  'another',
  'once',
]);

/** A negation marks this many of the (kept) words after it in its clause. */
const NEGATED_WORDS = 3;

export interface Features {
  /** feature -> count. */
  readonly counts: Map<string, number>;
  /** feature -> how the ticket wrote it, for evidence. */
  readonly shown: Map<string, string>;
}

export interface FeatureSettings {
  readonly summaryWeight: number;
  readonly maxCuesPerAtom: number;
}

const CUE = 'cue=';
const SIGNAL = 'signal=';
const cueFeature = (owner: string): string => `${CUE}${owner}`;
const signalFeature = (signal: string): string => `${SIGNAL}${signal}`;
export const isCueFeature = (feature: string): boolean => feature.startsWith(CUE);

/** A feature as evidence shows it: `word "charged twice"`, `word "not pending"`, `signal dispute-filed`. */
export function describeFeature(feature: string, features: Features): string {
  if (feature.startsWith(SIGNAL)) return `signal ${feature.slice(SIGNAL.length)}`;
  if (isCueFeature(feature)) return `cue phrases of ${feature.slice(CUE.length)}`;
  return `word "${features.shown.get(feature) ?? feature}"`;
}

function add(into: Features, feature: string, shown: string, times: number): void {
  into.counts.set(feature, (into.counts.get(feature) ?? 0) + times);
  if (!into.shown.has(feature)) into.shown.set(feature, shown);
}

/** Word stems, adjacent pairs (within a clause) and negated words; numbers left out. */
function addWords(into: Features, words: readonly Word[], times: number): void {
  const kept = words.filter((w) => /\p{L}/u.test(w.stem) && (!w.stop || MEANINGFUL_STOP_WORDS.has(w.normal)));
  let negatedLeft = 0;
  kept.forEach((w, i) => {
    const prev = kept[i - 1];
    if (prev !== undefined && prev.clause !== w.clause) negatedLeft = 0;
    if (NEGATIONS.has(w.normal)) {
      add(into, w.stem, w.normal, times);
      negatedLeft = NEGATED_WORDS;
    } else if (negatedLeft > 0) {
      add(into, `!${w.stem}`, `not ${w.normal}`, times);
      negatedLeft--;
    } else {
      add(into, w.stem, w.normal, times);
    }
    if (prev !== undefined && prev.clause === w.clause)
      add(into, `${prev.stem} ${w.stem}`, `${prev.normal} ${w.normal}`, times);
  });
}

/** The features of a ticket, from its words and the cue phrases and signals found in them. */
export function ticketFeatures(
  summary: readonly Word[],
  description: readonly Word[],
  cues: ReadonlyMap<string, readonly string[]>,
  signals: ReadonlyMap<string, readonly string[]>,
  settings: FeatureSettings,
): Features {
  const features: Features = { counts: new Map(), shown: new Map() };
  addWords(features, summary, settings.summaryWeight);
  addWords(features, description, 1);
  for (const [owner, phrases] of cues) {
    const times = Math.min(phrases.length, settings.maxCuesPerAtom);
    if (times > 0) add(features, cueFeature(owner), owner, times);
  }
  for (const [signal, phrases] of signals)
    if (phrases.length > 0) add(features, signalFeature(signal), signal, 1);
  return features;
}
