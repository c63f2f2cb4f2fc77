/**
 * The console page's first paint, in a real browser: Debian's chromium, launched by the console tests' own
 * launcher (test/helpers/browser.ts, imported only when this runs, so a run without a browser loads neither
 * it nor playwright-core), opens the page once in a fresh profile and reports two times from the navigation's
 * start: the browser's `first-contentful-paint`, and when the first live snapshot was rendered into the page.
 *
 * Measuring must never fail the phase: without chromium, or when the page does not get that far, both times
 * are null and `reason` says why.
 */
import { errorText } from '../../lib/errors.ts';

/**
 * An element the pipeline view renders only once it holds a snapshot (a stage of the row: `li.stage` in
 * infra/console/web/views/pipeline.ts); until then the view shows "Waiting for the first reading". The
 * console's browser test reads the same element.
 */
export const firstSnapshotSelector = 'li.stage';

/** What one opening of the page measured. */
export interface FirstPaint {
  /** `first-contentful-paint`'s start time, in ms from the navigation's start; null when not measured. */
  firstContentfulPaintMs: number | null;
  /** When {@link firstSnapshotSelector} was first in the document, in ms from the navigation's start. */
  firstSnapshotMs: number | null;
  /** Why a time is null. */
  reason?: string;
  /** The browser's version, when one ran. */
  browser?: string;
}

/**
 * Opens `url` once in headless chromium and times its first paint and first snapshot.
 *
 * @param timeoutMs - how long the page may take to load, and then to show its first snapshot
 */
export async function measureFirstPaint(url: string, timeoutMs = 30_000): Promise<FirstPaint> {
  const notMeasured = (reason: string): FirstPaint => ({
    firstContentfulPaintMs: null,
    firstSnapshotMs: null,
    reason,
  });
  let browserHelpers: typeof import('../../test/helpers/browser.ts');
  try {
    browserHelpers = await import('../../test/helpers/browser.ts');
  } catch (error) {
    return notMeasured(`the browser launcher (test/helpers/browser.ts) did not load: ${errorText(error)}`);
  }
  try {
    browserHelpers.chromiumPath();
  } catch (error) {
    return notMeasured(
      error instanceof browserHelpers.ChromiumMissingError
        ? "no chromium on PATH (`command -v chromium` found none): Debian's chromium package measures it"
        : `chromium could not be found: ${errorText(error)}`,
    );
  }
  let browser: Awaited<ReturnType<typeof browserHelpers.launchChromium>> | undefined;
  try {
    browser = await browserHelpers.launchChromium();
    const version = browser.version();
    // A new context is a fresh profile: no cached bundle, as on a first visit.
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Set before the page's own scripts run, so the moment the element appears is noted by the page itself,
    // without the round trips of polling it from here.
    await page.addInitScript((selector: string) => {
      const w = window as unknown as { firstSnapshotMs?: number };
      const observer = new MutationObserver(() => {
        if (w.firstSnapshotMs === undefined && document.querySelector(selector) !== null) {
          w.firstSnapshotMs = performance.now();
          observer.disconnect();
        }
      });
      observer.observe(document, { childList: true, subtree: true });
    }, firstSnapshotSelector);
    await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
    await page.waitForSelector(firstSnapshotSelector, { timeout: timeoutMs });
    const times = await page.evaluate(() => {
      const paint = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint');
      const w = window as unknown as { firstSnapshotMs?: number };
      return { fcp: paint?.startTime ?? null, snapshot: w.firstSnapshotMs ?? null };
    });
    return {
      firstContentfulPaintMs: times.fcp,
      firstSnapshotMs: times.snapshot,
      ...(times.fcp === null ? { reason: 'chromium reported no first-contentful-paint entry' } : {}),
      browser: version,
    };
  } catch (error) {
    return notMeasured(`the page did not show its first snapshot: ${errorText(error)}`);
  } finally {
    await browser?.close().catch(() => undefined);
  }
}
