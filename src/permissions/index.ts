import { type GraphQLFieldResolver, type GraphQLSchema, isObjectType } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import type { IRules } from 'graphql-shield';
import { allow, deny, or, rule, shield } from 'graphql-shield';
import type { Context } from '../context';
import { Order, type OrderLine, StaffRole, type User } from '../entities';
import { AFTER_SALE_ROLES, AFTER_SALE_STAFF, CATALOG_ROLES, FULFIL_ROLES, MODERATION_STAFF, MONEY_STAFF, SHOP_MONEY_ROLES, ORDER_STAFF, OWNER_ROLES, PRODUCT_REVIEW_STAFF, PROFILE_ROLES, PROMOTION_ROLES, PROMOTION_STAFF, REVIEW_REPLY_ROLES, REVIEW_STAFF, SCORECARD_STAFF, SHIPPING_ROLES, STOCK_ROLES, MEMBER_VIEW_STAFF, MEMBERSHIP_STAFF } from '../services/shared/roles';
import { moneyAccess, shopOfOrderLine } from '../services/money';
import { TICKET_STAFF, ticketListAccess } from '../services/aftersales';
import { decodeId } from '../schema/shared/globalId';
import { WEBHOOK_ROLES, WEBHOOK_STAFF } from '../services/notifications';
import { accessError, ANALYTICS_STAFF, type AnalyticsTarget, analyticsAccess } from '../services/analytics';
import { decodeCampaignId } from '../schema/analytics/campaigns';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../errors';
import { isAnyStaff, isMemberOfShopOwning, isSelfOrStaff, isShopMember, isShopMemberOfInputId, isShopMemberOrPlatformStaff, isSignedIn, isStaff } from './rules';
import { REPORT_STAFF, TRUST_STAFF, VIOLATION_VIEW_ROLES } from '../services/risk';

const { OPERATIONS, REVIEWER, RISK, ADMIN } = StaffRole;

/** Members of the shop (any role) or staff: a shop's private fields. */
const shopInsider = or(isShopMember(), isAnyStaff);

/** A user's membership fields (referral code, level, points): the user themself, or staff MEMBER_VIEW_STAFF (ADMIN always). */
const selfOrMemberViewStaff = rule('selfOrMemberViewStaff', { cache: 'no_cache' })((parent: User, _args, ctx: Context) => {
  if (ctx.signedInUserId === parent.id) return true;
  if (!ctx.viewer.isSignedIn) return new UnauthenticatedError();
  return ctx.viewer.userId === parent.id || ctx.viewer.hasStaffRole(...MEMBER_VIEW_STAFF) ? true : new ForbiddenError();
});

type MoneyArgs = { shopId?: unknown; filter?: { shopId?: unknown } | null };

/**
 * A shop's money (settlements, balance): staff FINANCE, or the shop's OWNER and FINANCE members.
 * Another role is FORBIDDEN; another shop's money is NOT_FOUND. `locate` names the shop (a global
 * ID), or null for "any shop of mine" (the service then lists only those).
 */
function moneyReader(name: string, locate: (args: MoneyArgs) => unknown) {
  return rule(name, { cache: 'no_cache' })(async (_parent, args: MoneyArgs, ctx: Context) => {
    if (!ctx.viewer.isSignedIn) return new UnauthenticatedError();
    try {
      const shopId = locate(args);
      const access = await moneyAccess(ctx.viewer, typeof shopId === 'string' ? decodeId('Shop', shopId) : null);
      return access === 'ALLOWED' ? true : access === 'FORBIDDEN' ? new ForbiddenError() : new NotFoundError();
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  });
}

/**
 * The ticket list: staff CUSTOMER_SERVICE, or a shop's OWNER and CUSTOMER_SERVICE members (for the
 * shop named in `filter.shopId`, or all of theirs). Another role is FORBIDDEN; another shop NOT_FOUND.
 */
const ticketReader = rule('ticketReader', { cache: 'no_cache' })(async (_parent, args: { filter?: { shopId?: unknown } | null }, ctx: Context) => {
  if (!ctx.viewer.isSignedIn) return new UnauthenticatedError();
  try {
    const shopId = args.filter?.shopId;
    const access = await ticketListAccess(ctx.viewer, typeof shopId === 'string' ? decodeId('Shop', shopId) : null);
    return access === 'ALLOWED' ? true : access === 'FORBIDDEN' ? new ForbiddenError() : new NotFoundError();
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
});

/**
 * Analytics reads (services/analytics/access.ts, checked again by the services): staff ANALYST and
 * FINANCE; a shop's figures and campaigns also its OWNER, MANAGER and FINANCE members. `locate`
 * names what is read from the arguments (global IDs decoded): a malformed or unknown shop, category
 * or campaign is NOT_FOUND, then another role, shop or a shopper FORBIDDEN.
 */
function analyticsReader(name: string, locate: (args: Record<string, unknown>) => AnalyticsTarget) {
  return rule(name, { cache: 'no_cache' })(async (_parent, args: Record<string, unknown>, ctx: Context) => {
    if (!ctx.viewer.isSignedIn) return new UnauthenticatedError();
    try {
      return accessError(await analyticsAccess(ctx, locate(args))) ?? true;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  });
}

/** A global ID argument decoded, or null when absent. */
const keyOf = (type: string, id: unknown) => (id == null ? null : decodeId(type, String(id)));

/**
 * Commission of an order or order line: its shop's OWNER and FINANCE members and staff FINANCE;
 * FORBIDDEN on the field for everyone else who sees the order (the buyer, other roles, other staff).
 * An order line's shop is its order's, found in the identity map or by one batched load.
 */
const seesCommission = rule('seesCommission', { cache: 'no_cache' })(async (parent: Order | OrderLine, _args, ctx: Context) => {
  if (!ctx.viewer.isSignedIn) return new UnauthenticatedError();
  try {
    const shopId = parent instanceof Order ? parent.shop.id : await shopOfOrderLine(ctx, parent);
    return shopId !== undefined && (await moneyAccess(ctx.viewer, shopId)) === 'ALLOWED' ? true : new ForbiddenError();
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
});

/**
 * The one permission tree. Every root field has an explicit rule (a test enforces it); everything
 * not listed is denied. Tenancy is also checked where data is loaded: both, not either.
 */
export const rootRules = {
  Query: {
    me: allow,
    node: allow,
    nodes: allow,
    users: isStaff(ADMIN),
    categories: allow,
    category: allow,
    brands: allow,
    brand: allow,
    products: allow,
    product: allow,
    productsForReview: isStaff(...PRODUCT_REVIEW_STAFF),
    // The viewer's own cart and address book: the services scope by the viewer.
    cart: isSignedIn,
    checkoutQuote: isSignedIn,
    myAddresses: isSignedIn,
    myOrders: isSignedIn,
    // The buyer, the shop's members and order staff; the service answers null for anyone else.
    order: allow,
    orders: isStaff(...ORDER_STAFF),
    checkout: isSignedIn,
    shop: allow,
    merchantAgreement: allow,
    myShops: isSignedIn,
    myMerchantApplications: isSignedIn,
    myShopInvitations: isSignedIn,
    trainingCourses: isSignedIn,
    merchantApplications: isStaff(REVIEWER),
    auditLog: isStaff(RISK),
    scheduledTasks: isStaff(OPERATIONS),
    payouts: moneyReader('moneyReader(payouts:filter.shopId)', (args) => args.filter?.shopId),
    reconciliation: isStaff(...MONEY_STAFF),
    shopBalance: moneyReader('moneyReader(shopId)', (args) => args.shopId),
    settlements: moneyReader('moneyReader(filter.shopId)', (args) => args.filter?.shopId),
    ledgerEntries: isStaff(...MONEY_STAFF),
    ledgerBalances: isStaff(...MONEY_STAFF),
    // Its requester, staff CUSTOMER_SERVICE and the named shop's OWNER and CUSTOMER_SERVICE members; null for anyone else.
    ticket: allow,
    myTickets: isSignedIn,
    tickets: ticketReader,
    faqs: allow,
    // Its buyer, the shop's members and customer service staff; the service answers null for anyone else.
    afterSaleCase: allow,
    myAfterSaleCases: isSignedIn,
    shopAfterSaleCases: or(isShopMember(...AFTER_SALE_ROLES), isStaff(...AFTER_SALE_STAFF)),
    arbitrationQueue: isStaff(...AFTER_SALE_STAFF),
    serviceMetrics: isStaff(...TICKET_STAFF),
    shopScorecards: isStaff(...SCORECARD_STAFF),
    scorecardLevelChanges: isStaff(...SCORECARD_STAFF),
    // Public lists of published reviews (the services check the product or shop is visible).
    productReviews: allow,
    shopReviews: allow,
    myReviews: isSignedIn,
    myPendingReviews: isSignedIn,
    reviewsForModeration: isStaff(...REVIEW_STAFF),
    blockedWords: isStaff(...REVIEW_STAFF),
    // Shoppers see what is live; the services show a shop's members and promotion staff the rest.
    promotions: allow,
    couponCampaigns: allow,
    myCoupons: isSignedIn,
    myPoints: isSignedIn,
    // The viewer's own inbox and channel choices.
    myNotifications: isSignedIn,
    unreadNotificationCount: isSignedIn,
    notificationPreferences: isSignedIn,
    // The ladder is public; its configuration is staff's.
    memberLevels: allow,
    // The viewer's own check-ins and growth tasks; growth task configuration is staff's.
    myCheckIns: isSignedIn,
    myGrowthTasks: isSignedIn,
    growthTasks: isStaff(...MEMBERSHIP_STAFF),
    // Flash sales are public; the service shows a sale's items not APPROVED to their shop's members and promotion staff only.
    flashSales: allow,
    flashSale: allow,
    // Bargain campaigns: shoppers see those not ended of products on sale, insiders the rest. A bargain
    // is public by its ID (a share link) and shows no person; myBargains are the viewer's own.
    bargainCampaigns: allow,
    bargain: allow,
    myBargains: isSignedIn,
    // Group buys: shoppers see the live offers of products on sale and any group of an offer they
    // see (to join it); insiders every offer of their shop. myGroups are the viewer's own.
    groupBuys: allow,
    groupBuy: allow,
    group: allow,
    myGroups: isSignedIn,
    // The viewer's own invitees (推薦).
    myReferrals: isSignedIn,
    // The shop's OWNER and MANAGER members (another role FORBIDDEN, another shop NOT_FOUND) and staff; checked again in the service.
    webhookSubscriptions: or(isShopMember(...WEBHOOK_ROLES), isStaff(...WEBHOOK_STAFF)),
    // KPIs (services/analytics/access.ts): staff ANALYST and FINANCE; a shop's own figures, product
    // ranking and campaign reports also its OWNER, MANAGER and FINANCE members (campaigns: staff OPERATIONS too).
    platformMetrics: isStaff(...ANALYTICS_STAFF),
    topShops: isStaff(...ANALYTICS_STAFF),
    cohortRetention: isStaff(...ANALYTICS_STAFF),
    shopMetrics: analyticsReader('analyticsReader(shopId)', (args) => ({ kind: 'SHOP', shopId: decodeId('Shop', String(args.shopId)) })),
    categoryMetrics: analyticsReader('analyticsReader(categoryId)', (args) => ({ kind: 'CATEGORY', categoryId: decodeId('Category', String(args.categoryId)) })),
    topProducts: analyticsReader('analyticsReader(scope)', (args) => {
      const scope = args.scope as { shopId?: unknown; categoryId?: unknown } | null | undefined;
      return { kind: 'PRODUCTS', shopId: keyOf('Shop', scope?.shopId), categoryId: keyOf('Category', scope?.categoryId) };
    }),
    campaignReport: analyticsReader('analyticsReader(campaign id)', (args) => {
      const { kind, key } = decodeCampaignId(String(args.id));
      return { kind: 'CAMPAIGN', campaign: kind, key };
    }),
    // risk: orders (rules, queue)
    riskRules: isStaff(RISK),
    riskQueue: isStaff(RISK),
    // risk: accounts (blacklists, bans, risk events)
    blacklistEntries: isStaff(RISK),
    riskEvents: isStaff(RISK),
    // risk: trust (reports, violations, appeals)
    productReports: isStaff(...REPORT_STAFF),
    violationAppeals: isStaff(...TRUST_STAFF),
  },
  Mutation: {
    markNotificationsRead: isSignedIn,
    updateProfile: isSignedIn,
    updateNotificationPreferences: isSignedIn,
    register: allow,
    login: allow,
    refreshSession: allow,
    logout: isSignedIn,
    changePassword: isSignedIn,
    // Emailed links: whoever holds the token (or asks for one by email); the services check the token.
    requestPasswordReset: allow,
    resetPassword: allow,
    verifyEmail: allow,
    requestEmailVerification: isSignedIn,
    setStaffRoles: isStaff(ADMIN),
    createCategory: isStaff(OPERATIONS),
    updateCategory: isStaff(OPERATIONS),
    createBrand: isStaff(OPERATIONS),
    updateBrand: isStaff(OPERATIONS),
    createProduct: isShopMember(...CATALOG_ROLES),
    updateProduct: isMemberOfShopOwning('Product', 'id', ...CATALOG_ROLES),
    submitProductForReview: isMemberOfShopOwning('Product', 'id', ...CATALOG_ROLES),
    delistProduct: isMemberOfShopOwning('Product', 'id', ...CATALOG_ROLES),
    relistProduct: isMemberOfShopOwning('Product', 'id', ...CATALOG_ROLES),
    reviewProduct: isStaff(...PRODUCT_REVIEW_STAFF),
    banProduct: isStaff(...MODERATION_STAFF),
    // Another user's address or cart line is NOT_FOUND in the service.
    addToCart: isSignedIn,
    updateCartLine: isSignedIn,
    createAddress: isSignedIn,
    updateAddress: isSignedIn,
    deleteAddress: isSignedIn,
    createShippingTemplate: isShopMember(...SHIPPING_ROLES),
    updateShippingTemplate: isMemberOfShopOwning('ShippingTemplate', 'id', ...SHIPPING_ROLES),
    adjustStock: isMemberOfShopOwning('ProductVariant', 'variantId', ...STOCK_ROLES),
    submitStocktake: isShopMember(...STOCK_ROLES),
    checkout: isSignedIn,
    payCheckout: isSignedIn,
    acceptOrder: isMemberOfShopOwning('Order', 'id', ...FULFIL_ROLES),
    shipOrder: isMemberOfShopOwning('Order', 'orderId', ...FULFIL_ROLES),
    // Buyer, shop or staff: the service decides which step the viewer may take (NOT_FOUND for strangers).
    confirmDelivery: isSignedIn,
    cancelOrder: isSignedIn,
    // Applicants act on their own applications; the service answers NOT_FOUND for anyone else's.
    createMerchantApplication: isSignedIn,
    updateMerchantApplication: isSignedIn,
    submitMerchantApplication: isSignedIn,
    claimMerchantApplication: isStaff(REVIEWER),
    reviewMerchantApplication: isStaff(REVIEWER),
    publishMerchantAgreement: isStaff(OPERATIONS),
    acceptMerchantAgreement: isShopMember(...OWNER_ROLES),
    activateShop: isShopMemberOfInputId(...OWNER_ROLES),
    updateShopProfile: isShopMember(...PROFILE_ROLES),
    suspendShop: isStaff(...MODERATION_STAFF),
    reinstateShop: isStaff(...MODERATION_STAFF),
    closeShop: isStaff(...MODERATION_STAFF),
    createTrainingCourse: isStaff(OPERATIONS),
    addTrainingLesson: isStaff(OPERATIONS),
    addQuizQuestion: isStaff(OPERATIONS),
    publishTrainingCourse: isStaff(OPERATIONS),
    submitQuizAttempt: isShopMember(),
    inviteShopMember: isShopMember(...OWNER_ROLES),
    // The invitee is matched by email in the service.
    acceptShopInvitation: isSignedIn,
    revokeShopInvitation: isMemberOfShopOwning('ShopInvitation', 'id', ...OWNER_ROLES),
    changeShopMemberRole: isMemberOfShopOwning('ShopMember', 'memberId', ...OWNER_ROLES),
    removeShopMember: isMemberOfShopOwning('ShopMember', 'memberId', ...OWNER_ROLES),
    runScheduledTask: isStaff(ADMIN),
    createPayout: isStaff(...MONEY_STAFF),
    retryPayout: isStaff(...MONEY_STAFF),
    adjustSettlement: isStaff(...MONEY_STAFF),
    setShopCommissionRate: isStaff(...MONEY_STAFF),
    // The buyer opens a case on their own order; on a case, the service works out the viewer's
    // party (buyer, the shop's after-sales members, staff) from the table: NOT_FOUND to anyone who
    // cannot see the case, FORBIDDEN to a party who may not take the step.
    requestAfterSale: isSignedIn,
    respondAfterSale: isSignedIn,
    submitReturnShipment: isSignedIn,
    confirmReturnReceived: isSignedIn,
    resendAfterSale: isSignedIn,
    confirmAfterSaleReceipt: isSignedIn,
    escalateAfterSale: isSignedIn,
    withdrawAfterSale: isSignedIn,
    addAfterSaleMessage: isSignedIn,
    arbitrateAfterSale: isStaff(...AFTER_SALE_STAFF),
    openTicket: isSignedIn,
    // The requester, customer service staff or the named shop's OWNER and CUSTOMER_SERVICE members;
    // the service answers NOT_FOUND to anyone else, FORBIDDEN to a party who may not take the step.
    replyToTicket: isSignedIn,
    rateTicket: isSignedIn,
    assignTicket: isStaff(...TICKET_STAFF),
    resolveTicket: isStaff(...TICKET_STAFF),
    createFaq: isStaff(...TICKET_STAFF),
    updateFaq: isStaff(...TICKET_STAFF),
    deleteFaq: isStaff(...TICKET_STAFF),
    // With `shopId`, the shop's promotion roles; without, the platform's own: promotion staff.
    createPromotion: isShopMemberOrPlatformStaff([...PROMOTION_ROLES], [...PROMOTION_STAFF]),
    createCouponCampaign: isShopMemberOrPlatformStaff([...PROMOTION_ROLES], [...PROMOTION_STAFF]),
    // Another shop's (or, to a member, the platform's) is NOT_FOUND; the service checks again under the shop's lock.
    // A review's buyer (another buyer's line or review is NOT_FOUND in the service).
    createReview: isSignedIn,
    addReviewFollowUp: isSignedIn,
    // The reviewed shop's answering roles; another shop's member is NOT_FOUND, like its other objects.
    replyToReview: isMemberOfShopOwning('Review', 'reviewId', ...REVIEW_REPLY_ROLES),
    reportReview: isSignedIn,
    markReviewHelpful: isSignedIn,
    moderateReview: isStaff(...REVIEW_STAFF),
    addBlockedWords: isStaff(...REVIEW_STAFF),
    removeBlockedWords: isStaff(...REVIEW_STAFF),
    cancelPromotion: or(isMemberOfShopOwning('Promotion', 'id', ...PROMOTION_ROLES), isStaff(...PROMOTION_STAFF)),
    endCouponCampaign: or(isMemberOfShopOwning('CouponCampaign', 'id', ...PROMOTION_ROLES), isStaff(...PROMOTION_STAFF)),
    claimCoupon: isSignedIn,
    // Flash sales are the platform's; a shop nominates its own variants (another shop's is NOT_FOUND), checked again under the shop's lock.
    createFlashSale: isStaff(...PROMOTION_STAFF),
    nominateFlashSaleItem: isMemberOfShopOwning('ProductVariant', 'variantId', ...PROMOTION_ROLES),
    reviewFlashSaleItem: isStaff(...PROMOTION_STAFF),
    // The variant's shop's promotion roles (another shop's variant is NOT_FOUND); checked again under the shop's lock.
    createBargainCampaign: isMemberOfShopOwning('ProductVariant', 'variantId', ...PROMOTION_ROLES),
    endBargainCampaign: or(isMemberOfShopOwning('BargainCampaign', 'id', ...PROMOTION_ROLES), isStaff(...PROMOTION_STAFF)),
    // Any signed-in user; the service refuses a start, help or purchase the state does not allow (and another's bargain is NOT_FOUND to buy).
    startBargain: isSignedIn,
    helpBargain: isSignedIn,
    buyBargain: isSignedIn,
    // The product's shop's promotion roles (another shop's product is NOT_FOUND); checked again under the shop's lock.
    createGroupBuy: isMemberOfShopOwning('Product', 'productId', ...PROMOTION_ROLES),
    // Any signed-in buyer; the service refuses what the offer's or group's state does not allow.
    startGroup: isSignedIn,
    joinGroup: isSignedIn,
    // The viewer adds their own referrer; the service refuses a second one, their own code and loops.
    applyReferralCode: isSignedIn,
    // The viewer checks in and claims for themself; staff MEMBERSHIP_STAFF set and end growth tasks.
    checkIn: isSignedIn,
    claimGrowthTask: isSignedIn,
    createGrowthTask: isStaff(...MEMBERSHIP_STAFF),
    endGrowthTask: isStaff(...MEMBERSHIP_STAFF),
    setMemberLevels: isStaff(...MEMBERSHIP_STAFF),
    // The shop's OWNER and MANAGER (another shop's subscription is NOT_FOUND); checked again under the shop's lock.
    createWebhookSubscription: isShopMember(...WEBHOOK_ROLES),
    deleteWebhookSubscription: isMemberOfShopOwning('WebhookSubscription', 'id', ...WEBHOOK_ROLES),
    // Behaviour events come from any client, signed in or not (rate limited per address in the service).
    trackEvents: allow,
    // Recomputing KPI snapshots: staff ANALYST (ADMIN passes); checked again in the service.
    snapshotMetrics: isStaff(StaffRole.ANALYST),
    // risk: orders (rules, holds)
    upsertRiskRule: isStaff(RISK),
    releaseOrderHold: isStaff(RISK),
    // risk: accounts (blacklists, bans)
    addBlacklistEntry: isStaff(RISK),
    removeBlacklistEntry: isStaff(RISK),
    // Banning or unbanning staff also takes ADMIN: checked by the service on the locked user row.
    banUser: isStaff(RISK),
    unbanUser: isStaff(RISK),
    // risk: trust (reports, violations, appeals)
    // Any signed-in user reports what they can see; the service refuses their own shop's products.
    reportProduct: isSignedIn,
    decideProductReport: isStaff(...REPORT_STAFF),
    recordShopViolation: isStaff(...TRUST_STAFF),
    // The violation's shop's OWNER (another role FORBIDDEN, another shop NOT_FOUND); checked again under a lock.
    appealViolation: isMemberOfShopOwning('ShopViolation', 'violationId', ...OWNER_ROLES),
    decideAppeal: isStaff(...TRUST_STAFF),
  },
  // Checked at subscribe time by the feeds (src/realtime/feeds.ts: another shop's feed or another's
  // order is NOT_FOUND before any event) and by these rules again on every event resolved.
  Subscription: {
    notificationAdded: isSignedIn,
    shopOrderEvents: or(isShopMember(), isStaff(...ORDER_STAFF)),
    orderStatusChanged: isSignedIn,
  },
} satisfies IRules;

/** Output types with field-level rules. */
const typeRules = {
  User: { '*': allow, email: isSelfOrStaff, phone: isSelfOrStaff, emailVerified: isSelfOrStaff, staffRoles: isSelfOrStaff, memberships: isSelfOrStaff, referralCode: selfOrMemberViewStaff, membership: selfOrMemberViewStaff },
  Shop: {
    '*': allow,
    members: shopInsider,
    trainingProgress: shopInsider,
    statusReason: shopInsider,
    // The shop's own rate: its OWNER and FINANCE members (like the commission it yields) and staff, who set it.
    commissionRate: or(isShopMember(...SHOP_MONEY_ROLES), isAnyStaff),
    acceptedAgreementVersion: shopInsider,
    invitations: or(isShopMember(...OWNER_ROLES), isAnyStaff),
    orders: or(isShopMember(), isStaff(...ORDER_STAFF)),
    lowStockVariants: shopInsider,
    stockAlerts: shopInsider,
    shippingTemplates: shopInsider,
    scorecard: shopInsider,
    creditScore: shopInsider,
    violationPoints: shopInsider,
    standing: shopInsider,
    restrictedAt: shopInsider,
    violations: or(isShopMember(...VIOLATION_VIEW_ROLES), isAnyStaff),
  },
  QuizQuestion: { '*': allow, correctOptionIndexes: isStaff(OPERATIONS) },
  Product: { '*': allow, shippingTemplate: shopInsider, pendingRevision: shopInsider, statusHistory: shopInsider, nextActions: shopInsider },
  ProductVariant: { '*': allow, stock: shopInsider, lowStockThreshold: shopInsider, stockMovements: shopInsider },
  // Reached only through ProductVariant.stockMovements; the actor is guarded again, being a person.
  StockMovement: { '*': allow, actor: shopInsider },
  Order: { '*': allow, commission: seesCommission },
  OrderLine: { '*': allow, commissionRate: seesCommission, commission: seesCommission },
} satisfies IRules;

/**
 * Types whose every field anyone who can reach the object may read: who may reach it is decided
 * by the root fields and services that return it.
 */
const PUBLIC_TYPES = new Set([
  'PageInfo',
  'UserError',
  'ShopMember',
  'BusinessHours',
  'Category',
  'CategoryAttribute',
  'MerchantApplication',
  'MerchantApplicationDecision',
  'MerchantAgreement',
  'TrainingCourse',
  'TrainingLesson',
  'TrainingProgress',
  'QuizAttempt',
  'ShopInvitation',
  'AuditEntry',
  'OrderEvent',
  'Shipment',
  'ShippingAddress',
  'Checkout',
  'Payment',
  'Refund',
  'Stocktake',
  'StocktakeLine',
  'StockAlert',
  'Brand',
  'Money',
  'MoneyRange',
  'ProductAttributeValue',
  'VariantOption',
  'ProductStatusChange',
  'ProductRevision',
  'StockLevel',
  'ProductFacets',
  'CategoryFacet',
  'BrandFacet',
  // Reached only by their owner (cart, myAddresses, node) or, for templates, by the shop's insiders.
  'Address',
  'Cart',
  'CartLine',
  'CartShopGroup',
  'CheckoutQuote',
  // Parts of a cart, quote or order: reached only through those (a coupon's own field checks its holder).
  'Discount',
  'Gift',
  'ApplicableCoupon',
  'ShippingTemplate',
  'ShippingRule',
  'ShippingRegionRule',
  // Reached only through scheduledTasks and runScheduledTask (staff).
  'ScheduledTask',
  // Reached only through payouts, createPayout, retryPayout and node(id) (finance staff, the shop's
  // OWNER and FINANCE members) and reconciliation (finance staff).
  'Payout',
  'ReconciliationReport',
  'ReconciliationItem',
  'ReconciliationTotal',
  // Reached only through the money roots (settlements, shopBalance, ledger*, adjustSettlement) and
  // node(id), whose rules and services decide who sees which shop's money.
  'Settlement',
  'SettlementLine',
  'ShopBalance',
  'LedgerEntry',
  'LedgerPosting',
  'LedgerBalance',
  // Reached only through the after-sale roots and mutations and node(id), whose rules and services
  // show a case to its buyer, its shop's members and customer service staff alone.
  'AfterSaleCase',
  'AfterSaleCaseLine',
  'AfterSaleMessage',
  'AfterSaleEvent',
  'CaseShipment',
  // Reached only through ticket, myTickets, tickets, the ticket mutations and node(id), whose rules
  // and services show a ticket to its parties alone; the service figures are customer service staff's.
  'Ticket',
  'TicketMessage',
  'TicketSatisfaction',
  'ServiceMetrics',
  // The FAQ is public.
  'Faq',
  // Public once live (the services decide who reaches which); budgets, spend and codes are nulled
  // by their field resolvers for anyone but the shop's members and staff. A user coupon is reached
  // only by its holder (myCoupons, claimCoupon, node).
  'Promotion',
  'PromotionTier',
  'PromotionScope',
  'CouponCampaign',
  'UserCoupon',
  // Flash sales are public; an item's review (`reason`) is nulled by its field resolver for anyone
  // but its shop's members and staff, who alone reach items not APPROVED (the services decide).
  'FlashSale',
  'FlashSaleItem',
  // Bargains: campaigns public once live (the services decide who reaches which); a bargain and its
  // helps show prices and times, never who started or helped it.
  'BargainCampaign',
  'Bargain',
  'BargainHelp',
  // Group buys: offers public once live (the services decide who reaches which); a group shows its
  // members as users, whose private fields keep their own rules (User.email: the user and staff).
  'GroupBuy',
  'GroupBuyVariantPrice',
  'Group',
  'GroupMember',
  // Reached only through Shop.scorecard (the shop's members and staff) and the staff roots
  // shopScorecards and scorecardLevelChanges (SCORECARD_STAFF).
  'ShopScorecard',
  'ScorecardLevelChange',
  // Reviews: the services show a review to anyone once PUBLISHED, otherwise to its author and staff
  // OPERATIONS; its person (reviewer), held parts, flags and reports are nulled by the field
  // resolvers for anyone else, so an anonymous review stays anonymous. Ratings are public.
  'Review',
  'ReviewAspects',
  'ReviewFollowUp',
  'ReviewReply',
  'Rating',
  'RatingAspects',
  // Reached only through reviewsForModeration's Review.reports and the blocked-list roots (staff OPERATIONS).
  'ReviewReport',
  'BlockedWord',
  // Reached only through myPoints (the viewer's own entries).
  'PointsEntry',
  // Reached only through myReferrals and applyReferralCode (the referrer's own invitees; the invitee's name masked).
  'Referral',
  // Reached only through checkIn and myCheckIns (the viewer's own check-ins).
  'CheckIn',
  // Growth tasks show a goal and its points, no person: open ones to members (myGrowthTasks, claimGrowthTask, node),
  // every one to staff MEMBERSHIP_STAFF (growthTasks, createGrowthTask, endGrowthTask).
  'GrowthTask',
  'MemberGrowthTask',
  // The ladder is public (memberLevels); a Membership is reached only through User.membership (the user and MEMBER_VIEW_STAFF).
  'MemberLevel',
  'Membership',
  // Reached only through webhookSubscriptions, createWebhookSubscription and node(id) (the shop's OWNER
  // and MANAGER members and staff); the signing secret has no field.
  'WebhookSubscription',
  'WebhookDelivery',
  // Reached only through myNotifications, notificationAdded and node(id) (the viewer's own), and the
  // viewer's own channel choices (notificationPreferences, updateNotificationPreferences).
  'Notification',
  'NotificationPreference',
  // KPIs: reached only through the analytics roots (platformMetrics, shopMetrics, categoryMetrics,
  // topProducts, topShops, cohortRetention, campaignReport), whose rules and services decide who
  // reads which scope; a ranking's product or shop keeps its own type's rules.
  'MetricSeries',
  'MetricValues',
  'MetricPoint',
  'MetricChange',
  'MetricComparison',
  'PromotionCost',
  'ProductMetric',
  'ShopMetric',
  'Cohort',
  'CohortMonth',
  'CampaignReport',
  // risk: orders
  // Rules reached only through riskRules and upsertRiskRule (staff RISK); an order's risk through
  // Order.risk, whose resolver nulls it for the buyer and its score and reasons for all but staff RISK.
  'RiskRule',
  'OrderRisk',
  'RiskReason',
  // risk: accounts
  // Reached only through blacklistEntries, riskEvents and their mutations (staff RISK); a creator or
  // an event's user as a User keeps that type's rules. A UserBan only through User.ban (the user and staff).
  'BlacklistEntry',
  'RiskEvent',
  'UserBan',
  // risk: trust
  // Reports are reached only by their reporter (reportProduct, node) and staff RISK and OPERATIONS
  // (productReports, decideProductReport, ShopViolation.report); the reporter as a user is nulled
  // for anyone else. Violations and appeals only through Shop.violations, their mutations,
  // violationAppeals and node(id): the shop's OWNER and MANAGER and staff.
  'ProductReport',
  'ShopViolation',
  'ViolationAppeal',
]);

/**
 * Wrapper types (payloads, connections, edges) only carry objects whose own types are guarded, so
 * they are allowed by naming convention; every other type must be listed above.
 */
const WRAPPER = /(Payload|Connection|Edge)$/;

export function permissionTree(schema: GraphQLSchema): IRules {
  const tree: IRules = { ...rootRules, ...typeRules };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || type.name in tree) continue;
    if (WRAPPER.test(type.name) || PUBLIC_TYPES.has(type.name)) tree[type.name] = allow;
  }
  return tree;
}

export function applyPermissions(schema: GraphQLSchema): GraphQLSchema {
  const tree = permissionTree(schema);
  const permissions = shield(tree, {
    fallbackRule: deny,
    allowExternalErrors: true,
    fallbackError: () => new ForbiddenError(),
  });
  const originals = new Map<string, GraphQLFieldResolver<unknown, unknown> | undefined>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) originals.set(`${type.name}.${field.name}`, field.resolve);
  }
  const guarded = applyMiddleware(schema, permissions);
  // Shield wraps every field in an async middleware, even where the rule is `allow`; on a page of
  // products that is a thousand needless awaits. Fields whose rule is `allow` get their own
  // resolver back, which is what the middleware would have run anyway.
  for (const type of Object.values(guarded.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const rules = (tree as Record<string, object | undefined>)[type.name];
    for (const field of Object.values(type.getFields())) {
      const rule = rules === undefined ? deny : isRuleMap(rules) ? (rules[field.name] ?? rules['*'] ?? deny) : rules;
      if (rule === allow) field.resolve = originals.get(`${type.name}.${field.name}`);
    }
  }
  return guarded;
}

/** A field map (`{ '*': allow, email: … }`) rather than one rule for the whole type. */
function isRuleMap(rules: object): rules is Record<string, object | undefined> {
  return !('resolve' in rules);
}
