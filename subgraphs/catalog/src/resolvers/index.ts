import type { Resolvers } from '../generated/graphql.ts';
import { Query } from './query.ts';
import { Mutation } from './mutation.ts';
import { Product, ProductConnection, SearchSuggestion, Variant } from './product.ts';
import { Category, CategoryFacetValue, Collection } from './category.ts';

export const resolvers: Resolvers = { Query, Mutation, Product, ProductConnection, SearchSuggestion, Variant, Category, CategoryFacetValue, Collection };
