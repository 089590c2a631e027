import { Clock, systemClock } from '../util/clock';
import { CompanyRepository } from './company-repository';
import { CompanyProject } from './types';

/**
 * Company configuration cached in the warm container for a few seconds: it is read on every
 * request and changes rarely. The price is that a change (project deactivated, key revoked) takes
 * up to `ttlMs` to reach every container; 0 turns the cache off. Misses are not cached, so a
 * newly onboarded project works at once.
 */
export const cachedCompanyRepository = (inner: CompanyRepository, ttlMs: number, clock: Clock = systemClock): CompanyRepository => {
  if (ttlMs <= 0) return inner;
  const entries = new Map<string, { item: CompanyProject; expiresAt: number }>();
  return {
    async get(companyId, projectId) {
      const key = `${companyId}#${projectId}`;
      const now = clock.now().getTime();
      const cached = entries.get(key);
      if (cached && cached.expiresAt > now) return cached.item;
      const item = await inner.get(companyId, projectId);
      if (item) entries.set(key, { item, expiresAt: now + ttlMs });
      else entries.delete(key);
      return item;
    },
    async put(item) {
      await inner.put(item);
      entries.delete(`${item.company_id}#${item.project_id}`);
    },
  };
};
