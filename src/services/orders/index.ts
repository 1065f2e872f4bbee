// The public functions of this domain; other domains and layers import from here.
export * from './cart';
export * from './checkout';
export * from './jobs';
export * from './lifecycle';
export * from './orders';
export * from './queries';
export * from './shipping';
