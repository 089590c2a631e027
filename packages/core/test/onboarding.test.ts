import {
  AppError,
  CompanyProject,
  CompanyRepository,
  ErrorCodes,
  findOnboardingProblems,
  looksLikeSecretValue,
  onboardCompany,
  prepareCompanyItem,
  retentionExpiresAt,
  sha256Hex,
} from '../src';
import { companyItem } from '@ai-multi-comms/testing';

const fileFrom = (patch?: (file: Record<string, any>) => void) => {
  const { api_key_sha256: _h, created_at: _c, updated_at: _u, ...rest } = companyItem();
  const file: Record<string, any> = { ...rest, api_keys: ['a-plain-api-key-of-forty-characters-000'] };
  patch?.(file);
  return file;
};

const memoryRepository = (): CompanyRepository & { items: Map<string, CompanyProject> } => {
  const items = new Map<string, CompanyProject>();
  return {
    items,
    get: async (c, p) => items.get(`${c}/${p}`),
    put: async (item) => void items.set(`${item.company_id}/${item.project_id}`, item),
  };
};

describe('onboarding', () => {
  it("writes the sender directory: each Twilio number of the project, with its credentials' secret name", async () => {
    const written: unknown[] = [];
    await onboardCompany(fileFrom(), {
      repository: memoryRepository(),
      senders: { putAll: async (entries) => void written.push(...entries) },
      clock: { now: () => new Date('2026-01-01T00:00:00.000Z') },
    });
    expect(written).toEqual([
      {
        sender_address: 'whatsapp:+447700900001',
        channel: 'whatsapp',
        company_id: 'ci-aaa-001',
        project_id: 'pi-aaa-001',
        credentials_id: 'ai-multi-comms/whatsapp-credentials/ci-aaa-001/pi-aaa-001/twilio-dev',
        updated_at: '2026-01-01T00:00:00.000Z',
      },
      {
        sender_address: 'sms:+447700900002',
        channel: 'sms',
        company_id: 'ci-aaa-001',
        project_id: 'pi-aaa-001',
        credentials_id: 'ai-multi-comms/sms-credentials/ci-aaa-001/pi-aaa-001/twilio-dev',
        updated_at: '2026-01-01T00:00:00.000Z',
      },
    ]);
  });

  it('hashes the plain API keys, never stores them, and stamps the item', () => {
    const item = prepareCompanyItem(fileFrom(), new Date('2026-01-02T03:04:05.000Z'));
    expect(item.api_key_sha256).toEqual([sha256Hex('a-plain-api-key-of-forty-characters-000')]);
    expect(JSON.stringify(item)).not.toContain('a-plain-api-key-of-forty-characters-000');
    expect(item).not.toHaveProperty('api_keys');
    expect(item.created_at).toBe('2026-01-02T03:04:05.000Z');
    expect(item.updated_at).toBe('2026-01-02T03:04:05.000Z');
  });

  it('keeps created_at and merges given hashes on update', async () => {
    const repository = memoryRepository();
    await onboardCompany(fileFrom(), { repository, clock: { now: () => new Date('2026-01-01T00:00:00.000Z') } });
    const updated = await onboardCompany(
      fileFrom((f) => (f.api_key_sha256 = ['f'.repeat(64)])),
      { repository, clock: { now: () => new Date('2026-02-01T00:00:00.000Z') } },
    );
    expect(updated.created_at).toBe('2026-01-01T00:00:00.000Z');
    expect(updated.updated_at).toBe('2026-02-01T00:00:00.000Z');
    expect(updated.api_key_sha256).toHaveLength(2);
    expect(repository.items.get('ci-aaa-001/pi-aaa-001')).toEqual(updated);
  });

  it('keeps the key hashes it did not put there: re-onboarding never revokes a key made with api-key create since', async () => {
    const repository = memoryRepository();
    await onboardCompany(fileFrom(), { repository, clock: { now: () => new Date('2026-01-01T00:00:00.000Z') } });
    // `pnpm api-key create` adds a hash to the stored item, not to the file.
    const issuedSince = 'a'.repeat(64);
    const stored = repository.items.get('ci-aaa-001/pi-aaa-001')!;
    repository.items.set('ci-aaa-001/pi-aaa-001', { ...stored, api_key_sha256: [...stored.api_key_sha256, issuedSince] });
    const again = await onboardCompany(fileFrom(), { repository, clock: { now: () => new Date('2026-02-01T00:00:00.000Z') } });
    expect(again.api_key_sha256).toEqual([...stored.api_key_sha256, issuedSince]);
  });

  it.each([
    [
      'an OpenAI key as the key reference',
      (f: any) => (f.ai_config.openai_config.whatsapp.api_key_reference = 'sk-proj-abcdefghijklmnopqrstuv'),
      'ai_config.openai_config.whatsapp.api_key_reference',
    ],
    [
      'a Twilio auth token as the credentials id',
      (f: any) => (f.channel_config.whatsapp.whatsapp_credentials_id = '0123456789abcdef0123456789abcdef'),
      'channel_config.whatsapp.whatsapp_credentials_id',
    ],
    [
      'a SendGrid key as the credentials id',
      (f: any) => (f.channel_config.email.email_credentials_id = 'SG.abcdefghijkl.mnopqrstuvwx'),
      'channel_config.email.email_credentials_id',
    ],
    [
      'an API key value as the API key reference',
      (f: any) => (f.api_key_reference = 'Abc123Def456Ghi789Jkl012Mno345Pqr678Stu9'),
      'api_key_reference',
    ],
  ])('refuses %s', (_name, patch, field) => {
    const problems = findOnboardingProblems(fileFrom(patch));
    expect(problems.map((p) => p.field)).toContain(field);
    expect(() => prepareCompanyItem(fileFrom(patch), new Date())).toThrow(AppError);
  });

  it('refuses secret fields the data model does not have, and missing config for an allowed channel', () => {
    const problems = findOnboardingProblems(
      fileFrom((f) => {
        f.channel_config.whatsapp.twilio_auth_token = 'token';
        delete f.channel_config.sms;
      }),
    );
    expect(problems.map((p) => p.field)).toEqual(
      expect.arrayContaining(['channel_config.whatsapp.twilio_auth_token', 'channel_config.sms']),
    );
  });

  it('needs API keys or their hashes', () => {
    try {
      prepareCompanyItem(
        fileFrom((f) => delete f.api_keys),
        new Date(),
      );
      throw new Error('accepted');
    } catch (error) {
      expect((error as AppError).code).toBe(ErrorCodes.VALIDATION_ERROR);
      expect((error as AppError).validationErrors?.map((p) => p.field)).toContain('api_keys');
    }
  });

  it('tells secret names from secret values', () => {
    expect(looksLikeSecretValue('ai-multi-comms/openai-api-key/whatsapp-dev')).toBe(false);
    expect(looksLikeSecretValue('abc123xyz9')).toBe(false); // an API Gateway key id
    expect(looksLikeSecretValue('sk-local-demo-whatsapp')).toBe(true);
  });
});

describe('cachedCompanyRepository', () => {
  it('serves a hit from memory until the TTL, never caches a miss, and forgets on put', async () => {
    const { cachedCompanyRepository } = await import('../src');
    const items = new Map<string, CompanyProject>();
    let reads = 0;
    const inner: CompanyRepository = {
      get: async (c, p) => {
        reads += 1;
        return items.get(`${c}/${p}`);
      },
      put: async (item) => void items.set(`${item.company_id}/${item.project_id}`, item),
    };
    let now = 0;
    const repo = cachedCompanyRepository(inner, 1000, { now: () => new Date(now) });
    expect(await repo.get('c', 'p')).toBeUndefined();
    await inner.put(companyItem((i) => ((i.company_id = 'c'), (i.project_id = 'p'))));
    expect(await repo.get('c', 'p')).toBeDefined(); // the miss was not cached
    await repo.get('c', 'p');
    expect(reads).toBe(2);
    now = 1001;
    await repo.get('c', 'p');
    expect(reads).toBe(3);
    await repo.put(companyItem((i) => ((i.company_id = 'c'), (i.project_id = 'p'), (i.project_status = 'inactive'))));
    expect((await repo.get('c', 'p'))!.project_status).toBe('inactive');
  });
});

describe('retention', () => {
  it('defaults to 365 days and follows data_retention_days, which onboarding bounds to 1..3650', () => {
    const now = new Date('2026-12-02T00:00:00.000Z');
    const base = now.getTime() / 1000;
    expect(retentionExpiresAt({}, now)).toBe(base + 365 * 86_400);
    expect(retentionExpiresAt({ data_retention_days: 30 }, now)).toBe(base + 30 * 86_400);
    expect(retentionExpiresAt({ data_retention_days: 30 }, new Date('not a date'))).toBeGreaterThan(Date.now() / 1000);
    const file = (days: unknown) => fileFrom((f) => (f.data_retention_days = days));
    expect(findOnboardingProblems(file(30))).toEqual([]);
    for (const bad of [0, 3651, 1.5, '30'])
      expect(
        findOnboardingProblems(file(bad))
          .map((p) => p.field)
          .join(' '),
      ).toContain('data_retention_days');
  });
});
