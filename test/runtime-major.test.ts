import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The tests, the local stack and the bench run on the Node.js major Lambda runs (the pinned
 * `node` devDependency puts that binary first on the PATH of every pnpm script), so what passes
 * here is what runs there.
 */
const ROOT = join(__dirname, '..');
// Every deployable with functions (the data stack has none), from the one list of services.
const SERVICES = (JSON.parse(readFileSync(join(ROOT, 'services', 'deploy-order.json'), 'utf8')) as { services: string[] }).services.filter(
  (service) => service !== 'data',
);

it.each(SERVICES)('%s: the tests run on the major of its Lambda runtime', (service) => {
  const yml = readFileSync(join(ROOT, 'services', service, 'serverless.yml'), 'utf8');
  const runtime = /^\s+runtime:\s*nodejs(\d+)\.x/m.exec(yml)?.[1];
  expect(runtime).toBeDefined();
  expect(process.versions.node.split('.')[0]).toBe(runtime);
});

it.each(SERVICES)('%s: its bundle targets the major of its Lambda runtime', (service) => {
  const yml = readFileSync(join(ROOT, 'services', service, 'serverless.yml'), 'utf8');
  const runtime = /^\s+runtime:\s*nodejs(\d+)\.x/m.exec(yml)?.[1];
  // The channel processors share their esbuild settings from services/channel-processor.yml.
  const esbuild = /\$\{file\(\.\.\/channel-processor\.yml\):esbuild\}/.test(yml)
    ? readFileSync(join(ROOT, 'services', 'channel-processor.yml'), 'utf8')
    : yml;
  const target = /^\s+target:\s*node(\d+)/m.exec(esbuild)?.[1];
  expect(target).toBeDefined();
  expect(target).toBe(runtime);
});
