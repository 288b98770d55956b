/**
 * Kannel 1.4.5 baseline: bearerbox with one SMPP transceiver SMSC group (max-pending-submits
 * 100) against the same simulator, fed by mtbatch (which connects to bearerbox's smsbox port
 * as a box — no smsbox process needed). Installs the Debian packages when missing (root).
 * Measures messages/s until the simulator has N receipts answered, and bearerbox CPU per
 * message from /proc/<pid>/stat.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ask, processCpuSeconds, sleep, throughput, type ThroughputResult } from './common';

export type KannelResult = ThroughputResult & { mtbatchCpuSeconds: number };

function which(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
}

/** Installs kannel + kannel-extras when bearerbox or mtbatch is missing; returns why not, if it cannot. */
export function ensureKannel(): string | undefined {
  if (which('bearerbox') && which('mtbatch')) return undefined;
  if (process.getuid?.() !== 0) return 'bearerbox/mtbatch not installed and not root to apt-get install kannel kannel-extras';
  const update = spawnSync('apt-get', ['update'], { stdio: 'ignore' });
  if (update.status !== 0) return 'apt-get update failed';
  const install = spawnSync('apt-get', ['install', '-y', 'kannel', 'kannel-extras'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (install.status !== 0 || !which('bearerbox') || !which('mtbatch')) return 'apt-get install -y kannel kannel-extras failed';
  return undefined;
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`Kannel: ${what} within ${timeoutMs} ms`);
}

function exitedEarly(child: ChildProcess, name: string, dir: string): Promise<never> {
  return new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`${name} exited with ${code} (logs in ${dir})`))));
}

export async function runKannel(sim: ChildProcess, simPort: number, count: number): Promise<KannelResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-kannel-'));
  const adminPort = 13900 + Math.floor(Math.random() * 50);
  const boxPort = adminPort + 50;
  writeFileSync(
    join(dir, 'kannel.conf'),
    `group = core
admin-port = ${adminPort}
admin-password = bench
smsbox-port = ${boxPort}
box-allow-ip = 127.0.0.1
log-file = "${dir}/bearerbox.log"
log-level = 1
access-log = "${dir}/access.log"
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = ${simPort}
transceiver-mode = yes
smsc-username = gw
smsc-password = secret
system-type = ""
interface-version = 34
max-pending-submits = 100
msg-id-type = 0x00

# Required by bearerbox when smsbox-port is set; no smsbox runs: mtbatch connects as the box.
group = smsbox
bearerbox-host = 127.0.0.1
`,
  );
  writeFileSync(join(dir, 'content.txt'), 'Your code is 123456. It expires in 10 minutes.\n');
  writeFileSync(join(dir, 'receivers.txt'), Array.from({ length: count }, (_, i) => `4474001${String(i % 100000).padStart(5, '0')}`).join('\n') + '\n');

  const bearerbox = spawn('bearerbox', ['-v', '4', join(dir, 'kannel.conf')], { cwd: dir, stdio: 'ignore' });
  const bearerboxDied = exitedEarly(bearerbox, 'bearerbox', dir);
  bearerboxDied.catch(() => undefined);
  let mtbatch: ChildProcess | undefined;
  try {
    const status = async (): Promise<string> => {
      try {
        const res = await fetch(`http://127.0.0.1:${adminPort}/status.txt?password=bench`, { signal: AbortSignal.timeout(1000) });
        return await res.text();
      } catch {
        return '';
      }
    };
    await Promise.race([waitFor('SMSC sim online', 20_000, async () => /sim\[sim\][^\n]*online/i.test(await status()) || /\(online/i.test(await status())), bearerboxDied]);
    const cpu0 = processCpuSeconds(bearerbox.pid!);
    const t0 = process.hrtime.bigint();
    mtbatch = spawn('mtbatch', ['-v', '4', '-b', '127.0.0.1', '-p', String(boxPort), '-f', 'Bench', '-D', '3', '-u', 'http://127.0.0.1/dlr', '-r', 'sim', join(dir, 'content.txt'), join(dir, 'receivers.txt')], { cwd: dir, stdio: 'ignore' });
    const mtbatchPid = mtbatch.pid!;
    let mtbatchCpu = 0;
    // Done when the simulator has had N receipts answered with deliver_sm_resp (same end point as the worker's runs).
    await Promise.race([
      waitFor(`${count} receipts answered`, 600_000, async () => {
        try {
          mtbatchCpu = processCpuSeconds(mtbatchPid);
        } catch {
          // mtbatch has finished sending and exited
        }
        const s = await ask<{ type: 'stats'; deliverResps: number }>(sim, { cmd: 'stats' }, 'stats');
        return s.deliverResps >= count;
      }),
      bearerboxDied,
    ]);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = processCpuSeconds(bearerbox.pid!) - cpu0;
    return { ...throughput(count, wall, cpu, { notes: [`bearerbox CPU only; mtbatch (the feeder) used ${mtbatchCpu.toFixed(2)} s more`, `config and logs: ${dir}`] }), mtbatchCpuSeconds: mtbatchCpu };
  } finally {
    if (mtbatch && mtbatch.exitCode === null) mtbatch.kill('SIGTERM');
    if (bearerbox.exitCode === null) {
      bearerbox.kill('SIGTERM');
      await Promise.race([new Promise((r) => bearerbox.once('exit', r)), sleep(5000)]);
      if (bearerbox.exitCode === null) bearerbox.kill('SIGKILL');
    }
  }
}

export function kannelVersion(): string {
  if (!existsSync('/usr/sbin/bearerbox') && !which('bearerbox')) return 'not installed';
  const out = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'kannel'], { encoding: 'utf8' });
  return out.stdout.trim() || 'unknown';
}
