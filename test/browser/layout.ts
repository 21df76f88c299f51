// Layout checks of a page as a user sees it: a full-page screenshot no wider than the window, no element
// reaching past the window's edges, no scroll box hiding content sideways, and no chart label cut off by
// its SVG. Used by the bench and demo page tests.
import type { Page } from 'puppeteer-core';

/** The window the issue was reported in. */
export const WINDOW = { width: 1400, height: 900 } as const;

/** Width and height of a PNG from its IHDR chunk. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (view.getUint32(0) !== 0x89504e47 || view.getUint32(12) !== 0x49484452) throw new Error('not a PNG');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** A full-page screenshot: as wide as the document, so wider than the window when something overflows. */
export async function fullPageScreenshot(page: Page): Promise<{ width: number; height: number; png: Uint8Array }> {
  const png = await page.screenshot({ fullPage: true, type: 'png', captureBeyondViewport: true });
  return { ...pngSize(png), png };
}

/** Everything on the page that breaks the layout rules above, one line each (empty when none). */
export async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const vw = document.documentElement.clientWidth;
    const name = (e: Element) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.classList.length ? `.${[...e.classList].join('.')}` : ''}`;
    if (document.documentElement.scrollWidth > vw) problems.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${vw}px window`);
    for (const e of document.body.querySelectorAll('*')) {
      const r = e.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (e.closest('svg') && e.tagName.toLowerCase() !== 'svg') continue;
      if (r.right > vw + 0.5 || r.left < -0.5) problems.push(`${name(e)} spans x ${r.left.toFixed(0)}..${r.right.toFixed(0)}, outside 0..${vw}`);
      const style = getComputedStyle(e);
      if (/(auto|scroll|hidden)/.test(style.overflowX) && e.scrollWidth > e.clientWidth + 1) {
        problems.push(`${name(e)} hides ${e.scrollWidth - e.clientWidth}px of its content sideways`);
      }
    }
    for (const svg of document.querySelectorAll('svg')) {
      // Text outside its SVG's box is not drawn (overflow is hidden on inner SVG elements by default).
      // Client rectangles include transforms such as a rotated axis title.
      const box = svg.getBoundingClientRect();
      for (const t of svg.querySelectorAll('text')) {
        const b = t.getBoundingClientRect();
        if (b.left < box.left - 0.5 || b.right > box.right + 0.5 || b.top < box.top - 0.5 || b.bottom > box.bottom + 0.5) {
          problems.push(
            `label '${t.textContent}' of ${name(svg.parentElement ?? svg)} is cut off: x ${(b.left - box.left).toFixed(0)}..${(b.right - box.left).toFixed(0)}, y ${(b.top - box.top).toFixed(0)}..${(b.bottom - box.top).toFixed(0)} of ${box.width.toFixed(0)}×${box.height.toFixed(0)}`,
          );
        }
      }
    }
    return problems;
  });
}

/**
 * Cells of the table `selector` whose text wraps inside a word: every line break of a cell must come after a space,
 * '.', '_', '/', ',', '-', '(' or '*', never between two letters or digits of a name (`*norm.weig|ht`). And a table
 * whose cells wrap must use the width its container gives it (no wrapping next to unused width).
 */
export async function wrapProblems(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const problems: string[] = [];
    const table = document.querySelector(sel) as HTMLTableElement | null;
    if (!table) return [`no ${sel}`];
    const BREAK_AFTER = ' ._/,-(*';
    let wraps = 0;
    for (const cell of table.querySelectorAll('td, th')) {
      // The cell's characters in order, with the top of the line each sits on.
      const chars: { c: string; top: number }[] = [];
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const text = n.textContent ?? '';
        for (let i = 0; i < text.length; i++) {
          const range = document.createRange();
          range.setStart(n, i);
          range.setEnd(n, i + 1);
          const r = range.getClientRects()[0];
          if (r) chars.push({ c: text[i]!, top: r.top });
        }
      }
      for (let i = 1; i < chars.length; i++) {
        if (chars[i]!.top <= chars[i - 1]!.top + 1) continue;
        wraps++;
        const before = chars[i - 1]!.c;
        if (!BREAK_AFTER.includes(before) && chars[i]!.c !== ' ') {
          const text = chars.map((x) => x.c).join('');
          problems.push(`'${text.slice(0, i)}|${text.slice(i)}' breaks inside a word`);
        }
      }
    }
    const container = table.parentElement!;
    const unused = container.clientWidth - table.getBoundingClientRect().width;
    if (wraps > 0 && unused > 2) problems.push(`${sel}: cells wrap while ${unused.toFixed(0)}px of its container's width are unused`);
    return problems;
  }, selector);
}
