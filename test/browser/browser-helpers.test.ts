/**
 * The checks the console's browser test relies on (test/helpers/browser.ts), on small pages written here:
 * each must fail where it should, or a passing console test would prove nothing. A control the Tab key cannot
 * reach, a focus without a ring and an axe violation must each be reported, and a screenshot that was not
 * written must not pass for one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  axeViolations,
  chromiumPath,
  copiesToDocs,
  isPng,
  launchChromium,
  tabThrough,
} from '../helpers/browser.ts';

let browser: Browser;
let page: Page;

/** A page with `body`, a language and a title, so axe has nothing else to say about the document. */
async function show(body: string): Promise<void> {
  await page.setContent(
    `<!doctype html><html lang="en"><head><title>t</title></head><body><main>${body}</main></body></html>`,
  );
}

/** What {@link copiesToDocs} throws for `env`, or undefined. */
function refusal(env: NodeJS.ProcessEnv): unknown {
  try {
    copiesToDocs(env);
    return undefined;
  } catch (error) {
    return error;
  }
}

beforeAll(async () => {
  browser = await launchChromium();
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
});

describe('the browser helpers', () => {
  it("drive Debian's chromium from PATH", () => {
    expect(chromiumPath()).toMatch(/\/chromium$/);
    expect(browser.version()).toMatch(/^\d+\./);
  });

  it('report a control the Tab key cannot reach and a focus without a ring; radios count once, disabled controls not at all', async () => {
    await show(`
      <style>#bare:focus { outline: none; }</style>
      <a href="#a">a link</a>
      <button type="button">reached</button>
      <button type="button" tabindex="-1">out of the tab order</button>
      <button type="button" id="bare">no ring</button>
      <label><input type="radio" name="pick" checked> one</label>
      <label><input type="radio" name="pick"> two</label>
      <button type="button" disabled>disabled</button>
      <h1 tabindex="-1">a heading focused by script</h1>`);

    const walk = await tabThrough(page);

    expect(walk.controls).toHaveLength(5);
    expect(walk.controls).toContain('radio group pick');
    expect(walk.controls.some((c) => c.includes('disabled') || c.includes('heading'))).toBe(false);
    expect(walk.missed).toEqual([expect.stringContaining('out of the tab order')]);
    expect(walk.noRing).toEqual([expect.stringContaining('#bare')]);
  });

  it('report serious and critical axe violations, and leave out the milder ones', async () => {
    await show('<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><button type="button"></button>');

    const serious = await axeViolations(page);
    const all = await axeViolations(page, ['minor', 'moderate', 'serious', 'critical']);

    expect(serious.map((v) => v.id).sort()).toEqual(['button-name', 'image-alt']);
    expect(all.length).toBeGreaterThanOrEqual(serious.length);
  });

  it('find nothing on a page that is fine', async () => {
    await show('<h1>Fine</h1><button type="button">A named button</button><a href="#x">A link</a>');

    expect(await axeViolations(page)).toEqual([]);
    expect((await tabThrough(page)).missed).toEqual([]);
  });

  it('tell a written screenshot from a missing, empty or other file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'screenshots-'));
    try {
      await show('<p>a picture</p>');
      const files = ['shot.png', 'empty.png', 'text.png', 'missing.png'].map((f) => join(dir, f));
      await page.screenshot({ path: files[0] });
      writeFileSync(files[1] ?? '', '');
      writeFileSync(files[2] ?? '', 'PNG, says the name');

      expect(files.map(isPng)).toEqual([true, false, false, false]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('copy the screenshots to the docs only when CONSOLE_SCREENSHOTS=docs, and refuse a value they do not know', () => {
    expect([{}, { CONSOLE_SCREENSHOTS: '' }, { CONSOLE_SCREENSHOTS: 'docs' }].map(copiesToDocs)).toEqual([
      false,
      false,
      true,
    ]);
    expect(() => copiesToDocs({ CONSOLE_SCREENSHOTS: 'yes' })).toThrow(/CONSOLE_SCREENSHOTS/);
    expect(refusal({ CONSOLE_SCREENSHOTS: 'yes' })).toMatchObject({ code: 'SCREENSHOTS_SETTING_INVALID' });
  });
});
