import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * A ticket taxonomy version (shared/tickets/taxonomy/<version>.yaml): the molecules and atoms with their
 * definitions and cue phrases, the tie-break rules as reviewed text and as precedence rules the classifier
 * applies, the classifier's settings and the labelled examples it is trained on. One file per version,
 * reviewed as one; this module loads one and checks that it holds together.
 */

/** The outcome for a ticket that belongs to no atom, or that cannot be placed with confidence. */
export const UNCLASSIFIED = 'unclassified';

/** Atom and molecule ids are defined by the taxonomy version, so they are strings checked at load. */
export type AtomId = string;
export type MoleculeId = string;
export type Outcome = AtomId | typeof UNCLASSIFIED;

const Id = z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'expected a kebab-case id');
/**
 * A cue phrase: words as a ticket would write them; `cancel*` is any word starting with "cancel" (at least
 * three letters before the star); `#` is any number; `...` stands for up to a few words in between.
 */
const Cue = z
  .string()
  .trim()
  .min(2)
  .refine((cue) => !/(^|[^\p{L}])\p{L}{0,2}\*/u.test(cue), 'a word ending in * needs at least three letters');

export const Molecule = z.strictObject({ id: Id, name: z.string().min(1) });
export type Molecule = z.infer<typeof Molecule>;

export const Atom = z.strictObject({
  id: Id,
  molecule: Id,
  definition: z.string().min(1),
  cues: z.array(Cue).min(1),
});
export type Atom = z.infer<typeof Atom>;

/** A named group of cue phrases that precedence rules test for (e.g. "a dispute has been filed"). */
export const Signal = z.strictObject({ id: Id, description: z.string().min(1), cues: z.array(Cue).min(1) });
export type Signal = z.infer<typeof Signal>;

export const TieBreakRule = z.strictObject({ id: z.number().int().min(1), text: z.string().min(1) });

/**
 * The machine-readable form of a tie-break rule. When the leading atom is in `over`, every `when` signal is
 * present, no `unless` signal is, and an atom of `prefer` has evidence of its own (one of its cue phrases),
 * the best-scored such atom takes the lead. Rules apply in file order, so a rule that must always win (a
 * dispute) comes last.
 */
export const Precedence = z.strictObject({
  rule: z.number().int().min(1),
  prefer: z.array(Id).min(1),
  /** Atoms this rule overrides; `'*'` is every atom (but not unclassified). */
  over: z.union([z.literal('*'), z.array(Id).min(1)]),
  when: z.array(Id).default([]),
  unless: z.array(Id).default([]),
  /**
   * The rule applies however sure the model is of the leader (a dispute always wins); other rules only
   * settle close calls (the classifier's `ruleMargin`).
   */
  always: z.boolean().default(false),
  why: z.string().min(1),
});
export type Precedence = z.infer<typeof Precedence>;

export const ClassifierSettings = z.strictObject({
  /** Below this confidence (0..1) the outcome is unclassified/low_confidence. */
  confidenceThreshold: z.number().min(0).max(1),
  /**
   * An atom none of whose own cue phrases is in the ticket needs at least this confidence, else the ticket
   * is unclassified/no_evidence: the model alone also finds "billing" in tickets about something else.
   */
  noCueConfidenceThreshold: z.number().min(0).max(1),
  /**
   * A precedence rule hands the lead to its preferred atom only when the model scores the leader at most
   * this much above it (natural log scale): the rules settle close calls, not ones the model is sure of.
   */
  ruleMargin: z.number().min(0),
  /** At most this many cue phrases of one atom count towards its cue feature. */
  maxCuesPerAtom: z.number().int().min(1),
  /** Softmax temperature turning the model's scores into a confidence. */
  temperature: z.number().positive(),
  /** The summary's features count this many times (a summary is the ticket's ask in a few words). */
  summaryWeight: z.number().int().min(1),
  /** The model's L2 penalty. */
  regularization: z.number().min(0),
  /** The model's passes over the examples when it is trained at load. */
  epochs: z.number().int().min(1).max(500),
  /** The model's first step size. */
  learningRate: z.number().positive(),
  /** Characters of the description read; the rest is ignored and the result says `truncated`. */
  maxDescriptionChars: z.number().int().min(1000),
  /**
   * A ticket whose function words of other languages outnumber its English stop words by more than this
   * factor is treated as not English (mixed tickets, English with a few German words, are read).
   */
  nonEnglishRatio: z.number().min(1),
  /** A text needs at least this many words before its language is judged. */
  minWordsForLanguage: z.number().int().min(1),
});
export type ClassifierSettings = z.infer<typeof ClassifierSettings>;

export const Example = z.strictObject({
  key: z.string().min(1),
  atom: Id,
  summary: z.string(),
  description: z.string(),
});
export type Example = z.infer<typeof Example>;

export const Taxonomy = z
  .strictObject({
    version: z.string().regex(/^v\d+$/),
    notes: z.string().min(1),
    molecules: z.array(Molecule).min(1),
    atoms: z.array(Atom).min(1),
    unclassified: z.strictObject({ definition: z.string().min(1), cues: z.array(Cue).min(1) }),
    signals: z.array(Signal),
    tieBreakRules: z.array(TieBreakRule).min(1),
    precedence: z.array(Precedence),
    classifier: ClassifierSettings,
    examples: z.array(Example).min(1),
  })
  .superRefine((t, ctx) => {
    const problem = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    const unique = (ids: string[], path: string) => {
      const seen = new Set<string>();
      ids.forEach((id, i) => {
        if (seen.has(id)) problem([path, i, 'id'], `duplicate id ${id}`);
        seen.add(id);
      });
    };
    unique(
      t.molecules.map((m) => m.id),
      'molecules',
    );
    unique(
      t.atoms.map((a) => a.id),
      'atoms',
    );
    unique(
      t.signals.map((s) => s.id),
      'signals',
    );

    const molecules = new Set(t.molecules.map((m) => m.id));
    const atoms = new Set(t.atoms.map((a) => a.id));
    const signals = new Set(t.signals.map((s) => s.id));
    const rules = new Set(t.tieBreakRules.map((r) => r.id));
    if (atoms.has(UNCLASSIFIED)) problem(['atoms'], `"${UNCLASSIFIED}" is an outcome, not an atom`);
    t.atoms.forEach((a, i) => {
      if (!molecules.has(a.molecule)) problem(['atoms', i, 'molecule'], `unknown molecule ${a.molecule}`);
    });
    t.molecules.forEach((m, i) => {
      if (!t.atoms.some((a) => a.molecule === m.id))
        problem(['molecules', i], `molecule ${m.id} has no atoms`);
    });
    t.precedence.forEach((p, i) => {
      if (!rules.has(p.rule)) problem(['precedence', i, 'rule'], `no tie-break rule ${p.rule}`);
      for (const id of [...p.prefer, ...(p.over === '*' ? [] : p.over)])
        if (!atoms.has(id)) problem(['precedence', i], `unknown atom ${id}`);
      for (const id of [...p.when, ...p.unless])
        if (!signals.has(id)) problem(['precedence', i], `unknown signal ${id}`);
    });
    const cueLists: Array<[(string | number)[], string[]]> = [
      ...t.atoms.map((a, i): [(string | number)[], string[]] => [['atoms', i, 'cues'], a.cues]),
      [['unclassified', 'cues'], t.unclassified.cues],
      ...t.signals.map((g, i): [(string | number)[], string[]] => [['signals', i, 'cues'], g.cues]),
    ];
    for (const [path, cues] of cueLists)
      cues.forEach((cue, i) => {
        if (cues.indexOf(cue) !== i) problem([...path, i], `duplicate cue phrase "${cue}"`);
      });
    t.examples.forEach((e, i) => {
      if (e.atom !== UNCLASSIFIED && !atoms.has(e.atom))
        problem(['examples', i, 'atom'], `unknown atom ${e.atom}`);
    });
    for (const id of [...atoms, UNCLASSIFIED])
      if (!t.examples.some((e) => e.atom === id)) problem(['examples'], `no example of ${id}`);
  });
export type Taxonomy = z.infer<typeof Taxonomy>;

export class TaxonomyError extends Error {
  override readonly name = 'TaxonomyError';
  constructor(
    message: string,
    readonly version: string,
    readonly kind: 'not_found' | 'invalid',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const TAXONOMY_DIR = new URL('./taxonomy/', import.meta.url);

/** The taxonomy versions shipped in shared/tickets/taxonomy/, oldest first (v2 before v10). */
export function listTaxonomyVersions(): string[] {
  return readdirSync(TAXONOMY_DIR)
    .map((name) => /^(v\d+)\.yaml$/.exec(name)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

/** Validates a parsed taxonomy document; `version` names it in errors. */
export function parseTaxonomy(document: unknown, version: string): Taxonomy {
  const parsed = Taxonomy.safeParse(document);
  if (!parsed.success) {
    const where = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new TaxonomyError(`taxonomy ${version} is invalid: ${where}`, version, 'invalid', {
      cause: parsed.error,
    });
  }
  if (parsed.data.version !== version)
    throw new TaxonomyError(
      `taxonomy file ${version} says version ${parsed.data.version}`,
      version,
      'invalid',
    );
  return parsed.data;
}

export function loadTaxonomy(version: string): Taxonomy {
  if (!listTaxonomyVersions().includes(version))
    throw new TaxonomyError(`no taxonomy ${version} in shared/tickets/taxonomy/`, version, 'not_found');
  let document: unknown;
  try {
    document = parseYaml(readFileSync(new URL(`${version}.yaml`, TAXONOMY_DIR), 'utf8'));
  } catch (cause) {
    throw new TaxonomyError(`taxonomy ${version} is not valid YAML`, version, 'invalid', { cause });
  }
  return parseTaxonomy(document, version);
}
