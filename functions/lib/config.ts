/**
 * Shared building blocks of the pipeline's functions (functions/lib): configuration (this module and
 * settings.ts), errors, logging, the contracts (schemas.ts, users-created.ts) and one client module per
 * external system. Nothing here imports from a function folder.
 *
 * This module holds the settings of this process, parsed from its environment once, when it is first
 * imported. Only the Lambda entry points (`functions/<fn>/handler.ts`) import it; everything else receives a
 * `Config` as an argument, so importing a function's factory (`functions/<fn>/app.ts`) reads no environment
 * and builds no client. It is the only reader of the process environment under functions/: a missing or
 * invalid setting stops the function at cold start with a `ConfigError` that names the setting, not halfway
 * through a batch. The schema lives in `settings.ts`, which `sls package` also applies to each function's
 * environment. The defaults suit the local stack; serverless.yml sets the values of every other stage.
 */
import { type Config, parseConfig } from './settings.ts';

/** The settings of this process, parsed once at load. @throws `ConfigError` for a bad setting */
export const config: Config = parseConfig(process.env);
