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
      const box = svg.viewBox.baseVal;
      const width = box && box.width > 0 ? box.width : svg.width.baseVal.value;
      for (const t of svg.querySelectorAll('text')) {
        const b = t.getBBox();
        if (b.x < -0.5 || b.x + b.width > width + 0.5) problems.push(`label '${t.textContent}' of ${name(svg.parentElement ?? svg)} is cut off: x ${b.x.toFixed(0)}..${(b.x + b.width).toFixed(0)} of 0..${width}`);
      }
    }
    return problems;
  });
}
