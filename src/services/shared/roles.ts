import { ShopMemberRole as M, StaffRole as S } from '../../entities';

/**
 * Who may do what, named once: the shield tree (src/permissions) checks these roles before a
 * resolver runs, and the services check the same sets again where they load the shop's rows.
 */

/** Shop roles that write the catalog: products, variants and their review submissions. */
export const CATALOG_ROLES: readonly M[] = [M.OWNER, M.MANAGER, M.OPERATOR];
/** Shop roles that change stock: adjustments and stocktakes. */
export const STOCK_ROLES: readonly M[] = [M.OWNER, M.MANAGER, M.OPERATOR];
/** Shop roles that keep shipping-fee templates. */
export const SHIPPING_ROLES: readonly M[] = [M.OWNER, M.MANAGER, M.OPERATOR];
/** Shop roles that fulfil orders: accept, ship, cancel with a reason. */
export const FULFIL_ROLES: readonly M[] = [M.OWNER, M.MANAGER, M.OPERATOR];
/** Shop roles that edit the shop's public profile. */
export const PROFILE_ROLES: readonly M[] = [M.OWNER, M.MANAGER];
/** The shop's owner alone: agreements, activation, the team. */
export const OWNER_ROLES: readonly M[] = [M.OWNER];

/** Staff who see every order and may cancel any. */
export const ORDER_STAFF: readonly S[] = [S.CUSTOMER_SERVICE, S.OPERATIONS];
/** Staff who review products submitted for sale. */
export const PRODUCT_REVIEW_STAFF: readonly S[] = [S.REVIEWER, S.OPERATIONS];
/** Staff who moderate shops and products (suspend, ban). */
export const MODERATION_STAFF: readonly S[] = [S.OPERATIONS, S.RISK];
/** Shop roles that handle after-sale cases: answer, receive returns, resend, escalate, and see the shop's case list. */
export const AFTER_SALE_ROLES: readonly M[] = [M.OWNER, M.MANAGER, M.CUSTOMER_SERVICE];
/** Staff who see every after-sale case and rule on escalated ones. */
export const AFTER_SALE_STAFF: readonly S[] = [S.CUSTOMER_SERVICE];
/** Shop roles that see the shop's money: its settlements, balance and payouts. */
export const SHOP_MONEY_ROLES: readonly M[] = [M.OWNER, M.FINANCE];
/** Staff who run the platform's money: payouts, adjustments, the ledger and reconciliation. */
export const MONEY_STAFF: readonly S[] = [S.FINANCE];
/** Shop roles that run the shop's promotions and coupon campaigns. */
export const PROMOTION_ROLES: readonly M[] = [M.OWNER, M.MANAGER, M.OPERATOR];
/** Staff who run platform-wide promotions and platform coupons, and may cancel or end any shop's. */
export const PROMOTION_STAFF: readonly S[] = [S.OPERATIONS];
/** Shop roles that answer reviews (the shop's one reply to each). */
export const REVIEW_REPLY_ROLES: readonly M[] = [M.OWNER, M.MANAGER, M.CUSTOMER_SERVICE];
/** Staff who moderate reviews (publish, hide, feature) and keep the blocked words. */
export const REVIEW_STAFF: readonly S[] = [S.OPERATIONS];
/** Staff who read every shop's scorecard and the level changes (a drop to AT_RISK above all). */
export const SCORECARD_STAFF: readonly S[] = [S.RISK, S.OPERATIONS, S.ANALYST];
/** Staff who configure member levels and growth tasks. */
export const MEMBERSHIP_STAFF: readonly S[] = [S.OPERATIONS];
/** Staff who may see a shopper's membership (level, points, referral code). */
export const MEMBER_VIEW_STAFF: readonly S[] = [S.OPERATIONS, S.CUSTOMER_SERVICE];
/** Staff who see buyers' personal data (recipient, phone, street, a user's email and phone) in full, every view audited; other staff see it masked. */
export const PERSONAL_DATA_STAFF: readonly S[] = [S.RISK, S.CUSTOMER_SERVICE];
