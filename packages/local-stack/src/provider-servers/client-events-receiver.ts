import type { FaultBook } from './faults';
import type { ProviderRequest, ProviderResponse } from './http-kit';

/** One event as a client's endpoint received it: the raw body and the headers it is verified with. */
export interface ReceivedClientEvent {
  webhook_id: string;
  webhook_timestamp: string;
  webhook_signature: string;
  /** The body exactly as it came (verification is over these bytes). */
  body: string;
  received_at: string;
  /** What the receiver answered (a failure while told to fail). */
  status: number;
}

/**
 * The demo client's endpoint in the local stack (a company's system receiving our events): it
 * keeps every delivery with its raw body and headers at GET /__client-events, and answers as it is
 * told: `POST /__faults {"provider":"client-events","status":503,"count":5}` makes it fail the
 * next five (a client down for a while). It does not verify: the tests and the README verify the
 * way a client does, with the `standardwebhooks` package.
 */
export const createClientEventsReceiver = (faults: FaultBook) => {
  const received: ReceivedClientEvent[] = [];
  const receive = (request: ProviderRequest): ProviderResponse => {
    const header = (name: string) => (typeof request.headers[name] === 'string' ? request.headers[name] : '');
    const fault = faults.take('client-events', 'receive', request.rawBody);
    const status = fault ? (fault.status ?? 503) : 204;
    received.push({
      webhook_id: header('webhook-id'),
      webhook_timestamp: header('webhook-timestamp'),
      webhook_signature: header('webhook-signature'),
      body: request.rawBody,
      received_at: new Date().toISOString(),
      status,
    });
    return fault ? { status, body: { error: 'the demo client is down (a fault you set)' } } : { status };
  };
  const list = (request: ProviderRequest): ProviderResponse => {
    const conversation = request.query.get('conversation_id');
    return {
      status: 200,
      body: {
        deliveries: received.filter((delivery) => !conversation || delivery.body.includes(JSON.stringify(conversation).slice(1, -1))),
      },
    };
  };
  return {
    routes: {
      'POST /__client-events/receive': receive,
      'GET /__client-events': list,
      'DELETE /__client-events': () => ((received.length = 0), { status: 204 }),
    } as Record<string, (request: ProviderRequest) => ProviderResponse>,
    snapshot: () => [...received],
    restore: (saved: ReceivedClientEvent[]) => void received.push(...saved),
  };
};
