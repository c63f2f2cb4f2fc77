/**
 * `ping`: the smallest function of the pipeline, behind `GET /ping`.
 *
 * It checks no dependency; it shows that the bundle, the config and the logger load, which makes it the
 * first thing to call after a deploy or when serverless-offline starts.
 *
 * This module is the function's factory: `createHandler(deps)` and `depsFor(config)`. Importing it reads no
 * environment and builds no client; the entry point, handler.ts, wires it to the process's config.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { createLogger } from '../lib/logger.ts';
import type { Config } from '../lib/settings.ts';
import { ping } from './core.ts';

/** What the ping handler needs. */
export interface PingDeps {
  config: Config;
  logger: Logger;
  now: () => Date;
}

/**
 * Builds the ping handler from its dependencies.
 *
 * @param deps - the config, a logger and a clock
 * @returns an API Gateway (REST) handler that answers 200 with the {@link ping} report as JSON; it reads
 *   nothing from the request
 */
export function createHandler(deps: PingDeps): () => Promise<APIGatewayProxyResult> {
  return async () => {
    const result = ping(deps.config.service, deps.config.stage, deps.now());
    // The settings as this function parsed them (names and endpoints, never a secret's value: secrets are
    // read at run time from their ARNs), so a user can see what reached the functions.
    deps.logger.debug('ping', { time: result.time, settings: deps.config });
    return {
      statusCode: 200,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(result),
    };
  };
}

/** The dependencies the deployed function runs with, built from a config: a logger and the clock. */
export function depsFor(cfg: Config): PingDeps {
  return {
    config: cfg,
    logger: createLogger('ping', { level: cfg.logLevel, stage: cfg.stage }),
    now: () => new Date(),
  };
}
