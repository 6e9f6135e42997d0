import { describe, expect, it } from 'vitest';
import { Html, html, query, trusted } from '../../../shared/console/html.js';

describe('html', () => {
  it.each([
    {
      name: 'a script tag',
      value: '<script>alert(1)</script>',
      out: '&lt;script&gt;alert(1)&lt;/script&gt;',
    },
    { name: 'double quotes', value: '" onmouseover="x', out: '&quot; onmouseover=&quot;x' },
    { name: 'single quotes', value: "' onfocus='x", out: '&#39; onfocus=&#39;x' },
    { name: 'an ampersand', value: 'a&b &amp; c', out: 'a&amp;b &amp;amp; c' },
    { name: 'a closing tag', value: '</p><img src=x>', out: '&lt;/p&gt;&lt;img src=x&gt;' },
    { name: 'a number', value: 42, out: '42' },
    { name: 'zero', value: 0, out: '0' },
    { name: 'true', value: true, out: 'true' },
    { name: 'false (dropped)', value: false, out: '' },
    { name: 'null (dropped)', value: null, out: '' },
    { name: 'undefined (dropped)', value: undefined, out: '' },
    { name: 'an empty string', value: '', out: '' },
  ])('escapes $name', ({ value, out }) => {
    const h = html`<p title="${value}">${value}</p>`;
    expect(h).toBeInstanceOf(Html);
    expect(h.value).toBe(`<p title="${out}">${out}</p>`);
  });

  it('escapes every element of an array, nested arrays too, and joins them without separators', () => {
    const h = html`<ul>${['<a>', ['"b"', null, false, 1], html`<li>${'<c>'}</li>`]}</ul>`;
    expect(h.value).toBe('<ul>&lt;a&gt;&quot;b&quot;1<li>&lt;c&gt;</li></ul>');
  });

  it('leaves Html values as they are (not escaped twice)', () => {
    const inner = html`<b>${'x & y'}</b>`;
    expect(html`<p>${inner}</p>`.value).toBe('<p><b>x &amp; y</b></p>');
    expect(html`${new Html('<i>as is</i>')}`.value).toBe('<i>as is</i>');
  });

  it('keeps the literal parts and every value in order', () => {
    expect(html`a${1}b${2}c${3}d`.value).toBe('a1b2c3d');
    expect(html`no values`.value).toBe('no values');
    expect(html`${'only'}`.value).toBe('only');
  });

  it('prints through toString and String()', () => {
    const h = html`<p>${'<'}</p>`;
    expect(String(h)).toBe('<p>&lt;</p>');
    expect(`${h}`).toBe('<p>&lt;</p>');
  });

  it('never lets caller text open an element, whatever it holds', () => {
    const hostile = ['<script>', '<svg onload=alert(1)>', '"><script>', "'><img src=x onerror=1>"];
    for (const text of hostile) {
      const out = html`<a href="/x?q=${text}">${text}</a>`.value;
      expect(out).not.toMatch(/<(script|svg|img)/i);
      expect(out.match(/"/g)).toHaveLength(2);
    }
  });
});

describe('trusted', () => {
  it('wraps generated markup as Html, unescaped, and html keeps it so', () => {
    const svg = trusted('<svg><rect width="1"/></svg>');
    expect(svg).toBeInstanceOf(Html);
    expect(svg.value).toBe('<svg><rect width="1"/></svg>');
    expect(html`<div>${svg}</div>`.value).toBe('<div><svg><rect width="1"/></svg></div>');
  });
});

describe('query', () => {
  it.each([
    { params: {}, out: '' },
    { params: { a: undefined }, out: '' },
    { params: { live: 1 }, out: '?live=1' },
    { params: { days: 30, q: 'acc 1' }, out: '?days=30&q=acc+1' },
    { params: { q: 'a&b=c' }, out: '?q=a%26b%3Dc' },
    { params: { q: '<script>"x"' }, out: '?q=%3Cscript%3E%22x%22' },
    { params: { q: 'é/#?' }, out: '?q=%C3%A9%2F%23%3F' },
    { params: { a: '1', b: undefined, c: '3' }, out: '?a=1&c=3' },
  ])('$params -> "$out"', ({ params, out }) => {
    expect(query(params)).toBe(out);
  });

  it('round-trips every value through URLSearchParams', () => {
    const params = { q: ' a+b&c=d%e\u00e9 ', n: 7 };
    const back = new URLSearchParams(query(params).slice(1));
    expect(back.get('q')).toBe(params.q);
    expect(back.get('n')).toBe('7');
  });
});
