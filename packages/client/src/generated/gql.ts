/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation AdvanceShipment($shipmentId: ID!) {\n  advanceShipment(shipmentId: $shipmentId) {\n    id\n    status\n    dispatchedAt\n    deliveredAt\n    history {\n      status\n      note\n      at\n    }\n  }\n}": typeof types.AdvanceShipmentDocument,
    "mutation ChangeProductPrice($productId: ID!, $price: MoneyInput!) {\n  changeProductPrice(productId: $productId, price: $price) {\n    id\n    price {\n      amount\n      currency\n    }\n  }\n}": typeof types.ChangeProductPriceDocument,
    "mutation CreateProduct($input: CreateProductInput!) {\n  createProduct(input: $input) {\n    id\n    sku\n    name\n    price {\n      amount\n      currency\n    }\n    category {\n      slug\n    }\n  }\n}": typeof types.CreateProductDocument,
    "mutation RefundOrderPayment($orderId: ID!, $reason: String!) {\n  refundOrderPayment(orderId: $orderId, reason: $reason) {\n    id\n    status\n    refunds {\n      amount {\n        amount\n        currency\n      }\n      reason\n    }\n  }\n}": typeof types.RefundOrderPaymentDocument,
    "mutation Restock($productId: ID!, $quantity: Int!) {\n  restock(productId: $productId, quantity: $quantity) {\n    id\n    name\n    stock\n    inStock\n  }\n}": typeof types.RestockDocument,
    "query Shipments($status: ShipmentStatus, $first: Int, $after: String) {\n  shipments(status: $status, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        status\n        carrier\n        trackingNumber\n        createdAt\n        order {\n          id\n          status\n          customer {\n            name\n          }\n        }\n      }\n    }\n  }\n}": typeof types.ShipmentsDocument,
    "query StockLevel($productId: ID!) {\n  stockLevel(productId: $productId) {\n    productId\n    onHand\n    reserved\n    available\n    updatedAt\n  }\n}": typeof types.StockLevelDocument,
    "query UserById($id: ID!) {\n  user(id: $id) {\n    id\n    name\n    email\n    role\n    cart {\n      itemCount\n    }\n    orders(first: 5) {\n      totalCount\n      edges {\n        node {\n          id\n          status\n        }\n      }\n    }\n  }\n}": typeof types.UserByIdDocument,
    "mutation AddAddress($input: AddressInput!) {\n  addAddress(input: $input) {\n    id\n    label\n    line1\n    line2\n    city\n    postalCode\n    country\n  }\n}": typeof types.AddAddressDocument,
    "mutation AddToCart($productId: ID!, $quantity: Int!) {\n  addToCart(productId: $productId, quantity: $quantity) {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n    lines {\n      id\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}": typeof types.AddToCartDocument,
    "query BrowseProducts($filter: ProductFilter, $sort: ProductSort, $first: Int, $after: String) {\n  products(filter: $filter, sort: $sort, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        category {\n          slug\n          name\n        }\n        inStock\n      }\n    }\n  }\n}": typeof types.BrowseProductsDocument,
    "mutation CancelOrder($orderId: ID!, $reason: String) {\n  cancelOrder(orderId: $orderId, reason: $reason) {\n    id\n    status\n    cancelReason\n  }\n}": typeof types.CancelOrderDocument,
    "query Categories {\n  categories {\n    id\n    slug\n    name\n    description\n  }\n}": typeof types.CategoriesDocument,
    "mutation ChangeCartLineQuantity($lineId: ID!, $quantity: Int!) {\n  changeCartLineQuantity(lineId: $lineId, quantity: $quantity) {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n  }\n}": typeof types.ChangeCartLineQuantityDocument,
    "query Me {\n  me {\n    id\n    name\n    email\n    role\n    addresses {\n      id\n      label\n      line1\n      line2\n      city\n      postalCode\n      country\n    }\n  }\n}": typeof types.MeDocument,
    "query MyCart {\n  myCart {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n    lines {\n      id\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n      product {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        stock\n        inStock\n      }\n    }\n  }\n}": typeof types.MyCartDocument,
    "subscription MyOrderUpdates {\n  myOrderUpdates {\n    id\n    status\n    total {\n      amount\n      currency\n    }\n  }\n}": typeof types.MyOrderUpdatesDocument,
    "query MyOrders($first: Int, $after: String) {\n  myOrders(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        status\n        placedAt\n        total {\n          amount\n          currency\n        }\n        lines {\n          productName\n          quantity\n        }\n        payment {\n          status\n        }\n        shipment {\n          status\n          trackingNumber\n        }\n      }\n    }\n  }\n}": typeof types.MyOrdersDocument,
    "query OrderDetails($id: ID!) {\n  order(id: $id) {\n    id\n    status\n    placedAt\n    total {\n      amount\n      currency\n    }\n    customer {\n      name\n    }\n    lines {\n      quantity\n      productName\n      unitPrice {\n        amount\n        currency\n      }\n      product {\n        id\n        name\n        category {\n          name\n        }\n        inStock\n      }\n    }\n    payment {\n      id\n      status\n      amount {\n        amount\n        currency\n      }\n    }\n    shipment {\n      id\n      status\n      carrier\n      trackingNumber\n    }\n    statusHistory {\n      from\n      to\n      reason\n      at\n    }\n  }\n}": typeof types.OrderDetailsDocument,
    "subscription OrderUpdated($orderId: ID!) {\n  orderUpdated(orderId: $orderId) {\n    id\n    status\n    total {\n      amount\n      currency\n    }\n    customer {\n      name\n    }\n    lines {\n      quantity\n      product {\n        name\n        inStock\n      }\n    }\n    payment {\n      status\n    }\n    shipment {\n      status\n    }\n  }\n}": typeof types.OrderUpdatedDocument,
    "mutation PlaceOrder($input: PlaceOrderInput!) {\n  placeOrder(input: $input) {\n    id\n    status\n    placedAt\n    total {\n      amount\n      currency\n    }\n    lines {\n      productName\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n    }\n  }\n}": typeof types.PlaceOrderDocument,
    "query ProductDetails($id: ID!) {\n  product(id: $id) {\n    id\n    sku\n    name\n    description\n    price {\n      amount\n      currency\n    }\n    category {\n      id\n      slug\n      name\n    }\n    stock\n    inStock\n  }\n}": typeof types.ProductDetailsDocument,
    "mutation RemoveCartLine($lineId: ID!) {\n  removeCartLine(lineId: $lineId) {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n  }\n}": typeof types.RemoveCartLineDocument,
    "subscription ShipmentUpdated($orderId: ID!) {\n  shipmentUpdated(orderId: $orderId) {\n    id\n    status\n    carrier\n    trackingNumber\n    order {\n      id\n      status\n    }\n  }\n}": typeof types.ShipmentUpdatedDocument,
    "mutation SignIn($input: SignInInput!) {\n  signIn(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      name\n      role\n    }\n  }\n}": typeof types.SignInDocument,
    "mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      name\n      email\n      role\n    }\n  }\n}": typeof types.SignUpDocument,
    "subscription StockChanged($productId: ID!) {\n  stockChanged(productId: $productId) {\n    id\n    name\n    stock\n    inStock\n  }\n}": typeof types.StockChangedDocument,
};
const documents: Documents = {
    "mutation AdvanceShipment($shipmentId: ID!) {\n  advanceShipment(shipmentId: $shipmentId) {\n    id\n    status\n    dispatchedAt\n    deliveredAt\n    history {\n      status\n      note\n      at\n    }\n  }\n}": types.AdvanceShipmentDocument,
    "mutation ChangeProductPrice($productId: ID!, $price: MoneyInput!) {\n  changeProductPrice(productId: $productId, price: $price) {\n    id\n    price {\n      amount\n      currency\n    }\n  }\n}": types.ChangeProductPriceDocument,
    "mutation CreateProduct($input: CreateProductInput!) {\n  createProduct(input: $input) {\n    id\n    sku\n    name\n    price {\n      amount\n      currency\n    }\n    category {\n      slug\n    }\n  }\n}": types.CreateProductDocument,
    "mutation RefundOrderPayment($orderId: ID!, $reason: String!) {\n  refundOrderPayment(orderId: $orderId, reason: $reason) {\n    id\n    status\n    refunds {\n      amount {\n        amount\n        currency\n      }\n      reason\n    }\n  }\n}": types.RefundOrderPaymentDocument,
    "mutation Restock($productId: ID!, $quantity: Int!) {\n  restock(productId: $productId, quantity: $quantity) {\n    id\n    name\n    stock\n    inStock\n  }\n}": types.RestockDocument,
    "query Shipments($status: ShipmentStatus, $first: Int, $after: String) {\n  shipments(status: $status, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        status\n        carrier\n        trackingNumber\n        createdAt\n        order {\n          id\n          status\n          customer {\n            name\n          }\n        }\n      }\n    }\n  }\n}": types.ShipmentsDocument,
    "query StockLevel($productId: ID!) {\n  stockLevel(productId: $productId) {\n    productId\n    onHand\n    reserved\n    available\n    updatedAt\n  }\n}": types.StockLevelDocument,
    "query UserById($id: ID!) {\n  user(id: $id) {\n    id\n    name\n    email\n    role\n    cart {\n      itemCount\n    }\n    orders(first: 5) {\n      totalCount\n      edges {\n        node {\n          id\n          status\n        }\n      }\n    }\n  }\n}": types.UserByIdDocument,
    "mutation AddAddress($input: AddressInput!) {\n  addAddress(input: $input) {\n    id\n    label\n    line1\n    line2\n    city\n    postalCode\n    country\n  }\n}": types.AddAddressDocument,
    "mutation AddToCart($productId: ID!, $quantity: Int!) {\n  addToCart(productId: $productId, quantity: $quantity) {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n    lines {\n      id\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}": types.AddToCartDocument,
    "query BrowseProducts($filter: ProductFilter, $sort: ProductSort, $first: Int, $after: String) {\n  products(filter: $filter, sort: $sort, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        category {\n          slug\n          name\n        }\n        inStock\n      }\n    }\n  }\n}": types.BrowseProductsDocument,
    "mutation CancelOrder($orderId: ID!, $reason: String) {\n  cancelOrder(orderId: $orderId, reason: $reason) {\n    id\n    status\n    cancelReason\n  }\n}": types.CancelOrderDocument,
    "query Categories {\n  categories {\n    id\n    slug\n    name\n    description\n  }\n}": types.CategoriesDocument,
    "mutation ChangeCartLineQuantity($lineId: ID!, $quantity: Int!) {\n  changeCartLineQuantity(lineId: $lineId, quantity: $quantity) {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n  }\n}": types.ChangeCartLineQuantityDocument,
    "query Me {\n  me {\n    id\n    name\n    email\n    role\n    addresses {\n      id\n      label\n      line1\n      line2\n      city\n      postalCode\n      country\n    }\n  }\n}": types.MeDocument,
    "query MyCart {\n  myCart {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n    lines {\n      id\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n      product {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        stock\n        inStock\n      }\n    }\n  }\n}": types.MyCartDocument,
    "subscription MyOrderUpdates {\n  myOrderUpdates {\n    id\n    status\n    total {\n      amount\n      currency\n    }\n  }\n}": types.MyOrderUpdatesDocument,
    "query MyOrders($first: Int, $after: String) {\n  myOrders(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        status\n        placedAt\n        total {\n          amount\n          currency\n        }\n        lines {\n          productName\n          quantity\n        }\n        payment {\n          status\n        }\n        shipment {\n          status\n          trackingNumber\n        }\n      }\n    }\n  }\n}": types.MyOrdersDocument,
    "query OrderDetails($id: ID!) {\n  order(id: $id) {\n    id\n    status\n    placedAt\n    total {\n      amount\n      currency\n    }\n    customer {\n      name\n    }\n    lines {\n      quantity\n      productName\n      unitPrice {\n        amount\n        currency\n      }\n      product {\n        id\n        name\n        category {\n          name\n        }\n        inStock\n      }\n    }\n    payment {\n      id\n      status\n      amount {\n        amount\n        currency\n      }\n    }\n    shipment {\n      id\n      status\n      carrier\n      trackingNumber\n    }\n    statusHistory {\n      from\n      to\n      reason\n      at\n    }\n  }\n}": types.OrderDetailsDocument,
    "subscription OrderUpdated($orderId: ID!) {\n  orderUpdated(orderId: $orderId) {\n    id\n    status\n    total {\n      amount\n      currency\n    }\n    customer {\n      name\n    }\n    lines {\n      quantity\n      product {\n        name\n        inStock\n      }\n    }\n    payment {\n      status\n    }\n    shipment {\n      status\n    }\n  }\n}": types.OrderUpdatedDocument,
    "mutation PlaceOrder($input: PlaceOrderInput!) {\n  placeOrder(input: $input) {\n    id\n    status\n    placedAt\n    total {\n      amount\n      currency\n    }\n    lines {\n      productName\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n    }\n  }\n}": types.PlaceOrderDocument,
    "query ProductDetails($id: ID!) {\n  product(id: $id) {\n    id\n    sku\n    name\n    description\n    price {\n      amount\n      currency\n    }\n    category {\n      id\n      slug\n      name\n    }\n    stock\n    inStock\n  }\n}": types.ProductDetailsDocument,
    "mutation RemoveCartLine($lineId: ID!) {\n  removeCartLine(lineId: $lineId) {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n  }\n}": types.RemoveCartLineDocument,
    "subscription ShipmentUpdated($orderId: ID!) {\n  shipmentUpdated(orderId: $orderId) {\n    id\n    status\n    carrier\n    trackingNumber\n    order {\n      id\n      status\n    }\n  }\n}": types.ShipmentUpdatedDocument,
    "mutation SignIn($input: SignInInput!) {\n  signIn(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      name\n      role\n    }\n  }\n}": types.SignInDocument,
    "mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      name\n      email\n      role\n    }\n  }\n}": types.SignUpDocument,
    "subscription StockChanged($productId: ID!) {\n  stockChanged(productId: $productId) {\n    id\n    name\n    stock\n    inStock\n  }\n}": types.StockChangedDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AdvanceShipment($shipmentId: ID!) {\n  advanceShipment(shipmentId: $shipmentId) {\n    id\n    status\n    dispatchedAt\n    deliveredAt\n    history {\n      status\n      note\n      at\n    }\n  }\n}"): (typeof documents)["mutation AdvanceShipment($shipmentId: ID!) {\n  advanceShipment(shipmentId: $shipmentId) {\n    id\n    status\n    dispatchedAt\n    deliveredAt\n    history {\n      status\n      note\n      at\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ChangeProductPrice($productId: ID!, $price: MoneyInput!) {\n  changeProductPrice(productId: $productId, price: $price) {\n    id\n    price {\n      amount\n      currency\n    }\n  }\n}"): (typeof documents)["mutation ChangeProductPrice($productId: ID!, $price: MoneyInput!) {\n  changeProductPrice(productId: $productId, price: $price) {\n    id\n    price {\n      amount\n      currency\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateProduct($input: CreateProductInput!) {\n  createProduct(input: $input) {\n    id\n    sku\n    name\n    price {\n      amount\n      currency\n    }\n    category {\n      slug\n    }\n  }\n}"): (typeof documents)["mutation CreateProduct($input: CreateProductInput!) {\n  createProduct(input: $input) {\n    id\n    sku\n    name\n    price {\n      amount\n      currency\n    }\n    category {\n      slug\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RefundOrderPayment($orderId: ID!, $reason: String!) {\n  refundOrderPayment(orderId: $orderId, reason: $reason) {\n    id\n    status\n    refunds {\n      amount {\n        amount\n        currency\n      }\n      reason\n    }\n  }\n}"): (typeof documents)["mutation RefundOrderPayment($orderId: ID!, $reason: String!) {\n  refundOrderPayment(orderId: $orderId, reason: $reason) {\n    id\n    status\n    refunds {\n      amount {\n        amount\n        currency\n      }\n      reason\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Restock($productId: ID!, $quantity: Int!) {\n  restock(productId: $productId, quantity: $quantity) {\n    id\n    name\n    stock\n    inStock\n  }\n}"): (typeof documents)["mutation Restock($productId: ID!, $quantity: Int!) {\n  restock(productId: $productId, quantity: $quantity) {\n    id\n    name\n    stock\n    inStock\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Shipments($status: ShipmentStatus, $first: Int, $after: String) {\n  shipments(status: $status, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        status\n        carrier\n        trackingNumber\n        createdAt\n        order {\n          id\n          status\n          customer {\n            name\n          }\n        }\n      }\n    }\n  }\n}"): (typeof documents)["query Shipments($status: ShipmentStatus, $first: Int, $after: String) {\n  shipments(status: $status, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        status\n        carrier\n        trackingNumber\n        createdAt\n        order {\n          id\n          status\n          customer {\n            name\n          }\n        }\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query StockLevel($productId: ID!) {\n  stockLevel(productId: $productId) {\n    productId\n    onHand\n    reserved\n    available\n    updatedAt\n  }\n}"): (typeof documents)["query StockLevel($productId: ID!) {\n  stockLevel(productId: $productId) {\n    productId\n    onHand\n    reserved\n    available\n    updatedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query UserById($id: ID!) {\n  user(id: $id) {\n    id\n    name\n    email\n    role\n    cart {\n      itemCount\n    }\n    orders(first: 5) {\n      totalCount\n      edges {\n        node {\n          id\n          status\n        }\n      }\n    }\n  }\n}"): (typeof documents)["query UserById($id: ID!) {\n  user(id: $id) {\n    id\n    name\n    email\n    role\n    cart {\n      itemCount\n    }\n    orders(first: 5) {\n      totalCount\n      edges {\n        node {\n          id\n          status\n        }\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddAddress($input: AddressInput!) {\n  addAddress(input: $input) {\n    id\n    label\n    line1\n    line2\n    city\n    postalCode\n    country\n  }\n}"): (typeof documents)["mutation AddAddress($input: AddressInput!) {\n  addAddress(input: $input) {\n    id\n    label\n    line1\n    line2\n    city\n    postalCode\n    country\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddToCart($productId: ID!, $quantity: Int!) {\n  addToCart(productId: $productId, quantity: $quantity) {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n    lines {\n      id\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}"): (typeof documents)["mutation AddToCart($productId: ID!, $quantity: Int!) {\n  addToCart(productId: $productId, quantity: $quantity) {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n    lines {\n      id\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query BrowseProducts($filter: ProductFilter, $sort: ProductSort, $first: Int, $after: String) {\n  products(filter: $filter, sort: $sort, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        category {\n          slug\n          name\n        }\n        inStock\n      }\n    }\n  }\n}"): (typeof documents)["query BrowseProducts($filter: ProductFilter, $sort: ProductSort, $first: Int, $after: String) {\n  products(filter: $filter, sort: $sort, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        category {\n          slug\n          name\n        }\n        inStock\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CancelOrder($orderId: ID!, $reason: String) {\n  cancelOrder(orderId: $orderId, reason: $reason) {\n    id\n    status\n    cancelReason\n  }\n}"): (typeof documents)["mutation CancelOrder($orderId: ID!, $reason: String) {\n  cancelOrder(orderId: $orderId, reason: $reason) {\n    id\n    status\n    cancelReason\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Categories {\n  categories {\n    id\n    slug\n    name\n    description\n  }\n}"): (typeof documents)["query Categories {\n  categories {\n    id\n    slug\n    name\n    description\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ChangeCartLineQuantity($lineId: ID!, $quantity: Int!) {\n  changeCartLineQuantity(lineId: $lineId, quantity: $quantity) {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n  }\n}"): (typeof documents)["mutation ChangeCartLineQuantity($lineId: ID!, $quantity: Int!) {\n  changeCartLineQuantity(lineId: $lineId, quantity: $quantity) {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    id\n    name\n    email\n    role\n    addresses {\n      id\n      label\n      line1\n      line2\n      city\n      postalCode\n      country\n    }\n  }\n}"): (typeof documents)["query Me {\n  me {\n    id\n    name\n    email\n    role\n    addresses {\n      id\n      label\n      line1\n      line2\n      city\n      postalCode\n      country\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MyCart {\n  myCart {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n    lines {\n      id\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n      product {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        stock\n        inStock\n      }\n    }\n  }\n}"): (typeof documents)["query MyCart {\n  myCart {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n    lines {\n      id\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n      product {\n        id\n        name\n        price {\n          amount\n          currency\n        }\n        stock\n        inStock\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription MyOrderUpdates {\n  myOrderUpdates {\n    id\n    status\n    total {\n      amount\n      currency\n    }\n  }\n}"): (typeof documents)["subscription MyOrderUpdates {\n  myOrderUpdates {\n    id\n    status\n    total {\n      amount\n      currency\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MyOrders($first: Int, $after: String) {\n  myOrders(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        status\n        placedAt\n        total {\n          amount\n          currency\n        }\n        lines {\n          productName\n          quantity\n        }\n        payment {\n          status\n        }\n        shipment {\n          status\n          trackingNumber\n        }\n      }\n    }\n  }\n}"): (typeof documents)["query MyOrders($first: Int, $after: String) {\n  myOrders(first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        id\n        status\n        placedAt\n        total {\n          amount\n          currency\n        }\n        lines {\n          productName\n          quantity\n        }\n        payment {\n          status\n        }\n        shipment {\n          status\n          trackingNumber\n        }\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query OrderDetails($id: ID!) {\n  order(id: $id) {\n    id\n    status\n    placedAt\n    total {\n      amount\n      currency\n    }\n    customer {\n      name\n    }\n    lines {\n      quantity\n      productName\n      unitPrice {\n        amount\n        currency\n      }\n      product {\n        id\n        name\n        category {\n          name\n        }\n        inStock\n      }\n    }\n    payment {\n      id\n      status\n      amount {\n        amount\n        currency\n      }\n    }\n    shipment {\n      id\n      status\n      carrier\n      trackingNumber\n    }\n    statusHistory {\n      from\n      to\n      reason\n      at\n    }\n  }\n}"): (typeof documents)["query OrderDetails($id: ID!) {\n  order(id: $id) {\n    id\n    status\n    placedAt\n    total {\n      amount\n      currency\n    }\n    customer {\n      name\n    }\n    lines {\n      quantity\n      productName\n      unitPrice {\n        amount\n        currency\n      }\n      product {\n        id\n        name\n        category {\n          name\n        }\n        inStock\n      }\n    }\n    payment {\n      id\n      status\n      amount {\n        amount\n        currency\n      }\n    }\n    shipment {\n      id\n      status\n      carrier\n      trackingNumber\n    }\n    statusHistory {\n      from\n      to\n      reason\n      at\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription OrderUpdated($orderId: ID!) {\n  orderUpdated(orderId: $orderId) {\n    id\n    status\n    total {\n      amount\n      currency\n    }\n    customer {\n      name\n    }\n    lines {\n      quantity\n      product {\n        name\n        inStock\n      }\n    }\n    payment {\n      status\n    }\n    shipment {\n      status\n    }\n  }\n}"): (typeof documents)["subscription OrderUpdated($orderId: ID!) {\n  orderUpdated(orderId: $orderId) {\n    id\n    status\n    total {\n      amount\n      currency\n    }\n    customer {\n      name\n    }\n    lines {\n      quantity\n      product {\n        name\n        inStock\n      }\n    }\n    payment {\n      status\n    }\n    shipment {\n      status\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PlaceOrder($input: PlaceOrderInput!) {\n  placeOrder(input: $input) {\n    id\n    status\n    placedAt\n    total {\n      amount\n      currency\n    }\n    lines {\n      productName\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n    }\n  }\n}"): (typeof documents)["mutation PlaceOrder($input: PlaceOrderInput!) {\n  placeOrder(input: $input) {\n    id\n    status\n    placedAt\n    total {\n      amount\n      currency\n    }\n    lines {\n      productName\n      quantity\n      unitPrice {\n        amount\n        currency\n      }\n      lineTotal {\n        amount\n        currency\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ProductDetails($id: ID!) {\n  product(id: $id) {\n    id\n    sku\n    name\n    description\n    price {\n      amount\n      currency\n    }\n    category {\n      id\n      slug\n      name\n    }\n    stock\n    inStock\n  }\n}"): (typeof documents)["query ProductDetails($id: ID!) {\n  product(id: $id) {\n    id\n    sku\n    name\n    description\n    price {\n      amount\n      currency\n    }\n    category {\n      id\n      slug\n      name\n    }\n    stock\n    inStock\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RemoveCartLine($lineId: ID!) {\n  removeCartLine(lineId: $lineId) {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n  }\n}"): (typeof documents)["mutation RemoveCartLine($lineId: ID!) {\n  removeCartLine(lineId: $lineId) {\n    id\n    itemCount\n    subtotal {\n      amount\n      currency\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription ShipmentUpdated($orderId: ID!) {\n  shipmentUpdated(orderId: $orderId) {\n    id\n    status\n    carrier\n    trackingNumber\n    order {\n      id\n      status\n    }\n  }\n}"): (typeof documents)["subscription ShipmentUpdated($orderId: ID!) {\n  shipmentUpdated(orderId: $orderId) {\n    id\n    status\n    carrier\n    trackingNumber\n    order {\n      id\n      status\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SignIn($input: SignInInput!) {\n  signIn(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      name\n      role\n    }\n  }\n}"): (typeof documents)["mutation SignIn($input: SignInInput!) {\n  signIn(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      name\n      role\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      name\n      email\n      role\n    }\n  }\n}"): (typeof documents)["mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    expiresAt\n    user {\n      id\n      name\n      email\n      role\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription StockChanged($productId: ID!) {\n  stockChanged(productId: $productId) {\n    id\n    name\n    stock\n    inStock\n  }\n}"): (typeof documents)["subscription StockChanged($productId: ID!) {\n  stockChanged(productId: $productId) {\n    id\n    name\n    stock\n    inStock\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;