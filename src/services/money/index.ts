// The public functions of this domain; other domains and layers import from here.
export * from './ledger';
export * from './settlements';
export * from './finance';
export * from './payoutProviders';
export * from './payouts';
export * from './reconciliation';
