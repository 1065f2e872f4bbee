import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { AuthSession } from './AuthSession';

/**
 * One refresh token of a session family, stored only as its SHA-256 hash. A token is used once:
 * rotation marks it `rotatedAt`; presenting a rotated token again revokes the whole family.
 */
@Entity({ tableName: 'refresh_token' })
export class RefreshToken {
  @PrimaryKey({ type: 'text' })
  tokenHash!: string;

  @Index({ name: 'refresh_token_session_idx' })
  @ManyToOne(() => AuthSession, { deleteRule: 'cascade' })
  session!: AuthSession;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  rotatedAt?: Date;
}
