// Notifications: the outbox, its dispatcher, the inbox, emails and SMS, outbound webhooks.
export * from './outbox';
export * from './dispatch';
export * from './inbox';
export * from './messages';
export { DEFAULT_CHANNELS } from './templates';
export * from './webhooks';
export * from './webhookDelivery';
export { BlockedAddressError, isPublicAddress } from './ssrf';
