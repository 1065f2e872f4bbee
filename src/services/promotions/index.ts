// The public functions of this domain; other domains and layers import from here.
export * from './pricing';
export * from './promotions';
export * from './coupons';
export * from './scope';
