'use strict';
/**
 * Checks each function's environment at packaging time with the schema the functions apply at cold start
 * (functions/lib/settings.ts), so a stage whose settings cannot work fails `sls package` and `sls deploy`
 * with the setting's name instead of failing in AWS on the first invocation.
 *
 * Values that are CloudFormation expressions (objects) are known only at deploy time and are skipped; a
 * variable osls cannot resolve has already failed the command by then.
 */
const path = require('node:path');

class StageConfig {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'before:package:initialize': () => this.check(),
    };
  }

  check() {
    // tsx compiles the TypeScript module in place, scoped to this require (no global hook).
    const { parseConfig } = require('tsx/cjs/api').require(
      path.join(__dirname, '..', '..', 'functions', 'lib', 'settings.ts'),
      __filename,
    );
    const service = this.serverless.service;
    const shared = service.provider.environment || {};
    const problems = [];
    for (const name of service.getAllFunctions()) {
      const fn = service.getFunction(name);
      // Lambda sets AWS_REGION itself (a reserved variable the template may not hold): the stack's region.
      const env = { AWS_REGION: service.provider.region, ...shared, ...(fn.environment || {}) };
      const plain = Object.fromEntries(Object.entries(env).filter(([, value]) => typeof value === 'string'));
      try {
        parseConfig(plain);
      } catch (error) {
        problems.push(`${name}: ${error.message}`);
      }
    }
    if (problems.length > 0) {
      throw new this.serverless.classes.Error(
        `stage ${service.provider.stage} has settings the functions would reject at cold start:\n  ${problems.join('\n  ')}`,
      );
    }
  }
}

module.exports = StageConfig;
