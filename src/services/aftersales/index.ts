// The public functions of this domain; other domains and layers import from here.
export * from './cases';
export * from './hooks';
export { CASE_TRANSITIONS, type CaseStep } from './lifecycle';
export * from './queries';
export * from './tickets';
export * from './faqs';
