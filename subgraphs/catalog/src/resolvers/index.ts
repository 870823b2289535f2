import type { Resolvers } from '../generated/graphql.ts';
import { Query } from './query.ts';
import { Product, Variant } from './product.ts';
import { Category } from './category.ts';

export const resolvers: Resolvers = { Query, Product, Variant, Category };
