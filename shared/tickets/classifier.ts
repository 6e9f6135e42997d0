import model from 'wink-eng-lite-web-model';
import naiveBayes from 'wink-naive-bayes-text-classifier';
import winkNLP, { type WinkMethods } from 'wink-nlp';
import { CLOUDFLARE_ACCOUNT_ID, mergeAccountIds } from './account-ids.js';
import { adfToText, MEDIA_MARKER } from './adf.js';
import {
  type AtomId,
  type ClassifierSettings,
  type MoleculeId,
  type Outcome,
  type Precedence,
  type Taxonomy,
  UNCLASSIFIED,
} from './taxonomy.js';
import type { Ticket } from './ticket.js';

/**
 * The ticket classifier: places a ticket in one atom of a taxonomy version, or says why it is unclassified.
 *
 * How a ticket is decided:
 *  1. Its text is read (the description as plain text or ADF, the first `maxDescriptionChars` of it) and
 *     cleaned of noise that says nothing about the ask: ids, URLs, e-mails, domain names, stack frames.
 *  2. wink-nlp splits it into words with their stems; a ticket mostly written in another language stops here.
 *  3. Two kinds of evidence are scored per outcome (the atoms and `unclassified`): a naive Bayes model trained
 *     at load on the taxonomy's examples (word stems and adjacent pairs; log2 odds of the outcome against
 *     all others) and the taxonomy's cue phrases found in the ticket (a fixed weight per distinct phrase).
 *  4. The taxonomy's precedence rules (its tie-break rules in machine-readable form) may hand the lead to
 *     another atom with evidence of its own; a rule that decided is part of the evidence.
 *  5. The confidence is the softmax share of the winner (plus, when a rule decided, the share of the atom
 *     it overrode: the rule chose between the two). Below the threshold the ticket is unclassified.
 *
 * Deterministic: training and classification use no randomness, no clock, and break ties by taxonomy order.
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
/** Summaries are a line; anything longer is pasted content and is cut like a long description. */
const MAX_SUMMARY_CHARS = 1_000;
/** `...` in a cue phrase stands for at most this many words. */
const MAX_CUE_GAP = 3;
/** A negation this many words or fewer before a cue phrase (in the same clause) cancels it. */
const NEGATION_REACH = 5;

// ---------------------------------------------------------------- text -> words

/** A word of the ticket as the matcher and the model see it. */
interface Word {
  /** wink's normal form: lower case, contractions expanded (n't -> not). */
  readonly normal: string;
  readonly stem: string;
  /** An English stop word (wink's list). */
  readonly stop: boolean;
  /** Words in different clauses (split by . , ; : ! ? or a line break) never form a phrase. */
  readonly clause: number;
}

interface ReadText {
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

const CLAUSE_BREAKS = new Set(['.', ',', ';', ':', '!', '?', '(', ')', '[', ']']);

let wink: WinkMethods | undefined;
/** wink-nlp with only sentence splitting: tokens, stems and stop words need no tagger (4x faster). */
function nlp(): WinkMethods {
  wink ??= winkNLP(model, ['sbd']);
  return wink;
}

/** `text` as words; its clauses are numbered from `firstClause`, so texts read one after another never share one. */
function readText(text: string, firstClause = 0): ReadText {
  const cleaned = NOISE.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text);
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

// ---------------------------------------------------------------- language

/**
 * Function words of the other languages customers write in (Spanish, German, French, Portuguese, Italian,
 * Dutch), leaving out those that are also English words. Counting these against English stop words tells a
 * Spanish ticket from an English one with a few Spanish words ("Reembolso por favor ... Please refund"),
 * and terse English ("Stripe sub renewed, webhook failed") has few function words of either kind.
 */
const FOREIGN_FUNCTION_WORDS = new Set(
  (
    'el la los las del que y en por para con una es mi lo se al pero como está estoy qué hola gracias buenas ' +
    'favor tengo puedo der das und ich nicht mit für ist ein eine dem sie wir auf zu von wie kann bitte danke ' +
    'hallo guten meine mein habe ihr ihre keine le les des et est pour avec je vous nous sur pas dans bonjour ' +
    'merci não um uma com obrigado olá il che di sono grazie het een ik voor niet'
  ).split(' '),
);

/** Mostly another script (Japanese), or mostly another language's function words. */
function notEnglish(read: ReadText, settings: ClassifierSettings): boolean {
  if (read.letters >= 10 && read.nonLatinLetters / read.letters > 0.5) return true;
  const words = read.words.filter((w) => /\p{L}/u.test(w.normal));
  if (words.length < settings.minWordsForLanguage) return false;
  const english = words.filter((w) => w.stop).length;
  const foreign = words.filter((w) => FOREIGN_FUNCTION_WORDS.has(w.normal)).length;
  return foreign >= 3 && foreign > settings.nonEnglishRatio * english;
}

// ---------------------------------------------------------------- cue phrases

const NEGATIONS = new Set(['not', 'no', 'never', 'without', 'nothing', 'none', 'nobody', 'neither', 'nor']);
/**
 * Words that end a negation's reach: conjunctions start a new statement, prepositions a new object ("I don't
 * know [it]; on the same zone there are two").
 */
const NEGATION_STOPS = new Set([
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
  const parts = phrase.split('...').map((part) => {
    const cleaned = NOISE.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), part);
    const tokens = nlp().readDoc(cleaned).tokens();
    const { its } = nlp();
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

const isNumber = (word: Word): boolean => /^\d/.test(word.normal);

const wordMatches = (word: Word | undefined, cue: CueWord): boolean => {
  if (word === undefined) return false;
  if (cue.number === true) return isNumber(word);
  return cue.prefix ? word.normal.startsWith(cue.text) : word.normal === cue.text;
};

/** Where `cueWords` occur contiguously at `at` within one clause. */
function matchesAt(words: readonly Word[], at: number, cueWords: readonly CueWord[]): boolean {
  const clause = words[at]?.clause;
  return cueWords.every((c, k) => wordMatches(words[at + k], c) && words[at + k]?.clause === clause);
}

/** Whether `cue` matches starting at word `at`. */
function matchCue(words: readonly Word[], at: number, cue: Cue): boolean {
  const clause = words[at]?.clause;
  const next = (part: number, from: number): boolean => {
    const cueWords = cue.parts[part] as CueWord[];
    for (let start = from; start <= from + (part === 0 ? 0 : MAX_CUE_GAP); start++) {
      if (words[start]?.clause !== clause || !matchesAt(words, start, cueWords)) continue;
      if (part === cue.parts.length - 1 || next(part + 1, start + cueWords.length)) return true;
    }
    return false;
  };
  return next(0, at);
}

/**
 * A negation up to NEGATION_REACH words back, in the same clause and not behind a conjunction or a
 * preposition, cancels the phrase at `at`: "I don't want to get charged twice" is not a double charge, but "it wasn't for me
 * and I cancelled" is a cancellation.
 */
function negatedAt(words: readonly Word[], at: number): boolean {
  const clause = words[at]?.clause;
  for (let k = at - 1; k >= Math.max(0, at - NEGATION_REACH); k--) {
    const w = words[k] as Word;
    if (w.clause !== clause || NEGATION_STOPS.has(w.normal)) return false;
    if (NEGATIONS.has(w.normal)) return true;
  }
  return false;
}

/**
 * Cue phrases are indexed by the first three letters of their first word (`#` (quoted in YAML) for a number wildcard), so
 * a ticket is scanned once.
 */
const indexKey = (word: CueWord): string => (word.number === true ? '#' : word.text.slice(0, 3));

/** The cue phrases of several owners (atoms, outcomes, signals). */
class CueIndex {
  private readonly byKey = new Map<string, Array<{ cue: Cue; owner: string }>>();

  add(owner: string, phrases: readonly string[]): void {
    for (const phrase of phrases) {
      const cue = compileCue(phrase);
      const first = cue.parts[0]?.[0];
      if (first === undefined) continue;
      const key = indexKey(first);
      this.byKey.set(key, [...(this.byKey.get(key) ?? []), { cue, owner }]);
    }
  }

  /** owner -> the distinct phrases of it found (not negated), in the order found. */
  find(words: readonly Word[]): Map<string, string[]> {
    const found = new Map<string, string[]>();
    words.forEach((word, at) => {
      const candidates = [
        ...(this.byKey.get(word.normal.slice(0, 3)) ?? []),
        ...(isNumber(word) ? (this.byKey.get('#') ?? []) : []),
      ];
      for (const { cue, owner } of candidates) {
        if (!matchCue(words, at, cue)) continue;
        // A phrase that starts with its own negation ("never signed up") is not cancelled by it.
        if (!NEGATIONS.has(word.normal) && negatedAt(words, at)) continue;
        const phrases = found.get(owner) ?? [];
        if (!phrases.includes(cue.phrase)) phrases.push(cue.phrase);
        found.set(owner, phrases);
      }
    });
    return found;
  }
}

// ---------------------------------------------------------------- model features

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

interface Features {
  readonly tokens: string[];
  /** A feature's words as the ticket wrote them, for evidence. */
  readonly shown: Map<string, string>;
}

/** Word stems and adjacent pairs (within a clause), numbers left out. */
function featuresOf(words: readonly Word[], into: Features, times: number): void {
  const kept = words.filter((w) => /\p{L}/u.test(w.stem) && (!w.stop || MEANINGFUL_STOP_WORDS.has(w.normal)));
  kept.forEach((w, i) => {
    const prev = kept[i - 1];
    const add = (token: string, shown: string) => {
      for (let k = 0; k < times; k++) into.tokens.push(token);
      if (!into.shown.has(token)) into.shown.set(token, shown);
    };
    add(w.stem, w.normal);
    if (prev !== undefined && prev.clause === w.clause)
      add(`${prev.stem} ${w.stem}`, `${prev.normal} ${w.normal}`);
  });
}

// ---------------------------------------------------------------- reading a ticket

type ReadTicket =
  | {
      readonly ok: true;
      readonly summary: string;
      readonly description: string;
      readonly truncated: boolean;
      readonly unknownNodes: string[];
      /** The description has content (attachments, nodes we cannot read) but no text. */
      readonly textless: boolean;
    }
  | { readonly ok: false; readonly summary: string; readonly truncated: false; readonly detail: string };

/** The ticket's text, cut to bounded lengths so a huge ticket costs no more than a long one. */
function readTicket(ticket: Ticket, maxDescriptionChars: number): ReadTicket {
  const summary = ticket.summary.slice(0, MAX_SUMMARY_CHARS);
  const summaryCut = ticket.summary.length > MAX_SUMMARY_CHARS;
  if (ticket.description === null || typeof ticket.description === 'string') {
    const text = ticket.description ?? '';
    return {
      ok: true,
      summary,
      description: text.slice(0, maxDescriptionChars),
      truncated: summaryCut || text.length > maxDescriptionChars,
      unknownNodes: [],
      textless: false,
    };
  }
  const adf = adfToText(ticket.description, maxDescriptionChars);
  if (!adf.ok) return { ok: false, summary, truncated: false, detail: adf.detail };
  // The media marker tells a reader an attachment was there; it is not the customer's text.
  const text = adf.text.replaceAll(MEDIA_MARKER, ' ').trim();
  return {
    ok: true,
    summary,
    description: text.slice(0, maxDescriptionChars),
    truncated: summaryCut || adf.truncated || text.length > maxDescriptionChars,
    unknownNodes: adf.unknownNodes,
    textless: text === '' && (adf.text !== '' || adf.unknownNodes.length > 0),
  };
}

// ---------------------------------------------------------------- the classifier

interface Scored {
  readonly outcome: Outcome;
  readonly score: number;
  readonly cues: string[];
}

interface Decision {
  readonly winner: Scored;
  readonly confidence: number;
  readonly rule: Precedence | null;
}

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

  const ticketFeatures = (summary: readonly Word[], description: readonly Word[]): Features => {
    const features: Features = { tokens: [], shown: new Map() };
    featuresOf(summary, features, settings.summaryWeight);
    featuresOf(description, features, 1);
    return features;
  };

  // Training: one document per example; the cue phrases of each outcome as one more document of it.
  const model = naiveBayes();
  model.defineConfig({ considerOnlyPresence: false, smoothingFactor: settings.smoothing });
  const samples = new Map<string, number>();
  const learn = (tokens: string[], label: Outcome) => {
    model.learn(tokens, label);
    samples.set(label, (samples.get(label) ?? 0) + 1);
  };
  for (const example of taxonomy.examples) {
    learn(
      ticketFeatures(readText(example.summary).words, readText(example.description).words).tokens,
      example.atom,
    );
  }
  for (const atom of taxonomy.atoms)
    learn(ticketFeatures([], readText(atom.cues.join('.\n')).words).tokens, atom.id);
  learn(ticketFeatures([], readText(taxonomy.unclassified.cues.join('.\n')).words).tokens, UNCLASSIFIED);
  model.consolidate();

  // The prior part of the model's odds, to read one feature's own contribution off computeOdds([feature]).
  const total = [...samples.values()].reduce((a, b) => a + b, 0);
  const priorOdds = (label: Outcome) => {
    const n = samples.get(label) ?? 0;
    return Math.log2(n / total) - Math.log2((total - n) / total);
  };

  /**
   * The candidate outcomes scored, best first: `unclassified` and every atom with at least `minAtomCues` of
   * its cue phrases in the ticket (the model ranks, the cue phrases make an atom a candidate at all).
   * Empty when the ticket has neither a word the model knows nor a cue phrase.
   */
  const score = (features: Features, found: Map<string, string[]>): Scored[] => {
    const odds = new Map(model.computeOdds(features.tokens));
    // computeOdds answers [['unknown', 0]] when no feature is in the model's vocabulary.
    if (odds.has('unknown') && found.size === 0) return [];
    const scored = outcomes
      .map((outcome) => {
        const phrases = found.get(outcome) ?? [];
        return {
          outcome,
          score:
            (odds.get(outcome) ?? 0) + settings.cueWeight * Math.min(phrases.length, settings.maxCuesPerAtom),
          cues: phrases,
        };
      })
      .filter((s) => s.outcome === UNCLASSIFIED || s.cues.length >= settings.minAtomCues);
    // Stable sort: equal scores keep taxonomy order.
    return scored.sort((a, b) => b.score - a.score);
  };

  const softmax = (ranked: readonly Scored[]): Map<Outcome, number> => {
    const top = (ranked[0] as Scored).score;
    const weights = ranked.map((s) => 2 ** ((s.score - top) / settings.temperature));
    const sum = weights.reduce((a, b) => a + b, 0);
    return new Map(ranked.map((s, i) => [s.outcome, (weights[i] as number) / sum]));
  };

  const decide = (ranked: readonly Scored[], present: Map<string, string[]>): Decision => {
    const share = softmax(ranked);
    let leader = ranked[0] as Scored;
    let confidence = share.get(leader.outcome) ?? 0;
    let decidedBy: Precedence | null = null;
    for (const rule of taxonomy.precedence) {
      const overridable =
        rule.over === '*' ? leader.outcome !== UNCLASSIFIED : rule.over.includes(leader.outcome as AtomId);
      if (!overridable || !rule.when.every((s) => present.has(s)) || rule.unless.some((s) => present.has(s)))
        continue;
      const lead = leader;
      const challenger = ranked.find(
        (s) => s.outcome !== lead.outcome && rule.prefer.includes(s.outcome) && s.cues.length > 0,
      );
      if (challenger === undefined) continue;
      confidence = Math.min(1, confidence + (share.get(challenger.outcome) ?? 0));
      leader = challenger;
      decidedBy = rule;
    }
    return { winner: leader, confidence, rule: decidedBy };
  };

  /** The features that weighed most for `outcome`, shown as the ticket wrote them. */
  const strongestWords = (features: Features, outcome: Outcome, count: number): string[] => {
    const prior = priorOdds(outcome);
    return [...new Set(features.tokens)]
      .map((token) => {
        const odds = model.computeOdds([token]).find(([label]) => label === outcome);
        return { token, weight: odds === undefined ? 0 : odds[1] - prior };
      })
      .filter((c) => c.weight > 0)
      .sort((a, b) => b.weight - a.weight || (a.token < b.token ? -1 : 1))
      .slice(0, count)
      .map((c) => `word "${features.shown.get(c.token)}"`);
  };

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

    const summary = readText(read.summary);
    const description = readText(read.description, summary.nextClause);
    const all: ReadText = {
      words: [...summary.words, ...description.words],
      nextClause: description.nextClause,
      letters: summary.letters + description.letters,
      nonLatinLetters: summary.nonLatinLetters + description.nonLatinLetters,
    };
    if (notEnglish(all, settings))
      return result(UNCLASSIFIED, 0, 'non_english', ['mostly written in a language other than English']);

    const features = ticketFeatures(summary.words, description.words);
    const ranked = score(features, cues.find(all.words));
    if (ranked.length === 0)
      return result(UNCLASSIFIED, 0, 'no_evidence', ['no word or cue phrase the model knows']);
    const { winner, confidence, rule } = decide(ranked, signals.find(all.words));
    const evidence = [
      ...(rule === null ? [] : [`rule ${rule.rule}: ${rule.why}`]),
      ...winner.cues.slice(0, 4).map((phrase) => `cue "${phrase}"`),
    ];
    evidence.push(...strongestWords(features, winner.outcome, MAX_EVIDENCE - evidence.length));

    if (winner.outcome === UNCLASSIFIED) {
      const bestAtom = ranked.find((s) => s.outcome !== UNCLASSIFIED);
      if (bestAtom === undefined)
        return result(UNCLASSIFIED, 0, 'no_evidence', ['no cue phrase of any atom', ...evidence]);
      return result(UNCLASSIFIED, softmax(ranked).get(bestAtom.outcome) ?? 0, 'no_evidence', evidence);
    }
    if (confidence < settings.confidenceThreshold) {
      const guess = `best guess ${winner.outcome} (${confidence.toFixed(2)})`;
      return result(UNCLASSIFIED, confidence, 'low_confidence', [guess, ...evidence]);
    }
    return result(winner.outcome, confidence, null, evidence);
  };

  return { version: taxonomy.version, classify };
}
