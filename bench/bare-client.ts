/**
 * The ceiling: a bare `smpp` client that binds one transceiver, keeps `window` submit_sm
 * outstanding and answers each receipt with deliver_sm_resp — no queue, no store, no
 * throttle, no logging. Bench code is exempt from the one-module rule for `smpp` (the
 * gateway itself imports it only in worker/smpp/session.ts): this is the baseline the
 * session wrapper is compared with.
 *
 * Args: port count window. Reports { type: 'result', ...ThroughputResult } over IPC.
 */
import * as smpp from 'smpp';
import { throughput } from './common';

const [portArg, countArg, windowArg] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
const window = Number(windowArg ?? 100);

const session = smpp.connect({ host: '127.0.0.1', port }, () => bind());
session.on('error', (e: Error) => {
  process.send?.({ type: 'error', message: `bare client: ${e.message}` });
  process.exit(1);
});

let sent = 0;
let answered = 0;
let receipts = 0;
let rejected = 0;
let started = 0n;
let cpu0: NodeJS.CpuUsage = process.cpuUsage();

function finishIfDone(): void {
  if (answered < count || receipts < answered - rejected) return;
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  process.send?.({ type: 'result', ...throughput(count, wall, (cpu.user + cpu.system) / 1e6, { notes: rejected ? [`${rejected} rejected`] : [] }) });
  session.unbind(() => session.close());
  setTimeout(() => process.exit(0), 200);
}

function pump(): void {
  while (sent < count && sent - answered < window) {
    sent++;
    session.submit_sm(
      {
        source_addr_ton: 5,
        source_addr: 'Bench',
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: `4474001${String(sent % 100000).padStart(5, '0')}`,
        registered_delivery: 1,
        data_coding: 0,
        short_message: 'Your code is 123456. It expires in 10 minutes.',
      },
      (pdu) => {
        answered++;
        if (pdu.command_status !== 0) rejected++;
        pump();
        finishIfDone();
      },
    );
  }
}

session.on('deliver_sm', (pdu) => {
  session.send(pdu.response());
  receipts++;
  finishIfDone();
});

function bind(): void {
  session.bind_transceiver({ system_id: 'gw', password: 'secret', interface_version: 0x34 }, (pdu) => {
    if (pdu.command_status !== 0) {
      process.send?.({ type: 'error', message: `bare client: bind refused 0x${pdu.command_status.toString(16)}` });
      process.exit(1);
    }
    cpu0 = process.cpuUsage();
    started = process.hrtime.bigint();
    pump();
  });
}
