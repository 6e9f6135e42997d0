import {
  type AtomId,
  type ClassifierSettings,
  type Outcome,
  type Precedence,
  UNCLASSIFIED,
} from '../taxonomy.js';

/**
 * From the model's scores, the cue phrases and the signals found to one outcome: the precedence rules
 * (the taxonomy's tie-break rules in machine-readable form) settle close calls, and what the model is not
 * sure enough of is unclassified.
 */

export interface Scored {
  readonly outcome: Outcome;
  /** The model's score (natural log scale). */
  readonly score: number;
  /** The outcome's own cue phrases found in the ticket. */
  readonly cues: string[];
}

export type Decision =
  | {
      readonly kind: 'atom';
      readonly winner: Scored;
      readonly confidence: number;
      /** The precedence rule that handed the winner the lead, if one did. */
      readonly rule: Precedence | null;
    }
  | {
      readonly kind: 'unclassified';
      readonly reason: 'no_evidence' | 'low_confidence';
      /** The best atom's confidence (0 when no atom was scored). */
      readonly confidence: number;
      /** What led: `unclassified` itself, or the atom that was not sure enough. */
      readonly leader: Scored;
      /** The best atom. */
      readonly guess: Scored | null;
      readonly rule: Precedence | null;
      /** Why, for evidence. */
      readonly why: string;
    };

export type DecisionSettings = Pick<
  ClassifierSettings,
  'confidenceThreshold' | 'noCueConfidenceThreshold' | 'ruleMargin' | 'temperature'
>;

/** Probabilities from scores: the softmax of score / temperature. */
function softmax(ranked: readonly Scored[], temperature: number): Map<Outcome, number> {
  const top = ranked[0]?.score ?? 0;
  const weights = ranked.map((s) => Math.exp((s.score - top) / temperature));
  const sum = weights.reduce((a, b) => a + b, 0);
  return new Map(ranked.map((s, i) => [s.outcome, (weights[i] as number) / sum]));
}

/**
 * Rules apply in file order to the current leader. A rule hands the lead to the best-scored atom of its
 * `prefer` list that has a cue phrase of its own, when the leader is in its `over` list, its `when`
 * signals are all present and none of its `unless` signals, and the model's call between the two is close
 * (the leader scores at most `ruleMargin` above): the model has learned most tie-breaks from the examples,
 * the rules settle the ones it cannot tell apart. The confidence of a rule's choice is the two atoms'
 * share together: the rule chose between them.
 */
function applyPrecedence(
  ranked: readonly Scored[],
  share: ReadonlyMap<Outcome, number>,
  signals: ReadonlySet<string>,
  precedence: readonly Precedence[],
  margin: number,
): { leader: Scored; confidence: number; rule: Precedence | null } {
  let leader = ranked[0] as Scored;
  let confidence = share.get(leader.outcome) ?? 0;
  let rule: Precedence | null = null;
  for (const p of precedence) {
    const overridable =
      p.over === '*' ? leader.outcome !== UNCLASSIFIED : p.over.includes(leader.outcome as AtomId);
    if (!overridable || !p.when.every((s) => signals.has(s)) || p.unless.some((s) => signals.has(s)))
      continue;
    const lead = leader;
    const challenger = ranked.find(
      (s) => s.outcome !== lead.outcome && p.prefer.includes(s.outcome) && s.cues.length > 0,
    );
    if (challenger === undefined || (!p.always && lead.score - challenger.score > margin)) continue;
    confidence = Math.min(1, confidence + (share.get(challenger.outcome) ?? 0));
    leader = challenger;
    rule = p;
  }
  return { leader, confidence, rule };
}

export function decide(
  scores: ReadonlyMap<Outcome, number>,
  outcomes: readonly Outcome[],
  cues: ReadonlyMap<string, readonly string[]>,
  signals: ReadonlySet<string>,
  precedence: readonly Precedence[],
  settings: DecisionSettings,
): Decision {
  // Stable sort: equal scores keep taxonomy order.
  const ranked = outcomes
    .map(
      (outcome): Scored => ({
        outcome,
        score: scores.get(outcome) ?? 0,
        cues: [...(cues.get(outcome) ?? [])],
      }),
    )
    .sort((a, b) => b.score - a.score);
  const share = softmax(ranked, settings.temperature);
  const { leader, confidence, rule } = applyPrecedence(
    ranked,
    share,
    signals,
    precedence,
    settings.ruleMargin,
  );

  if (leader.outcome === UNCLASSIFIED) {
    const guess = ranked.find((s) => s.outcome !== UNCLASSIFIED) ?? null;
    return {
      kind: 'unclassified',
      reason: 'no_evidence',
      confidence: guess === null ? 0 : (share.get(guess.outcome) ?? 0),
      leader,
      guess,
      rule,
      why: 'the model places it in none of the atoms',
    };
  }
  if (leader.cues.length === 0 && confidence < settings.noCueConfidenceThreshold) {
    return {
      kind: 'unclassified',
      reason: 'no_evidence',
      confidence,
      leader,
      guess: leader,
      rule,
      why: `no cue phrase of ${leader.outcome}, and the model alone is not sure enough`,
    };
  }
  if (confidence < settings.confidenceThreshold)
    return {
      kind: 'unclassified',
      reason: 'low_confidence',
      confidence,
      leader,
      guess: leader,
      rule,
      why: 'confidence below the threshold',
    };
  return { kind: 'atom', winner: leader, confidence, rule };
}
