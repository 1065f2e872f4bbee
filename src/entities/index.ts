import { Address } from './Address';
import { AfterSaleCase, AfterSaleCaseLine, AfterSaleEvent, AfterSaleMessage } from './AfterSale';
import { AgreementAcceptance, MerchantAgreement } from './Agreement';
import { AuditEntry } from './AuditEntry';
import { AuthSession } from './AuthSession';
import { Brand } from './Brand';
import { Bargain, BargainCampaign, BargainHelp, FlashSale, FlashSaleBucket, FlashSaleItem, Group, GroupBuy, GroupMember } from './Campaign';
import { CartLine } from './Cart';
import { Category } from './Category';
import { ApplicationDecision, MerchantApplication } from './MerchantApplication';
import { Checkout, Order, OrderEvent, OrderLine, Shipment } from './Order';
import { LedgerEntry, LedgerPosting } from './Ledger';
import { Payment, PaymentEvent, Refund } from './Payment';
import { MockProviderRecord, Payout, PayoutEvent, Settlement } from './Settlement';
import { Product, ProductStatusChange, ProductVariant } from './Product';
import { CouponCampaign, OrderDiscount, Promotion, UserCoupon } from './Promotion';
import { ShippingTemplate } from './ShippingTemplate';
import { RefreshToken } from './RefreshToken';
import { BlockedWord, Review, ReviewInvitation, ReviewReport, ReviewVote } from './Review';
import { ScorecardLevelChange, ShopScorecard } from './Scorecard';
import { ScheduledTaskState } from './ScheduledTaskState';
import { Shop } from './Shop';
import { ShopInvitation } from './ShopInvitation';
import { ShopMember } from './ShopMember';
import { StockMovement } from './StockMovement';
import { StockAlert, Stocktake, StocktakeLine } from './Stocktake';
import { Faq, Ticket, TicketMessage } from './Ticket';
import { QuizAttempt, QuizQuestion, TrainingCourse, TrainingLesson } from './Training';
import { User } from './User';
import { RiskRule } from './Risk';
import { BlacklistEntry, LoginFailureWindow, RiskEvent } from './Blacklist';
import { ProductReport, ShopViolation, ViolationAppeal } from './Violation';
import { Notification, NotificationPreferenceRow, OutboundMessage, OutboxEvent, UserToken, WebhookDelivery, WebhookSubscription } from './Notification';
import { CheckIn, GrowthTask, GrowthTaskReward, Member, MemberLevel, PointsEntry, Referral } from './Membership';

export {
  Address,
  RiskRule,
  BlacklistEntry,
  RiskEvent,
  LoginFailureWindow,
  ProductReport,
  ShopViolation,
  ViolationAppeal,
  Notification,
  NotificationPreferenceRow,
  OutboundMessage,
  OutboxEvent,
  UserToken,
  WebhookDelivery,
  WebhookSubscription,
  CheckIn,
  GrowthTask,
  GrowthTaskReward,
  Member,
  MemberLevel,
  PointsEntry,
  Referral,
  BlockedWord,
  Review,
  ReviewInvitation,
  ReviewReport,
  ReviewVote,
  ScorecardLevelChange,
  ShopScorecard,
  Bargain,
  BargainCampaign,
  BargainHelp,
  FlashSale,
  FlashSaleBucket,
  FlashSaleItem,
  Group,
  GroupBuy,
  GroupMember,
  AfterSaleCase,
  AfterSaleCaseLine,
  AfterSaleEvent,
  AfterSaleMessage,
  AgreementAcceptance,
  ApplicationDecision,
  AuditEntry,
  AuthSession,
  Brand,
  CartLine,
  Category,
  Checkout,
  CouponCampaign,
  Faq,
  LedgerEntry,
  LedgerPosting,
  MerchantAgreement,
  MerchantApplication,
  MockProviderRecord,
  Order,
  OrderEvent,
  OrderDiscount,
  OrderLine,
  Payment,
  PaymentEvent,
  Payout,
  PayoutEvent,
  Product,
  ProductStatusChange,
  ProductVariant,
  Promotion,
  QuizAttempt,
  QuizQuestion,
  RefreshToken,
  Refund,
  ScheduledTaskState,
  Settlement,
  Shipment,
  ShippingTemplate,
  Shop,
  ShopInvitation,
  ShopMember,
  StockAlert,
  StockMovement,
  Stocktake,
  StocktakeLine,
  Ticket,
  TicketMessage,
  TrainingCourse,
  TrainingLesson,
  User,
  UserCoupon,
};
export { AttributeType, CategoryAttribute } from './Category';
export * from './enums';
export { ApplicationDecisionType, MerchantApplicationAction, MerchantApplicationStatus, OPEN_APPLICATION_STATUSES } from './MerchantApplication';
export { InvitationStatus } from './ShopInvitation';
export { BusinessHours } from './Shop';
export { ProductAction, ProductAttributeValue, type ProductContent, ProductStatus, VariantOption } from './Product';
export { StockMovementReason } from './StockMovement';
export { AfterSaleEventType, AfterSaleOutcome, AfterSaleParty, AfterSaleStatus, AfterSaleType, ArbitrationRuling, CaseShipment } from './AfterSale';
export { CheckoutStatus, OrderCanceller, OrderEventType, OrderStatus, ShippingAddress } from './Order';
export { PaymentProviderName, PaymentStatus, RefundStatus } from './Payment';
export { LedgerAccount, PostingKind, SETTLED_KINDS, SHOP_ACCOUNTS } from './Ledger';
export { PayoutProviderName, PayoutStatus, ProviderRecordKind, SettlementStatus } from './Settlement';
export type { RegionRuleData, ShippingRuleData } from './ShippingTemplate';
export { BargainStatus, FlashSaleItemStatus, GroupStatus } from './Campaign';
export { CouponAudience, CouponKind, DiscountSource, Funder, PromotionKind, PromotionStatus, type PromotionTierData, type ScopeData, UserCouponStatus } from './Promotion';
export { ModerationDecision, ReviewFlag, ReviewStatus } from './Review';
export { ScorecardLevel } from './Scorecard';
export { GrowthTaskKind, PointsReason } from './Membership';
export { MessageChannel, MessageStatus, NotificationKind, UserTokenPurpose, WebhookDeliveryStatus, WebhookEvent } from './Notification';
export { RiskLevel, RiskRuleKind, type RiskReasonRow } from './Risk';
export { BlacklistAction, BlacklistKind, RiskEventKind } from './Blacklist';
export { AppealStatus, ProductReportReason, ProductReportStatus, ViolationKind, ViolationStatus } from './Violation';
export { TicketKind, TicketMessageKind, TicketParty, TicketStatus } from './Ticket';

/** Every entity the ORM knows; add new ones here. */
export const entities = [
  RiskRule,
  BlacklistEntry,
  RiskEvent,
  LoginFailureWindow,
  ProductReport,
  ShopViolation,
  ViolationAppeal,
  User,
  AuthSession,
  RefreshToken,
  Shop,
  ShopMember,
  AuditEntry,
  Category,
  MerchantApplication,
  ApplicationDecision,
  MerchantAgreement,
  AgreementAcceptance,
  TrainingCourse,
  TrainingLesson,
  QuizQuestion,
  QuizAttempt,
  ShopInvitation,
  Brand,
  Product,
  ProductVariant,
  ProductStatusChange,
  StockMovement,
  Address,
  ShippingTemplate,
  CartLine,
  Checkout,
  Order,
  OrderLine,
  OrderEvent,
  Shipment,
  Payment,
  PaymentEvent,
  Refund,
  Stocktake,
  StocktakeLine,
  StockAlert,
  ScheduledTaskState,
  LedgerPosting,
  LedgerEntry,
  Settlement,
  Payout,
  PayoutEvent,
  MockProviderRecord,
  Ticket,
  TicketMessage,
  Faq,
  AfterSaleCase,
  AfterSaleCaseLine,
  AfterSaleMessage,
  AfterSaleEvent,
  Promotion,
  CouponCampaign,
  UserCoupon,
  OrderDiscount,
  FlashSale,
  FlashSaleItem,
  FlashSaleBucket,
  GroupBuy,
  Group,
  GroupMember,
  BargainCampaign,
  Bargain,
  BargainHelp,
  Review,
  ReviewReport,
  ReviewVote,
  BlockedWord,
  ReviewInvitation,
  ShopScorecard,
  ScorecardLevelChange,
  MemberLevel,
  Member,
  PointsEntry,
  CheckIn,
  GrowthTask,
  GrowthTaskReward,
  Referral,
  OutboxEvent,
  Notification,
  NotificationPreferenceRow,
  OutboundMessage,
  UserToken,
  WebhookSubscription,
  WebhookDelivery,
];
