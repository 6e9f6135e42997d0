/**
 * Stripe's wire encoding for parameters: `a[b][0][c]=v` in form bodies (POST) and query strings (GET,
 * DELETE). Parsed into nested objects; objects whose keys are all indices become arrays, `a[]=v` appends.
 * Values stay strings, as on the wire: the endpoint schemas coerce them.
 */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

export class FormParseError extends Error {
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
  }
}

function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open === -1) return [key];
  const parts = [key.slice(0, open)];
  const re = /\[([^[\]]*)\]/gy;
  re.lastIndex = open;
  let m: RegExpExecArray | null = re.exec(key);
  while (m !== null) {
    parts.push(m[1] ?? '');
    if (re.lastIndex === key.length) return parts;
    m = re.exec(key);
  }
  throw new FormParseError(`Invalid parameter name: ${key}`, key);
}

const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

export function parseForm(encoded: string): FormObject {
  const root: FormObject = {};
  if (encoded === '') return root;
  for (const [key, value] of new URLSearchParams(encoded)) {
    const parts = splitKey(key);
    let node: { [key: string]: FormValue } = root;
    for (let i = 0; i < parts.length; i++) {
      let part = parts[i] as string;
      if (FORBIDDEN.has(part)) throw new FormParseError(`Invalid parameter name: ${key}`, key);
      const last = i === parts.length - 1;
      if (part === '') {
        // `a[]=v`: next free index.
        part = String(Object.keys(node).length);
      }
      if (last) {
        node[part] = value;
      } else {
        const existing = node[part];
        if (existing === undefined) {
          const child: { [key: string]: FormValue } = {};
          node[part] = child;
          node = child;
        } else if (typeof existing === 'string') {
          throw new FormParseError(`Invalid parameter: ${key} conflicts with a scalar value`, key);
        } else {
          node = existing as { [key: string]: FormValue };
        }
      }
    }
  }
  return arrayify(root) as FormObject;
}

function arrayify(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  for (const k of keys) value[k] = arrayify(value[k] as FormValue);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => value[String(k)] as FormValue);
  }
  return value;
}

/** Canonical text of parsed params, for comparing idempotent requests regardless of key order. */
export function canonicalParams(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalParams).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalParams(obj[k])}`)
    .join(',')}}`;
}
