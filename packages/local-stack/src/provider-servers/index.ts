export * from './faults';
export * from './provider-server';
export { twilioSignature } from './person-simulator';
export { sendGridEventSignature } from './webhook-signing';
