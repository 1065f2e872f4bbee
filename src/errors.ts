import { GraphQLError } from 'graphql';
import { registerEnumType } from 'type-graphql';

/**
 * Stable codes of expected business failures, returned in a payload's `errors` list. Clients
 * switch on the code, never on the message. One enum for the whole API, grouped by domain.
 */
export enum UserErrorCode {
  // input
  INVALID_INPUT = 'INVALID_INPUT',
  // identity
  INVALID_CREDENTIALS = 'INVALID_CREDENTIALS',
  EMAIL_TAKEN = 'EMAIL_TAKEN',
  WEAK_PASSWORD = 'WEAK_PASSWORD',
  INVALID_REFRESH_TOKEN = 'INVALID_REFRESH_TOKEN',
  REFRESH_TOKEN_REUSED = 'REFRESH_TOKEN_REUSED',
  INVALID_TOKEN = 'INVALID_TOKEN',
  TOKEN_EXPIRED = 'TOKEN_EXPIRED',
  ALREADY_VERIFIED = 'ALREADY_VERIFIED',
  USER_NOT_FOUND = 'USER_NOT_FOUND',
  LAST_ADMIN = 'LAST_ADMIN',
  // any state machine
  INVALID_TRANSITION = 'INVALID_TRANSITION',
  // catalog structure
  SLUG_TAKEN = 'SLUG_TAKEN',
  CATEGORY_NOT_FOUND = 'CATEGORY_NOT_FOUND',
  BRAND_NOT_FOUND = 'BRAND_NOT_FOUND',
  BRAND_NAME_TAKEN = 'BRAND_NAME_TAKEN',
  // products
  SHOP_NOT_ACTIVE = 'SHOP_NOT_ACTIVE',
  SKU_TAKEN = 'SKU_TAKEN',
  LISTING_STANDARD = 'LISTING_STANDARD',
  PRODUCT_UNCHANGED = 'PRODUCT_UNCHANGED',
  STOCK_RESERVED = 'STOCK_RESERVED',
  // onboarding
  APPLICATION_ALREADY_OPEN = 'APPLICATION_ALREADY_OPEN',
  SHOP_NAME_TAKEN = 'SHOP_NAME_TAKEN',
  ALREADY_CLAIMED = 'ALREADY_CLAIMED',
  NOT_ASSIGNED = 'NOT_ASSIGNED',
  REASON_REQUIRED = 'REASON_REQUIRED',
  AGREEMENT_VERSION_MISMATCH = 'AGREEMENT_VERSION_MISMATCH',
  AGREEMENT_NOT_ACCEPTED = 'AGREEMENT_NOT_ACCEPTED',
  TRAINING_INCOMPLETE = 'TRAINING_INCOMPLETE',
  PROFILE_INCOMPLETE = 'PROFILE_INCOMPLETE',
  // training
  COURSE_PUBLISHED = 'COURSE_PUBLISHED',
  COURSE_EMPTY = 'COURSE_EMPTY',
  TOO_MANY_ATTEMPTS = 'TOO_MANY_ATTEMPTS',
  // team
  ALREADY_MEMBER = 'ALREADY_MEMBER',
  INVITATION_NOT_PENDING = 'INVITATION_NOT_PENDING',
  LAST_OWNER = 'LAST_OWNER',
  // buying
  INSUFFICIENT_STOCK = 'INSUFFICIENT_STOCK',
  PRODUCT_UNAVAILABLE = 'PRODUCT_UNAVAILABLE',
  EMPTY_CART = 'EMPTY_CART',
  ADDRESS_NOT_FOUND = 'ADDRESS_NOT_FOUND',
  CHECKOUT_EXPIRED = 'CHECKOUT_EXPIRED',
  // platform
  TASK_NOT_FOUND = 'TASK_NOT_FOUND',
  // analytics
  SNAPSHOT_RUNNING = 'SNAPSHOT_RUNNING',
  // money
  SHOP_NOT_FOUND = 'SHOP_NOT_FOUND',
  SETTLEMENT_NOT_CLOSED = 'SETTLEMENT_NOT_CLOSED',
  NOTHING_TO_PAY = 'NOTHING_TO_PAY',
  PAYOUT_ALREADY_EXISTS = 'PAYOUT_ALREADY_EXISTS',
  // after-sales
  AFTER_SALES_WINDOW_CLOSED = 'AFTER_SALES_WINDOW_CLOSED',
  CASE_ALREADY_OPEN = 'CASE_ALREADY_OPEN',
  QUANTITY_EXCEEDED = 'QUANTITY_EXCEEDED',
  REFUND_EXCEEDS_PAID = 'REFUND_EXCEEDS_PAID',
  // promotions and coupons
  COUPON_SOLD_OUT = 'COUPON_SOLD_OUT',
  COUPON_LIMIT_REACHED = 'COUPON_LIMIT_REACHED',
  COUPON_NOT_APPLICABLE = 'COUPON_NOT_APPLICABLE',
  COUPON_EXPIRED = 'COUPON_EXPIRED',
  PROMOTION_BUDGET_EXHAUSTED = 'PROMOTION_BUDGET_EXHAUSTED',
  FLASH_SALE_SOLD_OUT = 'FLASH_SALE_SOLD_OUT',
  FLASH_SALE_LIMIT_REACHED = 'FLASH_SALE_LIMIT_REACHED',
  GROUP_FULL = 'GROUP_FULL',
  GROUP_NOT_FORMED = 'GROUP_NOT_FORMED',
  ALREADY_IN_GROUP = 'ALREADY_IN_GROUP',
  BARGAIN_HELP_REFUSED = 'BARGAIN_HELP_REFUSED',
  // reviews
  NOT_ELIGIBLE = 'NOT_ELIGIBLE',
  ALREADY_REVIEWED = 'ALREADY_REVIEWED',
  ALREADY_REPLIED = 'ALREADY_REPLIED',
  ALREADY_REPORTED = 'ALREADY_REPORTED',
  // membership
  INSUFFICIENT_POINTS = 'INSUFFICIENT_POINTS',
  POINTS_CAP_EXCEEDED = 'POINTS_CAP_EXCEEDED',
  ALREADY_CHECKED_IN = 'ALREADY_CHECKED_IN',
  GROWTH_TASK_NOT_DONE = 'GROWTH_TASK_NOT_DONE',
  GROWTH_TASK_ALREADY_REWARDED = 'GROWTH_TASK_ALREADY_REWARDED',
  INVALID_REFERRAL_CODE = 'INVALID_REFERRAL_CODE',
  SELF_REFERRAL = 'SELF_REFERRAL',
  REFERRAL_LOOP = 'REFERRAL_LOOP',
  ALREADY_REFERRED = 'ALREADY_REFERRED',
  // webhooks
  WEBHOOK_LIMIT_REACHED = 'WEBHOOK_LIMIT_REACHED',
  // risk and trust
  ORDER_ON_HOLD = 'ORDER_ON_HOLD',
  NOT_ON_HOLD = 'NOT_ON_HOLD',
  ACCOUNT_BANNED = 'ACCOUNT_BANNED',
  BLACKLISTED = 'BLACKLISTED',
  PASSWORD_CHANGE_REQUIRED = 'PASSWORD_CHANGE_REQUIRED',
  SHOP_RESTRICTED = 'SHOP_RESTRICTED',
  ALREADY_APPEALED = 'ALREADY_APPEALED',
  ALREADY_DECIDED = 'ALREADY_DECIDED',
}

registerEnumType(UserErrorCode, {
  name: 'UserErrorCode',
  description: 'Stable code of an expected failure reported in a mutation payload.',
  valuesConfig: {
    INVALID_INPUT: { description: 'A field is malformed or out of range; `field` names it.' },
    INVALID_CREDENTIALS: { description: 'Wrong email or password (never says which).' },
    EMAIL_TAKEN: { description: 'Another account uses this email.' },
    WEAK_PASSWORD: { description: 'The password breaks the password rules (at least 10 characters, not the email).' },
    INVALID_REFRESH_TOKEN: { description: 'The refresh token is unknown, expired or its session has ended.' },
    REFRESH_TOKEN_REUSED: { description: 'The refresh token was already used; its whole session family is now revoked.' },
    INVALID_TOKEN: { description: 'The emailed token (password reset, email verification) is unknown or already used. Ask for a new one.' },
    TOKEN_EXPIRED: { description: 'The emailed token is past its expiry (PASSWORD_RESET_TTL_MINUTES, EMAIL_VERIFICATION_TTL_HOURS). Ask for a new one.' },
    ALREADY_VERIFIED: { description: 'The email address is already verified.' },
    USER_NOT_FOUND: { description: 'No user with this ID.' },
    LAST_ADMIN: { description: 'The change would leave the platform without an ADMIN.' },
    INVALID_TRANSITION: { description: 'The object is not in a state that allows this action.' },
    SLUG_TAKEN: { description: 'Another object already uses this slug.' },
    CATEGORY_NOT_FOUND: { description: 'A referenced category does not exist.' },
    BRAND_NOT_FOUND: { description: 'A referenced brand does not exist.' },
    BRAND_NAME_TAKEN: { description: 'Another brand has this name (case-insensitive).' },
    SHOP_NOT_ACTIVE: { description: 'The shop is suspended or closed: its products cannot be changed. Promotions and coupon campaigns are created by ACTIVE shops only.' },
    SKU_TAKEN: { description: 'Another variant of the shop (or of this input) uses this SKU; `field` names the variant.' },
    LISTING_STANDARD: { description: 'The product breaks a listing standard (商品上架標準); `field` names the part to fix. Checked on submit and on every change of a product on sale.' },
    PRODUCT_UNCHANGED: { description: 'A rejected product must be edited before it is submitted again.' },
    STOCK_RESERVED: { description: 'The variant holds stock reserved by checkouts: it cannot be removed, nor its stock set below the reserved units.' },
    APPLICATION_ALREADY_OPEN: { description: 'You already have an application that is not approved or rejected.' },
    SHOP_NAME_TAKEN: { description: 'A live shop or an open application already uses this name (case-insensitive).' },
    ALREADY_CLAIMED: { description: 'Another reviewer claimed this application first.' },
    NOT_ASSIGNED: { description: 'Only the reviewer who claimed the application (or an ADMIN) may decide it.' },
    REASON_REQUIRED: { description: 'A reason is required for this decision.' },
    AGREEMENT_VERSION_MISMATCH: { description: 'The version accepted is not the current merchant agreement.' },
    AGREEMENT_NOT_ACCEPTED: { description: 'The shop has not accepted the current merchant agreement.' },
    TRAINING_INCOMPLETE: { description: 'Required training courses are not passed yet; the message lists them.' },
    PROFILE_INCOMPLETE: { description: 'Phone, address and description are required; `field` names the missing one.' },
    COURSE_PUBLISHED: { description: 'A published course can no longer be changed.' },
    COURSE_EMPTY: { description: 'A course needs at least one lesson and one quiz question to be published.' },
    TOO_MANY_ATTEMPTS: { description: 'At most 5 quiz attempts per course per shop in 24 hours.' },
    ALREADY_MEMBER: { description: 'The user is already a member of this shop.' },
    INVITATION_NOT_PENDING: { description: 'The invitation was already accepted or revoked.' },
    LAST_OWNER: { description: 'A shop must keep at least one OWNER.' },
    INSUFFICIENT_STOCK: {
      description:
        'Not enough stock is available for this quantity, or a stock adjustment or stocktake count would take on-hand stock below the units reserved by checkouts; `field` names the line, variant, delta or count.',
    },
    PRODUCT_UNAVAILABLE: { description: 'The product is not on sale (delisted, banned, its shop inactive) or the variant was removed; `field` names the line.' },
    EMPTY_CART: { description: 'There is nothing to check out.' },
    ADDRESS_NOT_FOUND: { description: 'No such address in your address book.' },
    CHECKOUT_EXPIRED: { description: 'The checkout was not paid in time; its stock was released. Check out again.' },
    TASK_NOT_FOUND: { description: 'No scheduled task has this name (`scheduledTasks` lists them).' },
    ORDER_ON_HOLD: { description: 'The order is held by risk control (its checkout scored RISK_HOLD_SCORE or more): it cannot ship until staff RISK release it (`releaseOrderHold`) or cancel it.' },
    NOT_ON_HOLD: { description: 'The order is not held (never was, was released, or is no longer paid and unshipped).' },
    ACCOUNT_BANNED: { description: 'The account is banned (`banUser`) until `User.ban.until`, or for good: sign-in is refused.' },
    BLACKLISTED: { description: 'A blacklist entry blocks this request: the email domain, device, IP address, delivery phone or delivery address (`field` names the input when it is one).' },
    PASSWORD_CHANGE_REQUIRED: { description: 'Risk control saw an unusual sign-in: change the password (`changePassword`) before anything else.' },
    SHOP_RESTRICTED: { description: 'The shop’s violation points reached VIOLATION_RESTRICT_POINTS: it may not list new products or join campaigns until an appeal restores points.' },
    ALREADY_APPEALED: { description: 'This violation already has an appeal (one per violation).' },
    ALREADY_DECIDED: { description: 'This report or appeal was already decided.' },
    SNAPSHOT_RUNNING: { description: 'Another KPI snapshot (the `snapshot-metrics` task or another recompute) is running: try again when it has finished.' },
    SHOP_NOT_FOUND: { description: 'No shop has this ID.' },
    SETTLEMENT_NOT_CLOSED: { description: 'The settlement is still OPEN: `close-settlements` closes it when its period ends.' },
    NOTHING_TO_PAY: { description: 'The settlement’s payable amount (its net plus any negative balance carried over) is zero or less.' },
    PAYOUT_ALREADY_EXISTS: { description: 'The settlement already has a payout; retry a FAILED one with `retryPayout`.' },
    AFTER_SALES_WINDOW_CLOSED: { description: 'The order’s after-sales window (AFTER_SALES_DAYS after delivery) has closed, or the order is not in a state that takes a case.' },
    CASE_ALREADY_OPEN: { description: 'An order line already has an open after-sale case (one at a time), or the order has one and cannot be cancelled or shipped until it closes.' },
    QUANTITY_EXCEEDED: { description: 'More units than were bought, minus what earlier cases took.' },
    REFUND_EXCEEDS_PAID: { description: 'More than was paid for the order, minus what was refunded and what open cases ask.' },
    COUPON_SOLD_OUT: { description: 'Every coupon of the campaign has been claimed.' },
    COUPON_LIMIT_REACHED: { description: 'You already hold as many coupons of this campaign as one shopper may claim (`perUserLimit`, whether used or not).' },
    COUPON_NOT_APPLICABLE: { description: 'Claiming: the coupon is not for you (new users only and you have a paid order; a member level you have not reached; its shop is not trading). At checkout and in a quote: the coupon is not yours, already used, of a shop not in the checkout, a second platform coupon or a second one of a shop, short of its minimum spend, or covers nothing in the cart.' },
    COUPON_EXPIRED: { description: 'Claiming: the campaign is not open (its claim window has not started or is over, or it was ended). At checkout and in a quote: the coupon is past its validity or not valid yet.' },
    PROMOTION_BUDGET_EXHAUSTED: { description: 'A promotion’s budget ran out while the checkout was priced: review the quote and try again.' },
    FLASH_SALE_SOLD_OUT: { description: 'Every unit of the flash-sale item has been taken.' },
    FLASH_SALE_LIMIT_REACHED: { description: 'You would have more units of the flash-sale item than one buyer may (`perUserLimit`, counting your orders not cancelled, paid or not).' },
    GROUP_FULL: { description: 'The group has as many members as it needs.' },
    GROUP_NOT_FORMED: { description: 'The order belongs to a group that has not formed: it cannot be accepted or shipped yet.' },
    ALREADY_IN_GROUP: { description: 'You are already a member of this group.' },
    BARGAIN_HELP_REFUSED: { description: 'You cannot help this bargain: it is yours, you helped it already, it reached its floor, or it is over.' },
    NOT_ELIGIBLE: {
      description:
        'Reviewing: the line is not delivered yet, its review window (REVIEW_WINDOW_DAYS after delivery) has passed, it is a gift, or the order was cancelled. A follow-up: its window (REVIEW_FOLLOW_UP_DAYS after delivery) has passed or the review is hidden. A reply: the review is hidden.',
    },
    ALREADY_REVIEWED: { description: 'The line already has a review (one per line), or the review already has its one follow-up.' },
    ALREADY_REPLIED: { description: 'The shop replied to this review more than 24 hours ago: the reply can no longer be changed.' },
    ALREADY_REPORTED: { description: 'You already reported this review.' },
    INSUFFICIENT_POINTS: { description: 'You asked to redeem more points than you hold.' },
    POINTS_CAP_EXCEEDED: { description: 'Points may pay at most POINTS_MAX_DISCOUNT_RATE of the goods after other discounts; the message says how many this checkout takes. Never clamped silently.' },
    ALREADY_CHECKED_IN: { description: 'You have already checked in today (a calendar day in Asia/Shanghai).' },
    GROWTH_TASK_NOT_DONE: { description: 'The growth task is not done yet (see its progress), or it is not open.' },
    GROWTH_TASK_ALREADY_REWARDED: { description: 'This growth task has already rewarded you: each rewards a member once.' },
    INVALID_REFERRAL_CODE: { description: 'No member has this referral code.' },
    SELF_REFERRAL: { description: 'That referral code is your own.' },
    REFERRAL_LOOP: { description: 'The code’s owner was referred by you, directly or down a chain: referrals cannot loop.' },
    ALREADY_REFERRED: { description: 'You already have a referrer, or your first order is paid: a referrer can be added only once, before the first paid order.' },
    WEBHOOK_LIMIT_REACHED: { description: 'The shop already has as many webhook subscriptions as it may (20, disabled ones included): delete one first.' },
  },
});

export interface UserErrorShape {
  code: UserErrorCode;
  field?: string[];
  message: string;
}

/**
 * Thrown by services for an expected failure; resolvers turn it into payload `errors`. Throwing
 * (rather than returning) rolls back any transaction in progress, so a failed mutation changes
 * nothing.
 */
export class Failure extends Error {
  readonly errors: UserErrorShape[];
  constructor(code: UserErrorCode, message: string, field?: string | string[]);
  constructor(errors: UserErrorShape[]);
  constructor(codeOrErrors: UserErrorCode | UserErrorShape[], message?: string, field?: string | string[]) {
    const errors = Array.isArray(codeOrErrors)
      ? codeOrErrors
      : [{ code: codeOrErrors, message: message!, field: field === undefined ? undefined : Array.isArray(field) ? field : [field] }];
    super(errors.map((e) => e.message).join('; '));
    this.name = 'Failure';
    this.errors = errors;
  }
}

/** Collects field problems, then throws them together. */
export class Problems {
  private readonly list: UserErrorShape[] = [];
  add(code: UserErrorCode, message: string, field: string | string[]): this {
    this.list.push({ code, message, field: Array.isArray(field) ? field : [field] });
    return this;
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new Failure(this.list);
  }
}

/** Codes of thrown GraphQL errors (extensions.code) that reach clients unmasked. */
export const PUBLIC_ERROR_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'RATE_LIMITED',
  'QUERY_TOO_COMPLEX',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  // The database connection was lost or refused: transient, the client may retry (`retryable: true`).
  'SERVICE_UNAVAILABLE',
  // A subscription whose client read its events too slowly was ended (src/realtime/bounded.ts).
  'SLOW_CONSUMER',
  // A subscribe over a socket already running MAX_SUBSCRIPTIONS_PER_SOCKET subscriptions (src/realtime/ws.ts).
  'TOO_MANY_SUBSCRIPTIONS',
  // A query's expected failure (see FailureError): the same codes a mutation's payload `errors` carry.
  ...Object.values(UserErrorCode),
]);

/**
 * A Failure thrown where no payload can carry it (a query, e.g. `checkoutQuote`): a GraphQL error
 * with the first user error's code and `field`, its message naming every problem.
 */
export class FailureError extends GraphQLError {
  constructor(failure: Failure) {
    const [first] = failure.errors;
    super(failure.message, { extensions: { code: first.code, ...(first.field ? { field: first.field } : {}) } });
  }
}

export class UnauthenticatedError extends GraphQLError {
  constructor(message = 'Sign in to do this', httpStatus?: number) {
    super(message, { extensions: { code: 'UNAUTHENTICATED', ...(httpStatus ? { http: { status: httpStatus } } : {}) } });
  }
}

export class ForbiddenError extends GraphQLError {
  constructor(message = 'You may not do this') {
    super(message, { extensions: { code: 'FORBIDDEN' } });
  }
}

export class NotFoundError extends GraphQLError {
  constructor(message = 'Not found') {
    super(message, { extensions: { code: 'NOT_FOUND' } });
  }
}

export class BadInputError extends GraphQLError {
  constructor(message: string, field?: string) {
    super(message, { extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}) } });
  }
}

export class RateLimitedError extends GraphQLError {
  constructor(retryAfterSeconds: number) {
    super(`Too many attempts; try again in ${retryAfterSeconds} s`, {
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds },
    });
  }
}

export class QueryTooComplexError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: 'QUERY_TOO_COMPLEX' } });
  }
}
