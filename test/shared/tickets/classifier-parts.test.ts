import { describe, expect, it } from 'vitest';
import { CueIndex } from '../../../shared/tickets/classifier/cues.js';
import { describeFeature, ticketFeatures } from '../../../shared/tickets/classifier/features.js';
import { notEnglish } from '../../../shared/tickets/classifier/language.js';
import { LinearModel } from '../../../shared/tickets/classifier/model.js';
import { readSummaryAndDescription, readText } from '../../../shared/tickets/classifier/text.js';

// The classifier's parts on their own (shared/tickets/classifier/): text, cue phrases, features, model.

const words = (text: string) => readText(text).words;

describe('readText', () => {
  it('cleans ids, URLs, e-mails and domains away and splits words into clauses', () => {
    const read = readText(
      'Charged twice for sub_1NvQx8 on example-shop.com, see https://x.io/a. Mail a@b.com',
    );
    expect(read.words.map((w) => w.normal)).toEqual(['charged', 'twice', 'for', 'on', 'see', 'mail']);
    const clauses = read.words.map((w) => w.clause);
    expect(clauses[3]).toBe(clauses[0]);
    expect(clauses[4]).toBeGreaterThan(clauses[3] as number);
  });

  it('numbers the description clauses after the summary', () => {
    const { summary, description } = readSummaryAndDescription('refund', 'please');
    expect((description.words[0]?.clause as number) > (summary.words[0]?.clause as number)).toBe(true);
  });
});

describe('notEnglish', () => {
  const settings = { minWordsForLanguage: 8, nonEnglishRatio: 2 };
  it('tells a Spanish ticket from an English one quoting a few Spanish words', () => {
    expect(
      notEnglish(
        readText(
          'Hola, no puedo entrar a mi cuenta desde ayer. ¿Me pueden ayudar por favor? Gracias por la ayuda.',
        ),
        settings,
      ),
    ).toBe(true);
    expect(
      notEnglish(
        readText('Reembolso por favor: I was charged twice for the same plan this month.'),
        settings,
      ),
    ).toBe(false);
  });
});

describe('CueIndex', () => {
  const index = new CueIndex();
  index.add('ordering-duplicate', ['charged twice', 'charged ... twice', 'duplicate*', '# subscriptions']);
  index.add('refund-dispute', ['dispute opened']);

  it('finds whole words, prefixes, numbers and phrases with a gap, each phrase once', () => {
    const found = index.find(
      words('Charged me for it twice. Duplicates everywhere: 2 subscriptions. Charged twice!'),
    );
    expect(found.get('ordering-duplicate')).toEqual([
      'charged ... twice',
      'duplicate*',
      '# subscriptions',
      'charged twice',
    ]);
  });

  it('never matches across clauses', () => {
    expect(index.find(words('I was charged. Twice I asked.')).size).toBe(0);
  });

  it('does not count a negated phrase, unless a conjunction or preposition ends the negation', () => {
    expect(index.find(words('No dispute opened, please refund one.')).has('refund-dispute')).toBe(false);
    expect(index.find(words("I don't want to be charged twice")).has('ordering-duplicate')).toBe(false);
    expect(index.find(words('Not sure why, but we were charged twice')).has('ordering-duplicate')).toBe(true);
  });
});

describe('ticketFeatures', () => {
  const settings = { summaryWeight: 2, maxCuesPerAtom: 3 };

  it('counts stems, pairs and negated words, the summary twice, cue phrases up to a cap, and signals', () => {
    const { summary, description } = readSummaryAndDescription('Upgrade not pending', 'The upgrade is paid');
    const cues = new Map([['entitlement-drift', ['a', 'b', 'c', 'd']]]);
    const f = ticketFeatures(
      summary.words,
      description.words,
      cues,
      new Map([['change-pending', ['x']]]),
      settings,
    );
    expect(f.counts.get('upgrad')).toBe(3);
    expect(f.counts.get('!pend')).toBe(2);
    expect(f.counts.has('pend')).toBe(false);
    expect(f.counts.get('upgrad paid')).toBe(1);
    // Pairs never span clauses (the summary and the description are different clauses).
    expect(f.counts.has('pend upgrad')).toBe(false);
    expect(f.counts.get('cue=entitlement-drift')).toBe(3);
    expect(f.counts.get('signal=change-pending')).toBe(1);
    expect(describeFeature('!pend', f)).toBe('word "not pending"');
    expect(describeFeature('signal=change-pending', f)).toBe('signal change-pending');
  });
});

describe('LinearModel', () => {
  const features = (...tokens: string[]) => ({
    counts: new Map(tokens.map((t) => [t, 1])),
    shown: new Map(tokens.map((t) => [t, t])),
  });
  const examples = [
    { features: features('twice', 'charg'), outcome: 'ordering-duplicate' },
    { features: features('duplic', 'charg'), outcome: 'ordering-duplicate' },
    { features: features('refund', 'money'), outcome: 'refund-dispute' },
    { features: features('refund', 'back'), outcome: 'refund-dispute' },
  ];
  const outcomes = ['ordering-duplicate', 'refund-dispute', 'unclassified'];
  const settings = { regularization: 0.001, epochs: 30, learningRate: 0.5 };

  it('learns which outcome a feature speaks for, and explains a score by its strongest features', () => {
    const model = LinearModel.train(examples, outcomes, settings);
    const scores = model.scores(features('twice', 'unknown-word')) as Map<string, number>;
    expect(scores.get('ordering-duplicate')).toBeGreaterThan(scores.get('refund-dispute') as number);
    expect(model.strongest(features('twice', 'refund'), 'ordering-duplicate')).toEqual(['twice']);
  });

  it('knows nothing of a ticket with none of its features', () => {
    expect(LinearModel.train(examples, outcomes, settings).scores(features('dns'))).toBeNull();
  });

  it('is deterministic: the same examples give the same scores', () => {
    const a = LinearModel.train(examples, outcomes, settings).scores(features('charg', 'refund'));
    const b = LinearModel.train(examples, outcomes, settings).scores(features('charg', 'refund'));
    expect(a).toEqual(b);
  });
});
