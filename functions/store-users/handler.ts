/**
 * The Lambda entry point of `store-users` (serverless.yml: `functions/store-users/handler.handler`). It parses the
 * process's settings and builds the clients once per process, at cold start, and every warm invocation
 * reuses them; a bad setting fails the cold start with a `ConfigError` naming it. The function itself
 * (`createHandler`, `depsFor`) is in app.ts, which imports without side effects, so tests and the
 * benchmarks build it with their own config or clients.
 */
import { config } from '../lib/config.ts';
import { createHandler, depsFor } from './app.ts';

/** The Lambda handler, built from the process's config. */
export const handler = createHandler(depsFor(config));
