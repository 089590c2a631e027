import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * No orphans: a child the local stack starts (DynamoDB Local, serverless-offline, the pollers)
 * dies with the stack process even when that process is killed outright (`kill -9`), which runs
 * no cleanup of its own: the parent-death watch (processes/child-process.ts) stops it.
 */
const ROOT = join(__dirname, '..', '..', '..');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('a managed child is stopped within seconds when its parent is killed with SIGKILL', async () => {
  // tsx as a loader in this one process (its CLI would run the fixture in a child of its own, which a SIGKILL would miss).
  const parent = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures/start-sleeper.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const childPid = await new Promise<number>((resolve, reject) => {
    parent.stdout.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString('utf8')) as { pid: number }).pid));
    parent.once('exit', () => reject(new Error('the fixture exited before starting its child')));
  });
  expect(alive(childPid)).toBe(true);
  parent.kill('SIGKILL');
  const deadline = Date.now() + 10_000;
  while (alive(childPid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(alive(childPid)).toBe(false);
}, 30_000);
