/**
 * The JSON logger (core/util/logger.ts): one line per call in the shape log queries and
 * alarms read, at the configured level, warnings and errors on stderr.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../core/util/logger';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  const parse = (lines: string[]) => lines.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return { out: () => parse(out), err: () => parse(err) };
}

afterEach(() => vi.restoreAllMocks());

describe('createLogger', () => {
  it('writes one JSON line per event with level, message, timestamp, service and the data', () => {
    const logs = capture();
    createLogger('api', { POWERTOOLS_LOG_LEVEL: 'INFO' }).info('MESSAGE_ACCEPTED', { messageId: 'm1', segments: 2 });
    const [line] = logs.out();
    expect(line).toEqual({ level: 'INFO', message: 'MESSAGE_ACCEPTED', timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), service: 'api', messageId: 'm1', segments: 2 });
  });

  it('writes warnings and errors on stderr, an Error with its name and message', () => {
    const logs = capture();
    const logger = createLogger('outbox', { POWERTOOLS_LOG_LEVEL: 'INFO' });
    logger.warn('RECORD_FAILED', { messageId: 'm2' });
    logger.error('UNEXPECTED_ERROR', { cause: new TypeError('boom') });
    expect(logs.out()).toEqual([]);
    expect(logs.err().map((l) => `${l.level} ${l.message}`)).toEqual(['WARN RECORD_FAILED', 'ERROR UNEXPECTED_ERROR']);
    expect(logs.err()[1].cause).toMatchObject({ name: 'TypeError', message: 'boom' });
  });

  it.each([
    [{ POWERTOOLS_LOG_LEVEL: 'warn' }, ['WARN']],
    [{ POWERTOOLS_LOG_LEVEL: 'DEBUG' }, ['DEBUG', 'INFO', 'WARN']],
    [{ AWS_LAMBDA_LOG_LEVEL: 'DEBUG' }, ['DEBUG', 'INFO', 'WARN']],
    [{}, ['INFO', 'WARN']],
    [{ POWERTOOLS_LOG_LEVEL: 'SILENT' }, []],
  ])('with %j writes %j', (env, levels) => {
    const logs = capture();
    const logger = createLogger('router', env);
    logger.debug('A');
    logger.info('B');
    logger.warn('C');
    expect([...logs.out(), ...logs.err()].map((l) => l.level).sort()).toEqual([...levels].sort());
  });
});
