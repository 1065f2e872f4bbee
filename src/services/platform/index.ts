// The public functions of this domain; other domains and layers import from here.
export * from './audit';
export * from './nodes';
export * from './tasks';
