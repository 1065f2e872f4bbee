import { AuditEntry } from './AuditEntry';
import { AuthSession } from './AuthSession';
import { RefreshToken } from './RefreshToken';
import { Shop } from './Shop';
import { ShopMember } from './ShopMember';
import { User } from './User';

export { AuditEntry, AuthSession, RefreshToken, Shop, ShopMember, User };
export * from './enums';

/** Every entity the ORM knows; add new ones here. */
export const entities = [User, AuthSession, RefreshToken, Shop, ShopMember, AuditEntry];
