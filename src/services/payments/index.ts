// The public functions of this domain; other domains and layers import from here.
export * from './payments';
export * from './providers';
export * from './refunds';
