import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { User } from './User';

/**
 * A signed-in session: one refresh-token family. Access tokens carry its id and every request
 * checks it is still live, so logout and password changes take effect at once.
 */
@Entity({ tableName: 'auth_session' })
export class AuthSession {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Index({ name: 'auth_session_user_idx' })
  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  /** Absolute end of the family; refreshing does not extend it past this. */
  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date;

  @Property({ type: 'text', nullable: true })
  revokedReason?: string;

  @Property({ type: 'text', nullable: true })
  ip?: string;

  @Property({ type: 'text', nullable: true })
  userAgent?: string;

  /** The client's device id (X-Device-Id) and region at sign-in, for login anomalies (services/risk). */
  @Property({ type: 'text', nullable: true })
  deviceId?: string | null;

  @Property({ type: 'text', nullable: true })
  region?: string | null;
}
