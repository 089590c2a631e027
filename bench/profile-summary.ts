/**
 * `tsx bench/profile-summary.ts <dir or .cpuprofile files…>`: where the CPU time of V8 profiles
 * (`--cpu-prof`, e.g. from `pnpm bench --cpu-prof <dir>`) went, by package and by function (self time).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const files = process.argv.slice(2).flatMap((arg) =>
  statSync(arg).isDirectory()
    ? readdirSync(arg)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(arg, f))
    : [arg],
);
const top = Number(process.env.TOP ?? 25);

/** The package a script belongs to (node_modules/<pkg> or <scope>/<pkg>), else the repo folder, else a V8 category. */
const packageOf = (url: string, name: string): string => {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const match = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  const repo = /\/(packages|services|bench|test)\/([^/]+)/.exec(url);
  return repo ? `${repo[1]}/${repo[2]}` : url;
};

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, index) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const total = (profile.endTime - profile.startTime) / 1000;
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, micros] of selfTime) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros / 1000);
    const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros / 1000);
  }
  const busy = [...byPackage.entries()].filter(([pkg]) => pkg !== '(idle)' && pkg !== '(program)').reduce((sum, [, ms]) => sum + ms, 0);
  console.log(
    `\n== ${file}: ${total.toFixed(0)} ms profiled, ${busy.toFixed(0)} ms on JavaScript (idle ${(byPackage.get('(idle)') ?? 0).toFixed(0)} ms, GC ${(byPackage.get('(garbage collector)') ?? 0).toFixed(0)} ms)`,
  );
  for (const [pkg, ms] of [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${ms.toFixed(0).padStart(7)} ms  ${pkg}`);
  console.log('  -- functions (self time)');
  for (const [fn, ms] of [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12))
    console.log(`  ${ms.toFixed(0).padStart(7)} ms  ${fn}`);
}
