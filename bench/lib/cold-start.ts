import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build, Metafile } from 'esbuild';
import { readServiceTemplate } from '../../packages/local-stack/src/cloudformation/service-template';
import { percentile, Report } from './report';

/**
 * Cold start, as far as it can be measured without Lambda: each function bundled as
 * serverless-esbuild bundles it (its serverless.yml's `custom.esbuild`: bundle, platform node,
 * the AWS SDK inside, not minified), its size, and its module initialisation (require of the
 * bundle in a fresh node process: what Lambda's Init phase runs before the first invocation),
 * against a floor bundle that only creates the SDK clients the function's bundle contains.
 * Sizes exclude source maps. Runs alternate function and floor, and each figure is a median.
 */
const ROOT = join(__dirname, '..', '..');
const SERVICES = (JSON.parse(readFileSync(join(ROOT, 'services', 'deploy-order.json'), 'utf8')) as { services: string[] }).services;
const RUNS = 7;

/** `@aws-sdk/client-dynamodb` → the class it exports to make a client (`DynamoDBClient`). */
const clientClassOf = (directory: string, pkg: string): string => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package as installed in that directory, whose exports are listed
  const exported = Object.keys(require(require.resolve(pkg, { paths: [directory] })) as object);
  // Each package also re-exports Smithy's bare base class as `__Client` (an empty middleware
  // stack: lib-dynamodb warns it is "an incompatible version of DynamoDBClient"); skip it.
  const name = exported.find((key) => /^[A-Z]\w*Client$/.test(key) && key !== 'DynamoDBDocumentClient');
  if (!name) throw new Error(`${pkg}: no client class`);
  return name;
};

/** The AWS SDK client packages a bundle contains (what survived tree shaking), from esbuild's metafile. */
const sdkClientsIn = (metafile: Metafile): { clients: string[]; documentClient: boolean } => {
  const packages = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      // pnpm's layout: node_modules/.pnpm/@aws-sdk+client-sqs@3.x/node_modules/@aws-sdk/client-sqs/…
      const match = /node_modules\/(@aws-sdk\/(client-[a-z0-9-]+|lib-dynamodb))\//.exec(input);
      if (match && bytesInOutput > 0) packages.add(match[1]!);
    }
  }
  return { clients: [...packages].filter((pkg) => pkg.includes('/client-')).sort(), documentClient: packages.has('@aws-sdk/lib-dynamodb') };
};

const bundle = async (entry: string, outfile: string, cwd: string) => {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: false,
    sourcemap: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: cwd,
  });
  return { bytes: statSync(outfile).size, metafile: result.metafile };
};

/** One fresh process per measurement: the time to require the bundle, in ms. */
const initMs = (file: string): number => {
  const script = `const t = process.hrtime.bigint(); require(${JSON.stringify(file)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  const out = execFileSync(process.execPath, ['-e', script], {
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      NODE_NO_WARNINGS: '1',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_SERVICE_NAME: 'cold-start',
    },
    encoding: 'utf8',
  });
  return Number(out);
};

export interface ColdStartFigures {
  function: string;
  bundle_kib: number;
  init_ms: number;
  floor_bundle_kib: number;
  floor_init_ms: number;
  floor_clients: string[];
  init_vs_floor: number;
  bundle_vs_floor: number;
}

export const coldStart = async (report: Report): Promise<ColdStartFigures[]> => {
  const figures: ColdStartFigures[] = [];
  for (const serviceDirectory of SERVICES) {
    const template = await readServiceTemplate(serviceDirectory, 'dev');
    const work = join(template.directory, '.esbuild-cold-start');
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    try {
      for (const [name, fn] of Object.entries(template.functions)) {
        const handlerFile = `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.ts`;
        const built = await bundle(join(template.directory, handlerFile), join(work, `${name}.js`), template.directory);
        const { clients, documentClient } = sdkClientsIn(built.metafile);
        // The floor: the same clients, created at module scope as the function creates its own.
        const floorSource = [
          ...clients.map((pkg, i) => `import { ${clientClassOf(template.directory, pkg)} as C${i} } from '${pkg}';`),
          ...(documentClient ? [`import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';`] : []),
          ...clients.map((pkg, i) =>
            documentClient && pkg === '@aws-sdk/client-dynamodb'
              ? `export const c${i} = DynamoDBDocumentClient.from(new C${i}({}));`
              : `export const c${i} = new C${i}({});`,
          ),
        ].join('\n');
        const floorEntry = join(work, `${name}.floor.ts`);
        writeFileSync(floorEntry, `${floorSource}\n`);
        const floor = await bundle(floorEntry, join(work, `${name}.floor.js`), template.directory);
        const fnRuns: number[] = [];
        const floorRuns: number[] = [];
        for (let i = 0; i < RUNS; i += 1) {
          fnRuns.push(initMs(join(work, `${name}.js`)));
          floorRuns.push(initMs(join(work, `${name}.floor.js`)));
        }
        const row: ColdStartFigures = {
          function: `${template.service.replace('ai-multi-comms-', '')}.${name}`,
          bundle_kib: Math.round(built.bytes / 1024),
          init_ms: Number(percentile(fnRuns, 50).toFixed(1)),
          floor_bundle_kib: Math.round(floor.bytes / 1024),
          floor_init_ms: Number(percentile(floorRuns, 50).toFixed(1)),
          floor_clients: clients.map((pkg) => pkg.replace('@aws-sdk/client-', '')),
          init_vs_floor: 0,
          bundle_vs_floor: 0,
        };
        row.init_vs_floor = Number((row.init_ms / row.floor_init_ms).toFixed(2));
        row.bundle_vs_floor = Number((row.bundle_kib / row.floor_bundle_kib).toFixed(2));
        figures.push(row);
        console.error(
          `[bench] cold start ${row.function}: ${row.bundle_kib} KiB, init ${row.init_ms} ms; floor (${row.floor_clients.join(', ')}) ${row.floor_bundle_kib} KiB, ${row.floor_init_ms} ms (${relative(ROOT, handlerFile)})`,
        );
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  for (const row of figures) {
    report.row(
      `cold start ${row.function}: bundle, init (floor: ${row.floor_clients.join(' + ') || 'no SDK client'})`,
      `${row.bundle_kib} KiB (${row.floor_bundle_kib}), ${row.init_ms} ms (${row.floor_init_ms}) = ${row.init_vs_floor}× floor`,
    );
  }
  report.record('cold_start', figures);
  return figures;
};
