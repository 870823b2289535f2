import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  parse,
  valueFromASTUntyped,
  type ArgumentNode,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

interface ListSize {
  assumedSize?: number;
  slicingArguments?: string[];
  sizedFields?: string[];
}

export interface CostOptions {
  /** List size assumed when a list field has no slicing argument value and no @listSize(assumedSize). */
  defaultListSize: number;
  /** Weight of a composite (object, interface, union) field without @cost. Leaves weigh 0. */
  objectWeight?: number;
  /** Weight of a mutation root field without @cost. */
  mutationWeight?: number;
}

const COST_NAMES = new Set(['cost', 'cost__cost']);
const LIST_SIZE_NAMES = new Set(['listSize', 'cost__listSize']);
const DEFAULT_SLICING = ['first', 'last'];
const DEFAULT_SIZED = ['edges', 'nodes'];

const directiveArgs = (d: DirectiveNode) => Object.fromEntries((d.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));

/**
 * Static cost of an operation, computed against the supergraph (demand-control style):
 * - every composite field weighs 1 (10 for a mutation root field), leaves 0, unless @cost(weight)
 *   on the field or on its type says otherwise;
 * - a list field multiplies its own weight and its selections by its size: the value of a slicing
 *   argument (`first`/`last`, or @listSize(slicingArguments)), from the operation or its variables or
 *   the argument's default; else @listSize(assumedSize); else the configured default size;
 * - a connection field (not a list, but sliced by `first`/`last`) passes its size on to its
 *   `edges`/`nodes` (or @listSize(sizedFields));
 * - introspection fields cost nothing (introspection is off in production).
 * Fragments are costed where they are spread; @skip/@include are ignored (the worst case counts).
 * The walk also counts the fields selected once fragments are expanded: fragments spread inside
 * fragments can make a short document enormous, which the token limit alone does not catch.
 */
export class CostAnalyzer {
  private readonly fieldWeights = new Map<string, number>();
  private readonly typeWeights = new Map<string, number>();
  private readonly listSizes = new Map<string, ListSize>();
  private readonly objectWeight: number;
  private readonly mutationWeight: number;

  constructor(supergraphSdl: string, private readonly options: CostOptions) {
    this.objectWeight = options.objectWeight ?? 1;
    this.mutationWeight = options.mutationWeight ?? 10;
    const document = parse(supergraphSdl, { noLocation: true });
    for (const definition of document.definitions) {
      if (!('name' in definition) || !definition.name || !('directives' in definition)) continue;
      const typeName = definition.name.value;
      for (const d of definition.directives ?? []) {
        if (COST_NAMES.has(d.name.value)) this.typeWeights.set(typeName, Number(directiveArgs(d).weight));
      }
      if (!('fields' in definition) || !definition.fields) continue;
      for (const field of definition.fields) {
        const key = `${typeName}.${field.name.value}`;
        for (const d of field.directives ?? []) {
          if (COST_NAMES.has(d.name.value)) this.fieldWeights.set(key, Number(directiveArgs(d).weight));
          if (LIST_SIZE_NAMES.has(d.name.value)) this.listSizes.set(key, directiveArgs(d) as ListSize);
        }
      }
    }
  }

  /** The cost of the named (or only) operation of a validated document, and its size with fragments expanded. */
  measure(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null, variables?: Record<string, unknown> | null): Measure {
    const fragments = new Map<string, FragmentDefinitionNode>();
    let operation: OperationDefinitionNode | undefined;
    for (const d of document.definitions) {
      if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
      else if (d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName)) operation ??= d;
    }
    if (!operation) return { cost: 0, fields: 0 };
    const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
    if (!root) return { cost: 0, fields: 0 };
    // Variables the request left out take the operation's defaults ($first: Int = 12).
    const values: Record<string, unknown> = {};
    for (const v of operation.variableDefinitions ?? []) if (v.defaultValue) values[v.variable.name.value] = valueFromASTUntyped(v.defaultValue);
    Object.assign(values, variables ?? {});
    const walk = new CostWalk(this, schema, fragments, values, operation.operation === 'mutation' ? root.name : null);
    return walk.selections(operation.selectionSet, root, null, 0);
  }

  /** @internal */ weightOf(parent: string, field: string, type: GraphQLNamedType, rootMutation: boolean): number {
    const own = this.fieldWeights.get(`${parent}.${field}`);
    if (own !== undefined) return own;
    const typeWeight = this.typeWeights.get(type.name);
    if (typeWeight !== undefined) return typeWeight;
    if (rootMutation) return this.mutationWeight;
    return isCompositeType(type) ? this.objectWeight : 0;
  }

  /** @internal */ listSizeOf(parent: string, field: string): ListSize | undefined {
    return this.listSizes.get(`${parent}.${field}`);
  }

  /** @internal */ get defaultListSize() {
    return this.options.defaultListSize;
  }
}

/** Cost, and fields selected once every fragment is expanded (a measure of the document, not of the data). */
export interface Measure {
  cost: number;
  fields: number;
}

const MAX_NESTING = 256;

class CostWalk {
  /** Fragment measures, so a fragment spread many times (or a fragment "bomb") is costed in linear time. */
  private readonly memo = new Map<string, Measure>();

  constructor(
    private readonly analyzer: CostAnalyzer,
    private readonly schema: GraphQLSchema,
    private readonly fragments: Map<string, FragmentDefinitionNode>,
    private readonly variables: Record<string, unknown>,
    private readonly mutationRoot: string | null,
  ) {}

  selections(set: SelectionSetNode, parent: GraphQLNamedType, sized: { fields: string[]; size: number } | null, nesting: number): Measure {
    const total = { cost: 0, fields: 0 };
    if (nesting > MAX_NESTING) return total; // validated documents have no fragment cycles; this only bounds the walk
    const add = (m: Measure) => {
      total.cost += m.cost;
      total.fields += m.fields;
    };
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        total.fields += 1;
        if (!isObjectType(parent) && !isInterfaceType(parent)) continue; // only __typename is selectable on a union
        const name = selection.name.value;
        if (name.startsWith('__')) continue;
        const field = parent.getFields()[name];
        if (!field) continue;
        add(this.field(parent.name, field, selection.arguments ?? [], selection.selectionSet, sized?.fields.includes(name) ? sized.size : null, nesting));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : parent;
        if (type) add(this.selections(selection.selectionSet, type, sized, nesting + 1));
      } else {
        const key = `${selection.name.value}|${sized ? `${sized.size}:${sized.fields.join(',')}` : ''}`;
        let measure = this.memo.get(key);
        if (!measure) {
          const fragment = this.fragments.get(selection.name.value);
          const type = fragment && this.schema.getType(fragment.typeCondition.name.value);
          measure = fragment && type ? this.selections(fragment.selectionSet, type, sized, nesting + 1) : { cost: 0, fields: 0 };
          this.memo.set(key, measure);
        }
        add(measure);
      }
    }
    return total;
  }

  private field(parent: string, field: GraphQLField<unknown, unknown>, args: readonly ArgumentNode[], set: SelectionSetNode | undefined, inheritedSize: number | null, nesting: number): Measure {
    const type = getNamedType(field.type);
    const weight = this.analyzer.weightOf(parent, field.name, type, parent === this.mutationRoot);
    const listSize = this.analyzer.listSizeOf(parent, field.name);
    const sliced = this.slicingSize(field, args, listSize);
    const isList = isListType(getNullableType(field.type));
    const size = inheritedSize ?? (isList ? (sliced ?? listSize?.assumedSize ?? this.analyzer.defaultListSize) : 1);
    // A connection: the slicing argument sizes its edges/nodes rather than the connection itself.
    const passOn = !isList && sliced !== null ? { fields: listSize?.sizedFields ?? DEFAULT_SIZED, size: sliced } : null;
    const children = set ? this.selections(set, type, passOn, nesting + 1) : { cost: 0, fields: 0 };
    return { cost: size * (weight + children.cost), fields: children.fields };
  }

  private slicingSize(field: GraphQLField<unknown, unknown>, args: readonly ArgumentNode[], listSize: ListSize | undefined): number | null {
    let size: number | null = null;
    for (const name of listSize?.slicingArguments ?? DEFAULT_SLICING) {
      const definition = field.args.find((a) => a.name === name);
      if (!definition) continue;
      const given = args.find((a) => a.name.value === name);
      let value: unknown = definition.defaultValue;
      if (given) value = given.value.kind === Kind.VARIABLE ? (this.variables[given.value.name.value] ?? definition.defaultValue) : valueFromASTUntyped(given.value, this.variables);
      if (typeof value === 'number' && Number.isFinite(value)) size = Math.max(size ?? 0, Math.max(0, Math.floor(value)));
    }
    return size;
  }
}
