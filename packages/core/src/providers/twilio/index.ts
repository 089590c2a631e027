export * from './twilio-client';
export * from './twilio-errors';
export * from './sms-segments';
export * from './twilio-reconcile';
export * from './validity-period';
