import type { Resolvers } from "../generated/graphql.ts";
import { Cart } from "./Cart.ts";
import { CartLine } from "./CartLine.ts";
import { Mutation } from "./Mutation.ts";
import { Query } from "./Query.ts";
import { User } from "./User.ts";

export const resolvers: Resolvers = { Query, Mutation, Cart, CartLine, User };
