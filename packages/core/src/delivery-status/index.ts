export * from './statuses';
export * from './delivery-status-store';
export * from './record-delivery-event';
export * from './twilio-status-webhook';
export * from './sendgrid-events-webhook';
