import { newId } from '@storefront/shared';
import type { Prisma } from '../generated/prisma/client.ts';
import type { CategoryModel } from '../generated/prisma/models.ts';
import type { CreateCategoryInput, UpdateCategoryInput } from '../generated/graphql.ts';
import type { CatalogContext } from '../context.ts';
import { announceCatalogChange } from './changes.ts';
import { isId, slugify } from './input.ts';
import { Checks, freeSlug, MAX_CATEGORY_DEPTH, MAX_POSITION, uniqueViolation, type CatalogUserError } from './adminValidation.ts';

type Tx = Prisma.TransactionClient;
export interface CategoryPayload {
  category: CategoryModel | null;
  userErrors: CatalogUserError[];
}

const failed = (checks: Checks): CategoryPayload => ({ category: null, userErrors: checks.errors });
const depthOf = (path: string) => path.split('/').length;

/**
 * Changes to the tree are serialised by a transaction-scoped advisory lock: two concurrent moves could otherwise
 * each pass the cycle check and together make a cycle.
 */
const lockTree = (tx: Tx) => tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('catalog.category-tree'))`;

async function slugFor(tx: Tx, checks: Checks, explicit: string | undefined, name: string, selfId?: string): Promise<string | undefined> {
  if (explicit) {
    const holder = await tx.category.findUnique({ where: { slug: explicit }, select: { id: true } });
    if (holder && holder.id !== selfId) return void checks.add('DUPLICATE_SLUG', `slug "${explicit}" is taken`, ['input', 'slug']);
    return explicit;
  }
  const base = slugify(name) || 'category';
  const taken = await tx.category.findMany({ where: { slug: { startsWith: base } }, select: { slug: true } });
  return freeSlug(base, taken.map((t) => t.slug));
}

export async function createCategory(ctx: CatalogContext, input: CreateCategoryInput): Promise<CategoryPayload> {
  const checks = new Checks();
  const name = checks.text(input.name, ['input', 'name'], { max: 100 });
  const slug = input.slug == null ? undefined : checks.slug(input.slug, ['input', 'slug']);
  const position = input.position == null ? undefined : checks.intRange(input.position, ['input', 'position'], 0, MAX_POSITION);
  if (input.parentId != null && !isId(input.parentId)) checks.add('NOT_FOUND', 'Parent category not found', ['input', 'parentId']);
  if (!checks.ok) return failed(checks);

  try {
    return await ctx.db.$transaction(async (tx) => {
      await lockTree(tx);
      const parent = input.parentId == null ? null : await tx.category.findUnique({ where: { id: input.parentId } });
      if (input.parentId != null && !parent) checks.add('NOT_FOUND', 'Parent category not found', ['input', 'parentId']);
      if (parent && depthOf(parent.path) >= MAX_CATEGORY_DEPTH) checks.add('INVALID_INPUT', `categories nest at most ${MAX_CATEGORY_DEPTH} levels deep`, ['input', 'parentId']);
      const finalSlug = await slugFor(tx, checks, slug, name!);
      if (!checks.ok) return failed(checks);
      const id = newId();
      const siblings = await tx.category.count({ where: { parentId: parent?.id ?? null } });
      const category = await tx.category.create({
        data: { id, name: name!, slug: finalSlug!, parentId: parent?.id ?? null, path: parent ? `${parent.path}/${id}` : id, position: position ?? siblings },
      });
      await announceCatalogChange(tx, 'write');
      return { category, userErrors: [] };
    });
  } catch (error) {
    if (uniqueViolation(error) === 'slug') {
      checks.add('DUPLICATE_SLUG', 'slug is taken', ['input', 'slug']);
      return failed(checks);
    }
    throw error;
  }
}

export async function updateCategory(ctx: CatalogContext, input: UpdateCategoryInput): Promise<CategoryPayload> {
  const checks = new Checks();
  if (!isId(input.id)) checks.add('NOT_FOUND', 'Category not found', ['input', 'id']);
  const name = input.name == null ? undefined : checks.text(input.name, ['input', 'name'], { max: 100 });
  const slug = input.slug == null ? undefined : checks.slug(input.slug, ['input', 'slug']);
  const position = input.position == null ? undefined : checks.intRange(input.position, ['input', 'position'], 0, MAX_POSITION);
  // parentId: absent keeps the parent, an explicit null makes the category top-level.
  const moving = 'parentId' in input && input.parentId !== undefined;
  const parentId = moving ? (input.parentId ?? null) : undefined;
  if (parentId != null && !isId(parentId)) checks.add('NOT_FOUND', 'Parent category not found', ['input', 'parentId']);
  if (!checks.ok) return failed(checks);

  try {
    return await ctx.db.$transaction(async (tx) => {
      await lockTree(tx);
      const category = await tx.category.findUnique({ where: { id: input.id } });
      if (!category) {
        checks.add('NOT_FOUND', 'Category not found', ['input', 'id']);
        return failed(checks);
      }
      let path = category.path;
      if (moving && parentId !== category.parentId) {
        const parent = parentId == null ? null : await tx.category.findUnique({ where: { id: parentId } });
        if (parentId != null && !parent) checks.add('NOT_FOUND', 'Parent category not found', ['input', 'parentId']);
        else if (parent && (parent.id === category.id || parent.path.startsWith(`${category.path}/`))) {
          checks.add('CATEGORY_CYCLE', 'a category cannot move under itself or one of its descendants', ['input', 'parentId']);
        } else {
          const subtree = await tx.category.findMany({ where: { path: { startsWith: `${category.path}/` } }, select: { path: true } });
          const height = Math.max(0, ...subtree.map((c) => depthOf(c.path) - depthOf(category.path)));
          if ((parent ? depthOf(parent.path) : 0) + 1 + height > MAX_CATEGORY_DEPTH) {
            checks.add('INVALID_INPUT', `categories nest at most ${MAX_CATEGORY_DEPTH} levels deep`, ['input', 'parentId']);
          }
          path = parent ? `${parent.path}/${category.id}` : category.id;
        }
      }
      const finalSlug = slug === undefined ? undefined : await slugFor(tx, checks, slug, category.name, category.id);
      if (!checks.ok) return failed(checks);

      if (path !== category.path) {
        // Re-root the whole subtree's materialised paths in one statement.
        await tx.$executeRaw`
          UPDATE "Category" SET "path" = ${path} || substr("path", ${category.path.length + 1}::int)
          WHERE "path" = ${category.path} OR left("path", ${category.path.length + 1}::int) = ${`${category.path}/`}`;
      }
      const updated = await tx.category.update({
        where: { id: category.id },
        data: { name, slug: finalSlug, position, ...(moving ? { parentId } : {}) },
      });
      await announceCatalogChange(tx, 'write');
      return { category: updated, userErrors: [] };
    });
  } catch (error) {
    if (uniqueViolation(error) === 'slug') {
      checks.add('DUPLICATE_SLUG', 'slug is taken', ['input', 'slug']);
      return failed(checks);
    }
    throw error;
  }
}
