-- One database per subgraph on one server: each service still owns its data.
CREATE DATABASE accounts;
CREATE DATABASE catalog;
CREATE DATABASE inventory;
CREATE DATABASE cart;
CREATE DATABASE orders;
CREATE DATABASE payments;
CREATE DATABASE shipping;
