import { adfToText, MEDIA_MARKER } from '../adf.js';
import type { Ticket } from '../ticket.js';

/** Summaries are a line; anything longer is pasted content and is cut like a long description. */
const MAX_SUMMARY_CHARS = 1_000;

export type TicketText =
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

/**
 * The ticket's text (the description as plain text or ADF), cut to bounded lengths so a huge ticket costs
 * no more than a long one.
 */
export function readTicket(ticket: Ticket, maxDescriptionChars: number): TicketText {
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
