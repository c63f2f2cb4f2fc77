/**
 * `infra/randomuser`: a local, deterministic stand-in for the randomuser.me API 1.4, the pipeline's default
 * data source when RANDOMUSER_URL is unset. It answers on `/api/1.4/` with the same parameters and response
 * shape as upstream (so the real https://randomuser.me/api/1.4/ is a drop-in replacement), generates users
 * from per-nationality data modelled on real responses, and adds what the real service cannot give tests:
 * seeded byte-identical output, an optional per-client rate limit, and injectable faults (5xx, empty
 * results, latency, truncated and malformed bodies, a hostile user) steered through `/__admin/*` endpoints.
 */
export { type Gender, NATIONALITIES, type Nationality } from './data.ts';
export {
  applyFaultsPatch,
  DEFAULT_RATE_LIMIT,
  decideFault,
  type Fault,
  type FaultKind,
  type Faults,
  type FaultsPatch,
  hostileNameLength,
  NO_FAULTS,
  parseRateLimit,
  type RateLimit,
} from './faults.ts';
export {
  API_VERSION,
  generateUsers,
  type Info,
  type RandomUser,
  type RandomUserResponse,
  type ServedUser,
} from './generate.ts';
export { FIELDS, type Field, type GenerateOptions, MAX_RESULTS, parseQuery } from './params.ts';
export {
  API_PATHS,
  createRandomUserServer,
  type RandomUserServer,
  type RandomUserServerHandle,
  type RandomUserServerOptions,
  type RandomUserStats,
  type RequestLogEntry,
  startRandomUserServer,
} from './server.ts';
