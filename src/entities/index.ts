import { AgreementAcceptance, MerchantAgreement } from './Agreement';
import { AuditEntry } from './AuditEntry';
import { AuthSession } from './AuthSession';
import { Category } from './Category';
import { ApplicationDecision, MerchantApplication } from './MerchantApplication';
import { RefreshToken } from './RefreshToken';
import { Shop } from './Shop';
import { ShopInvitation } from './ShopInvitation';
import { ShopMember } from './ShopMember';
import { QuizAttempt, QuizQuestion, TrainingCourse, TrainingLesson } from './Training';
import { User } from './User';

export {
  AgreementAcceptance,
  ApplicationDecision,
  AuditEntry,
  AuthSession,
  Category,
  MerchantAgreement,
  MerchantApplication,
  QuizAttempt,
  QuizQuestion,
  RefreshToken,
  Shop,
  ShopInvitation,
  ShopMember,
  TrainingCourse,
  TrainingLesson,
  User,
};
export { AttributeType, CategoryAttribute } from './Category';
export * from './enums';
export { ApplicationDecisionType, MerchantApplicationStatus, OPEN_APPLICATION_STATUSES } from './MerchantApplication';
export { InvitationStatus } from './ShopInvitation';
export { BusinessHours } from './Shop';

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
];
