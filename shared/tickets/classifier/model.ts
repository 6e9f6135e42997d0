import type { Outcome } from '../taxonomy.js';
import type { Features } from './features.js';

/**
 * The model that ranks the outcomes: a linear softmax (multinomial logistic regression) over a ticket's
 * features, trained at load on the taxonomy's examples.
 *
 * A ticket is a vector of its features, each valued 1 + ln(count) and the whole scaled to unit length (a
 * long ticket does not shout louder than a short one). The score of an outcome is the sum of its weights
 * for the ticket's features plus its bias; the scores' softmax is the model's probability. Training is
 * stochastic gradient descent with L2 regularisation, visiting the examples in a fixed interleaved order
 * with a decaying step: no randomness, so the same examples always give the same weights.
 *
 * Explainable: a feature's part in a score is its weight times its value, so the features that weighed most
 * for an outcome can be listed.
 */

export interface ModelSettings {
  /** L2 penalty on the weights (per step, on the features of the example). */
  readonly regularization: number;
  /** Passes over the examples. */
  readonly epochs: number;
  /** Step size of the first pass; pass e uses learningRate / (1 + e / 5). */
  readonly learningRate: number;
}

export interface TrainingExample {
  readonly features: Features;
  readonly outcome: Outcome;
}

interface Vector {
  readonly ids: Int32Array;
  readonly values: Float64Array;
}

/** Biases move at a tenth of the weights' pace: they only settle the outcomes' base rates. */
const BIAS_RATE = 0.1;

/** The smallest stride from 7919 up that visits all n examples once per pass. */
function strideFor(n: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let stride = 7919;
  while (gcd(stride, n) !== 1) stride++;
  return stride;
}

export class LinearModel {
  private constructor(
    readonly outcomes: readonly Outcome[],
    private readonly index: ReadonlyMap<string, number>,
    /** Feature names by id. */
    private readonly names: readonly string[],
    private readonly weights: Float64Array,
    private readonly bias: Float64Array,
  ) {}

  static train(
    examples: readonly TrainingExample[],
    outcomes: readonly Outcome[],
    settings: ModelSettings,
  ): LinearModel {
    const index = new Map<string, number>();
    for (const e of examples)
      for (const f of e.features.counts.keys()) if (!index.has(f)) index.set(f, index.size);
    const classes = outcomes.length;
    const model = new LinearModel(
      outcomes,
      index,
      [...index.keys()],
      new Float64Array(index.size * classes),
      new Float64Array(classes),
    );
    const outcomeIndex = new Map(outcomes.map((o, i) => [o, i]));
    const data = examples.map((e) => ({
      x: model.vector(e.features),
      y: outcomeIndex.get(e.outcome) as number,
    }));
    const n = data.length;
    if (n === 0) return model;
    const { weights: w, bias: b } = model;
    const z = new Float64Array(classes);
    const gradient = new Float64Array(classes);
    const stride = strideFor(n);
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      const rate = settings.learningRate / (1 + epoch / 5);
      for (let j = 0; j < n; j++) {
        const { x, y } = data[(j * stride + epoch) % n] as (typeof data)[number];
        model.logits(x, z);
        let max = Number.NEGATIVE_INFINITY;
        for (let c = 0; c < classes; c++) max = Math.max(max, z[c] as number);
        let sum = 0;
        for (let c = 0; c < classes; c++) {
          z[c] = Math.exp((z[c] as number) - max);
          sum += z[c] as number;
        }
        for (let c = 0; c < classes; c++) {
          const g = (z[c] as number) / sum - (c === y ? 1 : 0);
          gradient[c] = g;
          b[c] = (b[c] as number) - rate * BIAS_RATE * g;
        }
        for (let k = 0; k < x.ids.length; k++) {
          const offset = (x.ids[k] as number) * classes;
          const v = x.values[k] as number;
          for (let c = 0; c < classes; c++) {
            const wi = w[offset + c] as number;
            w[offset + c] = wi - rate * ((gradient[c] as number) * v + settings.regularization * wi);
          }
        }
      }
    }
    return model;
  }

  /** The known features of a ticket as a unit vector (values 1 + ln count). */
  private vector(features: Features): Vector {
    const ids: number[] = [];
    const values: number[] = [];
    for (const [feature, count] of features.counts) {
      const id = this.index.get(feature);
      if (id === undefined || count <= 0) continue;
      ids.push(id);
      values.push(1 + Math.log(count));
    }
    const norm = Math.sqrt(values.reduce((s, v) => s + v * v, 0)) || 1;
    return { ids: Int32Array.from(ids), values: Float64Array.from(values, (v) => v / norm) };
  }

  private logits(x: Vector, into: Float64Array): void {
    const classes = this.outcomes.length;
    for (let c = 0; c < classes; c++) into[c] = this.bias[c] as number;
    for (let k = 0; k < x.ids.length; k++) {
      const offset = (x.ids[k] as number) * classes;
      const v = x.values[k] as number;
      for (let c = 0; c < classes; c++)
        into[c] = (into[c] as number) + (this.weights[offset + c] as number) * v;
    }
  }

  /** The outcomes' scores (natural log scale), or null when the model knows none of the features. */
  scores(features: Features): Map<Outcome, number> | null {
    const x = this.vector(features);
    if (x.ids.length === 0) return null;
    const z = new Float64Array(this.outcomes.length);
    this.logits(x, z);
    return new Map(this.outcomes.map((o, c) => [o, z[c] as number]));
  }

  /**
   * The features that raised `outcome`'s score above the average outcome's, strongest first (ties by name):
   * what evidence shows as the words that weighed most.
   */
  strongest(features: Features, outcome: Outcome): string[] {
    const c = this.outcomes.indexOf(outcome);
    const classes = this.outcomes.length;
    if (c < 0) return [];
    const x = this.vector(features);
    const parts: Array<{ feature: string; part: number }> = [];
    for (let k = 0; k < x.ids.length; k++) {
      const offset = (x.ids[k] as number) * classes;
      let mean = 0;
      for (let o = 0; o < classes; o++) mean += (this.weights[offset + o] as number) / classes;
      const part = ((this.weights[offset + c] as number) - mean) * (x.values[k] as number);
      if (part > 0) parts.push({ feature: this.names[x.ids[k] as number] as string, part });
    }
    return parts.sort((a, b) => b.part - a.part || (a.feature < b.feature ? -1 : 1)).map((p) => p.feature);
  }
}
