import { MikroORM } from '@mikro-orm/postgresql';
import { createOrmConfig } from '../../mikro-orm.config';

export interface OrmOptions {
  url: string;
  poolMax?: number;
  replicaUrls?: string[];
  /** Apply pending migrations before returning. */
  migrate?: boolean;
  log?: (message: string) => void;
}

export async function initOrm(options: OrmOptions): Promise<MikroORM> {
  const orm = await MikroORM.init(createOrmConfig({ url: options.url, poolMax: options.poolMax, replicaUrls: options.replicaUrls, log: options.log }));
  if (options.migrate) await orm.getMigrator().up();
  return orm;
}
