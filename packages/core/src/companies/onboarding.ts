import { FieldError, validationError } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { Clock, sha256Hex, systemClock } from '../util';
import { compileSchema, fieldOf } from '../validation/ajv';
import { onboardingFileSchema } from './company-schema';
import { CompanyRepository } from './company-repository';
import { CompanyProject } from './types';
import { SenderDirectory, senderAddressesOf } from './sender-directory';

/** The onboarding file an operator writes: the item's fields plus plain API keys (hashed here, never stored). */
export type OnboardingFile = Omit<CompanyProject, 'api_key_sha256' | 'created_at' | 'updated_at' | 'rate_limits'> & {
  api_keys?: string[];
  api_key_sha256?: string[];
  rate_limits?: CompanyProject['rate_limits'];
};

const validateFile = compileSchema<OnboardingFile>(onboardingFileSchema);

/** Fields that must hold the *name* of a secret; a value shaped like a secret there is refused. */
const REFERENCE_FIELDS = /(^|\.)(api_key_reference|[a-z]+_credentials_id)$/;

/**
 * Does this look like a secret value rather than a Secrets Manager name? Provider key shapes, long
 * hex strings, and long mixed-case tokens without a path separator (our names always have one).
 */
export const looksLikeSecretValue = (value: string): boolean =>
  /^sk-[A-Za-z0-9_-]{8,}/.test(value) ||
  /^SG\.[A-Za-z0-9_-]{8,}/.test(value) ||
  /^(AC|SK)[0-9a-f]{32}$/i.test(value) ||
  /^[0-9a-f]{32,}$/i.test(value) ||
  (value.length >= 24 && !value.includes('/') && /[A-Z]/.test(value) && /[a-z]/.test(value) && /[0-9]/.test(value));

const walkStrings = (value: unknown, path: string, visit: (path: string, value: string) => void): void => {
  if (typeof value === 'string') visit(path, value);
  else if (Array.isArray(value)) value.forEach((item, index) => walkStrings(item, `${path}[${index}]`, visit));
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) walkStrings(child, path ? `${path}.${key}` : key, visit);
  }
};

/** Every problem with an onboarding file: schema violations and secret values where references belong. */
export const findOnboardingProblems = (file: unknown): FieldError[] => {
  const problems: FieldError[] = [];
  if (!validateFile(file)) {
    for (const error of validateFile.errors ?? []) {
      if (error.keyword === 'if' || error.keyword === 'anyOf') continue;
      problems.push({ field: fieldOf(error), code: ErrorCodes.VALIDATION_ERROR, message: error.message ?? 'is invalid' });
    }
    if ((validateFile.errors ?? []).some((error) => error.keyword === 'anyOf' && error.instancePath === '')) {
      problems.push({
        field: 'api_keys',
        code: ErrorCodes.VALIDATION_ERROR,
        message: 'give api_keys (plain, hashed here) or api_key_sha256',
      });
    }
  }
  walkStrings(file, '', (path, value) => {
    if (REFERENCE_FIELDS.test(path) && looksLikeSecretValue(value)) {
      problems.push({
        field: path,
        code: ErrorCodes.VALIDATION_ERROR,
        message: 'holds what looks like a secret value; store the value in Secrets Manager and put its name here',
      });
    }
  });
  const file_ = file as Partial<OnboardingFile> | null;
  for (const channel of file_?.allowed_channels ?? []) {
    if (!file_?.channel_config?.[channel]) {
      problems.push({
        field: `channel_config.${channel}`,
        code: ErrorCodes.VALIDATION_ERROR,
        message: 'is required for an allowed channel',
      });
    }
    if (!file_?.ai_config?.openai_config?.[channel]) {
      problems.push({
        field: `ai_config.openai_config.${channel}`,
        code: ErrorCodes.VALIDATION_ERROR,
        message: 'is required for an allowed channel',
      });
    }
  }
  // One request is one AI thread across its channels, and OpenAI keeps a conversation within the
  // project of the key that created it: every channel must name the same OpenAI key.
  const keyReferences = new Set(Object.values(file_?.ai_config?.openai_config ?? {}).map((config) => config?.api_key_reference));
  if (keyReferences.size > 1) {
    problems.push({
      field: 'ai_config.openai_config',
      code: ErrorCodes.VALIDATION_ERROR,
      message:
        "must name the same api_key_reference for every channel: a request's channels share one AI thread, which one OpenAI key (one OpenAI project) owns",
    });
  }
  return problems;
};

/** Build the company-data item from a file: keys hashed and added to the stored ones, timestamps set, created_at kept on update. */
export const prepareCompanyItem = (file: unknown, now: Date, existing?: CompanyProject): CompanyProject => {
  const problems = findOnboardingProblems(file);
  if (problems.length > 0) {
    throw validationError(ErrorCodes.VALIDATION_ERROR, `The company file is invalid: ${problems.length} problem(s).`, problems);
  }
  const { api_keys = [], api_key_sha256 = [], ...rest } = file as OnboardingFile;
  // The stored hashes are kept: keys are issued (`pnpm api-key create`) and revoked on the item
  // itself, so a file that does not list a key is not a revocation, and re-running the same
  // onboarding file must never lock out a client holding a key issued since.
  const hashes = [...new Set([...(existing?.api_key_sha256 ?? []), ...api_key_sha256, ...api_keys.map(sha256Hex)])];
  const timestamp = now.toISOString();
  return {
    ...rest,
    rate_limits: rest.rate_limits ?? {},
    api_key_sha256: hashes,
    ...(existing?.api_key_records ? { api_key_records: existing.api_key_records } : {}),
    created_at: existing?.created_at ?? timestamp,
    updated_at: timestamp,
  };
};

export interface OnboardingDeps {
  repository: CompanyRepository;
  /** The sender-addresses table: which project owns each Twilio number (the inbound webhook's lookup). */
  senders?: Pick<SenderDirectory, 'putAll'>;
  clock?: Clock;
}

/** Validate a company/project file and write its item (the command and the demo seeding both use this). */
export const onboardCompany = async (file: unknown, deps: OnboardingDeps): Promise<CompanyProject> => {
  const clock = deps.clock ?? systemClock;
  const probe = file as Partial<OnboardingFile> | null;
  const existing =
    probe && typeof probe.company_id === 'string' && typeof probe.project_id === 'string'
      ? await deps.repository.get(probe.company_id, probe.project_id)
      : undefined;
  const item = prepareCompanyItem(file, clock.now(), existing);
  await deps.repository.put(item);
  await deps.senders?.putAll(senderAddressesOf(item, clock.now()));
  return item;
};
