'use strict';
/**
 * Ends `sls invoke local` once the handler has answered, as Lambda does.
 *
 * The functions build their clients (a PostgreSQL pool, a Kafka producer, a Cassandra session) once per
 * process and keep them open for the next warm invocation. Lambda freezes the process when an async handler
 * resolves, so open sockets cost nothing there; `invoke local` instead waits for Node's event loop to empty,
 * which those clients never let happen. This plugin exits after the invocation (and after the plugins
 * listed before it have cleaned up), keeping the exit code `invoke local` set for a failed invocation.
 */
class LambdaFreeze {
  constructor() {
    this.hooks = {
      'after:invoke:local:invoke': () => {
        process.exit(process.exitCode ?? 0);
      },
    };
  }
}

module.exports = LambdaFreeze;
