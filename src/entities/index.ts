import { AgreementAcceptance, MerchantAgreement } from './Agreement';
import { AuditEntry } from './AuditEntry';
import { AuthSession } from './AuthSession';
import { Brand } from './Brand';
import { Category } from './Category';
import { ApplicationDecision, MerchantApplication } from './MerchantApplication';
import { Product, ProductStatusChange, ProductVariant } from './Product';
import { RefreshToken } from './RefreshToken';
import { Shop } from './Shop';
import { ShopInvitation } from './ShopInvitation';
import { ShopMember } from './ShopMember';
import { StockMovement } from './StockMovement';
import { QuizAttempt, QuizQuestion, TrainingCourse, TrainingLesson } from './Training';
import { User } from './User';

export {
  AgreementAcceptance,
  ApplicationDecision,
  AuditEntry,
  AuthSession,
  Brand,
  Category,
  MerchantAgreement,
  MerchantApplication,
  Product,
  ProductStatusChange,
  ProductVariant,
  QuizAttempt,
  QuizQuestion,
  RefreshToken,
  Shop,
  ShopInvitation,
  ShopMember,
  StockMovement,
  TrainingCourse,
  TrainingLesson,
  User,
};
export { AttributeType, CategoryAttribute } from './Category';
export * from './enums';
export { ApplicationDecisionType, MerchantApplicationStatus, OPEN_APPLICATION_STATUSES } from './MerchantApplication';
export { InvitationStatus } from './ShopInvitation';
export { BusinessHours } from './Shop';
export { ProductAction, ProductAttributeValue, type ProductContent, ProductStatus, VariantOption } from './Product';
export { StockMovementReason } from './StockMovement';

/** Every entity the ORM knows; add new ones here. */
export const entities = [
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
];
