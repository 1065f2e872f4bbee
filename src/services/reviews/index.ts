export * from './reviews';
export * from './queries';
export { ratingOf, type RatingView } from './ratings';
export { addBlockedWords, listBlockedWords, removeBlockedWords } from './screening';
export { DEFAULT_REVIEW_CATCH_UP_DAYS, inviteReviews, leaveDefaultReviews } from './tasks';
export * from './scorecards';
