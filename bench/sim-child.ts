/**
 * The project's SmscSimulator in its own process, so its CPU is not counted in the
 * process being measured. Prints nothing; talks over IPC:
 *   → { type: 'ready', port }
 *   ← { cmd: 'stats' }   → { type: 'stats', accepted, throttled, receiptsSent, deliverResps, binds }
 *   ← { cmd: 'perSecond' } → { type: 'perSecond', first, counts, throttled }
 *   ← { cmd: 'reset' }   → { type: 'reset' }
 * Options come as one JSON argument (Partial<SimulatorOptions>).
 */
import { SmscSimulator, type SimulatorOptions } from '../simulator/smsc-simulator';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as Partial<SimulatorOptions>;
  const sim = new SmscSimulator(options);
  let accepted = 0;
  let throttled = 0;
  let receiptsSent = 0;
  sim.on('submit', (s) => {
    if (s.commandStatus === 0) accepted++;
    else if (s.commandStatus === 0x58) throttled++;
  });
  sim.on('receipt', () => receiptsSent++);
  const port = await sim.start(0);
  const send = (m: Record<string, unknown>): void => void process.send?.(m);
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd === 'stats') {
      // records holds every PDU received; deliver_sm_resp tells the receipt was answered.
      let deliverResps = 0;
      for (const r of sim.records) if (r.command === 'deliver_sm_resp') deliverResps++;
      send({ type: 'stats', accepted, throttled, receiptsSent, deliverResps, binds: sim.binds().length });
    } else if (m.cmd === 'perSecond') {
      // Accepted submit_sm per wall-clock second (as sim.acceptedPerSecond()), with the epoch second of the first.
      const ok = sim.submits().filter((r) => r.commandStatus === 0);
      const first = ok.length > 0 ? Math.floor(ok[0]!.at / 1000) : 0;
      send({ type: 'perSecond', first, counts: sim.acceptedPerSecond(), throttled: sim.throttledCount() });
    } else if (m.cmd === 'reset') {
      sim.reset();
      accepted = throttled = receiptsSent = 0;
      send({ type: 'reset' });
    }
  });
  const stop = (): void => void sim.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
  send({ type: 'ready', port });
}

main().catch((err: unknown) => {
  process.send?.({ type: 'error', message: (err as Error).message });
  process.exit(1);
});
