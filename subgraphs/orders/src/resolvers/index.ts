import type { Resolvers } from "../generated/graphql.ts";
import { Mutation } from "./Mutation.ts";
import { Order } from "./Order.ts";
import { OrderLine } from "./OrderLine.ts";
import { OrderStatusChange } from "./OrderStatusChange.ts";
import { Query } from "./Query.ts";
import { Subscription } from "./Subscription.ts";
import { User } from "./User.ts";

export const resolvers: Resolvers = { Query, Mutation, Subscription, Order, OrderLine, OrderStatusChange, User };
