import 'reflect-metadata';
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchemaSync } from 'type-graphql';
import { createPubSub } from '@graphql-yoga/subscription';
import { applyPermissions } from '../permissions';
import { DateTimeScalar } from './shared/scalars';
import { applyTextRule } from './shared/textRule';
import { AfterSaleCaseLineResolver, AfterSaleMessageResolver, AfterSaleResolver, OrderCasesResolver } from '../resolvers/aftersales/AfterSaleResolver';
import { AddressResolver } from '../resolvers/identity/AddressResolver';
import { AuditResolver } from '../resolvers/platform/AuditResolver';
import { CartLineResolver, CartResolver } from '../resolvers/orders/CartResolver';
import { ApplicableCouponResolver, DiscountResolver, GiftResolver } from '../resolvers/promotions/DiscountResolver';
import { PromotionResolver, PromotionScopeResolver, PromotionTierResolver } from '../resolvers/promotions/PromotionResolver';
import { CouponCampaignResolver, UserCouponResolver } from '../resolvers/promotions/CouponResolver';
import { FlashSaleItemResolver, FlashSaleResolver } from '../resolvers/campaigns/FlashSaleResolver';
import { BargainCampaignResolver, BargainResolver } from '../resolvers/campaigns/BargainResolver';
import { GroupBuyResolver, GroupBuyVariantPriceResolver, GroupMemberResolver, GroupResolver } from '../resolvers/campaigns/GroupBuyResolver';
import { BrandResolver } from '../resolvers/catalog/BrandResolver';
import { CategoryResolver } from '../resolvers/catalog/CategoryResolver';
import { AccountResolver } from '../resolvers/identity/AccountResolver';
import { IdentityResolver } from '../resolvers/identity/IdentityResolver';
import { ApplicationDecisionResolver, MerchantApplicationResolver } from '../resolvers/onboarding/MerchantApplicationResolver';
import { NodeResolver } from '../resolvers/platform/NodeResolver';
import { PayoutResolver } from '../resolvers/money/PayoutResolver';
import { ReconciliationResolver } from '../resolvers/money/ReconciliationResolver';
import { CheckoutResolver, OrderLineResolver, OrderResolver, PaymentResolver, RefundResolver, ShopOrdersResolver } from '../resolvers/orders/OrderResolver';
import { ProductResolver, ProductVariantResolver, ShopProductsResolver } from '../resolvers/catalog/ProductResolver';
import { ShopMemberResolver } from '../resolvers/onboarding/ShopMemberResolver';
import { ShippingTemplateResolver, ShopShippingResolver } from '../resolvers/orders/ShippingResolver';
import { ShopResolver } from '../resolvers/onboarding/ShopResolver';
import { ShopStockResolver, StockAlertResolver, StockMovementResolver, StockResolver, StocktakeLineResolver, StocktakeResolver, VariantStockResolver } from '../resolvers/inventory/StockResolver';
import { TeamResolver } from '../resolvers/onboarding/TeamResolver';
import { TaskResolver } from '../resolvers/platform/TaskResolver';
import { TrainingResolver } from '../resolvers/onboarding/TrainingResolver';
import { SettlementLineResolver, SettlementResolver } from '../resolvers/money/SettlementResolver';
import { LedgerResolver } from '../resolvers/money/LedgerResolver';
import { TicketMessageResolver, TicketResolver } from '../resolvers/aftersales/TicketResolver';
import { FaqResolver } from '../resolvers/aftersales/FaqResolver';
import { ScorecardLevelChangeResolver, ScorecardResolver, ShopScorecardResolver } from '../resolvers/reviews/ScorecardResolver';
import { PointsResolver } from '../resolvers/membership/PointsResolver';
import { CheckInResolver, GrowthResolver, MembershipCheckInResolver } from '../resolvers/membership/GrowthResolver';

import { OrderLineReviewResolver, ProductRatingResolver, ReviewResolver, ShopRatingResolver } from '../resolvers/reviews/ReviewResolver';
import { ReferralResolver, UserReferralResolver } from '../resolvers/membership/ReferralResolver';
import { MemberLevelResolver, UserMembershipResolver } from '../resolvers/membership/MemberLevelResolver';
import { OrderEventResolver, SubscriptionResolver } from '../resolvers/notifications/SubscriptionResolver';
import { WebhookDeliveryResolver, WebhookResolver } from '../resolvers/notifications/WebhookResolver';
import { NotificationResolver } from '../resolvers/notifications/NotificationResolver';
import { ProfileResolver } from '../resolvers/identity/ProfileResolver';
import { MetricSeriesResolver, ProductMetricResolver, ShopMetricResolver } from '../resolvers/analytics/MetricsResolver';
import { CampaignReportResolver } from '../resolvers/analytics/CampaignReportResolver';
import { TrackingResolver } from '../resolvers/analytics/TrackingResolver';
import { RiskOrderResolver } from '../resolvers/risk/RiskOrderResolver';
import { ProductReportResolver, ShopTrustResolver, ShopViolationResolver, ViolationAppealResolver } from '../resolvers/risk/TrustResolver';
import { ShippingAddressPrivacyResolver, UserPrivacyResolver } from '../resolvers/risk/PrivacyResolver';
import { BlacklistResolver, RiskEventResolver, UserRiskResolver } from '../resolvers/risk/AccountsResolver';

export const resolvers = [
  AfterSaleResolver,
  AfterSaleCaseLineResolver,
  AfterSaleMessageResolver,
  OrderCasesResolver,
  NodeResolver,
  IdentityResolver,
  AccountResolver,
  ShopResolver,
  ShopMemberResolver,
  CategoryResolver,
  MerchantApplicationResolver,
  ApplicationDecisionResolver,
  TrainingResolver,
  TeamResolver,
  AuditResolver,
  BrandResolver,
  ProductResolver,
  ProductVariantResolver,
  ShopProductsResolver,
  AddressResolver,
  ShippingTemplateResolver,
  ShopShippingResolver,
  CartResolver,
  CartLineResolver,
  StockResolver,
  VariantStockResolver,
  ShopStockResolver,
  StockMovementResolver,
  StocktakeResolver,
  StocktakeLineResolver,
  StockAlertResolver,
  OrderResolver,
  OrderLineResolver,
  CheckoutResolver,
  PaymentResolver,
  RefundResolver,
  ShopOrdersResolver,
  TaskResolver,
  PayoutResolver,
  ReconciliationResolver,
  SettlementResolver,
  SettlementLineResolver,
  LedgerResolver,
  TicketResolver,
  TicketMessageResolver,
  FaqResolver,
  DiscountResolver,
  GiftResolver,
  ApplicableCouponResolver,
  PromotionResolver,
  PromotionTierResolver,
  PromotionScopeResolver,
  CouponCampaignResolver,
  UserCouponResolver,
  FlashSaleResolver,
  FlashSaleItemResolver,
  BargainCampaignResolver,
  BargainResolver,
  GroupBuyResolver,
  ReviewResolver,
  ProductRatingResolver,
  ShopRatingResolver,
  OrderLineReviewResolver,
  GroupResolver,
  GroupBuyVariantPriceResolver,
  GroupMemberResolver,
  ScorecardResolver,
  ScorecardLevelChangeResolver,
  PointsResolver,
  CheckInResolver,
  GrowthResolver,
  MembershipCheckInResolver,
  ShopScorecardResolver,
  ReferralResolver,
  UserReferralResolver,
  MemberLevelResolver,
  UserMembershipResolver,
  SubscriptionResolver,
  OrderEventResolver,
  WebhookResolver,
  WebhookDeliveryResolver,
  NotificationResolver,
  ProfileResolver,
  MetricSeriesResolver,
  ProductMetricResolver,
  ShopMetricResolver,
  CampaignReportResolver,
  TrackingResolver,
  RiskOrderResolver,
  ProductReportResolver,
  ShopViolationResolver,
  ViolationAppealResolver,
  ShopTrustResolver,
  ShippingAddressPrivacyResolver,
  UserPrivacyResolver,
  BlacklistResolver,
  RiskEventResolver,
  UserRiskResolver,
] as const;

let cached: GraphQLSchema | undefined;

/** The executable schema, its inputs checked by the text rule, without permissions (for printing and rule-coverage checks). */
export function buildBareSchema(): GraphQLSchema {
  cached ??= applyTextRule(
    buildSchemaSync({
      resolvers,
      validate: false,
      emitSchemaFile: false,
      // API.md names the time scalar DateTime (ISO-8601, UTC); inputs only name instants PostgreSQL can store.
      scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
      // type-graphql requires a PubSub once there are subscriptions; ours take their events from the
      // app's LiveHub through the context (`subscribe` option, src/realtime/feeds.ts), since this
      // schema is built once per process and shared by every app in it, so this one carries nothing.
      pubSub: createPubSub(),
    }),
  );
  return cached;
}

/** The schema the server runs: type-graphql resolvers wrapped in the shield permission tree. */
export function buildSchema(): GraphQLSchema {
  return applyPermissions(buildBareSchema());
}

/** The SDL committed as schema.graphql. */
export function printSchemaSdl(): string {
  return `${printSchema(lexicographicSortSchema(buildBareSchema()))}\n`;
}
