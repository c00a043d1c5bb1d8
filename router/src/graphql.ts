import { createRequire } from "node:module";

/**
 * The router's `graphql`: always the package's CommonJS build.
 *
 * graphql 16 ships a CommonJS build (`main`) and an ESM build (`module`).
 * Node and tsx load the CommonJS one for `import "graphql"`, and so do
 * @apollo/* and graphql-ws; bundler-style resolvers (Vite, hence vitest)
 * give ESM importers the .mjs build instead: a second graphql in the same
 * process, whose instanceof checks refuse the other's objects ("Cannot use
 * GraphQLSchema from another module or realm"; graphql-ws drops errors that
 * are not its own GraphQLError). Loaded with require(), the router shares
 * one graphql with its libraries wherever it runs.
 */
const graphql = createRequire(import.meta.url)("graphql") as typeof import("graphql");

export const {
  BREAK,
  GraphQLError,
  Kind,
  Lexer,
  OperationTypeNode,
  Source,
  TokenKind,
  execute,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  parse,
  print,
  validate,
  valueFromAST,
} = graphql;
export type GraphQLError = import("graphql").GraphQLError;
export type OperationTypeNode = import("graphql").OperationTypeNode;
export type Kind = import("graphql").Kind;
export type {
  DirectiveNode,
  FieldNode,
  ArgumentNode,
  SelectionNode,
  InlineFragmentNode,
  FragmentDefinitionNode,
  GraphQLField,
  ValidationRule,
  ValueNode,
  VariableDefinitionNode,
  GraphQLCompositeType,
  GraphQLNamedType,
  GraphQLOutputType,
  SelectionSetNode,
  DocumentNode,
  ExecutionArgs,
  ExecutionResult,
  FormattedExecutionResult,
  GraphQLErrorOptions,
  GraphQLFieldResolver,
  GraphQLFormattedError,
  GraphQLSchema,
  OperationDefinitionNode,
} from "graphql";
