// The benchmark's queries. "deep" touches all four subgraphs with Product,
// Review and User entities repeated at several depths; "list50" is 50
// entities with fields from three subgraphs.
export const QUERIES = {
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
