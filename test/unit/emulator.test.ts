/**
 * Where the local tooling finds the emulator, and on which port it starts MiniStack when
 * nothing answers: AWS_ENDPOINT_URL's, so a second emulator can run beside one on 4566.
 */
import { describe, expect, it } from 'vitest';
import { emulatorTarget } from '../../scripts/emulator';

describe('emulatorTarget', () => {
  it('without AWS_ENDPOINT_URL: localhost:4566, started there', () => {
    expect(emulatorTarget(undefined)).toEqual({ endpoint: 'http://localhost:4566', startPort: '4566' });
  });

  it.each(['http://localhost:4577', 'http://127.0.0.1:4577/', 'http://[::1]:4577'])('%s: that endpoint, MiniStack started on its port', (url) => {
    expect(emulatorTarget(url)).toEqual({ endpoint: url.replace(/\/$/, ''), startPort: '4577' });
  });

  it.each(['https://localhost:4566', 'http://emulator.internal:4566', 'http://localhost', 'http://localhost:4566/some/path', 'not a url'])('%s: used as it is, never started here', (url) => {
    expect(emulatorTarget(url).startPort).toBeUndefined();
  });
});
