import { deterministicId } from '@storefront/shared';
import type { CatalogDb } from '../../subgraphs/catalog/src/index.ts';

/**
 * A large, deterministic catalog for benchmarks: the same rows on every run and machine (a seeded PRNG, ids from
 * deterministicId). Default: 36 categories, 10,000 products, 50,000 variants, 50,000 option rows, 10,000 images.
 */

/** mulberry32: a tiny seeded PRNG, good enough for spreading test data. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const slugify = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/&/g, 'and').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

const TREE: Record<string, { option: { name: string; values: string[] }; base: number; leaves: Record<string, string[]> }> = {
  Apparel: { option: { name: 'Size', values: ['XS', 'S', 'M', 'L', 'XL'] }, base: 2900, leaves: { Hoodies: ['Hoodie', 'Zip Hoodie'], Shirts: ['Shirt', 'Oxford Shirt'], Jackets: ['Jacket', 'Parka'], Knitwear: ['Sweater', 'Cardigan'], Trousers: ['Chinos', 'Joggers'] } },
  Footwear: { option: { name: 'Size', values: ['38', '39', '40', '41', '42'] }, base: 6900, leaves: { Sneakers: ['Sneaker', 'Running Shoe'], Boots: ['Boot', 'Chelsea Boot'], Sandals: ['Sandal', 'Slide'], Loafers: ['Loafer', 'Moccasin'], Slippers: ['Slipper', 'Mule'] } },
  Home: { option: { name: 'Color', values: ['Charcoal', 'Sage', 'Sand', 'Rust', 'Ivory'] }, base: 1900, leaves: { Cookware: ['Skillet', 'Dutch Oven'], Bedding: ['Duvet Cover', 'Pillowcase'], Lighting: ['Table Lamp', 'Pendant'], Decor: ['Vase', 'Throw Blanket'], Storage: ['Basket', 'Crate'] } },
  Electronics: { option: { name: 'Color', values: ['Black', 'White', 'Silver', 'Blue', 'Red'] }, base: 3900, leaves: { Audio: ['Headphones', 'Speaker'], Cables: ['Charging Cable', 'Adapter'], Cases: ['Phone Case', 'Laptop Sleeve'], Wearables: ['Smartwatch', 'Fitness Band'], Cameras: ['Action Camera', 'Webcam'] } },
  Outdoor: { option: { name: 'Capacity', values: ['10L', '20L', '30L', '40L', '50L'] }, base: 4900, leaves: { Camping: ['Tent', 'Sleeping Bag'], Backpacks: ['Daypack', 'Travel Backpack'], Climbing: ['Harness', 'Chalk Bag'], Cycling: ['Bike Light', 'Pannier'], Water: ['Dry Bag', 'Bottle'] } },
  Beauty: { option: { name: 'Size', values: ['30ml', '50ml', '100ml', '200ml', '500ml'] }, base: 900, leaves: { Skincare: ['Cleanser', 'Moisturiser'], Haircare: ['Shampoo', 'Conditioner'], Fragrance: ['Eau de Parfum', 'Body Mist'], Bath: ['Bath Oil', 'Soap Bar'], Tools: ['Brush', 'Comb'] } },
};
const ADJECTIVES = ['Classic', 'Essential', 'Heritage', 'Urban', 'Alpine', 'Coastal', 'Everyday', 'Premium', 'Vintage', 'Trail', 'Studio', 'Nordic', 'Café', 'Summit', 'Harbor', 'Meridian', 'Canyon', 'Aurora', 'Granite', 'Willow', 'Crème', 'Soft', 'Rugged', 'Light', 'Pro'];
const MATERIALS = ['Wool', 'Linen', 'Cotton', 'Leather', 'Canvas', 'Merino', 'Bamboo', 'Recycled', 'Cast Iron', 'Ceramic', 'Aluminium', 'Waterproof', 'Organic', 'Cashmere', 'Down'];
const USES = ['city days', 'long weekends', 'the trail', 'home', 'travel', 'the office', 'rainy mornings', 'cold nights', 'the gym', 'slow Sundays'];
const SYLLABLES = ['nor', 'th', 'wind', 'ac', 'me', 'fjord', 'line', 'kes', 'trel', 'lu', 'men', 'sol', 'stice', 'tern', 'ova', 'ri', 'ka', 'zen', 'bru', 'mo'];

export interface BenchCatalog {
  categories: { id: string; slug: string; name: string; parentId: string | null; path: string; position: number }[];
  products: { id: string; slug: string; title: string; description: string; brand: string; status: 'ACTIVE' | 'DRAFT' | 'ARCHIVED'; categoryId: string; minPrice: number; createdAt: Date }[];
  variants: { id: string; productId: string; sku: string; title: string; options: { name: string; value: string }[]; price: number; compareAtPrice: number | null; weightGrams: number; position: number; available: number }[];
  images: { id: string; productId: string; url: string; altText: string; position: number }[];
}

export function generateCatalog(productCount = 10_000, variantsPerProduct = 5, seed = 20261124): BenchCatalog {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const brands = Array.from({ length: 40 }, (_, i) => {
    const a = SYLLABLES[i % SYLLABLES.length];
    const b = SYLLABLES[(i * 7 + 3) % SYLLABLES.length];
    return `${a[0].toUpperCase()}${a.slice(1)}${b}${i >= 20 ? ' & Co' : ''}`;
  });

  const categories: BenchCatalog['categories'] = [];
  const leaves: { id: string; root: string; nouns: string[] }[] = [];
  for (const [rootName, root] of Object.entries(TREE)) {
    const rootId = deterministicId('bench-category', rootName);
    categories.push({ id: rootId, slug: slugify(rootName), name: rootName, parentId: null, path: rootId, position: categories.length });
    for (const [leafName, nouns] of Object.entries(root.leaves)) {
      const id = deterministicId('bench-category', `${rootName}/${leafName}`);
      categories.push({ id, slug: slugify(`${rootName} ${leafName}`), name: leafName, parentId: rootId, path: `${rootId}/${id}`, position: categories.length });
      leaves.push({ id, root: rootName, nouns });
    }
  }

  const products: BenchCatalog['products'] = [];
  const variants: BenchCatalog['variants'] = [];
  const images: BenchCatalog['images'] = [];
  const epoch = Date.UTC(2025, 0, 1);
  for (let i = 0; i < productCount; i++) {
    const leaf = leaves[i % leaves.length];
    const root = TREE[leaf.root];
    const noun = pick(leaf.nouns);
    const title = `${pick(ADJECTIVES)} ${pick(MATERIALS)} ${noun}`;
    const brand = pick(brands);
    const id = deterministicId('bench-product', String(i));
    const slug = `${slugify(`${brand} ${title}`)}-${i}`;
    const roll = random();
    const status = roll < 0.02 ? 'DRAFT' : roll < 0.03 ? 'ARCHIVED' : 'ACTIVE';
    const base = root.base + Math.floor(random() * 60) * 100 - 1;
    let minPrice = Number.MAX_SAFE_INTEGER;
    for (let v = 0; v < variantsPerProduct; v++) {
      const value = root.option.values[v % root.option.values.length];
      const price = base + v * 200;
      minPrice = Math.min(minPrice, price);
      const sku = `B${String(i).padStart(6, '0')}-${v}`;
      variants.push({
        id: deterministicId('bench-variant', sku), productId: id, sku, title: value, options: [{ name: root.option.name, value }], price,
        compareAtPrice: random() < 0.2 ? price + 1000 : null, weightGrams: 100 + Math.floor(random() * 2000), position: v,
        available: random() < 0.15 ? 0 : Math.floor(random() * 40) + 1,
      });
    }
    products.push({
      id, slug, title, brand, status, categoryId: leaf.id, minPrice, createdAt: new Date(epoch + i * 60_000),
      description: `The ${title.toLowerCase()} from ${brand}: a ${noun.toLowerCase()} made for ${pick(USES)}, in ${pick(MATERIALS).toLowerCase()} and built to last.`,
    });
    images.push({ id: deterministicId('bench-image', slug), productId: id, url: `https://images.storefront.dev/bench/${slug}.jpg`, altText: `${title} by ${brand}`, position: 0 });
  }
  return { categories, products, variants, images };
}

/** Writes the catalog with multi-row inserts (Prisma createMany) in chunks. */
export async function writeCatalog(db: CatalogDb, catalog: BenchCatalog, chunk = 2_000): Promise<void> {
  const inChunks = async <T>(rows: T[], write: (part: T[]) => Promise<unknown>) => {
    for (let i = 0; i < rows.length; i += chunk) await write(rows.slice(i, i + chunk));
  };
  await db.category.createMany({ data: catalog.categories });
  await inChunks(catalog.products, (data) => db.product.createMany({ data }));
  await inChunks(catalog.images, (data) => db.productImage.createMany({ data }));
  await inChunks(catalog.variants, (data) => db.variant.createMany({ data }));
  await inChunks(
    catalog.variants.flatMap((v) => v.options.map((o) => ({ variantId: v.id, name: o.name, value: o.value }))),
    (data) => db.variantOption.createMany({ data }),
  );
  // Steady state, as autovacuum would leave it: visibility map set and statistics current.
  await db.$executeRaw`VACUUM ANALYZE`;
}
