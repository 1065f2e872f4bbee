// The public functions of this domain; other domains and layers import from here.
export * from './moves';
export * from './orderStock';
export * from './stock';
