'use strict';
/**
 * The local EventBridge for `sls offline start` (infra/eventbus): a PutEvents endpoint that answers only after
 * the accepted events and their deliveries are committed to PostgreSQL, and delivers each event to every
 * enabled `eventBridge` rule whose pattern and bus match, at least once, retrying with the rule target's
 * retryPolicy and dead-lettering what runs out, across crashes and restarts. It also prints a lint of what AWS
 * or the emulation will not do (`npx sls offline-eventbridge`). The implementation is TypeScript (plugin.ts),
 * loaded through tsx; this file is the CommonJS entry osls requires. See infra/eventbus/README.md.
 */
const path = require('node:path');

class OfflineEventBridge {
  constructor(serverless, options, utils) {
    this.serverless = serverless;
    this.options = options || {};
    const log = utils?.log;
    this.log = {
      notice: (line) => (log ? log.notice(line) : console.log(line)),
      warning: (line) => (log ? log.warning(line) : console.warn(line)),
    };
    this.bus = undefined;

    this.commands = {
      'offline-eventbridge': {
        usage: 'Prints what AWS or the local EventBridge will not do with the eventBridge events',
        lifecycleEvents: ['lint'],
      },
    };
    this.hooks = {
      'offline-eventbridge:lint': async () => {
        const warnings = (await this.impl()).lint(serverless, this.log);
        if (warnings.length === 0) this.log.notice('[eventbus] no warnings');
      },
      'after:offline:start:init': async () => this.start(),
      'before:offline:start:end': async () => this.stop(),
      'after:package:compileEvents': async () => {
        (await this.impl()).lint(serverless, this.log);
      },
    };
  }

  async impl() {
    // tsx compiles the TypeScript in place, scoped to this require (it registers no global hook).
    this.loaded ??= require('tsx/cjs/api').require(path.join(__dirname, 'plugin.ts'), __filename);
    return this.loaded;
  }

  async start() {
    const custom = this.serverless.service.custom || {};
    const offline = custom['serverless-offline'] || {};
    const lambdaPort = Number(this.options.lambdaPort || offline.lambdaPort || 3002);
    this.bus = await (await this.impl()).start(this.serverless, this.log, lambdaPort);
  }

  async stop() {
    const bus = this.bus;
    this.bus = undefined;
    await bus?.stop();
  }
}

module.exports = OfflineEventBridge;
