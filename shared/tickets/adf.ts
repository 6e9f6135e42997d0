/**
 * Atlassian Document Format (ADF, version 1) -> plain text, for classifying a ticket's description.
 *
 * The walk is iterative (an explicit stack), so a hostile or absurdly nested document cannot overflow the
 * call stack, and it never throws: node types it does not know keep their text children and are reported,
 * so the caller can say what it could not read. Layout is kept only as far as it helps reading: block nodes
 * end with a line break, list items start with a bullet, table cells are separated by ` | `.
 */

export type AdfText = {
  readonly ok: true;
  readonly text: string;
  /** Node types not rendered by this module (their text children were kept), sorted, without duplicates. */
  readonly unknownNodes: string[];
  /** The walk stopped at `maxChars`; the rest of the document was not read. */
  readonly truncated: boolean;
};

export type AdfUnreadable = {
  readonly ok: false;
  readonly reason: 'not_a_document' | 'unsupported_version';
  readonly detail: string;
};

export type AdfResult = AdfText | AdfUnreadable;

/** Shown where an image or file was attached: the classifier cannot read it, a reviewer should know it was there. */
export const MEDIA_MARKER = '[media]';

type Node = Record<string, unknown>;

/** Ends a table cell: its paragraphs' line breaks would otherwise split the row over several lines. */
const END_CELL = Symbol('end-cell');

/** A work item: a node to render, text to write out when the stack reaches it, or the end of a cell. */
type Step = Node | string | typeof END_CELL;

const isNode = (value: unknown): value is Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const childrenOf = (node: Node): unknown[] => (Array.isArray(node.content) ? node.content : []);

const attr = (node: Node, name: string): unknown => (isNode(node.attrs) ? node.attrs[name] : undefined);

const stringAttr = (node: Node, name: string): string | null => {
  const value = attr(node, name);
  return typeof value === 'string' && value !== '' ? value : null;
};

/** Block containers whose children are rendered one after the other, ending the block with a line break. */
const BLOCKS = new Set(['paragraph', 'heading', 'codeBlock', 'blockquote', 'panel']);
/** Containers that only hold other blocks. */
const CONTAINERS = new Set(['doc', 'listItem']);
const MEDIA = new Set(['mediaSingle', 'mediaGroup', 'media', 'mediaInline']);

/**
 * Renders `value` as text. `maxChars` bounds the work on a huge document: the walk stops once that much
 * text is out (the text may end up to one text node longer).
 */
export function adfToText(value: unknown, maxChars = Number.POSITIVE_INFINITY): AdfResult {
  if (!isNode(value) || value.type !== 'doc') {
    return {
      ok: false,
      reason: 'not_a_document',
      detail: 'the description is not an ADF document (type "doc")',
    };
  }
  if (value.version !== 1) {
    return {
      ok: false,
      reason: 'unsupported_version',
      detail: `ADF version ${String(value.version)} is not 1`,
    };
  }

  const out: string[] = [];
  let length = 0;
  const unknown = new Set<string>();
  // Steps are popped from the end, so each node pushes what it renders in reverse order.
  const stack: Step[] = [value];
  const pushChildren = (node: Node, between = '') => {
    const children = childrenOf(node);
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (isNode(child)) stack.push(child);
      else unknown.add('(not a node)');
      if (between !== '' && i > 0) stack.push(between);
    }
  };

  const write = (text: string) => {
    out.push(text);
    length += text.length;
  };

  while (stack.length > 0 && length < maxChars) {
    const step = stack.pop() as Step;
    if (typeof step === 'string') {
      write(step);
      continue;
    }
    if (step === END_CELL) {
      // Drop the line breaks the cell's last block ended with.
      while (out.at(-1) === '\n') out.pop();
      continue;
    }
    const type = typeof step.type === 'string' ? step.type : '(no type)';
    if (type === 'text') {
      if (typeof step.text === 'string') write(step.text);
    } else if (type === 'hardBreak' || type === 'rule') {
      write('\n');
    } else if (type === 'mention') {
      write(stringAttr(step, 'text') ?? `@${String(attr(step, 'id') ?? 'someone')}`);
    } else if (type === 'emoji') {
      write(stringAttr(step, 'text') ?? stringAttr(step, 'shortName') ?? '');
    } else if (type === 'inlineCard' || type === 'blockCard') {
      write(` ${stringAttr(step, 'url') ?? ''} `);
    } else if (MEDIA.has(type)) {
      write(` ${MEDIA_MARKER} `);
    } else if (BLOCKS.has(type)) {
      stack.push('\n');
      pushChildren(step);
    } else if (CONTAINERS.has(type)) {
      pushChildren(step);
    } else if (type === 'bulletList' || type === 'orderedList') {
      const start =
        type === 'orderedList' && typeof attr(step, 'order') === 'number' ? Number(attr(step, 'order')) : 1;
      const items = childrenOf(step);
      for (let i = items.length - 1; i >= 0; i--) {
        const item = items[i];
        if (isNode(item)) stack.push(item, type === 'bulletList' ? '- ' : `${start + i}. `);
      }
    } else if (type === 'table') {
      stack.push('\n');
      pushChildren(step);
    } else if (type === 'tableCell' || type === 'tableHeader') {
      stack.push(END_CELL);
      pushChildren(step);
    } else if (type === 'tableRow') {
      stack.push('\n');
      pushChildren(step, ' | ');
    } else {
      unknown.add(type);
      stack.push(' ');
      pushChildren(step);
    }
  }

  return {
    ok: true,
    text: out
      .join('')
      .replace(/[ \t]+\n/g, '\n')
      .trim(),
    unknownNodes: [...unknown].sort(),
    truncated: stack.length > 0,
  };
}
