import { FaultBook } from '../src/provider-servers/faults';

describe('FaultBook', () => {
  it('counted rules apply to the next N matching calls, in order, then are gone', () => {
    const book = new FaultBook();
    book.add({ provider: 'twilio', route: 'messages.create', status: 429, count: 2, match: '+4470001' });
    expect(book.take('twilio', 'messages.create', 'to=+4470002')).toBeUndefined();
    expect(book.take('openai', 'messages.create', 'to=+4470001')).toBeUndefined();
    expect(book.take('twilio', 'messages.create', 'to=+4470001')?.status).toBe(429);
    expect(book.take('twilio', 'messages.create', 'to=+4470001')?.status).toBe(429);
    expect(book.take('twilio', 'messages.create', 'to=+4470001')).toBeUndefined();
    expect(book.pending()).toEqual([]);
  });

  it('a rate rule applies to that share of matching calls and stays until cleared', () => {
    // A scripted "random" source: every fourth draw is below 0.25.
    const draws = [0.9, 0.5, 0.3, 0.1];
    let n = 0;
    const book = new FaultBook(() => draws[n++ % draws.length]!);
    book.add({ provider: 'openai', route: 'responses', status: 500, rate: 0.25, count: 1 });
    const hits = Array.from({ length: 40 }, () => book.take('openai', 'responses')).filter(Boolean).length;
    expect(hits).toBe(10);
    expect(book.pending()).toHaveLength(1);
    book.clear();
    expect(book.take('openai', 'responses')).toBeUndefined();
  });

  it('with Math.random, a 10 % rule hits about 10 % of many calls', () => {
    const book = new FaultBook();
    book.add({ provider: 'twilio', rate: 0.1 });
    const hits = Array.from({ length: 20_000 }, () => book.take('twilio', 'messages.create')).filter(Boolean).length;
    expect(hits).toBeGreaterThan(1600);
    expect(hits).toBeLessThan(2400);
  });
});
