/** Moved to the test kit (`./kit`); kept so older imports compile. */
export { code, failuresOf, keyOf, okPayload, payloadOf } from './kit';
