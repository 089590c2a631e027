/**
 * A conditional write on a leased item (a message's delivery, a request's thread) failed because
 * another attempt holds the lease now: this attempt must stop without writing anything more.
 */
export class LeaseLost extends Error {
  constructor(readonly itemId: string) {
    super(`The lease on ${itemId} was lost to another attempt`);
  }
}
