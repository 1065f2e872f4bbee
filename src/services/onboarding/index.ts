// The public functions of this domain; other domains and layers import from here.
export * from './applications';
export * from './shops';
export * from './team';
export * from './training';
