/**
 * Twilio's own request-validator test vectors (vendor/twilio/twilio-node, from twilio-node's
 * spec/validation.spec.js and spec/unit/webhooks/webhooks.spec.js; see PROVENANCE.md), run
 * through:
 * 1. the `twilio` SDK's validator (the module the engine imports: twilio/lib/webhooks/webhooks);
 * 2. the engine's own verification, `verifyTwilioCall` (packages/core/src/replies/verify-twilio-call.ts),
 *    with minimal fakes for its sender directory and secrets;
 * 3. the twin's signer, `twilioSignature` (packages/local-stack/src/provider-servers/webhook-signing.ts),
 *    which must produce the vectors' signatures; and the twin's real status callback, end to end.
 * Each vector is also tampered with (signature, URL, a parameter), which must fail.
 */
import { AppError } from '../../packages/core/src/errors/app-error';
import { SecretReader } from '../../packages/core/src/secrets/secret-reader';
import { SenderAddress, senderAddressKey } from '../../packages/core/src/companies/sender-directory';
import { TwilioCallDeps, verifyTwilioCall } from '../../packages/core/src/replies/verify-twilio-call';
import { twilioSignature } from '../../packages/local-stack/src/provider-servers/webhook-signing';
import { ProviderServers } from '../../packages/local-stack/src/provider-servers/provider-server';
import { basic, raw, startCallbackReceiver, startTwin } from './support/provider-twin';
import vendored from './vendor/twilio/twilio-node/request-validator.vectors.json';

// The module verify-twilio-call.ts imports (packages/core's `twilio`), so a spy on it sees the engine's calls.
const webhooks = require(
  require.resolve('twilio/lib/webhooks/webhooks', { paths: [`${__dirname}/../../packages/core`] }),
) as typeof import('twilio/lib/webhooks/webhooks');

type Params = Record<string, string | string[]>;
interface Vector {
  test: string;
  call: string;
  args: unknown[];
  expected: unknown;
}

/** The vector's arguments with its markers resolved ({"$undefined"}, {"$call": "getExpectedTwilioSignature"}). */
const resolveArg = (arg: unknown): unknown => {
  if (arg && typeof arg === 'object' && '$undefined' in arg) return undefined;
  if (arg && typeof arg === 'object' && '$call' in arg) {
    const { $call, args } = arg as { $call: string; args: [string, string, Params] };
    if ($call !== 'getExpectedTwilioSignature') throw new Error(`unknown marker ${$call}`);
    return webhooks.getExpectedTwilioSignature(...args);
  }
  return arg;
};

const all: Vector[] = Object.values(vendored.files).flat();
const run = (vector: Vector, args: unknown[] = vector.args.map(resolveArg)): boolean => {
  const fn = (webhooks as unknown as Record<string, (...a: unknown[]) => boolean>)[vector.call];
  if (!fn) throw new Error(`no ${vector.call} in twilio/lib/webhooks/webhooks`);
  return fn(...args);
};

/**
 * validateRequest vectors that pass, with a published (literal) signature and single-valued
 * parameters: what a Twilio webhook call is. (webhooks.spec.js's relational vectors, whose
 * signature upstream computes, have tests of their own below.)
 */
interface Signed {
  test: string;
  token: string;
  signature: string;
  url: string;
  params: Record<string, string>;
}
const signedCalls: Signed[] = all
  .filter((vector) => vector.call === 'validateRequest' && vector.expected === true && typeof vector.args[1] === 'string')
  .map((vector) => {
    const [token, signature, url, params] = vector.args.map(resolveArg) as [string, string, string, Params];
    return { vector, token, signature, url, params };
  })
  .filter((entry): entry is typeof entry & { params: Record<string, string> } =>
    Object.values(entry.params).every((value) => typeof value === 'string'),
  )
  .map(({ vector, token, signature, url, params }) => ({ test: vector.test, token, signature, url, params }));
/** The vectors whose signature is over exactly the URL given (not a port-added or port-stripped variant of it). */
const signedOverGivenUrl = signedCalls.filter(
  (call) => webhooks.getExpectedTwilioSignature(call.token, call.url, call.params) === call.signature,
);
/**
 * The vectors whose signature is over the URL as URL serialization writes it, which differs from
 * the URL given (twilio-node's "special characters" case: `It's+amazing` is signed as `It%27s+amazing`).
 */
const signedOverSerializedUrl = signedCalls.filter(
  (call) =>
    !signedOverGivenUrl.includes(call) &&
    webhooks.getExpectedTwilioSignature(call.token, new URL(call.url).toString(), call.params) === call.signature,
);

const flip = (signature: string) => `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;

describe('the vendored vectors', () => {
  it('are the ones expected of twilio-node’s specs (a broken extraction would change these counts)', () => {
    expect(vendored.files['spec/validation.spec.js']).toHaveLength(20);
    expect(vendored.files['spec/unit/webhooks/webhooks.spec.js']).toHaveLength(9);
    expect(all.filter((vector) => vector.expected === false).length).toBeGreaterThanOrEqual(5);
    expect(signedCalls).toHaveLength(9);
    expect(signedOverGivenUrl).toHaveLength(4);
    expect(signedOverSerializedUrl.map((call) => call.test)).toEqual(['Request validation › should validate urls with special characters']);
  });
});

describe('1. the twilio SDK’s validator (as the engine imports it) gives each vector’s expected answer', () => {
  it.each(all.map((vector) => [vector.test, vector] as const))('%s', (_name, vector) => {
    expect(run(vector)).toBe(vector.expected);
  });

  it.each(signedCalls.map((call) => [call.test, call] as const))('tampered, it fails: %s', (_name, call) => {
    expect(webhooks.validateRequest(call.token, flip(call.signature), call.url, call.params)).toBe(false);
    expect(webhooks.validateRequest(call.token, call.signature, `${call.url}&extra=1`, call.params)).toBe(false);
    const [first] = Object.keys(call.params);
    if (first)
      expect(webhooks.validateRequest(call.token, call.signature, call.url, { ...call.params, [first]: `${call.params[first]}x` })).toBe(
        false,
      );
    expect(webhooks.validateRequest(`${call.token}x`, call.signature, call.url, call.params)).toBe(false);
  });
});

describe('3. the twin’s signer (twilioSignature) signs as Twilio does', () => {
  it.each(signedOverGivenUrl.map((call) => [call.test, call] as const))('produces the vector’s signature: %s', (_name, call) => {
    expect(twilioSignature(call.token, call.url, call.params)).toBe(call.signature);
  });

  it.each(signedOverSerializedUrl.map((call) => [call.test, call] as const))(
    'produces the vector’s signature where Twilio signs the URL as URL-serialized (a quote in the query is %%27): %s',
    (_name, call) => {
      expect({ url: call.url, signature: twilioSignature(call.token, call.url, call.params) }).toEqual({
        url: call.url,
        signature: call.signature,
      });
    },
  );

  it.each(signedCalls.map((call) => [call.test, call] as const))(
    'its signature is accepted by Twilio’s validator for the same URL and form: %s',
    (_name, call) => {
      const signature = twilioSignature(call.token, call.url, call.params);
      expect(webhooks.validateRequest(call.token, signature, call.url, call.params)).toBe(true);
      expect(twilioSignature(call.token, `${call.url}x`, call.params)).not.toBe(signature);
    },
  );

  const relational = vendored.files['spec/unit/webhooks/webhooks.spec.js'] as Vector[];
  // The twin signs the URL as Twilio requested it, serialised (a quote is %27, a default port
  // dropped: the literal vector above); getExpectedTwilioSignature signs the string it is given,
  // so the two may differ in bytes, and what must hold is the validator's verdict.
  it.each(relational.map((vector) => [vector.test, vector] as const))(
    "its signature over the server URL gets the validator's expected verdict: %s",
    (_name, vector) => {
      const [token, marker, targetUrl, params] = vector.args as [
        string,
        { args: [string, string, Record<string, string>] },
        string,
        Record<string, string>,
      ];
      const [signToken, serverUrl, signParams] = marker.args;
      const signature = twilioSignature(signToken, serverUrl, signParams);
      expect(webhooks.validateRequest(token, signature, targetUrl, params)).toBe(vector.expected);
      expect(
        webhooks.validateRequest(token, webhooks.getExpectedTwilioSignature(signToken, serverUrl, signParams), targetUrl, params),
      ).toBe(vector.expected);
    },
  );
});

describe('2. the engine’s verification (verifyTwilioCall)', () => {
  const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
  const CREDENTIALS = 'creds/conformance';

  /** The engine's deps for a Twilio account with `token`, owning `number` (sms). */
  const depsFor = (webhookBaseUrl: string, token: string, number: string): TwilioCallDeps => {
    const sender: SenderAddress = {
      sender_address: senderAddressKey('sms', number),
      channel: 'sms',
      company_id: 'ci-conformance',
      project_id: 'pi-conformance',
      credentials_id: CREDENTIALS,
      updated_at: '2026-01-01T00:00:00.000Z',
    };
    const secrets: SecretReader = {
      getJson: async <T extends Record<string, string>>(name: string) => {
        if (name !== CREDENTIALS) throw new Error(`no secret ${name}`);
        return { twilio_account_sid: ACCOUNT, twilio_auth_token: token } as unknown as T;
      },
      evict: () => undefined,
    };
    return {
      directory: { find: async (key: string) => (key === sender.sender_address ? sender : undefined), putAll: async () => undefined },
      secrets,
      webhookBaseUrl,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as TwilioCallDeps['logger'],
    };
  };
  /** "https://user:pass@host:port/p?q" → ["https://user:pass@host:port", "/p?q"]: the configured base URL and the webhook's path. */
  const split = (url: string): [string, string] => {
    const at = url.indexOf('/', url.indexOf('://') + 3);
    return [url.slice(0, at), url.slice(at)];
  };
  const callOf = (params: Record<string, string>, signature: string | undefined, base64 = false) => {
    const body = new URLSearchParams(params).toString();
    return {
      rawBody: base64 ? Buffer.from(body).toString('base64') : body,
      isBase64Encoded: base64,
      contentType: 'application/x-www-form-urlencoded; charset=utf-8',
      signature,
    };
  };
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );

  afterEach(() => jest.restoreAllMocks());

  it.each(signedCalls.map((call) => [call.test, call] as const))(
    'the vector as published (no AccountSid) is refused before the signature is checked, as the engine requires the account’s AccountSid: %s',
    async (_name, call) => {
      const spy = jest.spyOn(webhooks, 'validateRequest');
      const [base, path] = split(call.url);
      const error = await refusal(
        verifyTwilioCall(
          callOf(call.params, call.signature),
          { path, ourNumber: 'To' },
          depsFor(base, call.token, call.params.To ?? '+18005551212'),
        ),
      );
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ kind: 'forbidden', code: 'WEBHOOK_SIGNATURE_INVALID' });
      expect(spy).not.toHaveBeenCalled();
    },
  );

  it.each(signedCalls.filter((call) => call.params.To).map((call) => [call.test, call] as const))(
    'the vector’s URL, token and form with the account’s AccountSid, signed as Twilio signs (the URL as serialized): accepted, the validator given exactly that URL and form; tampered: refused: %s',
    async (_name, call) => {
      const [base, path] = split(call.url);
      const deps = depsFor(base, call.token, call.params.To!);
      const params = { ...call.params, AccountSid: ACCOUNT };
      // Over the URL as URL serialization writes it, as the vectors show Twilio signs (the same string for all but the special-characters case).
      const signature = webhooks.getExpectedTwilioSignature(call.token, new URL(call.url).toString(), params);
      const spy = jest.spyOn(webhooks, 'validateRequest');

      for (const base64 of [false, true]) {
        const verified = await verifyTwilioCall(callOf(params, signature, base64), { path, ourNumber: 'To' }, deps);
        expect(verified).toMatchObject({ form: params, channel: 'sms', companyNumber: call.params.To });
      }
      expect(spy).toHaveBeenCalledWith(call.token, signature, call.url, params);

      const tampered = [
        callOf(params, call.signature), // the published signature does not cover AccountSid
        callOf(params, flip(signature)),
        callOf({ ...params, Digits: '9999' }, signature),
        callOf({ ...params, AccountSid: `AC${'f'.repeat(32)}` }, signature),
        callOf(params, undefined),
      ];
      for (const forged of tampered) {
        expect(await refusal(verifyTwilioCall(forged, { path, ourNumber: 'To' }, deps))).toMatchObject({
          kind: 'forbidden',
          code: 'WEBHOOK_SIGNATURE_INVALID',
        });
      }
      expect(await refusal(verifyTwilioCall(callOf(params, signature), { path: `${path}x`, ourNumber: 'To' }, deps))).toMatchObject({
        code: 'WEBHOOK_SIGNATURE_INVALID',
      });
    },
  );
});

describe('3b. the twin’s status callback, as the engine receives it', () => {
  const ACCOUNT = 'AC00000000000000000000000000000c01';
  const TOKEN = 'conformance-callback-token';
  const FROM = '+15005550009';
  let twin: ProviderServers;
  let receiver: Awaited<ReturnType<typeof startCallbackReceiver>>;
  let receiverUrl = '';

  beforeAll(async () => {
    receiver = await startCallbackReceiver(204);
    receiverUrl = receiver.baseUrl;
    twin = await startTwin({ twilio_accounts: { [ACCOUNT]: TOKEN } });
  });
  afterAll(async () => {
    await twin?.stop();
    await receiver?.stop();
  });

  it('is signed so that the twilio SDK and verifyTwilioCall accept it (and not once tampered)', async () => {
    const created = await raw(`${twin.url}/2010-04-01/Accounts/${ACCOUNT}/Messages.json`, {
      method: 'POST',
      headers: { Authorization: basic(ACCOUNT, TOKEN), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        To: '+447700900555',
        From: FROM,
        Body: 'status please',
        StatusCallback: `${receiverUrl}/webhooks/twilio/status`,
      }).toString(),
    });
    expect(created.status).toBe(201);
    const deadline = Date.now() + 5000;
    while (receiver.received.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(receiver.received.length).toBeGreaterThanOrEqual(1);

    const deps: TwilioCallDeps = {
      directory: {
        find: async (key: string) =>
          key === senderAddressKey('sms', FROM)
            ? ({
                sender_address: key,
                channel: 'sms',
                company_id: 'c',
                project_id: 'p',
                credentials_id: 'creds',
                updated_at: '',
              } satisfies SenderAddress)
            : undefined,
        putAll: async () => undefined,
      },
      secrets: {
        getJson: async <T extends Record<string, string>>() => ({ twilio_account_sid: ACCOUNT, twilio_auth_token: TOKEN }) as unknown as T,
        evict: () => undefined,
      },
      webhookBaseUrl: receiverUrl,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as TwilioCallDeps['logger'],
    };
    for (const callback of receiver.received) {
      const signature = callback.headers['x-twilio-signature'] as string;
      const form = Object.fromEntries(new URLSearchParams(callback.body));
      expect(webhooks.validateRequest(TOKEN, signature, `http://127.0.0.1:${new URL(receiverUrl).port}${callback.url}`, form)).toBe(true);
      const call = { rawBody: callback.body, isBase64Encoded: false, contentType: callback.headers['content-type'], signature };
      await expect(verifyTwilioCall(call, { path: '/webhooks/twilio/status', ourNumber: 'From' }, deps)).resolves.toMatchObject({
        form: { AccountSid: ACCOUNT, From: FROM },
      });
      await expect(
        verifyTwilioCall(
          { ...call, rawBody: `${callback.body}&MessageStatus=read` },
          { path: '/webhooks/twilio/status', ourNumber: 'From' },
          deps,
        ),
      ).rejects.toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
    }
  });
});
