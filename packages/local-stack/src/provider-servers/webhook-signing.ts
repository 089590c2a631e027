import { createHmac, createPrivateKey, sign } from 'node:crypto';

/**
 * The URL as Twilio signs it: the URL it requested, serialised (a quote in the query is %27:
 * twilio-node's vector "should validate urls with special characters"), without adding a path.
 */
const asRequested = (url: string): string => {
  try {
    const href = new URL(url).href;
    return href === `${url}/` ? url : href;
  } catch {
    return url;
  }
};

/** Twilio's request signature: Base64(HMAC-SHA1(auth token, URL + each parameter name and value, sorted by name)). */
export const twilioSignature = (authToken: string, url: string, params: Record<string, string>): string =>
  createHmac('sha1', authToken)
    .update(
      Object.keys(params)
        .sort()
        .reduce((data, name) => data + name + params[name], asRequested(url)),
      'utf8',
    )
    .digest('base64');

/** SendGrid's Signed Event Webhook: Base64(DER(ECDSA P-256 / SHA-256 over timestamp + raw body)), with the account's private key (PKCS#8 DER, base64). */
export const sendGridEventSignature = (privateKeyBase64: string, timestamp: string, payload: string): string =>
  sign(
    'sha256',
    Buffer.from(timestamp + payload, 'utf8'),
    createPrivateKey({ key: Buffer.from(privateKeyBase64, 'base64'), format: 'der', type: 'pkcs8' }),
  ).toString('base64');
