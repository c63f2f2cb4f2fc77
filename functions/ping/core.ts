/** What {@link ping} reports. */
export interface PingResult {
  service: string;
  stage: string;
  /** The time of the request, as ISO 8601. */
  time: string;
  ok: true;
}

/**
 * Builds the liveness report. It only proves the function loaded its config; it checks no dependency.
 *
 * @param service - the service's name
 * @param stage - the deployed stage
 * @param now - the current time
 * @returns the report to send back
 */
export function ping(service: string, stage: string, now: Date): PingResult {
  return { service, stage, time: now.toISOString(), ok: true };
}
