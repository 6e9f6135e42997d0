import escapeHtml from 'escape-html';

/**
 * HTML built only through this tag: every interpolated value is escaped unless it is already Html (made by
 * this tag or by `trusted` for markup this code generated, such as a chart's SVG). Audit reasons, account
 * ids and search text are data, never markup (docs/support.md, "Read-only").
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Markup this program generated itself (never caller text). */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** A query string from parameters, each value encoded. */
export function query(params: Readonly<Record<string, string | number | undefined>>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v));
  const s = search.toString();
  return s === '' ? '' : `?${s}`;
}
