import { ArrayType, BigIntType, Entity, Enum, Index, ManyToOne, type Opt, PrimaryKey, Property, type Rel, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from './Node';
import { Product } from './Product';
import { Shop } from './Shop';
import { User } from './User';

export enum ProductReportReason {
  COUNTERFEIT = 'COUNTERFEIT',
  PROHIBITED = 'PROHIBITED',
  MISLEADING = 'MISLEADING',
  IP_INFRINGEMENT = 'IP_INFRINGEMENT',
  OTHER = 'OTHER',
}

registerEnumType(ProductReportReason, {
  name: 'ProductReportReason',
  description: 'What a report says is wrong with a product; an upheld report records a violation of the same kind.',
  valuesConfig: {
    COUNTERFEIT: { description: 'A fake of a brand’s goods (假冒).' },
    PROHIBITED: { description: 'Goods the platform does not allow.' },
    MISLEADING: { description: 'The listing misdescribes the goods.' },
    IP_INFRINGEMENT: { description: 'It infringes a trademark, copyright or patent (知識產權).' },
    OTHER: { description: 'Anything else; say what in the description.' },
  },
});

export enum ProductReportStatus {
  OPEN = 'OPEN',
  UPHELD = 'UPHELD',
  DISMISSED = 'DISMISSED',
}

registerEnumType(ProductReportStatus, {
  name: 'ProductReportStatus',
  description: 'Where a product report stands.',
  valuesConfig: {
    OPEN: { description: 'Waiting for staff RISK or OPERATIONS.' },
    UPHELD: { description: 'Staff agreed: the product is banned and a violation recorded against its shop (the product’s other open reports are upheld with it).' },
    DISMISSED: { description: 'Staff found nothing wrong.' },
  },
});

/** A report of a product (舉報): counterfeit, prohibited, misleading, infringing. Staff RISK or OPERATIONS decide it. */
@ObjectType({ implements: Node, description: 'A report of a product by a signed-in user, with evidence, waiting for or decided by staff.' })
@Entity({ tableName: 'product_report' })
@Index({ name: 'product_report_queue_idx', properties: ['status', 'createdAt', 'id'] })
@Index({ name: 'product_report_product_idx', properties: ['product', 'status'] })
@Index({ name: 'product_report_open_unique', expression: `create unique index "product_report_open_unique" on "product_report" ("product_id", "reporter_id") where "status" = 'OPEN'` })
export class ProductReport extends Node {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Product, { deleteRule: 'cascade' })
  product!: Rel<Product>;

  @Index({ name: 'product_report_shop_idx' })
  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @Index({ name: 'product_report_reporter_idx' })
  @ManyToOne(() => User, { deleteRule: 'cascade' })
  reporter!: Rel<User>;

  @Field(() => ProductReportReason, { description: 'What the reporter says is wrong.' })
  @Enum({ items: () => ProductReportReason })
  reason!: ProductReportReason;

  @Field({ description: 'What the reporter says.' })
  @Property({ type: 'text' })
  description!: string;

  @Field(() => [String], { description: 'Evidence: 1–9 https URLs (photos, documents, listings).' })
  @Property({ type: ArrayType, columnType: 'text[]' })
  evidenceUrls!: string[];

  @Field(() => ProductReportStatus, { description: 'OPEN until staff decide it.' })
  @Enum({ items: () => ProductReportStatus, default: ProductReportStatus.OPEN })
  status: Opt<ProductReportStatus> = ProductReportStatus.OPEN;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  decidedBy?: Rel<User> | null;

  @Field(() => Date, { nullable: true, description: 'When it was decided.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  decidedAt?: Date | null;

  @Field(() => String, { nullable: true, description: 'The decision’s reason.' })
  @Property({ type: 'text', nullable: true })
  decisionReason?: string | null;

  @Field(() => Date, { description: 'When it was reported.' })
  @Property({ type: 'timestamptz', length: 3 })
  createdAt!: Date;
}

export enum ViolationKind {
  COUNTERFEIT = 'COUNTERFEIT',
  PROHIBITED = 'PROHIBITED',
  MISLEADING = 'MISLEADING',
  IP_INFRINGEMENT = 'IP_INFRINGEMENT',
  OTHER = 'OTHER',
}

export enum ViolationStatus {
  ACTIVE = 'ACTIVE',
  REVOKED = 'REVOKED',
}

registerEnumType(ViolationStatus, {
  name: 'ViolationStatus',
  description: 'Whether a violation counts.',
  valuesConfig: {
    ACTIVE: { description: 'Its points count in the shop’s violation points.' },
    REVOKED: { description: 'An accepted appeal took it back: its points no longer count.' },
  },
});

/** A violation recorded against a shop (違規), with points that count towards its credit score until revoked by an accepted appeal. */
@ObjectType({ implements: Node, description: 'A violation recorded against a shop: its kind, points and reason; an accepted appeal revokes it and restores the points.' })
@Entity({ tableName: 'shop_violation' })
@Index({ name: 'shop_violation_shop_idx', properties: ['shop', 'createdAt', 'id'] })
export class ShopViolation extends Node {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @Field(() => ViolationKind, { description: 'What the shop did; it sets the points unless staff gave others.' })
  @Enum({ items: () => ViolationKind })
  kind!: ViolationKind;

  @Field(() => Int, { description: 'Points it carries; they count in the shop’s violation points while it is ACTIVE (an accepted appeal revokes it: see `status`).' })
  @Property({ type: 'int' })
  points!: number;

  @Field({ description: 'Why it was recorded.' })
  @Property({ type: 'text' })
  reason!: string;

  @ManyToOne(() => Product, { nullable: true, deleteRule: 'set null' })
  product?: Rel<Product> | null;

  @ManyToOne(() => ProductReport, { nullable: true, deleteRule: 'set null' })
  report?: Rel<ProductReport> | null;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  recordedBy?: Rel<User> | null;

  @Field(() => ViolationStatus, { description: 'ACTIVE (its points count) or REVOKED by an accepted appeal.' })
  @Enum({ items: () => ViolationStatus, default: ViolationStatus.ACTIVE })
  status: Opt<ViolationStatus> = ViolationStatus.ACTIVE;

  @Field(() => Date, { nullable: true, description: 'When an accepted appeal revoked it.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  revokedAt?: Date | null;

  @Field(() => Date, { name: 'at', description: 'When it was recorded.' })
  @Property({ type: 'timestamptz', length: 3 })
  createdAt!: Date;
}

export enum AppealStatus {
  PENDING = 'PENDING',
  ACCEPTED = 'ACCEPTED',
  REJECTED = 'REJECTED',
}

registerEnumType(AppealStatus, {
  name: 'AppealStatus',
  description: 'Where an appeal of a violation stands.',
  valuesConfig: {
    PENDING: { description: 'Waiting for staff RISK.' },
    ACCEPTED: { description: 'Staff RISK agreed: the violation is revoked and its points restored.' },
    REJECTED: { description: 'Staff RISK upheld the violation.' },
  },
});

/** A shop's appeal of a violation (申訴), one per violation, decided by staff RISK. */
@ObjectType({ implements: Node, description: 'A shop’s appeal of a violation, decided by staff RISK: accepting it revokes the violation and restores its points.' })
@Entity({ tableName: 'violation_appeal' })
@Unique({ name: 'violation_appeal_violation_unique', properties: ['violation'] })
@Index({ name: 'violation_appeal_queue_idx', properties: ['status', 'createdAt', 'id'] })
export class ViolationAppeal extends Node {
  @PrimaryKey({ type: new BigIntType('string'), autoincrement: true })
  id!: string;

  @ManyToOne(() => ShopViolation, { deleteRule: 'cascade' })
  violation!: Rel<ShopViolation>;

  @Index({ name: 'violation_appeal_shop_idx' })
  @ManyToOne(() => Shop, { deleteRule: 'cascade' })
  shop!: Rel<Shop>;

  @Field({ description: 'The shop’s case.' })
  @Property({ type: 'text' })
  reason!: string;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  createdBy?: Rel<User> | null;

  @Field(() => AppealStatus, { description: 'PENDING until staff RISK decide it.' })
  @Enum({ items: () => AppealStatus, default: AppealStatus.PENDING })
  status: Opt<AppealStatus> = AppealStatus.PENDING;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  decidedBy?: Rel<User> | null;

  @Field(() => Date, { nullable: true, description: 'When it was decided.' })
  @Property({ type: 'timestamptz', length: 3, nullable: true })
  decidedAt?: Date | null;

  @Field(() => String, { nullable: true, description: 'The decision’s reason.' })
  @Property({ type: 'text', nullable: true })
  decisionReason?: string | null;

  @Field(() => Date, { description: 'When it was filed.' })
  @Property({ type: 'timestamptz', length: 3 })
  createdAt!: Date;
}
