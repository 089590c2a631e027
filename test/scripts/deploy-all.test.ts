import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * `pnpm run deploy <stage>` with a recording fake in place of the serverless CLI: the waves of
 * services/deploy-order.json in order, the services of a wave at the same time, a failed wave
 * stopping everything after it, removal backwards. (That a wave only imports from earlier waves
 * is checked on the generated templates, in templates.test.ts.)
 */
const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const { waves } = JSON.parse(readFileSync(join(ROOT, 'services/deploy-order.json'), 'utf8')) as { waves: string[][] };

const deploy = async (args: string[], failing = '') => {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-'));
  const log = join(dir, 'calls.log');
  const fake = join(dir, 'serverless');
  // Records start and end of each call; holds each for a moment so overlapping calls overlap.
  writeFileSync(
    fake,
    `#!/usr/bin/env bash\nservice=$(basename "$PWD")\necho "start $service $1" >> "${log}"\nsleep 0.4\necho "end $service $1" >> "${log}"\n[ "$service" != "${failing}" ]\n`,
  );
  chmodSync(fake, 0o755);
  const result = await run('bash', [join(ROOT, 'scripts/deploy-all.sh'), ...args], {
    cwd: ROOT,
    env: { ...process.env, SERVERLESS: fake },
  }).then(
    (r) => ({ code: 0, ...r }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  const calls = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(' ') as [string, string, string]);
  return { ...result, calls };
};

const wavesOf = (calls: [string, string, string][], order: string[][]) => {
  // Every service of a wave starts after every service of the wave before has ended.
  for (let w = 1; w < order.length; w += 1) {
    const lastEnd = Math.max(...order[w - 1]!.map((s) => calls.findIndex(([what, service]) => what === 'end' && service === s)));
    const firstStart = Math.min(...order[w]!.map((s) => calls.findIndex(([what, service]) => what === 'start' && service === s)));
    expect(firstStart).toBeGreaterThan(lastEnd);
  }
};

it('deploys wave after wave, the services of one wave in parallel', async () => {
  const { code, calls, stderr } = await deploy(['dev', '--param=alertEmail=ops@example.com']);
  expect(code).toBe(0);
  expect(stderr).not.toContain('warning');
  expect(
    calls
      .filter(([what]) => what === 'start')
      .map(([, s, action]) => [s, action])
      .sort(),
  ).toEqual(
    waves
      .flat()
      .map((s) => [s, 'deploy'])
      .sort(),
  );
  wavesOf(calls, waves);
  const senders = waves[waves.length - 1]!;
  expect(senders.length).toBeGreaterThan(1);
  // In parallel: every sender started before the first of them ended.
  const firstEnd = calls.findIndex(([what, service]) => what === 'end' && senders.includes(service));
  for (const sender of senders) expect(calls.findIndex(([what, service]) => what === 'start' && service === sender)).toBeLessThan(firstEnd);
});

it('a failed service stops the deploy after its wave, and says so', async () => {
  const { code, calls, stderr } = await deploy(['dev', '--param=alertEmail=ops@example.com'], 'compose');
  expect(code).toBe(1);
  expect(stderr).toContain('stopped: a service of wave [compose client-events] failed');
  expect(calls.map(([, service]) => service)).not.toContain('router');
});

it('removes in the reverse order, and warns about a deploy without alertEmail', async () => {
  const removed = await deploy(['dev', '--remove']);
  expect(removed.code).toBe(0);
  wavesOf(removed.calls, [...waves].reverse());
  expect(removed.calls.every(([, , action]) => action === 'remove')).toBe(true);
  expect((await deploy(['dev'])).stderr).toContain('no --param="alertEmail=…" given');
});
