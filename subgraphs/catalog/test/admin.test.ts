import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, asAnonymous, asCustomer, categoryId, fixture, startCatalog, type CatalogHarness } from './support.ts';
import { CATALOG_CHANGED } from '@storefront/shared/events';

let h: CatalogHarness;

beforeAll(async () => {
  h = await startCatalog();
});

afterAll(async () => {
  await h?.stop();
});

const ERRORS = 'userErrors { field message code }';
const PRODUCT_FIELDS = 'id slug title brand description status priceFrom { amount currencyCode } category { id } images { url altText }';
const VARIANT_FIELDS = 'id sku title options { name value } price { amount } compareAtPrice { amount } weightGrams';

const m = {
  createProduct: `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { ${PRODUCT_FIELDS} } ${ERRORS} } }`,
  updateProduct: `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { ${PRODUCT_FIELDS} } ${ERRORS} } }`,
  archiveProduct: `mutation($input: ArchiveProductInput!) { archiveProduct(input: $input) { product { id status } ${ERRORS} } }`,
  publishProduct: `mutation($input: PublishProductInput!) { publishProduct(input: $input) { product { id status } ${ERRORS} } }`,
  createVariant: `mutation($input: CreateVariantInput!) { createVariant(input: $input) { variant { ${VARIANT_FIELDS} } product { id priceFrom { amount } } ${ERRORS} } }`,
  updateVariant: `mutation($input: UpdateVariantInput!) { updateVariant(input: $input) { variant { ${VARIANT_FIELDS} } product { id priceFrom { amount } } ${ERRORS} } }`,
  createCategory: `mutation($input: CreateCategoryInput!) { createCategory(input: $input) { category { id slug name parent { id } breadcrumbs { name } } ${ERRORS} } }`,
  updateCategory: `mutation($input: UpdateCategoryInput!) { updateCategory(input: $input) { category { id slug name parent { id } breadcrumbs { name } } ${ERRORS} } }`,
};

type Name = keyof typeof m;
/** Runs a mutation as an admin; fails the test on a GraphQL error and returns the payload. */
async function run(name: Name, input: Record<string, unknown>) {
  const res = await h.gql(m[name], { input }, asAdmin());
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data[name];
}
const codes = (payload: { userErrors: { code: string }[] }) => payload.userErrors.map((e) => e.code);
const fields = (payload: { userErrors: { field: string[] | null }[] }) => payload.userErrors.map((e) => e.field?.join('.'));

const decor = categoryId('decor');
const newProduct = async (title: string, extra: Record<string, unknown> = {}) => {
  const payload = await run('createProduct', { title, brand: 'Atelier', categoryId: decor, ...extra });
  expect(payload.userErrors).toEqual([]);
  return payload.product;
};

describe('authorization', () => {
  it('refuses customers (FORBIDDEN) and anonymous callers (UNAUTHENTICATED) before doing anything', async () => {
    const input = { title: 'Nope', brand: 'Nope', categoryId: decor };
    const customer = await h.gql(m.createProduct, { input }, asCustomer());
    expect(customer.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const anonymous = await h.gql(m.createProduct, { input }, asAnonymous());
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await h.db.product.count({ where: { title: 'Nope' } })).toBe(0);
    const category = await h.gql(m.updateCategory, { input: { id: decor, name: 'Hacked' } }, asCustomer());
    expect(category.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('products', () => {
  it('creates a DRAFT product with a derived, unique slug and images; customers cannot see it yet', async () => {
    const product = await newProduct('Linen Table Runner', { description: 'Stonewashed linen.\nMachine washable.', images: [{ url: 'https://img.example/runner.jpg', altText: 'Runner' }] });
    expect(product).toMatchObject({ slug: 'linen-table-runner', status: 'DRAFT', brand: 'Atelier', category: { id: decor }, images: [{ url: 'https://img.example/runner.jpg', altText: 'Runner' }] });
    const again = await newProduct('Linen Table Runner');
    expect(again.slug).toBe('linen-table-runner-2');
    expect((await h.gql('query($id: ID!) { product(id: $id) { id } }', { id: product.id })).data.product).toBeNull();
    expect((await h.gql('query($id: ID!) { product(id: $id) { id } }', { id: product.id }, asAdmin())).data.product).toEqual({ id: product.id });
  });

  it('validates every field and reports all problems at once', async () => {
    const payload = await run('createProduct', {
      title: '   ', brand: 'x'.repeat(101), categoryId: decor, slug: 'Not A Slug', description: 'bad\u0000byte',
      images: [{ url: 'javascript:alert(1)' }, { url: 'https://ok.example/a.jpg', altText: 'y'.repeat(301) }],
    });
    expect(payload.product).toBeNull();
    expect(new Set(codes(payload))).toEqual(new Set(['INVALID_INPUT']));
    expect(fields(payload).sort()).toEqual(['input.brand', 'input.description', 'input.images.0.url', 'input.images.1.altText', 'input.slug', 'input.title']);
  });

  it('answers NOT_FOUND for an unknown category and DUPLICATE_SLUG for a taken slug', async () => {
    const unknown = await run('createProduct', { title: 'Orphan', brand: 'A', categoryId: crypto.randomUUID() });
    expect(codes(unknown)).toEqual(['NOT_FOUND']);
    expect(fields(unknown)).toEqual(['input.categoryId']);
    const malformed = await run('createProduct', { title: 'Orphan', brand: 'A', categoryId: 'nope' });
    expect(codes(malformed)).toEqual(['NOT_FOUND']);
    const taken = await run('createProduct', { title: 'Copy', brand: 'A', categoryId: decor, slug: fixture.products[0].slug });
    expect(codes(taken)).toEqual(['DUPLICATE_SLUG']);
  });

  it('updates a product, keeps its search document current and checks slug, category and id', async () => {
    const product = await newProduct('Ceramic Bowl');
    const updated = await run('updateProduct', { id: product.id, title: 'Stoneware Quokka Bowl', categoryId: categoryId('cookware'), images: [{ url: 'http://img.example/bowl.png' }] });
    expect(updated.userErrors).toEqual([]);
    expect(updated.product).toMatchObject({ title: 'Stoneware Quokka Bowl', slug: 'ceramic-bowl', category: { id: categoryId('cookware') }, images: [{ url: 'http://img.example/bowl.png', altText: '' }] });
    const found = await h.gql('{ products(search: "quokka", first: 5) { edges { node { id } } } }', {}, asAdmin());
    expect(found.data.products.edges.map((e: any) => e.node.id)).toEqual([product.id]);

    expect(codes(await run('updateProduct', { id: product.id, slug: fixture.products[1].slug }))).toEqual(['DUPLICATE_SLUG']);
    expect(codes(await run('updateProduct', { id: product.id, categoryId: crypto.randomUUID() }))).toEqual(['NOT_FOUND']);
    expect(codes(await run('updateProduct', { id: crypto.randomUUID(), title: 'x' }))).toEqual(['NOT_FOUND']);
    expect(codes(await run('updateProduct', { id: product.id, title: '' }))).toEqual(['INVALID_INPUT']);
    // Keeping its own slug is not a duplicate.
    expect((await run('updateProduct', { id: product.id, slug: 'ceramic-bowl' })).userErrors).toEqual([]);
  });

  it('publishes only products with a variant, and archives them again', async () => {
    const product = await newProduct('Quokka Lamp');
    const early = await run('publishProduct', { id: product.id });
    expect(codes(early)).toEqual(['PRODUCT_HAS_NO_VARIANTS']);
    expect(codes(await run('publishProduct', { id: crypto.randomUUID() }))).toEqual(['NOT_FOUND']);
    expect(codes(await run('archiveProduct', { id: 'nope' }))).toEqual(['NOT_FOUND']);

    expect((await run('createVariant', { productId: product.id, sku: 'QLAMP-1', price: 4500 })).userErrors).toEqual([]);
    expect((await run('publishProduct', { id: product.id })).product.status).toBe('ACTIVE');
    const visible = await h.gql('{ products(search: "quokka lamp", first: 5) { totalCount edges { node { id title } } } }');
    expect(visible.data.products.edges.map((e: any) => e.node.id)).toEqual([product.id]);

    expect((await run('archiveProduct', { id: product.id })).product.status).toBe('ARCHIVED');
    expect((await h.gql('{ products(search: "quokka lamp", first: 5) { totalCount } }')).data.products.totalCount).toBe(0);
    expect((await h.gql('query($id: ID!) { product(id: $id) { id } }', { id: product.id })).data.product).toBeNull();
  });
});

describe('variants', () => {
  it('creates variants, keeps priceFrom (minPrice) at the lowest price and checks option consistency', async () => {
    const product = await newProduct('Wool Scarf');
    const a = await run('createVariant', { productId: product.id, sku: 'SCARF-RED-L', options: [{ name: 'Color', value: 'Red' }, { name: 'Size', value: 'L' }], price: 5000, compareAtPrice: 6000, weightGrams: 150 });
    expect(a.userErrors).toEqual([]);
    expect(a.variant).toMatchObject({ sku: 'SCARF-RED-L', title: 'Red / L', price: { amount: 5000 }, compareAtPrice: { amount: 6000 }, weightGrams: 150 });
    expect(a.product.priceFrom.amount).toBe(5000);

    const b = await run('createVariant', { productId: product.id, sku: 'SCARF-BLUE-L', options: [{ name: 'Size', value: 'L' }, { name: 'Color', value: 'Blue' }], price: 4000 });
    expect(b.product.priceFrom.amount).toBe(4000);

    const lower = await run('updateVariant', { id: a.variant.id, price: 3000, compareAtPrice: null });
    expect(lower.variant).toMatchObject({ price: { amount: 3000 }, compareAtPrice: null });
    expect(lower.product.priceFrom.amount).toBe(3000);
    const raised = await run('updateVariant', { id: a.variant.id, price: 4500 });
    expect(raised.product.priceFrom.amount).toBe(4000);
    expect((await h.db.product.findUnique({ where: { id: product.id } }))!.minPrice).toBe(4000);

    // Option names must match the siblings'; value combinations must be unique (ignoring case).
    const wrongNames = await run('createVariant', { productId: product.id, sku: 'SCARF-X', options: [{ name: 'Color', value: 'Green' }], price: 4000 });
    expect(codes(wrongNames)).toEqual(['INVALID_INPUT']);
    const duplicate = await run('createVariant', { productId: product.id, sku: 'SCARF-Y', options: [{ name: 'color', value: 'blue' }, { name: 'Size', value: 'L' }], price: 4000 });
    expect(codes(duplicate)).toEqual(['DUPLICATE_VARIANT']);
    const clash = await run('updateVariant', { id: a.variant.id, options: [{ name: 'Color', value: 'Blue' }, { name: 'Size', value: 'L' }] });
    expect(codes(clash)).toEqual(['DUPLICATE_VARIANT']);
    const renamed = await run('updateVariant', { id: a.variant.id, options: [{ name: 'Color', value: 'Green' }, { name: 'Size', value: 'L' }] });
    expect(renamed.variant).toMatchObject({ title: 'Green / L', options: [{ name: 'Color', value: 'Green' }, { name: 'Size', value: 'L' }] });

    // The option rows follow, so the option filter finds the variant by its new value.
    await run('publishProduct', { id: product.id });
    const green = await h.gql('{ products(first: 5, filter: { options: [{ name: "Color", values: ["Green"] }] }) { edges { node { id } } } }');
    expect(green.data.products.edges.map((e: any) => e.node.id)).toEqual([product.id]);
  });

  it('answers DUPLICATE_SKU, INVALID_PRICE, INVALID_INPUT and NOT_FOUND', async () => {
    const product = await newProduct('Cotton Apron');
    const takenSku = fixture.products[0].variants[0].sku;
    expect(codes(await run('createVariant', { productId: product.id, sku: takenSku, price: 100 }))).toEqual(['DUPLICATE_SKU']);
    expect(codes(await run('createVariant', { productId: product.id, sku: 'APRON-1', price: -1 }))).toEqual(['INVALID_PRICE']);
    expect(codes(await run('createVariant', { productId: product.id, sku: 'APRON-1', price: 200_000_000 }))).toEqual(['INVALID_PRICE']);
    const compareAt = await run('createVariant', { productId: product.id, sku: 'APRON-1', price: 1000, compareAtPrice: 1000 });
    expect(codes(compareAt)).toEqual(['INVALID_PRICE']);
    expect(fields(compareAt)).toEqual(['input.compareAtPrice']);
    const bad = await run('createVariant', { productId: product.id, sku: 'has space', price: 100, weightGrams: -5, options: [{ name: 'Size', value: 'M' }, { name: 'size', value: 'L' }] });
    expect(codes(bad)).toEqual(['INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT']);
    expect(fields(bad).sort()).toEqual(['input.options.1.name', 'input.sku', 'input.weightGrams']);
    expect(codes(await run('createVariant', { productId: crypto.randomUUID(), sku: 'APRON-2', price: 100 }))).toEqual(['NOT_FOUND']);
    expect(codes(await run('updateVariant', { id: crypto.randomUUID(), price: 100 }))).toEqual(['NOT_FOUND']);

    const ok = await run('createVariant', { productId: product.id, sku: 'APRON-1', price: 1000 });
    expect(ok.variant.title).toBe('Default');
    expect(codes(await run('createVariant', { productId: product.id, sku: 'APRON-2', price: 1000 }))).toEqual(['DUPLICATE_VARIANT']);
    expect(codes(await run('updateVariant', { id: ok.variant.id, sku: takenSku }))).toEqual(['DUPLICATE_SKU']);
    // compareAtPrice is checked against the price the variant ends up with.
    expect(codes(await run('updateVariant', { id: ok.variant.id, compareAtPrice: 900 }))).toEqual(['INVALID_PRICE']);
    expect((await run('updateVariant', { id: ok.variant.id, compareAtPrice: 1500 })).variant.compareAtPrice).toEqual({ amount: 1500 });
    expect(codes(await run('updateVariant', { id: ok.variant.id, price: 1500 }))).toEqual(['INVALID_PRICE']);
    expect(await h.db.variant.count({ where: { productId: product.id } })).toBe(1);
  });

  it('keeps minPrice right under concurrent variant updates of one product', async () => {
    const product = await newProduct('Concurrency Mug');
    const variants = [];
    for (let i = 0; i < 6; i++) variants.push((await run('createVariant', { productId: product.id, sku: `MUG-${i}`, options: [{ name: 'Color', value: `C${i}` }], price: 5000 + i })).variant);
    await Promise.all(variants.map((v, i) => run('updateVariant', { id: v.id, price: 3000 + ((i * 7) % 6) * 10 })));
    const prices = (await h.db.variant.findMany({ where: { productId: product.id } })).map((v) => v.price);
    expect((await h.db.product.findUnique({ where: { id: product.id } }))!.minPrice).toBe(Math.min(...prices));
  });
});

describe('categories', () => {
  it('creates categories under a parent with a derived slug, refusing unknown parents and taken slugs', async () => {
    const parent = await run('createCategory', { name: 'Garden' });
    expect(parent.category).toMatchObject({ slug: 'garden', parent: null, breadcrumbs: [{ name: 'Garden' }] });
    const child = await run('createCategory', { name: 'Planters & Pots', parentId: parent.category.id });
    expect(child.category).toMatchObject({ slug: 'planters-and-pots', parent: { id: parent.category.id }, breadcrumbs: [{ name: 'Garden' }, { name: 'Planters & Pots' }] });
    expect(codes(await run('createCategory', { name: 'X', parentId: crypto.randomUUID() }))).toEqual(['NOT_FOUND']);
    expect(codes(await run('createCategory', { name: 'X', slug: 'hoodies' }))).toEqual(['DUPLICATE_SLUG']);
    expect(codes(await run('createCategory', { name: '' }))).toEqual(['INVALID_INPUT']);
    expect(codes(await run('updateCategory', { id: child.category.id, slug: 'garden' }))).toEqual(['DUPLICATE_SLUG']);
    expect(codes(await run('updateCategory', { id: crypto.randomUUID(), name: 'X' }))).toEqual(['NOT_FOUND']);
  });

  it('refuses cycles and moves a whole subtree, re-rooting its products', async () => {
    const a = (await run('createCategory', { name: 'Tree A' })).category;
    const b = (await run('createCategory', { name: 'Tree B', parentId: a.id })).category;
    const c = (await run('createCategory', { name: 'Tree C', parentId: b.id })).category;
    const other = (await run('createCategory', { name: 'Tree Other' })).category;

    for (const parentId of [a.id, c.id]) {
      const cycle = await run('updateCategory', { id: a.id, parentId });
      expect(codes(cycle)).toEqual(['CATEGORY_CYCLE']);
      expect(fields(cycle)).toEqual(['input.parentId']);
    }
    expect(codes(await run('updateCategory', { id: b.id, parentId: crypto.randomUUID() }))).toEqual(['NOT_FOUND']);

    const product = await newProduct('Tree Product', { categoryId: c.id });
    await run('createVariant', { productId: product.id, sku: 'TREE-1', price: 1000 });
    await run('publishProduct', { id: product.id });
    const inCategory = (id: string) => h.gql('query($id: ID!) { products(first: 5, filter: { categoryId: $id }) { totalCount } }', { id }).then((r) => r.data.products.totalCount);
    expect(await inCategory(a.id)).toBe(1);

    const moved = await run('updateCategory', { id: b.id, parentId: other.id, name: 'Tree B moved' });
    expect(moved.userErrors).toEqual([]);
    expect(moved.category.breadcrumbs.map((x: any) => x.name)).toEqual(['Tree Other', 'Tree B moved']);
    const deep = await h.gql('query($id: ID!) { category(id: $id) { breadcrumbs { name } } }', { id: c.id });
    expect(deep.data.category.breadcrumbs.map((x: any) => x.name)).toEqual(['Tree Other', 'Tree B moved', 'Tree C']);
    expect(await inCategory(a.id)).toBe(0);
    expect(await inCategory(other.id)).toBe(1);

    // Now A may go under C's old ancestor chain (no cycle any more), and an explicit null makes B top-level.
    expect((await run('updateCategory', { id: a.id, parentId: c.id })).userErrors).toEqual([]);
    const root = await run('updateCategory', { id: b.id, parentId: null });
    expect(root.category.parent).toBeNull();
    expect((await h.gql('{ categories { id } }')).data.categories.map((x: any) => x.id)).toContain(b.id);
  });

  it('limits the depth of the tree', async () => {
    let parentId: string | null = null;
    const ids: string[] = [];
    for (let depth = 1; depth <= 5; depth++) {
      const payload: any = await run('createCategory', { name: `Depth ${depth}`, parentId });
      expect(payload.userErrors).toEqual([]);
      parentId = payload.category.id;
      ids.push(parentId!);
    }
    expect(codes(await run('createCategory', { name: 'Depth 6', parentId }))).toEqual(['INVALID_INPUT']);
    const shallow = (await run('createCategory', { name: 'Shallow' })).category;
    expect(codes(await run('updateCategory', { id: ids[1], parentId: shallow.id }))).toEqual([]);
    const deeper = (await run('createCategory', { name: 'Under shallow', parentId: shallow.id })).category;
    // ids[1]'s subtree is 4 levels deep; under a depth-2 category it would reach depth 6.
    expect(codes(await run('updateCategory', { id: ids[1], parentId: deeper.id }))).toEqual(['INVALID_INPUT']);
  });
});

describe('CatalogChanged, queued in the write transaction', () => {
  const announced = () => h.db.outboxEvent.count({ where: { type: CATALOG_CHANGED, payload: { equals: { reason: 'write' } } } });

  it('queues one event per successful write and none for a refused one', async () => {
    const counted = async (write: () => Promise<unknown>) => {
      const before = await announced();
      await write();
      return (await announced()) - before;
    };
    let product: any;
    expect(await counted(async () => (product = await newProduct('Announced lamp')))).toBe(1);
    expect(await counted(() => run('updateProduct', { id: product.id, title: 'Announced lamp, brass' }))).toBe(1);
    let variant: any;
    expect(await counted(async () => (variant = (await run('createVariant', { productId: product.id, sku: 'ANN-LAMP-1', price: 4900 })).variant))).toBe(1);
    expect(await counted(() => run('updateVariant', { id: variant.id, price: 5900 }))).toBe(1);
    expect(await counted(() => run('publishProduct', { id: product.id }))).toBe(1);
    expect(await counted(() => run('archiveProduct', { id: product.id }))).toBe(1);
    let category: any;
    expect(await counted(async () => (category = (await run('createCategory', { name: 'Announced' })).category))).toBe(1);
    expect(await counted(() => run('updateCategory', { id: category.id, name: 'Announced, renamed' }))).toBe(1);

    expect(await counted(async () => expect(codes(await run('createVariant', { productId: product.id, sku: 'ANN-LAMP-1', price: 100 }))).toContain('DUPLICATE_SKU'))).toBe(0);
    expect(await counted(async () => expect(codes(await run('updateCategory', { id: category.id, parentId: category.id }))).toEqual(['CATEGORY_CYCLE']))).toBe(0);
  });

  it('does not write when its event cannot be queued: the two commit together or not at all', async () => {
    const product = await newProduct('Outbox-bound vase');
    await h.db.$executeRawUnsafe(`CREATE FUNCTION test_refuse_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW."type" = '${CATALOG_CHANGED}' THEN RAISE EXCEPTION 'outbox unavailable'; END IF; RETURN NEW; END $$`);
    await h.db.$executeRawUnsafe(`CREATE TRIGGER test_refuse_catalog_changed BEFORE INSERT ON "OutboxEvent" FOR EACH ROW EXECUTE FUNCTION test_refuse_catalog_changed()`);
    try {
      const res = await h.gql(m.updateProduct, { input: { id: product.id, title: 'Renamed without an event' } }, asAdmin());
      expect(res.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      const created = await h.gql(m.createProduct, { input: { title: 'Created without an event', brand: 'Atelier', categoryId: decor } }, asAdmin());
      expect(created.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await h.db.$executeRawUnsafe('DROP TRIGGER test_refuse_catalog_changed ON "OutboxEvent"');
      await h.db.$executeRawUnsafe('DROP FUNCTION test_refuse_catalog_changed()');
    }
    expect((await h.db.product.findUniqueOrThrow({ where: { id: product.id } })).title).toBe('Outbox-bound vase');
    expect(await h.db.product.count({ where: { title: 'Created without an event' } })).toBe(0);
  });
});
