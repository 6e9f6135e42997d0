import { describe, expect, it } from 'vitest';
import { textToAdf } from '../../../local/jira/index.js';

const text = (t: string) => ({ type: 'text', text: t });
const para = (...lines: string[]) => ({
  type: 'paragraph',
  content: lines.flatMap((l, i) => (i === 0 ? [text(l)] : [{ type: 'hardBreak' }, text(l)])),
});
const bullets = (...items: string[]) => ({
  type: 'bulletList',
  content: items.map((item) => ({ type: 'listItem', content: [para(item)] })),
});

describe('textToAdf', () => {
  it('gives null for no text, as Jira has no description', () => {
    expect(textToAdf('')).toBeNull();
    expect(textToAdf(' \n\n  \n')).toBeNull();
  });

  it('splits paragraphs on blank lines and keeps single line breaks as hardBreaks', () => {
    expect(textToAdf('Hello,\r\nmy card fails.\n\n\nThanks')).toEqual({
      type: 'doc',
      version: 1,
      content: [para('Hello,', 'my card fails.'), para('Thanks')],
    });
  });

  it('makes runs of "- " lines a bullet list, even right after a paragraph line', () => {
    expect(textToAdf('Steps:\n- open billing\n- click upgrade\nthen it spins')?.content).toEqual([
      para('Steps:'),
      bullets('open billing', 'click upgrade'),
      para('then it spins'),
    ]);
  });

  it('keeps fenced code verbatim, with its language, up to the closing fence or the end', () => {
    expect(textToAdf('Error:\n```json\n{\n  "code": 1\n}\n```\nafter')?.content).toEqual([
      para('Error:'),
      { type: 'codeBlock', attrs: { language: 'json' }, content: [text('{\n  "code": 1\n}')] },
      para('after'),
    ]);
    expect(textToAdf('```\n- not a bullet\n\nstill code')?.content).toEqual([
      { type: 'codeBlock', content: [text('- not a bullet\n\nstill code')] },
    ]);
    expect(textToAdf('```\n```')?.content).toEqual([{ type: 'codeBlock', content: [] }]);
  });
});
