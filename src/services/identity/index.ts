// The public functions of this domain; other domains and layers import from here.
export * from './addresses';
export * from './emailTokens';
export * from './identity';
export * from './passwords';
export * from './rateLimits';
export * from './staff';
export * from './tokens';
export * from './profile';
