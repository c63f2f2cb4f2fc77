/**
 * The records the emulated on-failure destination writes to its Kafka topic: each failed record's own key,
 * value and headers, byte for byte, plus headers that carry the failure metadata Lambda records (the
 * condition, the invoke count, the function error and where the record came from). Pure.
 */
import type { FailedBatch } from './batch.ts';
import { partitionKey } from './event.ts';

/** A message as kafkajs's producer takes it. */
export interface DestinationMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}

/** Names of the metadata headers, so tools can read them back. */
export const failureHeaders = {
  condition: 'lambda-failure-condition',
  invokeCount: 'lambda-failure-approximate-invoke-count',
  errorType: 'lambda-failure-error-type',
  errorMessage: 'lambda-failure-error-message',
  source: 'lambda-failure-source',
  functionArn: 'lambda-failure-function-arn',
  timestamp: 'lambda-failure-timestamp',
  /** The whole invocation record, as JSON, in the shape Lambda gives its other destinations. */
  record: 'lambda-failure-record',
} as const;

/** Who failed: the function's ARN as the local account would have it. */
export interface FailureContext {
  functionArn: string;
  bootstrapServers: string;
  failedAt: Date;
}

/**
 * The destination messages for a failed set of records.
 *
 * Original headers come first and keep their order; a record whose original headers use one of the
 * metadata names keeps both values (Kafka headers may repeat).
 */
export function toDestinationMessages(failed: FailedBatch, context: FailureContext): DestinationMessage[] {
  const first = failed.records[0];
  const last = failed.records.at(-1);
  const invocationRecord = JSON.stringify({
    version: '1.0',
    timestamp: context.failedAt.toISOString(),
    requestContext: {
      functionArn: context.functionArn,
      condition: failed.condition,
      approximateInvokeCount: failed.approximateInvokeCount,
    },
    responseContext: failed.error
      ? { statusCode: 200, executedVersion: '$LATEST', functionError: failed.error.errorType }
      : undefined,
    KafkaBatchInfo:
      first && last
        ? {
            batchSize: failed.records.length,
            bootstrapServers: context.bootstrapServers,
            recordsInfo: {
              [partitionKey(first)]: {
                firstRecordOffset: String(first.offset),
                lastRecordOffset: String(last.offset),
                firstRecordTimestamp: new Date(first.timestamp).toISOString(),
                lastRecordTimestamp: new Date(last.timestamp).toISOString(),
              },
            },
          }
        : undefined,
  });

  return failed.records.map((record) => {
    const headers: Record<string, Buffer[]> = {};
    const add = (name: string, value: Buffer) => {
      const list = headers[name] ?? [];
      list.push(value);
      headers[name] = list;
    };
    for (const [name, value] of record.headers) add(name, value);
    add(failureHeaders.condition, Buffer.from(failed.condition));
    add(failureHeaders.invokeCount, Buffer.from(String(failed.approximateInvokeCount)));
    if (failed.error) {
      add(failureHeaders.errorType, Buffer.from(failed.error.errorType));
      add(failureHeaders.errorMessage, Buffer.from(failed.error.errorMessage.slice(0, 4096)));
    }
    add(failureHeaders.source, Buffer.from(`${partitionKey(record)}@${record.offset}`));
    add(failureHeaders.functionArn, Buffer.from(context.functionArn));
    add(failureHeaders.timestamp, Buffer.from(context.failedAt.toISOString()));
    add(failureHeaders.record, Buffer.from(invocationRecord));
    return {
      key: record.key,
      value: record.value,
      headers: Object.fromEntries(
        Object.entries(headers).map(([name, values]) => [
          name,
          values.length === 1 && values[0] ? values[0] : values,
        ]),
      ),
    };
  });
}
