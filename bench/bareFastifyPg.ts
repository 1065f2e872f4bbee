/**
 * The HTTP + database ceiling: Fastify answering `GET /` with the listing page's JSON built by ONE
 * statement in PostgreSQL through node-postgres (a plain pg Pool of POOL_MAX connections per
 * process, like the server's DATABASE_POOL_MAX): the 20 newest visible products (index
 * product_newest_idx), each with its live variants by position, sent as the text PostgreSQL made.
 * On WORKERS processes under node:cluster like the server. Started by bench/ceilings.ts.
 */
import { clustered } from './lifecycle';
import Fastify from 'fastify';
import { Pool } from 'pg';

const workers = Number(process.env.WORKERS ?? '1');
const port = Number(process.env.PORT);

/** Money as the API shows it: a decimal string of the cents. */
const amount = (cents: string) => `to_char(${cents} / 100.0, 'FM999999999990.00')`;

export const LISTING_PAGE_SQL = `
select json_build_object('data', json_build_object('products', json_build_object('nodes', coalesce(json_agg(page.node order by page.listed_at desc, page.id desc), '[]'::json))))::text as body
from (
  select p.id, p.listed_at, json_build_object(
    'id', p.id::text,
    'title', p.title,
    'imageUrls', p.image_urls,
    'salesCount', p.sales_count,
    'priceRange', json_build_object('min', json_build_object('amount', ${amount('p.min_price')}), 'max', json_build_object('amount', ${amount('p.max_price')})),
    'variants', coalesce((
      select json_agg(json_build_object(
        'id', v.id::text,
        'sku', v.sku,
        'title', v.title,
        'inStock', v.on_hand > v.reserved,
        'price', json_build_object('amount', ${amount('v.price')}),
        'compareAtPrice', case when v.compare_at_price is not null then json_build_object('amount', ${amount('v.compare_at_price')}) end,
        'options', v.options
      ) order by v.position, v.id)
      from product_variant v where v.product_id = p.id and not v.archived), '[]'::json)
  ) as node
  from product p
  where p.visible
  order by p.listed_at desc, p.id desc
  limit 20
) page`;

if (require.main === module) {
  clustered(workers, () => {
    const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_MAX ?? '10') });
    // An idle client's error (the database going away at the end of a run) must not crash the ceiling.
    pool.on('error', () => undefined);
    const app = Fastify({ logger: false });
    app.get('/', async (_request, reply) => {
      const { rows } = await pool.query<{ body: string }>(LISTING_PAGE_SQL);
      return reply.type('application/json; charset=utf-8').send(rows[0].body);
    });
    app.listen({ host: '127.0.0.1', port }).catch((err) => {
      console.error(err);
      process.exit(1);
    });
  });
}
