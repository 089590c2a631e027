/**
 * How long a project's conversations are kept (docs/data-model.md "Personal data"): the item's
 * `expires_at`, DynamoDB's TTL attribute, set when it is first written. DynamoDB deletes expired
 * items within days of the time, not at it (its documented behaviour), at no write cost.
 */
export const DEFAULT_RETENTION_DAYS = 365;
export const MAX_RETENTION_DAYS = 3650;

/** Epoch seconds when an item first written `now` for this project expires. */
export const retentionExpiresAt = (company: { data_retention_days?: number }, now: Date): number => {
  const from = Number.isFinite(now.getTime()) ? now.getTime() : Date.now();
  return Math.floor(from / 1000) + (company.data_retention_days ?? DEFAULT_RETENTION_DAYS) * 86_400;
};
