// The public functions of this domain; other domains and layers import from here.
export * from './brands';
export * from './catalog';
export * from './catalogIndex';
export * from './categories';
export * from './listing';
export * from './productLifecycle';
export * from './productReview';
export * from './products';
