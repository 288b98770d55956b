import { describe, expect, it } from 'vitest';
import {
  COMMAND_STATUSES,
  checkCommandStatusOverrides,
  classifyCommandStatus,
  commandStatusName,
  formatCommandStatus,
  parseCommandStatusKey,
} from '../../core/domain/command-status';

describe('classifyCommandStatus', () => {
  // Golden table: code, name, kind, retryable.
  const golden: Array<[number, string, string, boolean]> = [
    [0x00, 'ESME_ROK', 'ok', false],
    [0x01, 'ESME_RINVMSGLEN', 'permanent', false],
    [0x02, 'ESME_RINVCMDLEN', 'permanent', false],
    [0x03, 'ESME_RINVCMDID', 'permanent', false],
    [0x04, 'ESME_RINVBNDSTS', 'bind', true],
    [0x05, 'ESME_RALYBND', 'bind', true],
    [0x08, 'ESME_RSYSERR', 'transient', true],
    [0x0a, 'ESME_RINVSRCADR', 'permanent', false],
    [0x0b, 'ESME_RINVDSTADR', 'permanent', false],
    [0x0c, 'ESME_RINVMSGID', 'permanent', false],
    [0x0d, 'ESME_RBINDFAIL', 'bind', false],
    [0x0e, 'ESME_RINVPASWD', 'bind', false],
    [0x0f, 'ESME_RINVSYSID', 'bind', false],
    [0x14, 'ESME_RMSGQFUL', 'throttled', true],
    [0x45, 'ESME_RSUBMITFAIL', 'transient', true],
    [0x58, 'ESME_RTHROTTLED', 'throttled', true],
    [0x61, 'ESME_RINVSCHED', 'permanent', false],
    [0x62, 'ESME_RINVEXPIRY', 'permanent', false],
    [0x64, 'ESME_RX_T_APPN', 'transient', true],
    [0x65, 'ESME_RX_P_APPN', 'permanent', false],
    [0x66, 'ESME_RX_R_APPN', 'permanent', false],
    [0xfe, 'ESME_RDELIVERYFAILURE', 'transient', true],
    [0xff, 'ESME_RUNKNOWNERR', 'transient', true],
  ];

  it.each(golden)('code %i → %s, %s, retryable=%s', (code, name, kind, retryable) => {
    expect(classifyCommandStatus(code)).toEqual({ code, name, kind, retryable });
  });

  it('classifies unknown codes as transient and retryable, naming the number', () => {
    expect(classifyCommandStatus(0x0401)).toEqual({
      code: 0x0401,
      name: 'UNKNOWN_0x00000401',
      kind: 'transient',
      retryable: true,
    });
    expect(classifyCommandStatus(0x09).name).toBe('UNKNOWN_0x00000009');
  });

  it('has one consistent entry per code', () => {
    for (const [code, info] of COMMAND_STATUSES) {
      expect(info.code).toBe(code);
      expect(info.name).toMatch(/^ESME_R[A-Z_]+$/);
      if (info.kind === 'permanent' || info.kind === 'ok') expect(info.retryable).toBe(false);
      if (info.kind === 'throttled' || info.kind === 'transient') expect(info.retryable).toBe(true);
    }
  });

  it('lets a carrier make a transient code permanent (hex key, 8 digits)', () => {
    expect(classifyCommandStatus(0x45, { '0x00000045': 'permanent' })).toEqual({
      code: 0x45,
      name: 'ESME_RSUBMITFAIL',
      kind: 'permanent',
      retryable: false,
    });
  });

  it('lets a carrier make a permanent code retryable (short hex and decimal keys)', () => {
    expect(classifyCommandStatus(0x0b, { '0xb': 'retryable' })).toMatchObject({ kind: 'transient', retryable: true });
    expect(classifyCommandStatus(0x0b, { '11': 'retryable' })).toMatchObject({ kind: 'transient', retryable: true });
    expect(classifyCommandStatus(0x0b, { '0X0000000B': 'retryable' })).toMatchObject({ retryable: true });
  });

  it('keeps throttled and bind kinds under overrides, and never reclassifies ESME_ROK', () => {
    expect(classifyCommandStatus(0x58, { '0x58': 'retryable' }).kind).toBe('throttled');
    expect(classifyCommandStatus(0x58, { '0x58': 'permanent' })).toMatchObject({ kind: 'permanent', retryable: false });
    expect(classifyCommandStatus(0x0d, { '0x0d': 'retryable' })).toMatchObject({ kind: 'bind', retryable: true });
    expect(classifyCommandStatus(0x00, { '0x00': 'permanent' })).toMatchObject({ kind: 'ok', retryable: false });
  });

  it('reclassifies unknown codes and ignores overrides for other codes or with bad keys', () => {
    expect(classifyCommandStatus(0x0401, { '0x401': 'permanent' })).toMatchObject({
      name: 'UNKNOWN_0x00000401',
      kind: 'permanent',
      retryable: false,
    });
    expect(classifyCommandStatus(0x45, { '0x46': 'permanent', 'RSUBMITFAIL': 'permanent' }).retryable).toBe(true);
  });
});

describe('commandStatusName / formatCommandStatus', () => {
  it('names known and unknown codes', () => {
    expect(commandStatusName(0x58)).toBe('ESME_RTHROTTLED');
    expect(commandStatusName(0)).toBe('ESME_ROK');
    expect(commandStatusName(0xabcdef)).toBe('UNKNOWN_0x00ABCDEF');
    expect(formatCommandStatus(0x45)).toBe('0x00000045');
  });
});

describe('parseCommandStatusKey / checkCommandStatusOverrides', () => {
  it('parses hex and decimal keys and rejects the rest', () => {
    expect(parseCommandStatusKey('0x00000045')).toBe(0x45);
    expect(parseCommandStatusKey(' 69 ')).toBe(69);
    expect(parseCommandStatusKey('0x')).toBeUndefined();
    expect(parseCommandStatusKey('45h')).toBeUndefined();
    expect(parseCommandStatusKey('99999999999')).toBeUndefined();
    expect(parseCommandStatusKey('-1')).toBeUndefined();
  });

  it('reports bad keys, duplicates, bad values and ESME_ROK', () => {
    expect(checkCommandStatusOverrides({ '0x45': 'permanent', '0x58': 'retryable' })).toEqual([]);
    const problems = checkCommandStatusOverrides({
      nope: 'permanent',
      '0x45': 'permanent',
      '69': 'permanent',
      '0x14': 'sometimes',
      '0': 'permanent',
    });
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/"nope": not a command_status/);
    // Integer-like keys enumerate first in JavaScript, so "69" is met before "0x45".
    expect(problems.join('\n')).toMatch(/"0x45": same code as "69"/);
    expect(problems.join('\n')).toMatch(/"0x14": value must be/);
    expect(problems.join('\n')).toMatch(/ESME_ROK cannot be reclassified/);
  });
});
