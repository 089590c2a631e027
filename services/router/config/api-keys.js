/**
 * API Gateway keys declared in the template. In AWS there are none here: keys are created per
 * project by the operator command (scripts/api-key.ts), which stores only their SHA-256 in the
 * company-data item. The local stack passes its demo keys through LOCAL_API_KEYS (a JSON array of
 * {name, value}), because serverless-offline only accepts keys declared in the template.
 */
module.exports = () => {
  const raw = process.env.LOCAL_API_KEYS;
  if (!raw) return [];
  const keys = JSON.parse(raw);
  if (!Array.isArray(keys)) throw new Error('LOCAL_API_KEYS must be a JSON array of {name, value}');
  return keys.map(({ name, value }) => ({ name: String(name), value: String(value) }));
};
