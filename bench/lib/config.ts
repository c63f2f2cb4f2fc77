/** The functions' config for a benchmark phase: the local stage's settings, on the phase's names. */
import { type Config, parseConfig } from '../../functions/lib/settings.ts';
import type { StackConfig } from '../../infra/local/config.ts';
import { functionEnv } from '../../infra/local/function-env.ts';
import type { RunNames } from './pipeline.ts';

/**
 * What serverless.yml's `local` params give the functions, pointed at `names`, at the log level a deployed
 * stage uses.
 */
export function functionConfig(cfg: StackConfig, names: RunNames, env: Record<string, string> = {}): Config {
  return parseConfig({
    STAGE: 'local',
    LOG_LEVEL: 'WARN',
    KAFKA_CLIENT_ID: 'bench',
    FETCH_TOTAL: '1000',
    ...functionEnv(cfg, names),
    ...env,
  });
}
