import type { EntityManager } from '@mikro-orm/postgresql';
import pino from 'pino';
import type { Config } from '../config';
import { type Context, contextAs } from '../context';
import type { User } from '../entities';
import type { Clock } from '../services/shared';
import { Viewer } from '../viewer';

/**
 * What the demo seeds act with: the system dependencies at `clock`, and `as(user)`, a request
 * context of that user on a fresh fork, so every seeded row goes through the real services as the
 * person who would make it.
 */
export function seedActors(em: EntityManager, config: Config, clock: Clock): { deps: { config: Config; clock: Clock; rateLimits: never }; as: (user: User) => Context } {
  const deps = { config, clock, rateLimits: undefined as never };
  const log = pino({ level: 'silent' });
  const as = (user: User): Context => {
    const fork = em.fork();
    return contextAs(deps, fork, new Viewer(fork, fork.merge(user), null), { requestId: 'seed-demo', log });
  };
  return { deps, as };
}
