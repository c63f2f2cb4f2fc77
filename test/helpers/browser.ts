/**
 * A real browser for the console's tests (test/browser): Debian's `chromium` package driven by
 * playwright-core, never a browser download (`npx playwright install` cannot run here), and what the tests do
 * with a page: an axe-core scan, a walk with the Tab key, a screenshot of a view (kept out of git unless the
 * docs' copies are asked for).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AxeResults } from 'axe-core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { z } from 'zod';
import { PipelineError } from '../../lib/errors.ts';
import { repoRoot } from '../../lib/paths.ts';

/** No `chromium` on PATH: the browser tests cannot run. */
export class ChromiumMissingError extends PipelineError {
  constructor(cause?: unknown) {
    super(
      "The browser tests drive Debian's chromium package, and `command -v chromium` finds none: install it with " +
        '`sudo apt-get install chromium` (.ci/run does so when it is missing). A browser downloaded by ' +
        '`npx playwright install` is not used.',
      { code: 'CHROMIUM_MISSING', retryable: false, cause },
    );
  }
}

/** The chromium binary on PATH, as `command -v chromium` finds it. */
export function chromiumPath(): string {
  let found = '';
  try {
    found = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch (error) {
    throw new ChromiumMissingError(error);
  }
  if (found === '') throw new ChromiumMissingError();
  return found;
}

/** Headless chromium with the flags a container without a GPU, a sandbox or the internet needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** One violation an axe scan found, in a line a failing assertion can show. */
export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

// Read once: the console's Content-Security-Policy (script-src 'self') refuses page.addScriptTag, while
// page.evaluate runs through the DevTools protocol, which the policy does not govern.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core over the whole document as it is now; returns the violations of `impacts`. */
export async function axeViolations(
  page: Page,
  impacts: readonly string[] = ['serious', 'critical'],
): Promise<AxeFinding[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const { axe } = window as unknown as { axe: { run(context: Document): Promise<AxeResults> } };
    const results = await axe.run(document);
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? 'unknown',
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  return violations.filter((v) => impacts.includes(v.impact));
}

/** What a walk with the Tab key found. */
export interface TabWalk {
  /** The controls of the page, by description; radio buttons count once per group. */
  controls: string[];
  /** Controls the Tab key never reached. */
  missed: string[];
  /** Controls that took the focus without a visible ring (no outline, no box shadow). */
  noRing: string[];
}

/**
 * Presses Tab until every control on the page (a link, button, input, select, textarea or summary that is
 * shown and enabled, and any other element in the tab order) has had the focus, or until three times their
 * number of presses have gone by. Radio buttons are reached as a group, as the keyboard reaches them (Tab
 * enters the group, the arrows move in it).
 */
export async function tabThrough(page: Page): Promise<TabWalk> {
  const controls = await page.evaluate(() => {
    const native = 'a[href], button, input:not([type="hidden"]), select, textarea, summary';
    const described: string[] = [];
    for (const [i, el] of Array.from(
      document.querySelectorAll<HTMLElement>(`${native}, [tabindex]`),
    ).entries()) {
      // A native control taken out of the tab order (tabindex="-1") is one the keyboard cannot reach, so it
      // counts; any other element with a negative tabindex (a heading focused by script) is no control.
      if (!el.matches(native) && el.tabIndex < 0) continue;
      const shown = el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
      const usable = !el.matches(':disabled') && !el.closest('[inert]') && !el.closest('dialog:not([open])');
      if (!shown || !usable) continue;
      const text = (el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
      const label = el.getAttribute('aria-label') || (el.id ? `#${el.id}` : '') || text;
      const key =
        el instanceof HTMLInputElement && el.type === 'radio'
          ? `radio group ${el.name}`
          : `${el.tagName.toLowerCase()}${el instanceof HTMLInputElement ? `[${el.type}]` : ''} "${label}" (${i})`;
      el.dataset.tabWalk = key;
      described.push(key);
    }
    return [...new Set(described)];
  });
  const reached = new Set<string>();
  const noRing = new Set<string>();
  const budget = controls.length * 3 + 10;
  for (let press = 0; press < budget && reached.size < controls.length; press++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      if (!(el instanceof HTMLElement) || el.dataset.tabWalk === undefined) return null;
      const style = getComputedStyle(el);
      const ring =
        (style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) > 0) ||
        style.boxShadow !== 'none';
      return { key: el.dataset.tabWalk, ring };
    });
    if (!focused) continue;
    reached.add(focused.key);
    if (!focused.ring) noRing.add(focused.key);
  }
  return { controls, missed: controls.filter((c) => !reached.has(c)), noRing: [...noRing] };
}

/** Where every run saves each view's picture: under `.local/`, which git ignores, so runs dirty nothing. */
export const screenshotDir = join(repoRoot, '.local', 'screenshots');

/** The copies the docs show (the root README shows the pipeline view's). */
export const docsScreenshotDir = join(repoRoot, 'docs', 'images');

/** The setting that asks for the docs' copies: `CONSOLE_SCREENSHOTS=docs npm run test:browser`. */
export const docsScreenshotsSetting = 'CONSOLE_SCREENSHOTS';

/**
 * Whether {@link docsScreenshotsSetting} asks for the docs' copies. Read once, when the tests load, so a value
 * the tests do not know stops them all at once instead of being taken for "no".
 *
 * @throws PipelineError `SCREENSHOTS_SETTING_INVALID` for a value other than `docs` or empty
 */
export function copiesToDocs(env: NodeJS.ProcessEnv): boolean {
  const parsed = z.enum(['', 'docs']).default('').safeParse(env[docsScreenshotsSetting]);
  if (!parsed.success) {
    throw new PipelineError(
      `${docsScreenshotsSetting} is set to a value the browser tests do not know: set it to "docs" to copy the ` +
        `screenshots to docs/images/, or leave it unset to keep them in .local/screenshots/ only.`,
      { code: 'SCREENSHOTS_SETTING_INVALID', retryable: false, cause: parsed.error },
    );
  }
  return parsed.data === 'docs';
}

const toDocs = copiesToDocs(process.env);

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Whether `path` holds a PNG with something after its signature; false when there is no such file. */
export function isPng(path: string): boolean {
  if (!existsSync(path)) return false;
  const bytes = readFileSync(path);
  return bytes.length > pngSignature.length && bytes.subarray(0, pngSignature.length).equals(pngSignature);
}

/**
 * Saves the page as `.local/screenshots/console-<name>.png`, and copies it to `docs/images/` when
 * CONSOLE_SCREENSHOTS=docs asks: 1280 pixels wide (the viewport the tests use), the page from its top, cut at
 * `maxHeight` so a long table does not make a tall, heavy image.
 *
 * @returns every file written, for the test to check
 */
export async function saveScreenshot(page: Page, name: string, maxHeight = 1000): Promise<string[]> {
  const file = `console-${name}.png`;
  const path = join(screenshotDir, file);
  mkdirSync(screenshotDir, { recursive: true });
  // A picture left by an earlier run must not pass for this one's.
  rmSync(path, { force: true });
  // No focus ring or hover left over from the test's clicks in the picture.
  await page.mouse.move(0, 0);
  const height = await page.evaluate(() => {
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
    return document.documentElement.scrollHeight;
  });
  const width = page.viewportSize()?.width ?? 1280;
  await page.screenshot({
    path,
    fullPage: true,
    animations: 'disabled',
    caret: 'hide',
    clip: { x: 0, y: 0, width, height: Math.min(height, maxHeight) },
  });
  if (!toDocs) return [path];
  const docs = join(docsScreenshotDir, file);
  copyFileSync(path, docs);
  return [path, docs];
}
