import type { EntityManager } from '@mikro-orm/postgresql';
import { type ShopMemberRole, StaffRole, type User } from './entities';

/**
 * Who is asking: the signed-in user (or nobody), their staff roles and, loaded at most once per
 * request and only when a rule needs them, their shop memberships.
 */
export class Viewer {
  private membershipsPromise?: Promise<Map<string, ShopMemberRole>>;

  constructor(
    private readonly em: EntityManager,
    readonly user: User | null,
    readonly sessionId: string | null,
  ) {}

  static anonymous(em: EntityManager): Viewer {
    return new Viewer(em, null, null);
  }

  get isSignedIn(): boolean {
    return this.user !== null;
  }

  get userId(): string | null {
    return this.user?.id ?? null;
  }

  /** True when the viewer holds one of `roles`, or ADMIN (which may do everything staff may). */
  hasStaffRole(...roles: StaffRole[]): boolean {
    const held = this.user?.staffRoles ?? [];
    return held.includes(StaffRole.ADMIN) || roles.some((r) => held.includes(r));
  }

  get isStaff(): boolean {
    return (this.user?.staffRoles.length ?? 0) > 0;
  }

  /** Shop id → the viewer's role there. */
  memberships(): Promise<Map<string, ShopMemberRole>> {
    if (!this.user) return Promise.resolve(new Map());
    this.membershipsPromise ??= this.em
      .getConnection()
      .execute<{ shop_id: string; role: ShopMemberRole }[]>('select shop_id, role from shop_member where user_id = ?', [this.user.id])
      .then((rows) => new Map(rows.map((r) => [String(r.shop_id), r.role])));
    // A failed lookup is not remembered: the next rule asks again.
    this.membershipsPromise.catch(() => (this.membershipsPromise = undefined));
    return this.membershipsPromise;
  }

  /** Forget the memberships after a team change, so later operations of a batch see it. */
  forgetMemberships(): void {
    this.membershipsPromise = undefined;
  }

  async roleIn(shopId: string): Promise<ShopMemberRole | undefined> {
    return (await this.memberships()).get(shopId);
  }

  /** Staff, or a member of the shop in any role: who may see the shop's private data. */
  async isInsiderOf(shopId: string): Promise<boolean> {
    return this.isStaff || (await this.roleIn(shopId)) !== undefined;
  }
}
