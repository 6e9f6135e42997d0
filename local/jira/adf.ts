/**
 * Plain text to Atlassian Document Format (ADF v1), the rich-text shape Jira Cloud's v3 API returns for
 * `description`, so seeded tickets read back the way real ones do:
 *  - blank lines separate paragraphs; single line breaks inside a paragraph become `hardBreak` nodes;
 *  - consecutive lines starting `- ` become one `bulletList` (each item a paragraph, as ADF requires);
 *  - a fenced block (a line ```lang ... a line ```) becomes a `codeBlock`, its text kept verbatim.
 */

export interface AdfMark {
  type: string;
  attrs?: Record<string, unknown>;
}

/** An ADF node: block nodes carry `content`, text nodes `text` (never empty, as ADF requires). */
export interface AdfNode {
  type: string;
  attrs?: Record<string, unknown>;
  content?: AdfNode[];
  text?: string;
  marks?: AdfMark[];
}

export interface AdfDoc {
  type: 'doc';
  version: 1;
  content: AdfNode[];
}

const FENCE_OPEN = /^```(\S*)\s*$/;
const FENCE_CLOSE = /^```\s*$/;
const BULLET = /^- (.*)$/;

const textNode = (text: string): AdfNode => ({ type: 'text', text });

function paragraph(lines: string[]): AdfNode {
  const content: AdfNode[] = [];
  for (const line of lines) {
    if (content.length > 0) content.push({ type: 'hardBreak' });
    content.push(textNode(line));
  }
  return { type: 'paragraph', content };
}

function bulletList(items: string[]): AdfNode {
  return {
    type: 'bulletList',
    content: items.map((item) => ({
      type: 'listItem',
      // An empty item still needs a paragraph; it just has no text node.
      content: [item === '' ? { type: 'paragraph', content: [] } : paragraph([item])],
    })),
  };
}

function codeBlock(language: string, lines: string[]): AdfNode {
  const text = lines.join('\n');
  return {
    type: 'codeBlock',
    ...(language === '' ? {} : { attrs: { language } }),
    content: text === '' ? [] : [textNode(text)],
  };
}

/** The ADF document for `text`; null when there is no text (Jira's value for an empty description). */
export function textToAdf(text: string): AdfDoc | null {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const content: AdfNode[] = [];
  let para: string[] = [];
  let bullets: string[] = [];
  const flushPara = () => {
    if (para.length > 0) content.push(paragraph(para));
    para = [];
  };
  const flushBullets = () => {
    if (bullets.length > 0) content.push(bulletList(bullets));
    bullets = [];
  };

  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trimEnd();
    const fence = FENCE_OPEN.exec(line);
    if (fence) {
      flushPara();
      flushBullets();
      const code: string[] = [];
      // An unclosed fence runs to the end of the text, as Markdown renders it.
      for (i++; i < lines.length && !FENCE_CLOSE.test(lines[i] as string); i++) code.push(lines[i] as string);
      content.push(codeBlock(fence[1] as string, code));
      continue;
    }
    const bullet = BULLET.exec(line);
    if (bullet) {
      flushPara();
      bullets.push((bullet[1] as string).trim());
    } else if (line.trim() === '') {
      flushPara();
      flushBullets();
    } else {
      flushBullets();
      para.push(line);
    }
  }
  flushPara();
  flushBullets();
  return content.length === 0 ? null : { type: 'doc', version: 1, content };
}
