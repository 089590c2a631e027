/** A phone number as every channel and provider here writes it: E.164, with its plus. */
export const E164_PATTERN = '^\\+[0-9]{7,15}$';

/** Every `*_reference` / `*_credentials_id` of a project is a Secrets Manager *name*, never a value. */
export const SECRET_NAME_PATTERN = '^[A-Za-z0-9/_+=.@-]{1,512}$';
export const secretNameSchema = { type: 'string', pattern: SECRET_NAME_PATTERN } as const;
