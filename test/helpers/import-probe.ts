/**
 * Imports one module in a fresh process and reports what the import did, for test/unit/imports.test.ts:
 * whether it succeeded (exit 0) or threw (exit 1, with the error's name, code and settings), and which
 * driver clients were constructed while it ran. The clients are observed by wrapping the constructors the
 * functions' client modules call (`pg.Pool`, `kafkajs.Kafka`, `cassandra-driver`'s `Client`) before the
 * module is imported; they are CommonJS modules, so `require` here and `import` there share one instance.
 *
 * Usage: `node --import tsx test/helpers/import-probe.ts <path of the module, from the working directory>`.
 * Prints one JSON line on stdout.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const built: string[] = [];

/** Replaces `moduleName`'s `exportName` with a subclass that records each construction. */
function observe(moduleName: string, exportName: string): void {
  const exports: Record<string, new (...args: never[]) => object> = require(moduleName);
  const Real = exports[exportName];
  if (Real === undefined) throw new Error(`${moduleName} has no ${exportName}`);
  exports[exportName] = class extends Real {
    constructor(...args: never[]) {
      super(...args);
      built.push(`${moduleName}.${exportName}`);
    }
  };
}

observe('pg', 'Pool');
observe('kafkajs', 'Kafka');
observe('cassandra-driver', 'Client');

const target = process.argv[2];
if (target === undefined) throw new Error('usage: import-probe.ts <module path>');
try {
  await import(pathToFileURL(resolve(target)).href);
  console.log(JSON.stringify({ imported: true, built }));
} catch (error) {
  const fields = error instanceof Error ? error : new Error(String(error));
  const { name, code, settings } = fields as Error & { code?: unknown; settings?: unknown };
  console.log(JSON.stringify({ imported: false, error: { name, code, settings }, built }));
  process.exitCode = 1;
}
