import model from 'wink-eng-lite-web-model';
import winkNLP, { type WinkMethods } from 'wink-nlp';

/**
 * Text -> words: the cleaning and tokenising every other part of the classifier (cue phrases, the model,
 * the language check) reads a ticket through.
 */

/** A word of the ticket as the matcher and the model see it. */
export interface Word {
  /** wink's normal form: lower case, contractions expanded (n't -> not), British spellings made American. */
  readonly normal: string;
  readonly stem: string;
  /** An English stop word (wink's list). */
  readonly stop: boolean;
  /** Words in different clauses (split by . , ; : ! ? brackets or a line break) never form a phrase. */
  readonly clause: number;
}

export interface ReadText {
  readonly words: Word[];
  /** The clause number after the last word: where a following text's clauses start. */
  readonly nextClause: number;
  /** Letters in a script other than Latin (a Japanese ticket has almost only these). */
  readonly nonLatinLetters: number;
  readonly letters: number;
}

/**
 * Noise removed before tokenising, in this order. Ids and addresses identify things but never say what the
 * ticket asks, and their fragments would otherwise become words (`sub_1NvQx8...` -> `sub`, `nvqx8`).
 */
const NOISE: ReadonlyArray<readonly [RegExp, string]> = [
  // Stack frames: `at fn (file.ts:12:5)`.
  [/^[ \t]*at\s.*:\d+:\d+\)?[ \t]*$/gm, ' '],
  [/\bhttps?:\/\/\S+/g, ' '],
  [/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, ' '],
  // Stripe/Jira-style ids with a digit: sub_1NvQx8..., acc_0011307, in_1Pq7..., cus_QaR8...
  [/\b[A-Za-z]{1,8}_[A-Za-z0-9]*\d[A-Za-z0-9]*(\.{3})?/g, ' '],
  [/\b[0-9a-f]{32}\b/g, ' '],
  // Domain and file names: example-shop.com, billing-client.ts.
  [/\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b/gi, ' '],
  // double-billed -> double billed, card_declined -> card declined: one spelling for cues and words.
  [/(\p{L})[-_](?=\p{L})/gu, '$1 '],
];

/** `text` without the noise that says nothing about the ask. */
export const cleanText = (text: string): string =>
  NOISE.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text);

const CLAUSE_BREAKS = new Set(['.', ',', ';', ':', '!', '?', '(', ')', '[', ']']);

let wink: WinkMethods | undefined;
/** wink-nlp without a pipeline: tokens, stems and stop words need no tagger or sentence splitter (5x faster). */
export function nlp(): WinkMethods {
  wink ??= winkNLP(model, []);
  return wink;
}

/** `text` as words; its clauses are numbered from `firstClause`, so texts read one after another never share one. */
export function readText(text: string, firstClause = 0): ReadText {
  const cleaned = cleanText(text);
  const { its } = nlp();
  const tokens = nlp().readDoc(cleaned).tokens();
  const types = tokens.out(its.type) as string[];
  const normals = tokens.out(its.normal) as string[];
  const stems = tokens.out(its.stem) as string[];
  const stops = tokens.out(its.stopWordFlag) as boolean[];
  const spaces = tokens.out(its.precedingSpaces) as string[];
  const words: Word[] = [];
  let clause = firstClause;
  types.forEach((type, i) => {
    if ((spaces[i] as string).includes('\n')) clause++;
    if (type === 'punctuation' && CLAUSE_BREAKS.has(normals[i] as string)) clause++;
    // Numbers stay (cue phrases such as "2 subscriptions"); `unk` is wink's type for words in scripts
    // it has no model for (年払い).
    if (type === 'word' || type === 'number' || type === 'unk') {
      words.push({ normal: normals[i] as string, stem: stems[i] as string, stop: stops[i] === true, clause });
    }
  });
  const letters = cleaned.match(/\p{L}/gu)?.length ?? 0;
  const latin = cleaned.match(/\p{Script=Latin}/gu)?.length ?? 0;
  return { words, nextClause: clause + 1, nonLatinLetters: letters - latin, letters };
}

export interface SummaryAndDescription {
  readonly summary: ReadText;
  readonly description: ReadText;
  /** Both, the summary first. */
  readonly all: ReadText;
}

/** A summary and a description read one after the other: their clauses never run together. */
export function readSummaryAndDescription(summary: string, description: string): SummaryAndDescription {
  const s = readText(summary);
  const d = readText(description, s.nextClause);
  return {
    summary: s,
    description: d,
    all: {
      words: [...s.words, ...d.words],
      nextClause: d.nextClause,
      letters: s.letters + d.letters,
      nonLatinLetters: s.nonLatinLetters + d.nonLatinLetters,
    },
  };
}

/** A number ("2", "312"): cue phrases may ask for one with `#`. */
export const isNumber = (word: Word): boolean => /^\d/.test(word.normal);
