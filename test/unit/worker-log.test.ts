/**
 * The worker's log function: JSON lines with numbers masked. The worker's logs
 * go to CloudWatch through the awslogs driver, which the emulator does not run,
 * so this is where their hygiene is checked.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { log } from '../../worker/main';

afterEach(() => vi.restoreAllMocks());

describe('worker log', () => {
  it('masks to, from, destination and source, keeping country code and last two digits', () => {
    // Prepare
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });

    // Act
    log('INBOUND_PUBLISHED', { carrierId: 'sim-a', to: '+447400123456', from: '447700900123', destination: '+4915112345678', source: '+14155550123', parts: 1 });

    // Assess
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line.endsWith('\n')).toBe(true);
    const entry = JSON.parse(line);
    expect(entry).toMatchObject({ level: 'INFO', service: 'smpp-worker', message: 'INBOUND_PUBLISHED', carrierId: 'sim-a', parts: 1 });
    expect(entry.to).toBe('+44********56');
    expect(entry.from).toBe('+44********23');
    expect(entry.destination).toMatch(/^\+49\*+78$/);
    expect(entry.source).toMatch(/^\+1\*+23$/);
    expect(line).not.toMatch(/\d{6,}/);
  });

  it('masks an SMPP address (no "+") like an E.164 number, as the carrier connection passes it', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    log('SUBMIT_REJECTED', { carrier: 'sim-a', commandStatus: '0x0000000B', to: '447400123456' });
    expect(JSON.parse(lines[0]!).to).toBe('+44********56');
  });

  it('leaves alphanumeric sender ids readable', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    log('INBOUND_PART_STORED', { from: 'ACME' });
    expect(JSON.parse(lines[0]!).from).toBe('ACME');
  });
});
