/**
 * Where the repository lives on disk, for the rooms that read or spawn files by path (the stack, the
 * migrations, Spark, the benchmarks, the tests). Its own tiny module so that none of them imports the stack's
 * configuration just to find the checkout.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (one level above this file). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
