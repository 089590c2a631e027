import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/**
 * Where an operator command acts: the local stack (`--local`, endpoints from the state file that
 * `pnpm start` writes) or an AWS stage (`--stage dev`, names from the data stack's CloudFormation
 * outputs, credentials from the usual AWS environment/profile). Never a pasted table name.
 */
export interface Target {
  description: string;
  stage: string;
  companyDataTable: string;
  conversationsTable?: string;
  /** Set for the local stack, so that clients created afterwards talk to the emulators. */
  env?: Record<string, string>;
}

export interface TargetOptions {
  local: boolean;
  stateFile?: string;
  stage: string;
  region?: string;
}

const REPO_ROOT = join(__dirname, '..', '..');

export const parseTargetArgs = (args: string[]): TargetOptions & { rest: string[] } => {
  const rest: string[] = [];
  const options: TargetOptions = { local: false, stage: 'dev' };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--local') options.local = true;
    else if (arg === '--state-file') {
      options.local = true;
      options.stateFile = args[(i += 1)];
    } else if (arg === '--stage') options.stage = args[(i += 1)] ?? 'dev';
    else if (arg === '--region') options.region = args[(i += 1)];
    else rest.push(arg);
  }
  return { ...options, rest };
};

export const resolveTarget = async (options: TargetOptions): Promise<Target> => {
  if (options.local) {
    const file = options.stateFile ?? join(REPO_ROOT, '.local-stack', 'state.json');
    if (!existsSync(file)) throw new Error(`No local stack state at ${file}: start it first with \`pnpm start\`.`);
    const state = JSON.parse(readFileSync(file, 'utf8')) as { stage: string; env: Record<string, string>; resources: Record<string, string> };
    Object.assign(process.env, state.env);
    return {
      description: `the local stack (${state.env.AWS_ENDPOINT_URL_DYNAMODB})`,
      stage: state.stage,
      companyDataTable: state.resources.companyDataTable!,
      conversationsTable: state.resources.conversationsTable,
      env: state.env,
    };
  }
  const stackName = `ai-multi-comms-data-${options.stage}`;
  const client = new CloudFormationClient({ region: options.region ?? process.env.AWS_REGION });
  const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  if (!outputs.CompanyDataTableName) throw new Error(`Stack ${stackName} has no CompanyDataTableName output: deploy services/data first.`);
  return {
    description: `AWS stage ${options.stage} (stack ${stackName})`,
    stage: options.stage,
    companyDataTable: outputs.CompanyDataTableName,
    conversationsTable: outputs.ConversationsTableName,
  };
};
