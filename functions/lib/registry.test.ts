import { describe, expect, it } from 'vitest';
import { closedPort } from '../../test/helpers/stack.ts';
import { createSchemaRegistry, SchemaRegistryError } from './registry.ts';

describe('a registry that does not answer', () => {
  it('fails with a retryable SchemaRegistryError without a status, not as a refusal', async () => {
    const port = await closedPort();
    const registry = createSchemaRegistry({ url: `http://127.0.0.1:${port}/apis/ccompat/v7`, retries: 0 });

    const failure = await registry.latest('users_created-value').then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(SchemaRegistryError);
    expect(failure).toMatchObject({ code: 'SCHEMA_REGISTRY_ERROR', retryable: true, status: undefined });
    expect((failure as Error).message).toContain('ECONNREFUSED');
  });
});
