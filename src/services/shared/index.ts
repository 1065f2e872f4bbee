// The public functions of this domain; other domains and layers import from here.
export * from './clock';
export * from './money';
export * from './stateMachine';
export * from './unique';
export * from './validation';
export * from './roles';
export * from './concurrency';
