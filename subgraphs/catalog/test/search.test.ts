import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureProduct } from '@storefront/shared/fixtures';
import {
  asAdmin, asCustomer, byText, categoryChain, categoryId, expectedFacets, fixture, fold, minPrice, productMatches, startCatalog,
  type CatalogHarness, type ModelFilter,
} from './support.ts';

let h: CatalogHarness;

beforeAll(async () => {
  h = await startCatalog();
});

afterAll(async () => {
  await h?.stop();
});

const LIST = /* GraphQL */ `
  query List($first: Int, $after: String, $search: String, $filter: ProductFilter, $sort: ProductSort) {
    products(first: $first, after: $after, search: $search, filter: $filter, sort: $sort) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { cursor node { id title brand priceFrom { amount } } }
    }
  }
`;

const FACETS = /* GraphQL */ `
  query Facets($search: String, $filter: ProductFilter) {
    products(first: 0, search: $search, filter: $filter) {
      totalCount
      facets {
        inStock
        brands { value count selected }
        categories { category { id } count selected }
        options { name values { value count selected } }
        priceRanges { min { amount currencyCode } max { amount } count }
      }
    }
  }
`;

/** Every product id of a list, page by page, checking the cursors along the way. */
async function collect(variables: Record<string, unknown>, first = 25, headers = asCustomer(), start: string | null = null) {
  const ids: string[] = [];
  let after: string | null = start;
  let pages = 0;
  let totalCount = -1;
  do {
    const res = await h.gql(LIST, { ...variables, first, after }, headers);
    expect(res.errors).toBeUndefined();
    const page = res.data.products;
    expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
    totalCount = page.totalCount;
    ids.push(...page.edges.map((e: any) => e.node.id));
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    pages += 1;
  } while (after && pages < 50);
  return { ids, pages, totalCount };
}

const idsOf = (products: FixtureProduct[]) => products.map((p) => p.id);
const titleHas = (word: string) => fixture.products.filter((p) => fold(p.title).split(/\W+/).some((w) => w.startsWith(word)));
const errorCode = (res: { errors?: any[] }) => res.errors?.[0]?.extensions?.code;

describe('search quality', () => {
  it('ranks title matches above description-only matches', async () => {
    // "Trail" is an adjective in some titles and appears in other products' descriptions ("built for the trail").
    const inTitle = new Set(idsOf(titleHas('trail')));
    const inDescription = fixture.products.filter((p) => !inTitle.has(p.id) && p.description.includes('trail'));
    expect(inTitle.size).toBeGreaterThan(0);
    expect(inDescription.length).toBeGreaterThan(0);

    const { ids, totalCount } = await collect({ search: 'trail' }, 100);
    expect(totalCount).toBe(inTitle.size + inDescription.length);
    expect(new Set(ids.slice(0, inTitle.size))).toEqual(inTitle);
    expect(new Set(ids.slice(inTitle.size))).toEqual(new Set(idsOf(inDescription)));
  });

  it('finds products by brand', async () => {
    const res = await h.gql(LIST, { search: 'Kestrel', first: 100 });
    const kestrel = fixture.products.filter((p) => p.brand === 'Kestrel');
    expect(res.data.products.totalCount).toBe(kestrel.length);
    expect(res.data.products.edges.every((e: any) => e.node.brand === 'Kestrel')).toBe(true);
  });

  it('stems English words: "hoodies" finds every Hoodie, "jackets" every Jacket', async () => {
    for (const [search, word] of [['hoodies', 'hoodie'], ['jackets', 'jacket'], ['HOODIE', 'hoodie']]) {
      const expected = titleHas(word);
      expect(expected.length).toBeGreaterThan(0);
      const { ids } = await collect({ search }, 100);
      expect(new Set(ids)).toEqual(new Set(idsOf(expected)));
    }
  });

  it('tolerates typos: "hoodei" and "jackt" find hoodies and jackets', async () => {
    for (const [search, word] of [['hoodei', 'hoodie'], ['jackt', 'jacket']]) {
      const expected = titleHas(word);
      const { ids } = await collect({ search }, 100);
      expect(new Set(ids)).toEqual(new Set(idsOf(expected)));
    }
  });

  it('ignores accents and case: "cafe" and "CAFÉ" find "Café" products', async () => {
    const expected = new Set(idsOf(fixture.products.filter((p) => p.title.includes('Café'))));
    expect(expected.size).toBeGreaterThan(0);
    for (const search of ['cafe', 'CAFÉ', 'Café']) {
      const { ids } = await collect({ search }, 100);
      expect(new Set(ids)).toEqual(expected);
    }
  });

  it('searches for SQL metacharacters and operators as plain text', async () => {
    const before = (await h.gql(LIST, { first: 0 })).data.products.totalCount;
    for (const search of [`'; DROP TABLE "Product"; --`, '100%', '_', '\\', "O'Reilly", '"unterminated', 'a) OR (1=1', '!!&|<->:*', '\u0000hoodie']) {
      const res = await h.gql(LIST, { search, first: 5 });
      expect(res.errors, search).toBeUndefined();
      expect(res.data.products.totalCount, search).toBeLessThan(before);
    }
    expect((await h.gql(LIST, { first: 0 })).data.products.totalCount).toBe(before);
    // The NUL is dropped, the rest is searched for.
    expect((await h.gql(LIST, { search: '\u0000hoodie', first: 0 })).data.products.totalCount).toBe(titleHas('hoodie').length);
  });
});

describe('filters', () => {
  const cases: [string, ModelFilter][] = [
    ['category with descendants', { categoryId: categoryId('apparel') }],
    ['leaf category', { categoryId: categoryId('hoodies') }],
    ['price range', { minPrice: 5000, maxPrice: 7999 }],
    ['min price only', { minPrice: 12000 }],
    ['option values', { options: [{ name: 'Size', values: ['M', 'XL'] }] }],
    ['two option names on the same variant', { options: [{ name: 'Size', values: ['XL'] }, { name: 'Color', values: ['Navy'] }], inStock: true }],
    ['brands', { brands: ['Acme', 'Tern'] }],
    ['in stock', { inStock: true }],
    ['everything at once', { categoryId: categoryId('apparel'), minPrice: 4000, maxPrice: 6000, options: [{ name: 'Size', values: ['M'] }], brands: ['Solstice', 'Kestrel', 'Tern'], inStock: true }],
  ];

  it.each(cases)('%s', async (_, filter) => {
    const expected = fixture.products.filter((p) => productMatches(p, filter));
    const { ids, totalCount } = await collect({ filter }, 100);
    expect(totalCount).toBe(expected.length);
    expect(new Set(ids)).toEqual(new Set(idsOf(expected)));
    expect(ids.length).toBe(expected.length);
  });

  it('applies variant-level filters to one and the same variant', async () => {
    // Some products have an XL in stock and a Navy in stock but no Navy XL in stock: they must not match.
    const xlNavy: ModelFilter = { options: [{ name: 'Size', values: ['XL'] }, { name: 'Color', values: ['Navy'] }], inStock: true };
    const loose = fixture.products.filter(
      (p) => productMatches(p, { options: [{ name: 'Size', values: ['XL'] }], inStock: true }) && productMatches(p, { options: [{ name: 'Color', values: ['Navy'] }], inStock: true }),
    );
    const strict = fixture.products.filter((p) => productMatches(p, xlNavy));
    const res = await h.gql(LIST, { filter: xlNavy, first: 0 });
    expect(res.data.products.totalCount).toBe(strict.length);
    expect(loose.length).toBeGreaterThan(strict.length);
  });

  it('combines search and filters', async () => {
    const filter: ModelFilter = { options: [{ name: 'Color', values: ['Navy'] }], inStock: true };
    const expected = titleHas('hoodie').filter((p) => productMatches(p, filter));
    const { ids } = await collect({ search: 'hoodie', filter }, 100);
    expect(new Set(ids)).toEqual(new Set(idsOf(expected)));
  });
});

describe('facets', () => {
  const cases: [string, string | null, ModelFilter][] = [
    ['no filter', null, {}],
    ['category, sizes and stock', null, { categoryId: categoryId('apparel'), options: [{ name: 'Size', values: ['M', 'L'] }], inStock: true }],
    ['brands and a price range', null, { brands: ['Acme', 'Tern'], minPrice: 5000, maxPrice: 9999 }],
    ['a search with a colour', 'hoodie', { options: [{ name: 'Color', values: ['Navy'] }] }],
    // No variant-level filter: these are counted from the products' facet summaries, not from the variants.
    ['a search alone', 'jacket', {}],
    ['a category alone', null, { categoryId: categoryId('apparel') }],
    ['brands alone', null, { brands: ['Acme', 'Tern'] }],
  ];

  it.each(cases)('counts every dimension with its own filter left out: %s', async (_, search, filter) => {
    const products = search ? titleHas(search) : fixture.products;
    const expected = expectedFacets(products, filter);
    const res = await h.gql(FACETS, { search, filter });
    expect(res.errors).toBeUndefined();
    const { totalCount, facets } = res.data.products;
    expect(totalCount).toBe(expected.total);
    expect(facets.inStock).toBe(expected.inStock);
    expect(Object.fromEntries(facets.brands.map((b: any) => [b.value, b.count]))).toEqual(expected.brands);
    expect(Object.fromEntries(facets.categories.map((c: any) => [c.category.id, c.count]))).toEqual(expected.categories);
    expect(Object.fromEntries(facets.options.map((o: any) => [o.name, Object.fromEntries(o.values.map((v: any) => [v.value, v.count]))]))).toEqual(expected.options);
    for (const range of facets.priceRanges) {
      expect(range.min.currencyCode).toBe('USD');
      expect(range.count).toBe(expected.inPriceRange(range.min.amount, range.max?.amount ?? null));
      expect(range.count).toBeGreaterThan(0);
    }
    // The ranges cover every product that matches all but the price filter.
    const covered = facets.priceRanges.reduce((n: number, r: any) => n + r.count, 0);
    expect(covered).toBeGreaterThanOrEqual(expectedFacets(products, { ...filter, minPrice: undefined, maxPrice: undefined }).total);
    for (const b of facets.brands) expect(b.selected).toBe(!!filter.brands?.includes(b.value));
    for (const c of facets.categories) expect(c.selected).toBe(c.category.id === filter.categoryId);
  });

  it('gives counts that equal the totalCount of choosing that value', async () => {
    const filter: ModelFilter = { categoryId: categoryId('apparel'), options: [{ name: 'Size', values: ['M'] }], inStock: true };
    const { facets } = (await h.gql(FACETS, { filter })).data.products;
    const brand = facets.brands[1];
    expect((await h.gql(LIST, { filter: { ...filter, brands: [brand.value] }, first: 0 })).data.products.totalCount).toBe(brand.count);
    const size = facets.options.find((o: any) => o.name === 'Size').values.find((v: any) => v.value === 'XL');
    expect((await h.gql(LIST, { filter: { ...filter, options: [{ name: 'Size', values: ['XL'] }] }, first: 0 })).data.products.totalCount).toBe(size.count);
    const range = facets.priceRanges[0];
    const priced = { ...filter, minPrice: range.min.amount, maxPrice: range.max?.amount };
    expect((await h.gql(LIST, { filter: priced, first: 0 })).data.products.totalCount).toBe(range.count);
    const category = facets.categories.find((c: any) => c.category.id === categoryId('hoodies'));
    expect(category.count).toBeGreaterThan(0);
    expect((await h.gql(LIST, { filter: { ...filter, categoryId: categoryId('hoodies') }, first: 0 })).data.products.totalCount).toBe(category.count);
  });

  it('lists sizes in a natural order and keeps selected values visible', async () => {
    const { facets } = (await h.gql(FACETS, { filter: { options: [{ name: 'Size', values: ['M'] }] } })).data.products;
    const sizes = facets.options.find((o: any) => o.name === 'Size').values;
    expect(sizes.map((v: any) => v.value)).toEqual(['40', '42', '44', 'S', 'M', 'L', 'XL']);
    expect(sizes.map((v: any) => v.selected)).toEqual([false, false, false, false, true, false, false]);
    // No apparel has a capacity, but the selected value is still listed (with 0) so it can be unselected.
    const none = (await h.gql(FACETS, { filter: { categoryId: categoryId('apparel'), options: [{ name: 'Capacity', values: ['20L'] }] } })).data.products;
    expect(none.totalCount).toBe(0);
    expect(none.facets.options.find((o: any) => o.name === 'Capacity').values).toEqual([{ value: '20L', count: 0, selected: true }]);
  });
});

describe('sorts and cursors', () => {
  const newest = [...fixture.products].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || byText(b.id, a.id));
  const priceAsc = [...fixture.products].sort((a, b) => minPrice(a) - minPrice(b) || byText(a.id, b.id));
  const priceDesc = [...fixture.products].sort((a, b) => minPrice(b) - minPrice(a) || byText(b.id, a.id));
  const title = [...fixture.products].sort((a, b) => byText(fold(a.title), fold(b.title)) || byText(a.id, b.id));

  it.each([
    ['NEWEST', newest],
    ['PRICE_ASC', priceAsc],
    ['PRICE_DESC', priceDesc],
    ['TITLE', title],
  ] as const)('pages through %s with keyset cursors', async (sort, expected) => {
    const { ids, pages } = await collect({ sort }, 17);
    expect(pages).toBe(Math.ceil(expected.length / 17));
    expect(ids).toEqual(idsOf(expected));
  });

  it('pages through RELEVANCE: the same order as one big page, no duplicates', async () => {
    const whole = (await h.gql(LIST, { search: 'trail', first: 100 })).data.products.edges.map((e: any) => e.node.id);
    const { ids } = await collect({ search: 'trail' }, 7);
    expect(ids).toEqual(whole);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('sorts a search by price when asked to', async () => {
    const { ids } = await collect({ search: 'hoodie', sort: 'PRICE_ASC' }, 5);
    expect(ids).toEqual(idsOf(titleHas('hoodie').sort((a, b) => minPrice(a) - minPrice(b) || byText(a.id, b.id))));
  });

  it('keeps cursors stable while products are inserted', async () => {
    const first = await h.gql(LIST, { sort: 'PRICE_ASC', first: 20 });
    const seen = first.data.products.edges.map((e: any) => e.node.id);
    const cursorPrice = first.data.products.edges[19].node.priceFrom.amount;
    // One product sorts before the cursor (must not appear later), one after it (must appear exactly once).
    const cheap = await insertProduct('cheap-insert', cursorPrice - 1);
    const dear = await insertProduct('dear-insert', 99_999);
    try {
      const rest = await collect({ sort: 'PRICE_ASC' }, 30, asCustomer(), first.data.products.pageInfo.endCursor);
      const all = [...seen, ...rest.ids];
      expect(all.filter((id) => id === cheap)).toHaveLength(0);
      expect(all.filter((id) => id === dear)).toHaveLength(1);
      expect(all.filter((id) => id !== dear)).toEqual(idsOf(priceAsc));
    } finally {
      await h.db.product.deleteMany({ where: { id: { in: [cheap, dear] } } });
    }
  });

  it('pages by TITLE through long non-Latin titles (cursors longer than 512 characters)', async () => {
    const ids = [await insertProduct('long-a', 1000, '商品'.repeat(100), 'Longtitle'), await insertProduct('long-b', 1000, '商品'.repeat(99) + '商哈', 'Longtitle')];
    try {
      const first = await h.gql(LIST, { sort: 'TITLE', filter: { brands: ['Longtitle'] }, first: 1 });
      expect(first.data.products.pageInfo.endCursor.length).toBeGreaterThan(512);
      const second = await h.gql(LIST, { sort: 'TITLE', filter: { brands: ['Longtitle'] }, first: 1, after: first.data.products.pageInfo.endCursor });
      expect(second.errors).toBeUndefined();
      expect([first.data.products.edges[0].node.id, second.data.products.edges[0].node.id]).toEqual(ids);
      expect(second.data.products.pageInfo.hasNextPage).toBe(false);
    } finally {
      await h.db.product.deleteMany({ where: { id: { in: ids } } });
    }
  });

  it('refuses a cursor from another sort, another search or with forged values', async () => {
    const byPrice = (await h.gql(LIST, { sort: 'PRICE_ASC', first: 2 })).data.products.pageInfo.endCursor;
    const bySearch = (await h.gql(LIST, { search: 'trail', first: 2 })).data.products.pageInfo.endCursor;
    const byTitleSearch = (await h.gql(LIST, { search: 'trail', sort: 'TITLE', first: 2 })).data.products.pageInfo.endCursor;
    h.statements.reset();
    expect(errorCode(await h.gql(LIST, { sort: 'TITLE', after: byPrice, first: 2 }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await h.gql(LIST, { search: 'hoodie', after: bySearch, first: 2 }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await h.gql(LIST, { sort: 'TITLE', after: byTitleSearch, first: 2 }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await h.gql(LIST, { after: 'not-a-cursor', first: 2 }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await h.gql(LIST, { after: 'A'.repeat(5000), first: 2 }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await h.gql(LIST, { after: 'e30', first: 2 }))).toBe('BAD_USER_INPUT');
    // Right kind, wrong value types: refused before any SQL.
    const [kind, , id] = JSON.parse(Buffer.from(byPrice, 'base64url').toString());
    for (const values of [['cheap', id], [1.5, id], [100, 42], [1e12, id]]) {
      const forged = Buffer.from(JSON.stringify([kind, ...values])).toString('base64url');
      expect(errorCode(await h.gql(LIST, { sort: 'PRICE_ASC', after: forged, first: 2 })), JSON.stringify(values)).toBe('BAD_USER_INPUT');
    }
    expect(h.statements.count).toBe(0);
    // The same search, spelled differently, continues.
    expect((await h.gql(LIST, { search: '  TRAIL ', after: bySearch, first: 2 })).errors).toBeUndefined();
  });
});

async function insertProduct(slug: string, price: number, title = `Inserted ${slug}`, brand = 'Acme'): Promise<string> {
  const id = crypto.randomUUID();
  await h.db.product.create({
    data: {
      id, slug, title, brand, status: 'ACTIVE', categoryId: categoryId('decor'), minPrice: price,
      variants: { create: [{ id: crypto.randomUUID(), sku: `SKU-${slug}`, title: 'Default', price, available: 1 }] },
    },
  });
  return id;
}

describe('visibility', () => {
  const target = fixture.products.find((p) => p.title.includes('Hoodie'))!;
  const COUNT = 'query($search: String, $filter: ProductFilter) { products(first: 100, search: $search, filter: $filter) { totalCount edges { node { id } } facets { brands { value count } } } }';

  it('hides DRAFT and ARCHIVED products from customers but not from catalog editors', async () => {
    for (const status of ['DRAFT', 'ARCHIVED'] as const) {
      await h.db.product.update({ where: { id: target.id }, data: { status } });
      try {
        expect((await h.gql('query($id: ID!) { product(id: $id) { id } }', { id: target.id })).data.product).toBeNull();
        expect((await h.gql('query($s: String!) { productBySlug(slug: $s) { id } }', { s: target.slug })).data.productBySlug).toBeNull();
        const asShopper = (await h.gql(COUNT, { search: 'hoodie' })).data.products;
        expect(asShopper.totalCount).toBe(titleHas('hoodie').length - 1);
        expect(asShopper.edges.map((e: any) => e.node.id)).not.toContain(target.id);
        const brandCount = asShopper.facets.brands.find((b: any) => b.value === target.brand)?.count ?? 0;
        expect(brandCount).toBe(titleHas('hoodie').filter((p) => p.brand === target.brand).length - 1);
        const inCategory = await h.gql('query($id: ID!) { category(id: $id) { products(first: 100) { totalCount } } }', { id: categoryId('hoodies') });
        expect(inCategory.data.category.products.totalCount).toBe(fixture.products.filter((p) => p.categorySlug === 'hoodies').length - 1);
        const suggestions = await h.gql('query($p: String!) { searchSuggestions(prefix: $p, first: 20) { text product { id } } }', { p: target.title });
        expect(suggestions.data.searchSuggestions.map((s: any) => s.product?.id)).not.toContain(target.id);
        expect((await h.gql(COUNT, { filter: { statuses: [status] } })).data.products.totalCount).toBe(0);

        expect((await h.gql('query($id: ID!) { product(id: $id) { id status } }', { id: target.id }, asAdmin())).data.product).toEqual({ id: target.id, status });
        expect((await h.gql(COUNT, { search: 'hoodie' }, asAdmin())).data.products.totalCount).toBe(titleHas('hoodie').length);
        const onlyStatus = (await h.gql(COUNT, { filter: { statuses: [status] } }, asAdmin())).data.products;
        expect(onlyStatus.edges.map((e: any) => e.node.id)).toEqual([target.id]);
        // Entity references still resolve (an order line of an archived product keeps its title).
        const ref = await h.gql('query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id title } } }', { r: [{ __typename: 'Product', id: target.id }] });
        expect(ref.data._entities[0].title).toBe(target.title);
      } finally {
        await h.db.product.update({ where: { id: target.id }, data: { status: 'ACTIVE' } });
      }
    }
  });
});

describe('bad input', () => {
  const expectRefused = async (query: string, variables: Record<string, unknown>, code = 'BAD_USER_INPUT') => {
    const started = Date.now();
    const res = await h.gql(query, variables);
    expect(errorCode(res), JSON.stringify(variables).slice(0, 80)).toBe(code);
    expect(Date.now() - started).toBeLessThan(2000);
    return res;
  };

  it('refuses page sizes above 100 or below 0 before any SQL', async () => {
    h.statements.reset();
    for (const first of [101, 1000, -1]) await expectRefused(LIST, { first });
    expect(h.statements.count).toBe(0);
    expect((await h.gql(LIST, { first: 100 })).data.products.edges).toHaveLength(100);
    expect((await h.gql(LIST, { first: 0 })).data.products.edges).toHaveLength(0);
  });

  it('refuses a 10,000-character search before any SQL', async () => {
    h.statements.reset();
    const res = await expectRefused(LIST, { search: 'hoodie '.repeat(1500), first: 5 });
    expect(res.errors![0].message).toMatch(/200/);
    expect(h.statements.count).toBe(0);
    expect((await h.gql(LIST, { search: 'x'.repeat(200), first: 5 })).errors).toBeUndefined();
  });

  it('refuses inconsistent or oversized filters', async () => {
    h.statements.reset();
    await expectRefused(LIST, { filter: { minPrice: 5000, maxPrice: 4000 } });
    await expectRefused(LIST, { filter: { minPrice: -1 } });
    await expectRefused(LIST, { filter: { brands: Array.from({ length: 51 }, (_, i) => `b${i}`) } });
    await expectRefused(LIST, { filter: { options: [{ name: 'x'.repeat(101), values: ['a'] }] } });
    await expectRefused(LIST, { filter: { brands: ['Ac\u0000me'] } });
    expect(h.statements.count).toBe(0);
  });

  it('answers an unknown category with NOT_FOUND', async () => {
    h.statements.reset();
    await expectRefused(LIST, { filter: { categoryId: 'not-an-id' } }, 'NOT_FOUND');
    expect(h.statements.count).toBe(0);
    await expectRefused(LIST, { filter: { categoryId: crypto.randomUUID() } }, 'NOT_FOUND');
  });

  it('answers unknown or malformed ids and slugs with null, not an error', async () => {
    for (const [query, variables] of [
      ['query($v: ID!) { product(id: $v) { id } }', { v: "'; DROP TABLE x; --" }],
      ['query($v: ID!) { product(id: $v) { id } }', { v: crypto.randomUUID() }],
      ['query($v: String!) { productBySlug(slug: $v) { id } }', { v: 'no\u0000pe' }],
      ['query($v: ID!) { category(id: $v) { id } }', { v: 'x' }],
      ['query($v: String!) { categoryBySlug(slug: $v) { id } }', { v: 'nope' }],
      ['query($v: String!) { collection(handle: $v) { id } }', { v: '\u0000' }],
    ] as const) {
      const res = await h.gql(query, variables);
      expect(res.errors, query).toBeUndefined();
      expect(Object.values(res.data)[0]).toBeNull();
    }
  });

  it('checks autocomplete input', async () => {
    await expectRefused('query($p: String!) { searchSuggestions(prefix: $p) { text } }', { p: 'x'.repeat(101) });
    await expectRefused('query($p: String!) { searchSuggestions(prefix: $p, first: 21) { text } }', { p: 'ho' });
    await expectRefused('query($p: String!) { searchSuggestions(prefix: $p, first: 0) { text } }', { p: 'ho' });
    for (const p of ['%', '_%', "'", '   ', '\\']) {
      const res = await h.gql('query($p: String!) { searchSuggestions(prefix: $p) { text } }', { p });
      expect(res.errors, p).toBeUndefined();
    }
  });
});

describe('autocomplete', () => {
  const SUGGEST = 'query($p: String!, $n: Int) { searchSuggestions(prefix: $p, first: $n) { kind text product { id title } category { id name } } }';

  it('suggests the category, then distinct product titles, for a word prefix', async () => {
    const res = await h.gql(SUGGEST, { p: 'hoo', n: 10 });
    const list = res.data.searchSuggestions;
    expect(list[0]).toMatchObject({ kind: 'CATEGORY', text: 'Hoodies', category: { id: categoryId('hoodies') } });
    const products = list.filter((s: any) => s.kind === 'PRODUCT');
    expect(products.length).toBe(9);
    for (const s of products) {
      expect(s.text).toMatch(/Hoodie/);
      expect(s.product.title).toBe(s.text);
    }
    expect(new Set(products.map((s: any) => s.text)).size).toBe(products.length);
  });

  it('suggests brands, matches several words and ignores accents', async () => {
    expect((await h.gql(SUGGEST, { p: 'nort' })).data.searchSuggestions[0]).toMatchObject({ kind: 'BRAND', text: 'Northwind' });
    const headphones = (await h.gql(SUGGEST, { p: 'wireless hea' })).data.searchSuggestions;
    expect(headphones.length).toBeGreaterThan(0);
    expect(headphones.every((s: any) => s.text.includes('Wireless Headphones'))).toBe(true);
    const cafe = (await h.gql(SUGGEST, { p: 'cafe z' })).data.searchSuggestions;
    expect(cafe.map((s: any) => s.text)).toEqual(['Café Zip Hoodie']);
    expect((await h.gql(SUGGEST, { p: 'home & k' })).data.searchSuggestions[0]).toMatchObject({ kind: 'CATEGORY', text: 'Home & Kitchen' });
  });
});

describe('categories and collections', () => {
  it('reads a category with parent, children, breadcrumbs and sorted descendant products', async () => {
    const res = await h.gql(
      `query($id: ID!) { category(id: $id) { name parent { name } children { name } breadcrumbs { name }
         products(first: 100, sort: PRICE_DESC) { totalCount edges { node { id } } } } }`,
      { id: categoryId('footwear') },
    );
    const c = res.data.category;
    expect(c.name).toBe('Footwear');
    expect(c.parent).toBeNull();
    expect(c.children.map((x: any) => x.name)).toEqual(['Sneakers', 'Boots']);
    expect(c.breadcrumbs.map((x: any) => x.name)).toEqual(['Footwear']);
    const expected = fixture.products
      .filter((p) => categoryChain(p).includes(categoryId('footwear')))
      .sort((a, b) => minPrice(b) - minPrice(a) || byText(b.id, a.id));
    expect(c.products.totalCount).toBe(expected.length);
    expect(c.products.edges.map((e: any) => e.node.id)).toEqual(idsOf(expected));
    const bySlug = await h.gql('{ categoryBySlug(slug: "boots") { name parent { name } breadcrumbs { name } } }');
    expect(bySlug.data.categoryBySlug).toEqual({ name: 'Boots', parent: { name: 'Footwear' }, breadcrumbs: [{ name: 'Footwear' }, { name: 'Boots' }] });
  });

  it('lists a collection in its curated order, page by page', async () => {
    const newest = [...fixture.products].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).slice(0, 12);
    const PAGE = 'query($after: String) { collection(handle: "new-arrivals") { title products(first: 5, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } }';
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const res = await h.gql(PAGE, { after });
      expect(res.errors).toBeUndefined();
      expect(res.data.collection.title).toBe('New arrivals');
      expect(res.data.collection.products.totalCount).toBe(12);
      ids.push(...res.data.collection.products.edges.map((e: any) => e.node.id));
      after = res.data.collection.products.pageInfo.hasNextPage ? res.data.collection.products.pageInfo.endCursor : null;
    } while (after);
    expect(ids).toEqual(idsOf(newest));
  });
});
