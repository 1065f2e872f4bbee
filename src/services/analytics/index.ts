// The public functions of the analytics domain; other domains and layers import from here.
export * from './days';
export * from './events';
export * from './snapshot';
export * from './access';
export * from './reports';
export * from './cohorts';
export * from './campaignReport';
