-- An in-house "ERP": three tables, as many small companies have them.
CREATE TABLE customers (code TEXT PRIMARY KEY, company TEXT NOT NULL, email TEXT, phone TEXT, country TEXT);
CREATE TABLE invoices (
    number TEXT PRIMARY KEY, customer TEXT NOT NULL REFERENCES customers(code),
    issued TEXT NOT NULL, due TEXT NOT NULL, total TEXT NOT NULL, currency TEXT NOT NULL DEFAULT 'EUR'
);
CREATE TABLE receipts (
    id INTEGER PRIMARY KEY, invoice TEXT NOT NULL REFERENCES invoices(number), paid_on TEXT NOT NULL, amount TEXT NOT NULL
);

INSERT INTO customers VALUES ('C001', 'Talleres Ruiz SL', 'cuentas@ruiz.example', '+34600000001', 'ES');
INSERT INTO customers VALUES ('C002', 'Panadería Sol', 'hola@panaderiasol.example', NULL, 'ES');
INSERT INTO customers VALUES ('C003', 'Northwind Inc.', 'ap@northwind.example', NULL, 'US');

-- amounts are stored as text, exactly as the accounting program writes them
INSERT INTO invoices VALUES ('A-2025-001', 'C001', '2025-01-10', '2025-02-09', '1210.00', 'EUR');
INSERT INTO invoices VALUES ('A-2025-002', 'C002', '2025-02-01', '2025-03-03', '363.00', 'EUR');
INSERT INTO invoices VALUES ('A-2025-003', 'C003', '2025-03-10', '2025-04-09', '2500.00', 'USD');
INSERT INTO invoices VALUES ('A-2025-004', 'C001', '2025-03-15', '15/04/2025', '99.00', 'EUR');  -- a bad row

INSERT INTO receipts VALUES (1, 'A-2025-001', '2025-02-14', '500.00');
INSERT INTO receipts VALUES (2, 'A-2025-002', '2025-03-05', '363.00');
