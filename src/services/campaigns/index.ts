// The public functions of this domain; other domains and layers import from here.
export * from './flashSales';
export * from './bargains';
export * from './groups';
