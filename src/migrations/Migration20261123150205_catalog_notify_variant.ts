import { Migration } from '@mikro-orm/migrations';

/**
 * Stock reservations and sales update product_variant on every checkout and payment, but shoppers
 * see only whether a variant is in stock. Updates of product_variant now notify only when a
 * shopper-visible column changes or `inStock` (on_hand > reserved) flips, so checkout traffic no
 * longer empties every process's catalog cache. Inserts, deletes and truncates still notify.
 */
export class Migration20261123150205_catalog_notify_variant extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop trigger "product_variant_catalog_changed" on "product_variant";`);
    this.addSql(`create trigger "product_variant_catalog_changed" after insert or delete or truncate on "product_variant" for each statement execute function catalog_changed();`);
    this.addSql(`create trigger "product_variant_catalog_changed_update" after update on "product_variant" for each row when (
  old.product_id is distinct from new.product_id
  or old.shop_id is distinct from new.shop_id
  or old.sku is distinct from new.sku
  or old.title is distinct from new.title
  or old.options is distinct from new.options
  or old.price is distinct from new.price
  or old.compare_at_price is distinct from new.compare_at_price
  or old.position is distinct from new.position
  or old.archived is distinct from new.archived
  or old.created_at is distinct from new.created_at
  or (old.on_hand > old.reserved) is distinct from (new.on_hand > new.reserved)
) execute function catalog_changed();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "product_variant_catalog_changed_update" on "product_variant";`);
    this.addSql(`drop trigger if exists "product_variant_catalog_changed" on "product_variant";`);
    this.addSql(`create trigger "product_variant_catalog_changed" after insert or update or delete or truncate on "product_variant" for each statement execute function catalog_changed();`);
  }

}
