import { describe, expect, it } from 'vitest';
import { type DecisionSettings, decide } from '../../../shared/tickets/classifier/decision.js';
import type { Precedence } from '../../../shared/tickets/taxonomy.js';

// The decision on made-up scores: what the precedence rules and the thresholds do, apart from any model.

const OUTCOMES = ['ordering-duplicate', 'ghost-subscription', 'refund-dispute', 'unclassified'];
const SETTINGS: DecisionSettings = {
  confidenceThreshold: 0.5,
  noCueConfidenceThreshold: 0.6,
  ruleMargin: 0.5,
  temperature: 1,
};

const rule = (changes: Partial<Precedence> = {}): Precedence => ({
  rule: 6,
  prefer: ['ordering-duplicate'],
  over: ['ghost-subscription'],
  when: ['same-thing-twice'],
  unless: [],
  always: false,
  why: 'two of the same thing is a duplicate',
  ...changes,
});

const scores = (entries: Record<string, number>) => new Map(Object.entries(entries));
const cues = (entries: Record<string, string[]>) => new Map(Object.entries(entries));
const BOTH_CUED = cues({
  'ordering-duplicate': ['charged twice'],
  'ghost-subscription': ["don't recognise"],
});

describe('decide', () => {
  it('gives the best-scored atom when no rule applies, with its softmax share as the confidence', () => {
    const d = decide(
      scores({ 'ghost-subscription': 3, 'ordering-duplicate': 1 }),
      OUTCOMES,
      BOTH_CUED,
      new Set(),
      [rule()],
      SETTINGS,
    );
    expect(d).toMatchObject({ kind: 'atom', winner: { outcome: 'ghost-subscription' }, rule: null });
    if (d.kind !== 'atom') throw new Error('unreachable');
    expect(d.confidence).toBeCloseTo(Math.exp(3) / (Math.exp(3) + Math.exp(1) + 2), 6);
  });

  it('lets a rule settle a close call: the preferred atom wins, with both shares as its confidence', () => {
    const d = decide(
      scores({ 'ghost-subscription': 2.3, 'ordering-duplicate': 2 }),
      OUTCOMES,
      BOTH_CUED,
      new Set(['same-thing-twice']),
      [rule()],
      SETTINGS,
    );
    expect(d).toMatchObject({ kind: 'atom', winner: { outcome: 'ordering-duplicate' }, rule: { rule: 6 } });
    if (d.kind !== 'atom') throw new Error('unreachable');
    const sum = Math.exp(2.3) + Math.exp(2) + 2;
    expect(d.confidence).toBeCloseTo((Math.exp(2.3) + Math.exp(2)) / sum, 6);
  });

  it('does not let a rule overturn a call the model is sure of (beyond the margin)', () => {
    const d = decide(
      scores({ 'ghost-subscription': 4, 'ordering-duplicate': 2 }),
      OUTCOMES,
      BOTH_CUED,
      new Set(['same-thing-twice']),
      [rule()],
      SETTINGS,
    );
    expect(d).toMatchObject({ kind: 'atom', winner: { outcome: 'ghost-subscription' }, rule: null });
  });

  it('applies a rule marked `always` however sure the model is (a dispute always wins)', () => {
    const dispute = rule({
      rule: 1,
      prefer: ['refund-dispute'],
      over: '*',
      when: ['dispute-filed'],
      always: true,
    });
    const d = decide(
      scores({ 'ordering-duplicate': 6, 'refund-dispute': 0 }),
      OUTCOMES,
      cues({ 'ordering-duplicate': ['charged twice'], 'refund-dispute': ['chargeback*'] }),
      new Set(['dispute-filed']),
      [dispute],
      SETTINGS,
    );
    expect(d).toMatchObject({ kind: 'atom', winner: { outcome: 'refund-dispute' }, rule: { rule: 1 } });
  });

  it('needs the preferred atom to have a cue phrase of its own, every `when` signal, and no `unless` one', () => {
    const close = scores({ 'ghost-subscription': 2.3, 'ordering-duplicate': 2 });
    const twice = new Set(['same-thing-twice']);
    const noCue = cues({ 'ghost-subscription': ["don't recognise"] });
    expect(decide(close, OUTCOMES, noCue, twice, [rule()], SETTINGS)).toMatchObject({ rule: null });
    expect(decide(close, OUTCOMES, BOTH_CUED, new Set(), [rule()], SETTINGS)).toMatchObject({ rule: null });
    const unless = rule({ unless: ['not-recognised'] });
    expect(
      decide(close, OUTCOMES, BOTH_CUED, new Set([...twice, 'not-recognised']), [unless], SETTINGS),
    ).toMatchObject({ rule: null });
  });

  it('says no_evidence when the model places the ticket in none of the atoms', () => {
    const d = decide(
      scores({ unclassified: 5, 'refund-dispute': 1 }),
      OUTCOMES,
      cues({}),
      new Set(),
      [],
      SETTINGS,
    );
    expect(d).toMatchObject({
      kind: 'unclassified',
      reason: 'no_evidence',
      leader: { outcome: 'unclassified' },
      guess: { outcome: 'refund-dispute' },
    });
  });

  it('places an atom with no cue phrase of its own only above the stricter threshold', () => {
    const sure = decide(scores({ 'refund-dispute': 6 }), OUTCOMES, cues({}), new Set(), [], SETTINGS);
    expect(sure).toMatchObject({ kind: 'atom', winner: { outcome: 'refund-dispute' } });
    // 0.55 is above the threshold (0.5) but below the one for an atom without cue phrases (0.6).
    const share = 0.55;
    const score = Math.log((share * 3) / (1 - share));
    const unsure = decide(scores({ 'refund-dispute': score }), OUTCOMES, cues({}), new Set(), [], SETTINGS);
    expect(unsure).toMatchObject({
      kind: 'unclassified',
      reason: 'no_evidence',
      guess: { outcome: 'refund-dispute' },
    });
    if (unsure.kind !== 'unclassified') throw new Error('unreachable');
    expect(unsure.confidence).toBeCloseTo(share, 6);
    const cued = decide(
      scores({ 'refund-dispute': score }),
      OUTCOMES,
      cues({ 'refund-dispute': ['refund*'] }),
      new Set(),
      [],
      SETTINGS,
    );
    expect(cued).toMatchObject({ kind: 'atom', winner: { outcome: 'refund-dispute' } });
  });

  it('says low_confidence below the threshold, naming its best guess', () => {
    const d = decide(
      scores({ 'refund-dispute': 1, 'ordering-duplicate': 1 }),
      OUTCOMES,
      cues({ 'refund-dispute': ['refund*'], 'ordering-duplicate': ['twice'] }),
      new Set(),
      [],
      SETTINGS,
    );
    // Equal scores keep the taxonomy's order: ordering-duplicate comes first.
    expect(d).toMatchObject({
      kind: 'unclassified',
      reason: 'low_confidence',
      guess: { outcome: 'ordering-duplicate' },
    });
  });
});
