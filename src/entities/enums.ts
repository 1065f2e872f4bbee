import { registerEnumType } from 'type-graphql';

export enum StaffRole {
  ADMIN = 'ADMIN',
  REVIEWER = 'REVIEWER',
  OPERATIONS = 'OPERATIONS',
  CUSTOMER_SERVICE = 'CUSTOMER_SERVICE',
  RISK = 'RISK',
  FINANCE = 'FINANCE',
  ANALYST = 'ANALYST',
}

registerEnumType(StaffRole, {
  name: 'StaffRole',
  description: 'A platform staff role. ADMIN may do everything staff may do and manages staff roles.',
  valuesConfig: {
    ADMIN: { description: 'Everything staff may do, plus managing staff roles.' },
    REVIEWER: { description: 'Reviews merchant applications and product listings.' },
    OPERATIONS: { description: 'Runs the catalog structure, training, listings and shop moderation.' },
    CUSTOMER_SERVICE: { description: 'Sees all orders and cancels them for customers.' },
    RISK: { description: 'Bans products, suspends shops and reads the audit log.' },
    FINANCE: { description: 'Money views: payments, refunds and settlements.' },
    ANALYST: { description: 'Read-only analytics.' },
  },
});

export enum ShopMemberRole {
  OWNER = 'OWNER',
  MANAGER = 'MANAGER',
  OPERATOR = 'OPERATOR',
  CUSTOMER_SERVICE = 'CUSTOMER_SERVICE',
  FINANCE = 'FINANCE',
}

registerEnumType(ShopMemberRole, {
  name: 'ShopMemberRole',
  description: "A member's role within one shop.",
  valuesConfig: {
    OWNER: { description: 'Everything, including the team and payouts. A shop always has at least one.' },
    MANAGER: { description: 'Everything but the team and payouts.' },
    OPERATOR: { description: 'Products, stock and orders.' },
    CUSTOMER_SERVICE: { description: 'Reads orders and handles after-sales.' },
    FINANCE: { description: 'Money views.' },
  },
});

export enum ShopStatus {
  ONBOARDING = 'ONBOARDING',
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
  CLOSED = 'CLOSED',
}

registerEnumType(ShopStatus, {
  name: 'ShopStatus',
  description: 'Where a shop stands in its life.',
  valuesConfig: {
    ONBOARDING: { description: 'Approved; completing agreement, training and profile before it may trade.' },
    ACTIVE: { description: 'Visible to shoppers and trading.' },
    SUSPENDED: { description: 'Hidden from shoppers and unable to trade until reinstated by staff.' },
    CLOSED: { description: 'Closed for good.' },
  },
});
