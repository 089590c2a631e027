import http from 'node:http';

/**
 * Counts sequential round trips: every HTTP request the process makes (the AWS SDK's, through
 * node:http), where a round trip starts whenever a request begins while none is in flight.
 * Parallel calls therefore count once, calls made one after another once each. The SDK reads
 * `http.request` when it sends, so wrapping it here sees every call.
 */
export const countRoundTrips = () => {
  const original = http.request;
  let inFlight = 0;
  let roundTrips = 0;
  let calls = 0;
  const wrapped = ((...args: Parameters<typeof http.request>) => {
    const request = original(...args);
    calls += 1;
    if (inFlight === 0) roundTrips += 1;
    inFlight += 1;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      inFlight -= 1;
    };
    // The answer read to its end, or the request failed: either way it is no longer in flight.
    request.once('response', (response) => response.once('end', done).once('close', done));
    request.once('error', done);
    request.once('close', done);
    return request;
  }) as typeof http.request;
  http.request = wrapped;
  return {
    /** Since the last take(): round trips and calls. */
    take(): { roundTrips: number; calls: number } {
      const taken = { roundTrips, calls };
      roundTrips = 0;
      calls = 0;
      return taken;
    },
    restore: () => void (http.request = original),
  };
};
