/**
 * The worker's log (worker/log.ts): JSON lines with numbers masked, and the
 * success path of each message at DEBUG only. The worker's logs go to CloudWatch
 * through the awslogs driver, which the emulator does not run, so this is where
 * their hygiene is checked.
 */
import { describe, expect, it } from 'vitest';
import { createLog, type LogLevel } from '../../worker/log';

/** A log at `level` and the lines it wrote. */
function capture(level: LogLevel = 'DEBUG') {
  const lines: string[] = [];
  return { log: createLog(level, (line) => lines.push(line)), lines, entries: () => lines.map((l) => JSON.parse(l)) };
}

describe('worker log', () => {
  it('masks to, from, destination and source, keeping country code and last two digits', () => {
    // Prepare
    const { log, lines, entries } = capture();

    // Act
    log('SUBMIT_RETRY', { carrierId: 'sim-a', to: '+447400123456', from: '447700900123', destination: '+4915112345678', source: '+14155550123', nextAttempt: 2 });

    // Assess
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    const [entry] = entries();
    expect(entry).toMatchObject({ level: 'INFO', service: 'smpp-worker', message: 'SUBMIT_RETRY', carrierId: 'sim-a', nextAttempt: 2 });
    expect(entry.to).toBe('+44********56');
    expect(entry.from).toBe('+44********23');
    expect(entry.destination).toMatch(/^\+49\*+78$/);
    expect(entry.source).toMatch(/^\+1\*+23$/);
    expect(lines[0]).not.toMatch(/\d{6,}/);
  });

  it('masks an SMPP address (no "+") like an E.164 number, as the carrier connection passes it', () => {
    const { log, entries } = capture();
    log('SUBMIT_REJECTED', { carrier: 'sim-a', commandStatus: '0x0000000B', to: '447400123456' });
    expect(entries()[0].to).toBe('+44********56');
  });

  it('leaves alphanumeric sender ids readable', () => {
    const { log, entries } = capture();
    log('INBOUND_PART_STORED', { from: 'ACME' });
    expect(entries()[0].from).toBe('ACME');
  });

  it('writes the per-message success path only at DEBUG, and failures, retries and binds at INFO either way', () => {
    // Prepare
    const info = capture('INFO');
    const debug = capture('DEBUG');
    const events = ['MESSAGE_SUBMITTED', 'RECEIPT_APPLIED', 'SUBMIT_SKIPPED', 'THROTTLED', 'MESSAGE_FAILED', 'SUBMIT_RETRY', 'BIND_LOST', 'DELIVERY_SUMMARY'];
    // Act
    for (const e of events) {
      info.log(e, { carrierId: 'sim-a' });
      debug.log(e, { carrierId: 'sim-a' });
    }
    // Assess
    expect(info.entries().map((e) => e.message)).toEqual(['MESSAGE_FAILED', 'SUBMIT_RETRY', 'BIND_LOST', 'DELIVERY_SUMMARY']);
    expect(debug.entries().map((e) => `${e.level} ${e.message}`)).toEqual([
      'DEBUG MESSAGE_SUBMITTED',
      'DEBUG RECEIPT_APPLIED',
      'DEBUG SUBMIT_SKIPPED',
      'DEBUG THROTTLED',
      'INFO MESSAGE_FAILED',
      'INFO SUBMIT_RETRY',
      'INFO BIND_LOST',
      'INFO DELIVERY_SUMMARY',
    ]);
  });
});
