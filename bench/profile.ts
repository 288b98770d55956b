/**
 * Sums up the CPU profiles of a bench run (BENCH_CPU_PROF=<dir> npm run bench …): self time
 * per function and per module (node_modules package or project file), heaviest first, for
 * each profile in the directory.
 *
 *   npx tsx bench/profile.ts <dir> [top=25]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The module a frame belongs to: the node_modules package, or the project-relative file. */
function moduleOf(url: string): string {
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (!url) return '(native / gc)';
  const m = /\/(core|worker|bench|simulator|lambdas|scripts)\/(.*)$/.exec(url);
  return m ? `${m[1]}/${m[2]}` : url.replace(/^file:\/\//, '');
}

function summarise(profile: Profile, top: number): string {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, number>();
  const mods = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const f = byNode.get(id)!.callFrame;
    const mod = moduleOf(f.url);
    const fn = `${f.functionName || '(anonymous)'} ${mod}:${f.lineNumber + 1}`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    mods.set(mod, (mods.get(mod) ?? 0) + us);
  }
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
      .join('\n');
  return `total ${(total / 1000).toFixed(0)} ms\nby module:\n${rows(mods)}\nby function:\n${rows(fns)}`;
}

const [dir, topArg] = process.argv.slice(2);
if (!dir) {
  console.error('usage: npx tsx bench/profile.ts <dir> [top]');
  process.exit(2);
}
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  console.log(`\n== ${file}\n${summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile, Number(topArg ?? 25))}`);
}
