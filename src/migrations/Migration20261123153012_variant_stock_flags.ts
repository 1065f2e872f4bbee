import { Migration } from '@mikro-orm/migrations';

/**
 * The in-stock and low-stock partial indexes named `on_hand` and `reserved` in their predicates,
 * which made every reservation and sale a non-HOT update: a new entry in each of the table's six
 * indexes for every unit sold. On a variant in a flash sale the dead versions piled up faster
 * than they could be pruned, and every lookup of that row (cart, checkout, the foreign-key checks
 * of order lines and ledger rows) walked them: 2 ms for a primary-key read under load. The
 * indexes now use generated flags that change only when stock crosses zero or the warning line,
 * and the table keeps 15% of each page free so the new version fits beside the old one.
 */
export class Migration20261123153012_variant_stock_flags extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop index "product_variant_in_stock_idx";`);
    this.addSql(`drop index "product_variant_low_stock_idx";`);
    this.addSql(`alter table "product_variant" set (fillfactor = 85);`);
    // Adding stored columns rewrites the table, which applies the fillfactor to existing rows too.
    this.addSql(`alter table "product_variant"
  add column "in_stock" boolean generated always as ("on_hand" > "reserved" and not "archived") stored,
  add column "low_stock" boolean generated always as (not "archived" and "on_hand" - "reserved" <= "low_stock_threshold") stored;`);
    this.addSql(`create index "product_variant_in_stock_idx" on "product_variant" ("product_id") where "in_stock";`);
    this.addSql(`create index "product_variant_low_stock_idx" on "product_variant" ("shop_id", "id") where "low_stock";`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "product_variant_in_stock_idx";`);
    this.addSql(`drop index "product_variant_low_stock_idx";`);
    this.addSql(`alter table "product_variant" drop column "in_stock", drop column "low_stock";`);
    this.addSql(`alter table "product_variant" reset (fillfactor);`);
    this.addSql(`create index "product_variant_in_stock_idx" on "product_variant" ("product_id") where "on_hand" > "reserved" and not "archived";`);
    this.addSql(`create index "product_variant_low_stock_idx" on "product_variant" ("shop_id", "id") where not "archived" and "on_hand" - "reserved" <= "low_stock_threshold";`);
  }

}
