import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { createRecordSender, kafkaFor, kafkaSecurityOptions } from './kafka.ts';
import type { CredentialsReader } from './secrets.ts';

const scramArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_pipeline-AbCdEf';

describe('kafkaSecurityOptions', () => {
  it('connects in plain text with no authentication for the local broker', () => {
    expect(kafkaSecurityOptions({ tls: false, auth: { mechanism: 'none' } })).toEqual({ ssl: false });
  });

  it('uses TLS and SASL/OAUTHBEARER with a token signed for the region for MSK IAM', async () => {
    const regions: string[] = [];
    const options = kafkaSecurityOptions(
      { tls: true, auth: { mechanism: 'iam', region: 'eu-west-1' } },
      {
        iamToken: async (region) => {
          regions.push(region);
          return { token: `token-${regions.length}` };
        },
      },
    );

    expect(options.ssl).toBe(true);
    expect(options.sasl?.mechanism).toBe('oauthbearer');
    const sasl = options.sasl;
    if (sasl === undefined || !('oauthBearerProvider' in sasl)) throw new Error('no OAUTHBEARER provider');
    // A fresh token per (re)authentication, never one cached at build time.
    expect(await sasl.oauthBearerProvider()).toEqual({ value: 'token-1' });
    expect(await sasl.oauthBearerProvider()).toEqual({ value: 'token-2' });
    expect(regions).toEqual(['eu-west-1', 'eu-west-1']);
  });

  it('uses TLS and SCRAM-SHA-512 with the given credentials', () => {
    const options = kafkaSecurityOptions(
      { tls: true, auth: { mechanism: 'scram', secretArn: scramArn } },
      { scram: { username: 'pipeline', password: 'pw' } },
    );

    expect(options).toEqual({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'pipeline', password: 'pw' },
    });
  });

  it('throws a ConfigError naming KAFKA_SCRAM_SECRET_ARN for SCRAM without credentials', () => {
    const act = () => kafkaSecurityOptions({ tls: true, auth: { mechanism: 'scram', secretArn: scramArn } });

    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/KAFKA_SCRAM_SECRET_ARN/);
  });
});

describe('kafkaFor', () => {
  const scramConfig = {
    kafka: { brokers: ['b-1.example:9096'], clientId: 'test' },
    kafkaSecurity: { tls: true, auth: { mechanism: 'scram', secretArn: scramArn } } as const,
  };

  it('reads the SCRAM secret once, on first use, and builds one client', async () => {
    const reads: string[] = [];
    const reader: CredentialsReader = {
      credentials: async (arn, setting) => {
        reads.push(`${setting}=${arn}`);
        return { username: 'pipeline', password: 'pw' };
      },
    };
    const build = kafkaFor(scramConfig, reader);

    expect(reads).toEqual([]);
    const [first, second] = await Promise.all([build(), build()]);

    expect(first).toBe(second);
    expect(reads).toEqual([`KAFKA_SCRAM_SECRET_ARN=${scramArn}`]);
  });

  it('tries the secret again after a failed read, and the sender surfaces the failure', async () => {
    let calls = 0;
    const reader: CredentialsReader = {
      credentials: async () => {
        calls++;
        if (calls === 1) throw new Error('throttled');
        return { username: 'pipeline', password: 'pw' };
      },
    };
    const build = kafkaFor(scramConfig, reader);
    const sender = createRecordSender(build);

    await expect(sender.send('t', [{ key: 'k', value: 'v' }])).rejects.toThrow('throttled');
    await expect(build()).resolves.toBeDefined();
    expect(calls).toBe(2);
  });
});
