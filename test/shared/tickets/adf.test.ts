import { describe, expect, it } from 'vitest';
import { adfToText, MEDIA_MARKER } from '../../../shared/tickets/adf.js';

const doc = (...content: unknown[]) => ({ type: 'doc', version: 1, content });
const text = (t: string, marks?: unknown[]) => ({ type: 'text', text: t, ...(marks ? { marks } : {}) });
const para = (...content: unknown[]) => ({ type: 'paragraph', content });
const item = (t: string) => ({ type: 'listItem', content: [para(text(t))] });
const cell = (type: 'tableCell' | 'tableHeader', t: string) => ({ type, content: [para(text(t))] });

describe('adfToText renders the node types Jira uses', () => {
  it.each([
    ['paragraphs end with a line break', doc(para(text('one')), para(text('two'))), 'one\ntwo'],
    [
      'heading',
      doc({ type: 'heading', attrs: { level: 2 }, content: [text('Title')] }, para(text('x'))),
      'Title\nx',
    ],
    [
      'marks keep their text',
      doc(para(text('bold', [{ type: 'strong' }]), text(' link', [{ type: 'link' }]))),
      'bold link',
    ],
    ['hardBreak', doc(para(text('a'), { type: 'hardBreak' }, text('b'))), 'a\nb'],
    ['bulletList', doc({ type: 'bulletList', content: [item('one'), item('two')] }), '- one\n- two'],
    [
      'orderedList starts at its order',
      doc({ type: 'orderedList', attrs: { order: 3 }, content: [item('c'), item('d')] }),
      '3. c\n4. d',
    ],
    [
      'codeBlock',
      doc({ type: 'codeBlock', attrs: { language: 'json' }, content: [text('{"a":1}')] }),
      '{"a":1}',
    ],
    ['blockquote', doc({ type: 'blockquote', content: [para(text('quoted'))] }), 'quoted'],
    ['panel', doc({ type: 'panel', attrs: { panelType: 'info' }, content: [para(text('note'))] }), 'note'],
    ['mention by text', doc(para({ type: 'mention', attrs: { id: 'u1', text: '@Ann' } })), '@Ann'],
    ['mention without text', doc(para({ type: 'mention', attrs: { id: 'u1' } })), '@u1'],
    ['emoji by text', doc(para({ type: 'emoji', attrs: { shortName: ':smile:', text: '😄' } })), '😄'],
    ['emoji by short name', doc(para({ type: 'emoji', attrs: { shortName: ':smile:' } })), ':smile:'],
    [
      'inlineCard keeps its URL',
      doc(para(text('see'), { type: 'inlineCard', attrs: { url: 'https://x.example' } })),
      'see https://x.example',
    ],
    ['rule', doc(para(text('a')), { type: 'rule' }, para(text('b'))), 'a\n\nb'],
    [
      'table rows, cells separated',
      doc({
        type: 'table',
        content: [
          { type: 'tableRow', content: [cell('tableHeader', 'h1'), cell('tableHeader', 'h2')] },
          { type: 'tableRow', content: [cell('tableCell', 'c1'), cell('tableCell', 'c2')] },
        ],
      }),
      'h1 | h2\nc1 | c2',
    ],
    [
      'media is dropped with a marker',
      doc({ type: 'mediaSingle', content: [{ type: 'media', attrs: { id: 'm' } }] }),
      MEDIA_MARKER,
    ],
    ['an empty document', doc(), ''],
  ])('%s', (_, value, expected) => {
    const result = adfToText(value);
    expect(result).toEqual({ ok: true, text: expected, unknownNodes: [], truncated: false });
  });
});

describe('adfToText on what it does not know', () => {
  it('keeps the text children of unknown nodes and reports each type once, sorted', () => {
    const value = doc(
      { type: 'expand', content: [para(text('hidden'))] },
      { type: 'layoutSection', content: [{ type: 'expand', content: [para(text('deeper'))] }] },
      para({ type: 'status', attrs: { text: 'DONE' } }),
    );
    const result = adfToText(value);
    expect(result.ok && result.unknownNodes).toEqual(['expand', 'layoutSection', 'status']);
    expect(result.ok && result.text).toContain('hidden');
    expect(result.ok && result.text).toContain('deeper');
  });

  it('reports content that is not a node instead of throwing', () => {
    const result = adfToText(doc(para('not a node', 42, null, text('kept'))));
    expect(result).toMatchObject({ ok: true, text: 'kept', unknownNodes: ['(not a node)'] });
  });

  it.each([
    ['null', null, 'not_a_document'],
    ['a string', 'plain text', 'not_a_document'],
    ['an array', [para(text('x'))], 'not_a_document'],
    ['a node that is not a doc', para(text('x')), 'not_a_document'],
    ['version 2', { type: 'doc', version: 2, content: [] }, 'unsupported_version'],
    ['no version', { type: 'doc', content: [] }, 'unsupported_version'],
  ])('%s is unreadable, not an exception', (_, value, reason) => {
    expect(adfToText(value)).toMatchObject({ ok: false, reason });
  });

  it('walks a document nested far deeper than the call stack allows', () => {
    let node: unknown = para(text('bottom'));
    for (let i = 0; i < 200_000; i++) node = { type: 'blockquote', content: [node] };
    expect(adfToText(doc(node))).toMatchObject({ ok: true, text: 'bottom' });
  });

  it('stops once maxChars of text are out and says so', () => {
    const value = doc(...Array.from({ length: 10_000 }, (_, i) => para(text(`paragraph ${i}`))));
    const result = adfToText(value, 1_000);
    expect(result.ok && result.truncated).toBe(true);
    expect(result.ok && result.text.length).toBeLessThan(1_100);
    expect(result.ok && result.text.startsWith('paragraph 0\nparagraph 1\n')).toBe(true);
  });
});
