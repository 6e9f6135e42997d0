import { cleanText, isNumber, nlp, type Word } from './text.js';

/**
 * Cue phrases: the taxonomy's phrases for each atom (and for `unclassified` and the precedence rules'
 * signals), found in a ticket's words. Syntax (shared/tickets/taxonomy.ts, Cue): words compared whole in
 * normal form, `cancel*` a word starting with "cancel", `#` any number, `...` up to MAX_CUE_GAP words.
 */

/** `...` in a cue phrase stands for at most this many words. */
const MAX_CUE_GAP = 3;
/** A negation this many words or fewer before a cue phrase (in the same clause) cancels it. */
const NEGATION_REACH = 5;

export const NEGATIONS: ReadonlySet<string> = new Set([
  'not',
  'no',
  'never',
  'without',
  'nothing',
  'none',
  'nobody',
  'neither',
  'nor',
]);
/**
 * Words that end a negation's reach: conjunctions start a new statement, prepositions a new object ("I don't
 * know [it]; on the same zone there are two").
 */
export const NEGATION_STOPS: ReadonlySet<string> = new Set([
  ...['and', 'but', 'so', 'or', 'because', 'then', 'yet', 'although', 'though', 'while'],
  ...['on', 'in', 'at', 'for', 'with', 'from', 'of', 'about', 'after', 'before', 'since', 'by'],
]);

/**
 * A word of a cue phrase: a ticket word in normal form, its beginning when written `cancel*`, or any number
 * when written `#` ("# accounts" finds "312 accounts").
 */
interface CueWord {
  readonly text: string;
  readonly prefix: boolean;
  readonly number?: boolean;
}

interface Cue {
  readonly phrase: string;
  /** Word sequences; between two parts up to MAX_CUE_GAP words may stand. */
  readonly parts: CueWord[][];
}

/**
 * Cue phrases are read like ticket text (same cleaning, same normal forms: lower case, American spelling,
 * n't -> not), so "cancelled" in a cue also finds "canceled". Words are compared whole, not by stem: stems
 * merge words a cue must keep apart (activating/active, processing/process).
 */
function compileCue(phrase: string): Cue {
  const { its } = nlp();
  const parts = phrase.split('...').map((part) => {
    const tokens = nlp().readDoc(cleanText(part)).tokens();
    const types = tokens.out(its.type) as string[];
    const normals = tokens.out(its.normal) as string[];
    const spaces = tokens.out(its.precedingSpaces) as string[];
    const words: CueWord[] = [];
    types.forEach((type, i) => {
      const last = words.at(-1);
      if (normals[i] === '*' && spaces[i] === '' && last !== undefined)
        words[words.length - 1] = { ...last, prefix: true };
      else if (normals[i] === '#') words.push({ text: '#', prefix: false, number: true });
      else if (type === 'word' || type === 'number' || type === 'unk')
        words.push({ text: normals[i] as string, prefix: false });
    });
    return words;
  });
  return { phrase, parts: parts.filter((p) => p.length > 0) };
}

const wordMatches = (word: Word | undefined, cue: CueWord): boolean => {
  if (word === undefined) return false;
  if (cue.number === true) return isNumber(word);
  return cue.prefix ? word.normal.startsWith(cue.text) : word.normal === cue.text;
};

/** Where `cueWords` occur contiguously at `at` within one clause. */
function matchesAt(
  words: readonly Word[],
  at: number,
  cueWords: readonly CueWord[],
  clause: number,
): boolean {
  for (let k = 0; k < cueWords.length; k++) {
    const word = words[at + k];
    if (word === undefined || word.clause !== clause || !wordMatches(word, cueWords[k] as CueWord))
      return false;
  }
  return true;
}

/** Whether `cue` matches starting at word `at`. */
function matchCue(words: readonly Word[], at: number, cue: Cue): boolean {
  const clause = (words[at] as Word).clause;
  const first = cue.parts[0] as CueWord[];
  if (!matchesAt(words, at, first, clause)) return false;
  if (cue.parts.length === 1) return true;
  // A later part starts up to MAX_CUE_GAP words after the end of the one before it.
  const rest = (part: number, from: number): boolean => {
    const cueWords = cue.parts[part] as CueWord[];
    for (let start = from; start <= from + MAX_CUE_GAP; start++) {
      if (words[start]?.clause !== clause) return false;
      if (!matchesAt(words, start, cueWords, clause)) continue;
      if (part === cue.parts.length - 1 || rest(part + 1, start + cueWords.length)) return true;
    }
    return false;
  };
  return rest(1, at + first.length);
}

/**
 * A negation up to `reach` words back, in the same clause and not behind a conjunction or a preposition,
 * governs the word at `at`: "I don't want to get charged twice" is not a double charge, but "it wasn't for
 * me and I cancelled" is a cancellation.
 */
export function negatedAt(words: readonly Word[], at: number, reach = NEGATION_REACH): boolean {
  const clause = words[at]?.clause;
  for (let k = at - 1; k >= Math.max(0, at - reach); k--) {
    const w = words[k] as Word;
    if (w.clause !== clause || NEGATION_STOPS.has(w.normal)) return false;
    if (NEGATIONS.has(w.normal)) return true;
  }
  return false;
}

interface Indexed {
  readonly cue: Cue;
  readonly owner: string;
}

/** The cue phrases of several owners (atoms, outcomes, signals). */
export class CueIndex {
  /**
   * Phrases by their first word (exact), by its first three letters (a first word written `cancel*`), and
   * those starting with a number (`#`): a ticket is scanned once, each word trying only the phrases that
   * can start with it.
   */
  private readonly byWord = new Map<string, Indexed[]>();
  private readonly byPrefix = new Map<string, Indexed[]>();
  private readonly byNumber: Indexed[] = [];

  add(owner: string, phrases: readonly string[]): void {
    for (const phrase of phrases) {
      const cue = compileCue(phrase);
      const first = cue.parts[0]?.[0];
      if (first === undefined) continue;
      const entry = { cue, owner };
      if (first.number === true) this.byNumber.push(entry);
      else {
        const [map, key] = first.prefix ? [this.byPrefix, first.text.slice(0, 3)] : [this.byWord, first.text];
        const list = map.get(key) ?? [];
        list.push(entry);
        map.set(key, list);
      }
    }
  }

  /** owner -> the distinct phrases of it found (not negated), in the order found. */
  find(words: readonly Word[]): Map<string, string[]> {
    const found = new Map<string, string[]>();
    const none: Indexed[] = [];
    words.forEach((word, at) => {
      const starting = [
        this.byWord.get(word.normal) ?? none,
        this.byPrefix.get(word.normal.slice(0, 3)) ?? none,
        isNumber(word) ? this.byNumber : none,
      ];
      for (const candidates of starting) {
        for (const { cue, owner } of candidates) {
          if (!matchCue(words, at, cue)) continue;
          // A phrase that starts with its own negation ("never signed up") is not cancelled by it.
          if (!NEGATIONS.has(word.normal) && negatedAt(words, at)) continue;
          const phrases = found.get(owner) ?? [];
          if (!phrases.includes(cue.phrase)) phrases.push(cue.phrase);
          found.set(owner, phrases);
        }
      }
    });
    return found;
  }
}
