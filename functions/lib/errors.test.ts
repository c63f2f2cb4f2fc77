import { describe, expect, it } from 'vitest';
import { PipelineError } from '../../lib/errors.ts';
import { ConfigError, TransientError, ValidationError } from './errors.ts';

describe('errors', () => {
  it('ConfigError is a non-retryable PipelineError naming its settings', () => {
    // Arrange
    const cause = new Error('boom');

    // Act
    const error = new ConfigError('invalid configuration: PGPORT: too big', ['PGPORT'], { cause });

    // Assert
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.retryable).toBe(false);
    expect(error.settings).toEqual(['PGPORT']);
    expect(error.cause).toBe(cause);
  });

  it('ValidationError is not retryable and says where', () => {
    const error = new ValidationError('login.uuid is not a uuid', 'results[3]');

    expect(error).toBeInstanceOf(PipelineError);
    expect(error.name).toBe('ValidationError');
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.where).toBe('results[3]');
    expect(error.message).toBe('login.uuid is not a uuid');
  });

  it('TransientError is retryable and takes a specific code', () => {
    const error = new TransientError('broker unreachable', { code: 'KAFKA_UNAVAILABLE' });

    expect(error).toBeInstanceOf(PipelineError);
    expect(error.name).toBe('TransientError');
    expect(error.code).toBe('KAFKA_UNAVAILABLE');
    expect(error.retryable).toBe(true);
  });

  it('has no cause property when none is given', () => {
    const error = new TransientError('timeout');

    expect(error.code).toBe('TRANSIENT');
    expect('cause' in error).toBe(false);
  });

  it('keeps the class name and stack across a throw', () => {
    const thrown = (() => {
      try {
        throw new ValidationError('bad', 'body');
      } catch (error) {
        return error;
      }
    })();

    expect(thrown).toBeInstanceOf(ValidationError);
    expect(String(thrown)).toBe('ValidationError: bad');
    expect(thrown).toHaveProperty('stack', expect.stringContaining('ValidationError: bad'));
  });
});
