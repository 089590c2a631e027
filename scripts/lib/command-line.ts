import { parseArgs } from 'node:util';
import { TargetOptions } from './target';

/** What a command says about itself: its usage line, one example, and its own options. */
export interface CommandSpec {
  usage: string;
  example: string;
  /** The command's own options beside the target's: a boolean flag or one that takes a value. */
  options?: Record<string, 'boolean' | 'string'>;
}

const TARGET_OPTIONS = {
  local: { type: 'boolean' },
  stage: { type: 'string' },
  region: { type: 'string' },
  // The local stack's state file (tests run against their own stack); implies --local.
  'state-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Every operator command's one argument parser (`node:util` parseArgs, strict): `--help` prints
 * the usage and an example and exits 0; an unknown or misspelt option, or one missing its value,
 * is a usage error (exit 2) instead of being silently ignored or taken for an argument.
 */
export const parseCommandLine = (
  argv: string[],
  spec: CommandSpec,
): { target: TargetOptions; positionals: string[]; values: Record<string, string | boolean | undefined> } => {
  const own = Object.fromEntries(Object.entries(spec.options ?? {}).map(([name, type]) => [name, { type }]));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: { ...TARGET_OPTIONS, ...own } as never, strict: true, allowPositionals: true });
  } catch (error) {
    // Node's own sentence goes on about positionals after `--`; the first clause is what matters.
    const problem = (error as Error).message.split('. To specify')[0];
    console.error(`${problem}\nusage: ${spec.usage}\n(--help for an example)`);
    process.exit(2);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    console.log(`usage: ${spec.usage}\n\nexample:\n  ${spec.example}`);
    process.exit(0);
  }
  const stateFile = values['state-file'] as string | undefined;
  return {
    target: {
      local: values.local === true || stateFile !== undefined,
      stateFile,
      stage: values.stage as string | undefined,
      region: values.region as string | undefined,
    },
    positionals: parsed.positionals,
    values,
  };
};
