'use strict';
/**
 * offline-kafka: Lambda's Kafka event-source mapping for `sls offline start`.
 *
 * serverless-offline ignores `kafka` and `msk` events. This plugin reads them with the keys AWS uses, runs a
 * kafkajs consumer group per event, and invokes the function through serverless-offline's Lambda Invoke API
 * with AWS's event shape: batching by size, window and the 6 MB payload cap, one invocation in flight per
 * partition, offsets committed only after success, retries, maximum record age, bisect, partial batch
 * responses, and a Kafka topic as on-failure destination. Lambda's List/Get/UpdateEventSourceMapping API
 * on 127.0.0.1 (custom.offlineKafka.controlPort) pauses and resumes each event source and serves its
 * metrics. It also teaches osls the AWS keys its event schemas lack (retries, record age, bisect, partial batch
 * responses, the msk on-failure destination, the schema registry, metrics, logging, the poller group), compiles
 * them into the EventSourceMapping, and prints a lint of what AWS or the emulation will not do. The
 * implementation is TypeScript (plugin.ts), loaded through tsx; this file is the CommonJS entry osls requires. See infra/offline-kafka/README.md.
 */
const path = require('node:path');

// Keys AWS supports on Kafka event-source mappings that osls's kafka/msk schemas do not list. The objects are
// only declared here: options.ts checks what is inside them (with AWS's limits) on every command that reads
// the events, and names the key it refuses.
const extraProperties = {
  maximumRetryAttempts: { type: 'integer', minimum: -1, maximum: 10000 },
  maximumRecordAgeInSeconds: { type: 'integer', minimum: -1, maximum: 604800 },
  bisectBatchOnFunctionError: { type: 'boolean' },
  functionResponseType: { enum: ['ReportBatchItemFailures'] },
  schemaRegistryConfig: { type: 'object' },
  metricsConfig: { type: 'object' },
  loggingConfig: { type: 'object' },
};

class OfflineKafka {
  constructor(serverless, options, utils) {
    this.serverless = serverless;
    this.options = options || {};
    const log = utils?.log;
    this.log = {
      notice: (line) => (log ? log.notice(line) : console.log(line)),
      warning: (line) => (log ? log.warning(line) : console.warn(line)),
    };
    this.sources = undefined;

    const schema = serverless.configSchemaHandler;
    schema.defineFunctionEventProperties('aws', 'kafka', { properties: extraProperties });
    schema.defineFunctionEventProperties('aws', 'msk', {
      properties: { ...extraProperties, onFailureDestination: { type: 'string' } },
    });

    this.commands = {
      'offline-kafka': {
        usage: 'Prints what AWS or the local emulation will not do with the kafka/msk events',
        lifecycleEvents: ['lint'],
      },
    };
    this.hooks = {
      'offline-kafka:lint': async () => {
        const warnings = (await this.impl()).lint(serverless, this.log, true);
        if (warnings.length === 0) this.log.notice('offline-kafka: no warnings');
      },
      'after:offline:start:init': async () => this.start(),
      'before:offline:start:end': async () => this.stop(),
      'after:package:compileEvents': async () => {
        const impl = await this.impl();
        impl.lint(serverless, this.log);
        impl.compile(serverless, this.log);
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
    this.sources = await (await this.impl()).start(this.serverless, this.log, lambdaPort);
  }

  async stop() {
    const sources = this.sources;
    this.sources = undefined;
    await sources?.stop();
  }
}

module.exports = OfflineKafka;
