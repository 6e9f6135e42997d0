import type { ClassifierSettings } from '../taxonomy.js';
import type { ReadText } from './text.js';

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
export function notEnglish(
  read: ReadText,
  settings: Pick<ClassifierSettings, 'minWordsForLanguage' | 'nonEnglishRatio'>,
): boolean {
  if (read.letters >= 10 && read.nonLatinLetters / read.letters > 0.5) return true;
  const words = read.words.filter((w) => /\p{L}/u.test(w.normal));
  if (words.length < settings.minWordsForLanguage) return false;
  const english = words.filter((w) => w.stop).length;
  const foreign = words.filter((w) => FOREIGN_FUNCTION_WORDS.has(w.normal)).length;
  return foreign >= 3 && foreign > settings.nonEnglishRatio * english;
}
