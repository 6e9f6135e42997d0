/**
 * Minimal typings for wink-naive-bayes-text-classifier 2.2.1, which ships none. Only what the ticket
 * classifier calls is declared; inputs are token arrays because the classifier prepares its own features
 * (no prep tasks are defined, so the library passes the tokens through untouched).
 */
declare module 'wink-naive-bayes-text-classifier' {
  interface NaiveBayesConfig {
    /** true: a token counts once per document (binarised model). */
    considerOnlyPresence?: boolean;
    /** Additive smoothing, 0..1. */
    smoothingFactor?: number;
  }

  interface NaiveBayesTextClassifier {
    defineConfig(config: NaiveBayesConfig): boolean;
    learn(tokens: readonly string[], label: string): boolean;
    consolidate(): boolean;
    /** [label, log2 odds of the label against all others], best first; [['unknown', 0]] when no token is known. */
    computeOdds(tokens: readonly string[]): Array<[string, number]>;
    predict(tokens: readonly string[]): string;
    exportJSON(): string;
    importJSON(json: string): boolean;
  }

  function naiveBayesTextClassifier(): NaiveBayesTextClassifier;
  export default naiveBayesTextClassifier;
}
