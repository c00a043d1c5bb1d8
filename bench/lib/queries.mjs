// The benchmark's queries, per subgraph set.

// Synthetic set: "deep" touches all four subgraphs with Product, Review and
// User entities repeated at several depths; "list50" is 50 entities with
// fields from three subgraphs.
export const SYNTHETIC_QUERIES = {
  shallow: `query Shallow { topProducts(first: 5) { id name price } }`,
  deep: `query Deep {
  topProducts(first: 5) {
    id name inStock
    reviews {
      id body
      author {
        id username
        reviews {
          id rating
          product {
            id name quantity
            reviews { id author { id name } }
          }
        }
      }
    }
  }
}`,
  list50: `query List50 { products(first: 50) { id name price inStock quantity reviews { id rating } } }`,
};

// Our seven subgraphs, signed in as the demo customer ada@example.com (who has
// a delivered order). "deep" touches accounts, orders, catalog, inventory,
// payments and shipping, with products and categories repeated at several
// depths; "list50" is 50 products with fields from catalog and inventory (no
// third subgraph extends Product with fields a customer may read).
export const PLATFORM_IDENTITY = { userId: "ec94a7be-b774-50be-bdcf-103f376111aa", roles: ["CUSTOMER"] };

export const PLATFORM_QUERIES = {
  shallow: `query Shallow { categories { slug name } }`,
  deep: `query Deep {
  me {
    name
    orders(first: 10) {
      edges {
        node {
          status
          total { amount currency }
          customer { name }
          payment { status }
          shipment { status }
          lines {
            quantity
            product {
              name
              stock
              inStock
              category {
                name
                products(first: 5) { edges { node { name stock price { amount } } } }
              }
            }
          }
        }
      }
    }
  }
}`,
  list50: `query List50 { products(first: 50) { edges { node { id name price { amount currency } stock inStock category { name } } } } }`,
};
