/**
 * The page's assets, built once when the console starts: web/index.html as it is, and web/main.ts and
 * web/app.css bundled by esbuild's JS API (preact, htm and uPlot included from node_modules), held in memory.
 * Nothing is fetched from a CDN, so the page works on a machine with no internet.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from '../../lib/paths.ts';
import { ConsoleError } from './errors.ts';

/** The page's files. */
export interface PageAssets {
  html: string;
  js: string;
  css: string;
}

/** Where the page's sources are. */
export const webDir = join(repoRoot, 'infra', 'console', 'web');

/**
 * Reads and bundles the page.
 *
 * @throws ConsoleError `PAGE_BUILD_FAILED` with esbuild's messages when the page does not build
 */
export async function buildPage(dir: string = webDir): Promise<PageAssets> {
  try {
    const [html, js, css] = await Promise.all([
      readFile(join(dir, 'index.html'), 'utf8'),
      bundle(join(dir, 'main.ts')),
      bundle(join(dir, 'app.css')),
    ]);
    return { html, js, css };
  } catch (error) {
    throw new ConsoleError(
      `the console's page does not build (${dir}): ${error instanceof Error ? error.message : String(error)}`,
      500,
      { code: 'PAGE_BUILD_FAILED', cause: error },
    );
  }
}

async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    target: 'es2022',
    // The page's sources import api.ts for its types only; nothing of the server's may end up in the bundle.
    platform: 'browser',
    logLevel: 'silent',
    absWorkingDir: repoRoot,
  });
  const [out] = result.outputFiles;
  if (!out) throw new Error(`esbuild wrote nothing for ${entry}`);
  return out.text;
}
