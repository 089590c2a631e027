import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

/** The GitHub Actions workflows: valid against the workflow schema, and shaped as issue 5 asks. */
const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const WORKFLOWS = join(ROOT, '.github', 'workflows');
const files = readdirSync(WORKFLOWS).filter((file) => file.endsWith('.yml'));
const workflow = (file: string) => parse(readFileSync(join(WORKFLOWS, file), 'utf8'));

it('has the CI and deploy workflows', () => {
  expect(files.sort()).toEqual(['ci.yml', 'deploy.yml']);
});

it.each(files)('%s is valid (action-validator)', async (file) => {
  const { stdout, stderr } = await run(process.execPath, [
    join(ROOT, 'node_modules/@action-validator/cli/cli.mjs'),
    join(WORKFLOWS, file),
  ]).catch((error: { stdout: string; stderr: string }) => {
    throw new Error(`${file} is invalid:\n${error.stdout}\n${error.stderr}`);
  });
  expect(`${stdout}${stderr}`).not.toMatch(/"errors"/);
});

it('ci runs the README test command and packages every service, on pull requests and main', () => {
  const ci = workflow('ci.yml');
  expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
  expect(ci.on.push.branches).toEqual(['main']);
  const runs = ci.jobs.test.steps.map((step: { run?: string }) => step.run).filter(Boolean);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const testCommand = 'npx -y pnpm@9.15.9 install && npx -y pnpm@9.15.9 test';
  expect(readme).toContain(testCommand);
  expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toContain(testCommand);
  expect(runs).toContain(testCommand);
  expect(runs.some((command: string) => command.includes('scripts/package-all.sh'))).toBe(true);
});

it('deploy uses OIDC (no long-lived keys): dev once ci passed on main, prod only by hand, planned, behind the protected environment', () => {
  const deploy = workflow('deploy.yml');
  const text = readFileSync(join(WORKFLOWS, 'deploy.yml'), 'utf8');
  expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
  for (const job of ['deploy-dev', 'plan-prod', 'deploy-prod']) {
    expect(deploy.jobs[job].permissions['id-token']).toBe('write');
    const credentials = deploy.jobs[job].steps.find((step: { uses?: string }) =>
      step.uses?.startsWith('aws-actions/configure-aws-credentials'),
    );
    expect(credentials.with['role-to-assume']).toBe(
      job === 'plan-prod' ? '${{ vars.AWS_PLAN_ROLE_ARN }}' : '${{ vars.AWS_DEPLOY_ROLE_ARN }}',
    );
  }
  expect(deploy.jobs['deploy-dev'].environment).toBe('dev');
  expect(deploy.jobs['deploy-prod'].environment).toBe('prod');
  expect(deploy.jobs['deploy-prod'].needs).toBe('plan-prod');
  for (const job of ['plan-prod', 'deploy-prod'])
    expect(deploy.jobs[job].if).toBe("github.event_name == 'workflow_dispatch' && github.event.inputs.stage == 'prod'");
  expect(Object.keys(deploy.on).sort()).toEqual(['workflow_dispatch', 'workflow_run']);
});

it('the tests run once per push: deploy has no test job of its own and starts from a passed ci run on main', () => {
  const deploy = workflow('deploy.yml');
  expect(Object.keys(deploy.jobs).sort()).toEqual(['deploy-dev', 'deploy-prod', 'plan-prod']);
  expect(deploy.on.workflow_run).toEqual({ workflows: ['ci'], types: ['completed'], branches: ['main'] });
  expect(deploy.jobs['deploy-dev'].if).toContain("github.event.workflow_run.conclusion == 'success'");
  const checkout = deploy.jobs['deploy-dev'].steps.find((step: { uses?: string }) => step.uses?.startsWith('actions/checkout'));
  expect(checkout.with.ref).toContain('github.event.workflow_run.head_sha');
  const runs = deploy.jobs['plan-prod'].steps.map((step: { run?: string }) => step.run ?? '').join('\n');
  expect(runs).toContain('gh run list --workflow ci.yml --commit');
  expect(runs).toContain('scripts/plan-deploy.sh prod');
});

it('every job runs the pinned Node (the node devDependency) and caches the pnpm store on the lockfile', () => {
  const pinned = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> })
    .devDependencies.node;
  for (const file of files) {
    for (const [name, job] of Object.entries(
      workflow(file).jobs as Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }>,
    )) {
      const node = job.steps.find((step) => step.uses?.startsWith('actions/setup-node'));
      expect([file, name, node?.with?.['node-version']]).toEqual([file, name, pinned]);
      const cache = job.steps.find((step) => step.uses?.startsWith('actions/cache'));
      expect([file, name, cache?.with?.key]).toEqual([file, name, "pnpm-store-${{ runner.os }}-${{ hashFiles('pnpm-lock.yaml') }}"]);
    }
  }
});
