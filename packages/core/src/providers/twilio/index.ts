export * from './twilio-client';
export * from './twilio-errors';
export * from './sms-segments';
export * from './twilio-reconcile';
export * from './twilio-content';
export * from './validity-period';
