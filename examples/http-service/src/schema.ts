/**
 * The orders service's schema, seed and queries, shared by the rapsqlite service and the blocking better-sqlite3
 * variant the benchmark compares it with: same tables, same rows, same SQL.
 */

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS customers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  country TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS products (
  id INTEGER PRIMARY KEY,
  sku TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  price_cents INTEGER NOT NULL CHECK (price_cents > 0),
  stock INTEGER NOT NULL CHECK (stock >= 0)
);
CREATE TABLE IF NOT EXISTS orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  product_id INTEGER NOT NULL REFERENCES products(id),
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  amount_cents INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('placed', 'paid', 'shipped', 'cancelled')),
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_by_customer ON orders (customer_id, created_at);
`;

/** Sizes of a seeded database. */
export interface SeedSize {
  readonly customers: number;
  readonly products: number;
  readonly orders: number;
}

/** The benchmark's size: a few hundred thousand orders. */
export const FULL_SIZE: SeedSize = { customers: 20_000, products: 2_000, orders: 300_000 };

/**
 * Seeds deterministic rows in three INSERT … SELECT statements (no JavaScript loop, one transaction): 300 000
 * orders take about a second. Knuth's multiplicative hash spreads customers, products and dates.
 */
export function seedSql(size: SeedSize): string {
  return `
BEGIN;
INSERT INTO customers (id, name, email, country)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${size.customers})
  SELECT i, 'Customer ' || i, 'customer' || i || '@example.com', substr('FRDEUSGBJPBRINESITNL', 1 + 2 * (i % 10), 2) FROM n;
INSERT INTO products (id, sku, title, price_cents, stock)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${size.products})
  SELECT i, printf('SKU-%05d', i), 'Product ' || i, 100 + (i * 7919) % 49900, 1000000 FROM n;
INSERT INTO orders (id, customer_id, product_id, quantity, amount_cents, status, created_at)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${size.orders})
  SELECT i,
    1 + (i * 2654435761) % ${size.customers},
    1 + (i * 40503) % ${size.products},
    1 + i % 5,
    (1 + i % 5) * (100 + ((1 + (i * 40503) % ${size.products}) * 7919) % 49900),
    CASE i % 20 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'placed' WHEN 2 THEN 'paid' ELSE 'shipped' END,
    strftime('%Y-%m-%dT%H:%M:%SZ', '2024-01-01', '+' || ((i * 2246822519) % 63072000) || ' seconds')
  FROM n;
COMMIT;`;
}

/** The fast endpoint's query: one order with its customer and product, by primary key. */
export const ORDER_BY_ID = `
SELECT o.id, o.quantity, o.amount_cents, o.status, o.created_at,
       c.id AS customer_id, c.name AS customer_name, p.sku, p.title
FROM orders o JOIN customers c ON c.id = o.customer_id JOIN products p ON p.id = o.product_id
WHERE o.id = ?`;

/** A customer's latest orders, from the index. */
export const CUSTOMER_ORDERS = `
SELECT id, product_id, quantity, amount_cents, status, created_at
FROM orders WHERE customer_id = ? ORDER BY created_at DESC LIMIT ?`;

/**
 * The slow report: revenue per country and month, with each country's best month and the month-on-month growth,
 * over every order (a full scan, a join, a sort and two window passes: about a second here).
 */
export const REVENUE_REPORT = `
WITH monthly AS (
  SELECT c.country, substr(o.created_at, 1, 7) AS month, count(*) AS orders, sum(o.amount_cents) AS revenue,
         count(DISTINCT o.customer_id) AS buyers
  FROM orders o JOIN customers c ON c.id = o.customer_id
  WHERE o.status <> 'cancelled'
  GROUP BY c.country, month
)
SELECT country, month, orders, revenue, buyers,
       rank() OVER (PARTITION BY country ORDER BY revenue DESC) AS rank_in_country,
       revenue - lag(revenue) OVER (PARTITION BY country ORDER BY month) AS growth
FROM monthly
ORDER BY country, month`;

/** Places an order: checks and takes the stock, then inserts the order (the POST route runs these in a transaction). */
export const PRODUCT_FOR_ORDER = 'SELECT id, price_cents, stock FROM products WHERE sku = ?';
export const TAKE_STOCK = 'UPDATE products SET stock = stock - ? WHERE id = ?';
export const INSERT_ORDER = `
INSERT INTO orders (customer_id, product_id, quantity, amount_cents, status, created_at)
VALUES (?, ?, ?, ?, 'placed', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
RETURNING id, customer_id, product_id, quantity, amount_cents, status, created_at`;
