import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { before, describe, test } from 'node:test';
import { codeWithoutDoc, createChunker, languageForPath, type Chunker } from '../src/core/chunk/index.js';
import type { Chunk, ChunkKind, LanguageId } from '../src/core/types.js';

// TypeScript fixtures use `.mts`: tsconfig compiles `test/**/*.ts`, and these must stay source text.
const fixtures = new URL('../../test/fixtures/chunk/', import.meta.url);

async function fixture(name: string): Promise<string> {
  return readFile(new URL(name, fixtures), 'utf8');
}

type Row = [kind: ChunkKind, symbol: string, container: string, startLine: number, endLine: number];

function rows(chunks: readonly Chunk[]): Row[] {
  return chunks.map((c) => [c.kind, c.symbol, c.container, c.startLine, c.endLine]);
}

/** Source lines `first..last` (1-based, inclusive) as the chunker returns them. */
function sourceLines(text: string, first: number, last: number): string {
  return text.split('\n').slice(first - 1, last).join('\n');
}

function find(chunks: readonly Chunk[], symbol: string, kind?: ChunkKind): Chunk {
  const found = chunks.find((c) => c.symbol === symbol && (kind === undefined || c.kind === kind));
  assert.ok(found, `no chunk for ${symbol}`);
  return found;
}

/** Invariants that hold for every chunk of a parsed file. */
function assertWellFormed(chunks: readonly Chunk[], text: string, path: string, language: LanguageId): void {
  let previous = 0;
  for (const c of chunks) {
    assert.equal(c.path, path);
    assert.equal(c.language, language);
    assert.ok(c.startLine >= 1 && c.startLine <= c.endLine, `bad range ${c.startLine}-${c.endLine}`);
    assert.ok(c.startLine >= previous, 'chunks are in document order');
    previous = c.startLine;
    if (!c.text.includes('{ … }') && !c.text.includes('=> …') && !/^\s*\.\.\.$/m.test(c.text)) {
      assert.equal(c.text, sourceLines(text, c.startLine, c.endLine), `${c.symbol} text is its lines`);
    }
  }
}

let chunker: Chunker;
const logs: string[] = [];
before(async () => {
  chunker = await createChunker({ log: (m) => logs.push(m) });
});

async function chunkFixture(name: string, language: LanguageId): Promise<{ chunks: Chunk[]; text: string }> {
  const text = await fixture(name);
  const chunks = await chunker.chunk(name, text);
  assertWellFormed(chunks, text, name, language);
  return { chunks, text };
}

describe('languageForPath', () => {
  test('maps extensions, case-insensitively', () => {
    const expected: Array<[string, LanguageId | undefined]> = [
      ['src/a.ts', 'typescript'], ['a.mts', 'typescript'], ['a.cts', 'typescript'], ['types.d.ts', 'typescript'],
      ['App.tsx', 'tsx'], ['a.js', 'javascript'], ['a.mjs', 'javascript'], ['a.cjs', 'javascript'], ['View.jsx', 'javascript'],
      ['a.py', 'python'], ['a.pyi', 'python'], ['main.go', 'go'], ['A.java', 'java'], ['lib.rs', 'rust'], ['A.cs', 'csharp'],
      ['a.rb', 'ruby'], ['index.php', 'php'], ['a.c', 'c'], ['a.h', 'c'], ['a.cc', 'cpp'], ['a.cpp', 'cpp'], ['a.cxx', 'cpp'],
      ['a.hpp', 'cpp'], ['a.hh', 'cpp'], ['a.hxx', 'cpp'], ['SRC/MAIN.GO', 'go'], ['C:\\src\\A.CS', 'csharp'],
      ['README.md', undefined], ['data.json', undefined], ['Makefile', undefined], ['.bashrc', undefined],
      ['dir.ts/file', undefined], ['archive.tar.gz', undefined],
    ];
    for (const [path, language] of expected) assert.equal(languageForPath(path), language, path);
  });
});

describe('definitions per language', () => {
  test('TypeScript: exports, decorators, namespaces, class fields, object members', async () => {
    const { chunks } = await chunkFixture('billing.mts', 'typescript');
    assert.deepEqual(rows(chunks), [
      ['function', 'roundCents', '', 12, 14],
      ['interface', 'PaymentGateway', '', 16, 19],
      ['type', 'ChargeStatus', '', 21, 21],
      ['enum', 'Currency', '', 23, 26],
      ['class', 'Billing', 'Pay', 30, 59],
      ['method', 'constructor', 'Pay.Billing', 34, 34],
      ['method', 'charge', 'Pay.Billing', 40, 48],
      ['method', 'onTick', 'Pay.Billing', 51, 53],
      ['method', 'flush', 'Pay.Billing', 55, 58],
      ['function', 'short', 'formatters', 64, 66],
      ['function', 'long', 'formatters', 67, 67],
    ]);
    // JSDoc: prose kept, block tags (@param, @returns) dropped, {@link X} → X.
    assert.equal(find(chunks, 'roundCents').doc, 'Rounds an amount of money to whole cents.');
    assert.equal(find(chunks, 'charge').doc, 'Charges a card and records a receipt. roundCents is applied first.');
    assert.equal(find(chunks, 'Billing').doc, 'Charges cards through a gateway and keeps receipts.');
    assert.equal(find(chunks, 'onTick').doc, 'Called by the scheduler.');
    assert.equal(find(chunks, 'flush').doc, '');
    // The range starts at the decorator, not at the doc comment.
    assert.match(find(chunks, 'charge').text, /^ {4}@Traced\('billing'\)\n/);
    // The `export` keyword is part of the definition.
    assert.match(find(chunks, 'roundCents').text, /^export function roundCents/);
  });

  test('TSX: components as arrow functions, default exports, wrapped in memo()', async () => {
    const { chunks } = await chunkFixture('widget.tsx', 'tsx');
    assert.deepEqual(rows(chunks), [
      ['interface', 'CounterProps', '', 3, 6],
      ['function', 'Counter', '', 9, 16],
      ['function', 'App', '', 18, 24],
      ['class', 'ErrorBoundary', '', 26, 37],
      ['method', 'getDerivedStateFromError', 'ErrorBoundary', 30, 32],
      ['method', 'render', 'ErrorBoundary', 34, 36],
      // `memo(function …)` is a definition; `[…].map((n) => n * 2)` (line 44) is not.
      ['function', 'Fancy', '', 39, 42],
    ]);
    assert.equal(find(chunks, 'Counter').doc, 'A button that counts its clicks.');
    assert.equal(find(chunks, 'getDerivedStateFromError').doc, 'Switches to the fallback view.');
  });

  test('JavaScript: classes, getters, prototype and exports assignments', async () => {
    const { chunks } = await chunkFixture('cart.js', 'javascript');
    assert.deepEqual(rows(chunks), [
      ['class', 'Cart', '', 8, 21],
      ['method', 'add', 'Cart', 12, 16],
      ['method', 'total', 'Cart', 18, 20],
      ['function', 'withTax', '', 24, 26],
      ['function', 'clear', 'Cart', 28, 30],
      ['function', 'checkout', '', 32, 35],
    ]);
    assert.equal(find(chunks, 'Cart').doc, 'A shopping cart that holds line items.');
    assert.equal(find(chunks, 'add').doc, 'Adds a product; quantities of the same product are merged.');
    assert.equal(find(chunks, 'withTax').doc, 'Adds tax to a net amount.');
  });

  test('a named function inside a function gets a chunk of its own; its function keeps its whole text', async () => {
    const text = [
      'export function Checkout({ cart }) {',
      '  const [busy, setBusy] = useState(false);',
      '  const onCheckout = async () => {',
      '    setBusy(true);',
      '    await stripe.redirectToCheckout({ sessionId: cart.id });',
      '  };',
      '  const close = () => setBusy(false);',
      '  function track(event) {',
      '    analytics.send(event);',
      '    return event;',
      '  }',
      '  return <button onClick={onCheckout}>Pay</button>;',
      '}',
      '',
    ].join('\n');
    const chunks = await chunker.chunk('Checkout.tsx', text);
    // `close` is one line: it stays part of Checkout.
    assert.deepEqual(rows(chunks), [
      ['function', 'Checkout', '', 1, 13],
      ['function', 'onCheckout', 'Checkout', 3, 6],
      ['function', 'track', 'Checkout', 8, 11],
    ]);
    assert.match(find(chunks, 'Checkout').text, /redirectToCheckout/);
    const py = await chunker.chunk('retry.py', 'def retry(fn):\n    def wrapper(*args):\n        try:\n            return fn(*args)\n        except OSError:\n            return fn(*args)\n    return wrapper\n');
    assert.deepEqual(rows(py), [
      ['function', 'retry', '', 1, 7],
      ['function', 'wrapper', 'retry', 2, 6],
    ]);
  });

  test('JSX parses with the JavaScript grammar', async () => {
    const text = 'export function Hello({ name }) {\n  return <p>Hello {name}</p>;\n}\n';
    const chunks = await chunker.chunk('Hello.jsx', text);
    assert.deepEqual(rows(chunks), [['function', 'Hello', '', 1, 3]]);
    assert.equal(chunks[0]?.language, 'javascript');
  });

  test('Python: decorators, docstrings, nested classes, async functions', async () => {
    const { chunks } = await chunkFixture('inventory.py', 'python');
    assert.deepEqual(rows(chunks), [
      ['class', 'Inventory', '', 10, 33],
      ['method', 'add', 'Inventory', 19, 21],
      ['method', 'remove', 'Inventory', 24, 30],
      ['class', 'Error', 'Inventory', 32, 33],
      ['function', 'restock', '', 36, 43],
    ]);
    assert.equal(find(chunks, 'Inventory').doc, 'Stock levels per product. Quantities never go below zero.');
    assert.equal(find(chunks, 'add').doc, 'Adds stock for a product.');
    assert.equal(find(chunks, 'restock').doc, 'Applies incoming orders and returns how many were applied.');
    // Without a docstring, the comment above the decorators is the documentation.
    assert.equal(find(chunks, 'remove').doc, 'Removes stock, refusing to go negative.');
    assert.equal(find(chunks, 'remove').docSpan, undefined);
  });

  test('Go: methods take their receiver as container, grouped types, directives', async () => {
    const { chunks } = await chunkFixture('server.go', 'go');
    assert.deepEqual(rows(chunks), [
      ['struct', 'Billing', '', 10, 13],
      ['interface', 'Store', '', 16, 18],
      ['type', 'ID', '', 22, 22],
      ['type', 'Amount', '', 23, 23],
      ['method', 'Charge', 'Billing', 29, 35],
      ['function', 'NewHandler', '', 39, 43],
    ]);
    assert.equal(find(chunks, 'Charge').doc, 'Charge bills a customer and stores the receipt. It returns the stored amount.');
    assert.equal(find(chunks, 'ID').doc, 'ID identifies a receipt.');
    // `//go:generate` is a directive, not documentation.
    assert.equal(find(chunks, 'NewHandler').doc, 'NewHandler builds the HTTP handler.');
    // A struct without member chunks keeps its full text.
    assert.equal(find(chunks, 'Billing').text, 'type Billing struct {\n\tRate  float64\n\tStore Store\n}');
  });

  test('Java: annotations, constructors, nested enums, records', async () => {
    const { chunks } = await chunkFixture('Billing.java', 'java');
    assert.deepEqual(rows(chunks), [
      ['class', 'Billing', '', 11, 38],
      ['method', 'Billing', 'Billing', 15, 16],
      ['method', 'charge', 'Billing', 24, 29],
      ['enum', 'Status', 'Billing', 31, 37],
      ['method', 'isFinal', 'Billing.Status', 34, 36],
      ['interface', 'Charger', '', 40, 42],
      ['class', 'Receipt', '', 44, 48],
      ['method', 'Receipt', 'Receipt', 45, 47],
    ]);
    // Javadoc: HTML layout removed, @author/@param/@return dropped.
    assert.equal(find(chunks, 'Billing', 'class').doc, 'Charges cards and keeps receipts.');
    assert.equal(find(chunks, 'charge').doc, 'Charges the given amount.');
    assert.match(find(chunks, 'charge').text, /^ {4}@Override\n/);
  });

  test('Rust: attributes, impl blocks, trait default methods, inline modules', async () => {
    const { chunks } = await chunkFixture('ledger.rs', 'rust');
    assert.deepEqual(rows(chunks), [
      ['struct', 'Entry', '', 7, 11],
      ['struct', 'Ledger', '', 13, 15],
      ['impl', 'Ledger', '', 17, 31],
      ['method', 'new', 'Ledger', 19, 21],
      ['method', 'balances', 'Ledger', 24, 30],
      ['impl', 'Ledger', '', 33, 37],
      ['method', 'fmt', 'Ledger', 34, 36],
      ['trait', 'Audit', '', 39, 46],
      ['method', 'report', 'Audit', 43, 45],
      ['enum', 'Side', '', 48, 51],
      ['function', 'balanced', 'checks', 54, 56],
      ['function', 'helper', '', 59, 60],
    ]);
    assert.equal(find(chunks, 'Entry').doc, 'One posting to an account.');
    assert.equal(find(chunks, 'balances').doc, 'Sums the postings per account.');
    assert.equal(find(chunks, 'report').doc, 'Default: nothing to report.');
    assert.match(find(chunks, 'Entry').text, /^#\[derive\(Debug, Clone\)\]\npub struct Entry/);
  });

  test('C#: namespaces in containers, XML doc comments, expression bodies', async () => {
    const { chunks } = await chunkFixture('Billing.cs', 'csharp');
    assert.deepEqual(rows(chunks), [
      ['class', 'Billing', 'Pay', 9, 31],
      ['method', 'Charge', 'Pay.Billing', 19, 23],
      ['method', 'Total', 'Pay.Billing', 25, 25],
      ['struct', 'Receipt', 'Pay.Billing', 27, 30],
      ['interface', 'IBilling', 'Pay', 33, 36],
      ['enum', 'Status', 'Pay', 38, 38],
    ]);
    assert.equal(find(chunks, 'Billing').doc, 'Charges cards and keeps receipts.');
    // <summary> prose kept, <paramref> → its name, <param>/<returns> dropped.
    assert.equal(find(chunks, 'Charge').doc, 'Charges the amount to the card.');
  });

  test('C#: file-scoped namespaces name what follows', async () => {
    const text = 'namespace Shop.Orders;\n\npublic class Order\n{\n    public void Ship() { }\n}\n';
    const chunks = await chunker.chunk('Order.cs', text);
    assert.deepEqual(rows(chunks), [
      ['class', 'Order', 'Shop.Orders', 3, 6],
      ['method', 'Ship', 'Shop.Orders.Order', 5, 5],
    ]);
  });

  test('Ruby: modules, singleton methods, scoped class names', async () => {
    const { chunks } = await chunkFixture('billing.rb', 'ruby');
    assert.deepEqual(rows(chunks), [
      ['module', 'Pay', '', 5, 31],
      ['class', 'Billing', 'Pay', 7, 28],
      ['method', 'initialize', 'Pay.Billing', 10, 13],
      ['method', 'charge', 'Pay.Billing', 18, 23],
      ['method', 'from_env', 'Pay.Billing', 25, 27],
      ['class', 'Error', 'Pay.Billing', 30, 30],
      ['function', 'format_price', '', 34, 36],
    ]);
    assert.equal(find(chunks, 'Billing').doc, 'Charges cards and keeps receipts.');
    // YARD tags end the prose.
    assert.equal(find(chunks, 'charge').doc, 'Charges the amount to the card.');
    assert.equal(find(chunks, 'format_price').doc, 'Formats cents as a price string.');
  });

  test('PHP: namespaces, attributes, traits, PHPDoc', async () => {
    const { chunks } = await chunkFixture('Billing.php', 'php');
    assert.deepEqual(rows(chunks), [
      ['class', 'Billing', 'App.Billing', 12, 33],
      ['method', '__construct', 'App.Billing.Billing', 18, 20],
      ['method', 'charge', 'App.Billing.Billing', 27, 32],
      ['interface', 'Refundable', 'App.Billing', 35, 38],
      ['trait', 'LogsCharges', 'App.Billing', 40, 46],
      ['method', 'logCharge', 'App.Billing.LogsCharges', 42, 45],
      ['function', 'format_price', 'App.Billing', 49, 52],
    ]);
    assert.equal(find(chunks, 'Billing').doc, 'Charges cards and keeps receipts.');
    assert.equal(find(chunks, 'charge').doc, 'Charges the amount to the card.');
    assert.equal(find(chunks, 'format_price').doc, 'Formats cents as a price.');
    assert.match(find(chunks, 'Billing').text, /^#\[Service\]\nfinal class Billing/);
  });

  test('C: typedef structs take the typedef name; declarations without bodies are skipped', async () => {
    const { chunks } = await chunkFixture('buffer.c', 'c');
    assert.deepEqual(rows(chunks), [
      ['struct', 'buffer_t', '', 5, 9],
      ['struct', 'node', '', 11, 14],
      ['enum', 'mode', '', 16, 16],
      ['function', 'buffer_append', '', 22, 34],
      ['function', 'buffer_free', '', 37, 39],
    ]);
    assert.equal(find(chunks, 'buffer_t').doc, 'A growable byte buffer.');
    assert.equal(find(chunks, 'buffer_append').doc, 'Appends bytes to the buffer, growing it as needed. Returns 0 on success.');
    assert.equal(find(chunks, 'buffer_free').doc, "Frees the buffer's storage.");
  });

  test('C++: namespaces, templates, out-of-line methods', async () => {
    const { chunks } = await chunkFixture('billing.cpp', 'cpp');
    assert.deepEqual(rows(chunks), [
      ['class', 'Billing', 'pay', 7, 19],
      ['method', 'Billing', 'pay.Billing', 9, 9],
      ['method', 'rate', 'pay.Billing', 14, 14],
      ['struct', 'Box', 'pay', 21, 25],
      ['method', 'get', 'pay.Box', 24, 24],
      ['method', 'charge', 'pay.Billing', 27, 30],
      ['function', 'format_price', '', 35, 37],
    ]);
    assert.equal(find(chunks, 'Billing', 'class').doc, 'Charges cards and keeps receipts.');
    assert.equal(find(chunks, 'format_price').doc, 'Formats cents as a price.');
    // The template header belongs to the definition.
    assert.match(find(chunks, 'Box').text, /^template <typename T>\nstruct Box \{/);
  });

  test('a .h header that is plainly C++ is parsed (and labelled) as C++', async () => {
    const text = 'namespace geo {\nclass Point {\n public:\n  double x() const { return x_; }\n private:\n  double x_;\n};\n}\n';
    const chunks = await chunker.chunk('point.h', text);
    assert.deepEqual(rows(chunks), [
      ['class', 'Point', 'geo', 2, 7],
      ['method', 'x', 'geo.Point', 4, 4],
    ]);
    assert.equal(chunks[0]?.language, 'cpp');
    const plainC = await chunker.chunk('util.h', 'static int twice(int x) {\n  return 2 * x;\n}\n');
    assert.deepEqual(rows(plainC), [['function', 'twice', '', 1, 3]]);
    assert.equal(plainC[0]?.language, 'c');
  });
});

describe('collapsed containers', () => {
  test('a class keeps its header and member signatures; member bodies are elided', async () => {
    const { chunks } = await chunkFixture('billing.mts', 'typescript');
    assert.equal(find(chunks, 'Billing').text, [
      '  @Injectable()',
      '  export class Billing {',
      '    private readonly receipts: Receipt[] = [];',
      '',
      '    constructor(private readonly gateway: PaymentGateway) { … }',
      '',
      '    /**',
      '     * Charges a card and records a receipt.',
      '     * {@link roundCents} is applied first.',
      '     */',
      "    @Traced('billing')",
      '    async charge(card: Card, amount: number): Promise<Receipt> { … }',
      '',
      '    // Called by the scheduler.',
      '    onTick = (now: Date): void => { … };',
      '',
      '    private flush(now: Date): void { … }',
      '  }',
    ].join('\n'));
    // The members keep their full text.
    const text = await fixture('billing.mts');
    assert.equal(find(chunks, 'flush').text, sourceLines(text, 55, 58));
  });

  test('Python classes elide with `...`, nested classes included', async () => {
    const { chunks } = await chunkFixture('inventory.py', 'python');
    const inventory = find(chunks, 'Inventory');
    assert.equal(inventory.text, [
      '@dataclass',
      'class Inventory:',
      '    """Stock levels per product.',
      '',
      '    Quantities never go below zero.',
      '    """',
      '',
      '    stock: dict[str, int] = field(default_factory=dict)',
      '',
      '    def add(self, sku: str, quantity: int) -> None:',
      '        ...',
      '',
      '    # Removes stock, refusing to go negative.',
      '    @staticmethod',
      '    def remove(stock: dict[str, int], sku: str, quantity: int) -> bool:',
      '        ...',
      '',
      '    class Error(Exception):',
      '        ...',
    ].join('\n'));
    // The class docstring is located inside the collapsed text.
    assert.deepEqual(inventory.docSpan, [32, 105]);
    assert.equal(inventory.text.slice(32, 105), '"""Stock levels per product.\n\n    Quantities never go below zero.\n    """');
  });

  test('Ruby, Rust, C#, C++ and Java containers elide member bodies in their own syntax', async () => {
    const ruby = await chunkFixture('billing.rb', 'ruby');
    assert.equal(find(ruby.chunks, 'Pay', 'module').text, [
      'module Pay',
      '  # Charges cards and keeps receipts.',
      '  class Billing',
      '    ...',
      '  end',
      '',
      '  class Billing::Error < StandardError; end',
      'end',
    ].join('\n'));
    const rust = await chunkFixture('ledger.rs', 'rust');
    assert.equal(rust.chunks.find((c) => c.kind === 'impl' && c.startLine === 33)?.text, [
      'impl fmt::Display for Ledger {',
      "    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { … }",
      '}',
    ].join('\n'));
    const cs = await chunkFixture('Billing.cs', 'csharp');
    const billing = find(cs.chunks, 'Billing');
    assert.ok(billing.text.includes('        public int Charge(decimal amount)\n        { … }\n'), billing.text);
    assert.ok(billing.text.includes('        public decimal Total() => …;\n'), billing.text);
    assert.ok(billing.text.includes('        public struct Receipt\n        { … }\n    }'), billing.text);
    const cpp = await chunkFixture('billing.cpp', 'cpp');
    assert.ok(find(cpp.chunks, 'Billing', 'class').text.includes('    explicit Billing(double rate) : rate_(rate) { … }\n'));
    const java = await chunkFixture('Billing.java', 'java');
    assert.ok(find(java.chunks, 'Status').text.endsWith('        public boolean isFinal() { … }\n    }'));
  });

  test('a class without member chunks keeps its full text', async () => {
    const { chunks, text } = await chunkFixture('Billing.cs', 'csharp');
    assert.equal(find(chunks, 'Receipt').text, sourceLines(text, 27, 30));
    assert.equal(find(chunks, 'IBilling').text, sourceLines(text, 33, 36));
  });

  test('offsets stay right after non-ASCII text (UTF-16 indices)', async () => {
    const text = [
      'class Café {', //
      '  // ☕ naïve 😀 comment',
      '  brew(): string { return "é😀"; }',
      '  pour() { return 1; }',
      '}',
    ].join('\n');
    const chunks = await chunker.chunk('cafe.ts', text);
    assert.equal(find(chunks, 'Café').text, 'class Café {\n  // ☕ naïve 😀 comment\n  brew(): string { … }\n  pour() { … }\n}');
  });
});

describe('Python docstrings', () => {
  test('docSpan locates the docstring; codeWithoutDoc cuts it with its line', async () => {
    const { chunks } = await chunkFixture('inventory.py', 'python');
    const add = find(chunks, 'add');
    assert.equal(add.text, [
      '    def add(self, sku: str, quantity: int) -> None:',
      '        """Adds stock for a product."""',
      '        self.stock[sku] = self.stock.get(sku, 0) + quantity',
    ].join('\n'));
    assert.deepEqual(add.docSpan, [60, 91]);
    assert.equal(add.text.slice(60, 91), '"""Adds stock for a product."""');
    assert.equal(codeWithoutDoc(add), '    def add(self, sku: str, quantity: int) -> None:\n        self.stock[sku] = self.stock.get(sku, 0) + quantity');
    const restock = find(chunks, 'restock');
    assert.ok(!codeWithoutDoc(restock).includes('Applies incoming orders'));
    assert.ok(codeWithoutDoc(restock).startsWith('async def restock('));
  });

  test('codeWithoutDoc leaves chunks without a docSpan alone and keeps code sharing the docstring line', () => {
    const base: Chunk = { path: 'a.py', language: 'python', kind: 'function', symbol: 'f', container: '', startLine: 1, endLine: 1, text: 'def f(): """Doc."""; return 1', doc: 'Doc.' };
    assert.equal(codeWithoutDoc(base), base.text);
    assert.equal(codeWithoutDoc({ ...base, docSpan: [9, 19] }), 'def f(): ; return 1');
    assert.equal(codeWithoutDoc({ ...base, text: 'def f():\n    """Doc."""', docSpan: [13, 23] }), 'def f():');
  });

  test('prefixes, single quotes and empty docstrings', async () => {
    const text = 'def a():\n    r"raw doc"\n\ndef b():\n    ""\n    return 1\n';
    const chunks = await chunker.chunk('d.py', text);
    assert.equal(find(chunks, 'a').doc, 'raw doc');
    assert.deepEqual(find(chunks, 'a').docSpan, [13, 23]);
    assert.equal(find(chunks, 'b').doc, '');
    assert.equal(find(chunks, 'b').docSpan, undefined);
  });
});

describe('documentation comments', () => {
  test('only an adjacent comment block documents a definition', async () => {
    const text = [
      '/** Detached: a blank line follows. */', // 1
      '', // 2
      'function a() {}', // 3
      'const x = 1; // trailing comment of another statement', // 4
      'function b() {}', // 5
      '/* block */', // 6
      '// then a line', // 7
      'function c() {}', // 8
      '// @ts-ignore', // 9
      'function d() {}', // 10
    ].join('\n');
    const chunks = await chunker.chunk('docs.ts', text);
    assert.deepEqual(chunks.map((c) => [c.symbol, c.doc]), [['a', ''], ['b', ''], ['c', 'block then a line'], ['d', '']]);
  });

  test('a member on its container\'s first line does not take the container\'s doc', async () => {
    const chunks = await chunker.chunk('one.ts', '/** Doc of A. */\nclass A { m() { return 1; } }\n');
    assert.deepEqual(chunks.map((c) => [c.kind, c.symbol, c.doc]), [['class', 'A', 'Doc of A.'], ['method', 'm', '']]);
  });

  test('a one-line JSDoc loses its mid-line tags; a tag-only JSDoc gives no doc', async () => {
    const text = '/** Doubles it. @param n a number */\nfunction twice(n) { return 2 * n; }\n/** @deprecated */\nfunction old() {}\n';
    const chunks = await chunker.chunk('t.js', text);
    assert.deepEqual(chunks.map((c) => [c.symbol, c.doc]), [['twice', 'Doubles it.'], ['old', '']]);
  });
});

describe('splitting long definitions', () => {
  test('a function longer than maxChunkLines becomes contiguous pieces covering every line', async () => {
    const body = Array.from({ length: 398 }, (_, i) => `  total += ${i};`);
    const text = ['/** Sums a lot. */', 'export function huge(): number {', ...body, '  return total;', '}', ''].join('\n');
    const chunks = await chunker.chunk('huge.ts', text);
    assert.deepEqual(rows(chunks), [
      ['function', 'huge', '', 2, 135],
      ['function', 'huge', '', 136, 269],
      ['function', 'huge', '', 270, 402],
    ]);
    for (const c of chunks) {
      assert.equal(c.text, sourceLines(text, c.startLine, c.endLine));
      assert.equal(c.doc, 'Sums a lot.');
    }
  });

  test('pieces respect a custom maxChunkLines and also split collapsed containers', async () => {
    const small = await createChunker({ maxChunkLines: 4 });
    const methods = Array.from({ length: 6 }, (_, i) => [`  m${i}() {`, `    return ${i};`, '  }']).flat();
    const text = ['class Many {', ...methods, '}'].join('\n');
    const chunks = await small.chunk('many.ts', text);
    const pieces = chunks.filter((c) => c.kind === 'class');
    // Collapsed text has 8 lines (header, 6 one-line members, closing brace): two pieces of 4.
    assert.deepEqual(rows(pieces), [['class', 'Many', '', 1, 10], ['class', 'Many', '', 11, 20]]);
    assert.equal(pieces[0]?.text, 'class Many {\n  m0() { … }\n  m1() { … }\n  m2() { … }');
    assert.equal(pieces[1]?.text, '  m3() { … }\n  m4() { … }\n  m5() { … }\n}');
    assert.equal(chunks.filter((c) => c.kind === 'method').length, 6);
  });
});

describe('line windows', () => {
  test('markdown and other unsupported files are windows of 40 lines overlapping by 5', async () => {
    const notes = await chunkFixture('notes.md', 'text');
    assert.deepEqual(rows(notes.chunks), [['lines', '', '', 1, 7]]);
    assert.equal(notes.chunks[0]?.text, notes.text.trimEnd());
    const text = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n') + '\n\n\n';
    const chunks = await chunker.chunk('data.yaml', text);
    assert.deepEqual(rows(chunks), [['lines', '', '', 1, 40], ['lines', '', '', 36, 75], ['lines', '', '', 71, 100]]);
    assert.equal(chunks[2]?.text, sourceLines(text, 71, 100));
    assert.ok(chunks.every((c) => c.language === 'text' && c.doc === ''));
  });

  test('windowLines and windowOverlap are honoured; leading blank lines are skipped', async () => {
    const custom = await createChunker({ windowLines: 10, windowOverlap: 2 });
    const text = '\n\n' + Array.from({ length: 25 }, (_, i) => `row ${i}`).join('\n');
    assert.deepEqual(rows(await custom.chunk('notes.txt', text)), [
      ['lines', '', '', 3, 12], ['lines', '', '', 11, 20], ['lines', '', '', 19, 27],
    ]);
  });

  test('a script without definitions is chunked by lines in its own language', async () => {
    const { chunks, text } = await chunkFixture('script.py', 'python');
    assert.deepEqual(rows(chunks), [['lines', '', '', 1, 7]]);
    assert.equal(chunks[0]?.text, text.trimEnd());
  });

  test('loose top-level code between definitions gets windows once it is long enough', async () => {
    const { chunks } = await chunkFixture('cart.test.js', 'javascript');
    assert.deepEqual(rows(chunks), [
      ['function', 'cartWith', '', 5, 9],
      ['lines', '', '', 11, 22],
    ]);
    const off = await createChunker({ minGapLines: Infinity });
    assert.deepEqual(rows(await off.chunk('cart.test.js', await fixture('cart.test.js'))), [['function', 'cartWith', '', 5, 9]]);
    // Short stretches (imports, a constant, a namespace's braces) are not windowed.
    const billing = await chunkFixture('billing.mts', 'typescript');
    assert.ok(!billing.chunks.some((c) => c.kind === 'lines'));
  });

  test('empty and whitespace-only files give no chunks', async () => {
    for (const path of ['empty.ts', 'empty.md', 'blank.py', 'x.unknown']) {
      assert.deepEqual(await chunker.chunk(path, ''), []);
      assert.deepEqual(await chunker.chunk(path, '  \n\t\n\r\n   '), []);
    }
  });
});

describe('bad input and fallbacks', () => {
  test('syntax errors: the good functions around the damage are still found', async () => {
    const before = logs.length;
    const { chunks } = await chunkFixture('broken.mts', 'typescript');
    assert.deepEqual(rows(chunks), [
      ['function', 'good', '', 1, 3],
      ['function', 'broken', '', 5, 7],
      ['function', 'alsoGood', '', 15, 17],
    ]);
    assert.equal(logs.length, before, 'no fallback');
  });

  test('a file that is mostly syntax errors falls back to line windows, and says why', async () => {
    const seen: string[] = [];
    const own = await createChunker({ log: (m) => seen.push(m) });
    const text = await fixture('prose.mts');
    const chunks = await own.chunk('prose.mts', text);
    assert.deepEqual(rows(chunks), [['lines', '', '', 1, 5]]);
    assert.equal(chunks[0]?.language, 'typescript');
    assert.equal(seen.length, 1);
    assert.match(seen[0] ?? '', /^prose\.mts: \d+% of the file is syntax errors; chunked as line windows$/);
  });

  test('invalid UTF-8 (replacement characters) does not disturb the ranges', async () => {
    const bytes = Buffer.concat([
      Buffer.from('def first():\n    return "'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"\n\n# bad byte '),
      Buffer.from([0x80]),
      Buffer.from(' here\ndef second():\n    pass\n'),
    ]);
    const text = bytes.toString('utf8');
    assert.ok(text.includes('\uFFFD'));
    const chunks = await chunker.chunk('bytes.py', text);
    assert.deepEqual(rows(chunks), [['function', 'first', '', 1, 2], ['function', 'second', '', 5, 6]]);
    assert.ok(chunks[0]?.text.includes('\uFFFD'));
    assert.equal(chunks[1]?.doc, 'bad byte \uFFFD here');
  });

  test('CRLF files: ranges as usual, text keeps its line terminators but not the last one', async () => {
    const text = 'function a() {\r\n  return 1;\r\n}\r\n\r\nfunction b() {}\r\n';
    const chunks = await chunker.chunk('crlf.js', text);
    assert.deepEqual(rows(chunks), [['function', 'a', '', 1, 3], ['function', 'b', '', 5, 5]]);
    assert.equal(chunks[0]?.text, 'function a() {\r\n  return 1;\r\n}');
    assert.equal(chunks[1]?.text, 'function b() {}');
    const cls = await chunker.chunk('crlf.py', 'class A:\r\n    """Doc."""\r\n    def m(self):\r\n        return 1\r\n');
    assert.deepEqual(rows(cls), [['class', 'A', '', 1, 4], ['method', 'm', 'A', 3, 4]]);
    assert.equal(cls[0]?.text, 'class A:\r\n    """Doc."""\r\n    def m(self):\r\n        ...');
    assert.deepEqual(cls[0]?.docSpan, [14, 24]);
    assert.equal(cls[1]?.text, '    def m(self):\r\n        return 1');
  });

  test('a 10,000-line file is chunked completely', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => `// Step ${i}.\nfunction step${i}(x) {\n  const y = x + ${i};\n  return y;\n}`).join('\n');
    const started = performance.now();
    const chunks = await chunker.chunk('steps.js', text);
    const elapsed = performance.now() - started;
    assert.equal(text.split('\n').length, 10_000);
    assert.equal(chunks.length, 2000);
    assert.deepEqual(rows(chunks.slice(-1)), [['function', 'step1999', '', 9997, 10_000]]);
    assert.equal(chunks[1999]?.doc, 'Step 1999.');
    assert.ok(elapsed < 20_000, `took ${elapsed} ms`);
  });

  test('a single 2 MB line does not throw: a literal is a script, minified code falls back', async () => {
    const literal = `const blob = "${'x'.repeat(2_000_000)}";\n`;
    const chunks = await chunker.chunk('blob.js', literal);
    assert.deepEqual(rows(chunks), [['lines', '', '', 1, 1]]);
    assert.equal(chunks[0]?.text.length, literal.length - 1);

    const seen: string[] = [];
    const own = await createChunker({ log: (m) => seen.push(m) });
    const minified = Array.from({ length: 5000 }, (_, i) => `function f${i}(a){return a+${i}}`).join(';');
    const windows = await own.chunk('bundle.min.js', minified);
    assert.deepEqual(rows(windows), [['lines', '', '', 1, 1]]);
    assert.match(seen[0] ?? '', /^bundle\.min\.js: definitions would repeat \d+ characters of a \d+-character file \(minified\?\); chunked as line windows$/);

    const text = await chunker.chunk('long.txt', 'y'.repeat(2_000_000));
    assert.equal(text.length, 1);
  });

  test('a parse over its time budget falls back to line windows', async () => {
    const seen: string[] = [];
    const hasty = await createChunker({ parseTimeoutMs: 0.0001, log: (m) => seen.push(m) });
    const text = Array.from({ length: 3000 }, (_, i) => `function f${i}() { return ${i}; }`).join('\n');
    const chunks = await hasty.chunk('slow.js', text);
    assert.ok(chunks.length > 0 && chunks.every((c) => c.kind === 'lines'));
    assert.equal(chunks[0]?.endLine, 40);
    assert.deepEqual(rows(chunks.slice(-1)), [['lines', '', '', 2976, 3000]]);
    assert.match(seen[0] ?? '', /^slow\.js: parsing took longer than \d+ ms; chunked as line windows$/);
  });

  test('a missing grammar folder: line windows, reported once per language', async () => {
    const seen: string[] = [];
    const lost = await createChunker({ grammarDir: '/nonexistent/grammars', log: (m) => seen.push(m) });
    const a = await lost.chunk('a.go', 'package a\n\nfunc A() {}\n');
    const b = await lost.chunk('b.go', 'package b\n\nfunc B() {}\n');
    assert.deepEqual(rows(a), [['lines', '', '', 1, 3]]);
    assert.deepEqual(rows(b), [['lines', '', '', 1, 3]]);
    assert.equal(a[0]?.language, 'go');
    assert.equal(seen.length, 1);
    assert.match(seen[0] ?? '', /^tree-sitter grammar for go failed to load \(.+\); go files will be chunked as line windows \(first: a\.go\)$/);
  });

  test('an explicit grammarDir is used', async () => {
    const dir = dirname(createRequire(import.meta.url).resolve('@repomix/tree-sitter-wasms/out/tree-sitter-go.wasm'));
    const explicit = await createChunker({ grammarDir: dir });
    assert.deepEqual(rows(await explicit.chunk('a.go', 'package a\n\nfunc A() {}\n')), [['function', 'A', '', 3, 3]]);
  });

  test('invalid options are rejected with a TypeError naming the option', async () => {
    await assert.rejects(createChunker({ maxChunkLines: 0 }), { name: 'TypeError', message: /`maxChunkLines`/ });
    await assert.rejects(createChunker({ windowLines: 2.5 }), { name: 'TypeError', message: /`windowLines`/ });
    await assert.rejects(createChunker({ windowLines: 10, windowOverlap: 10 }), { name: 'TypeError', message: /`windowOverlap`/ });
    await assert.rejects(createChunker({ minGapLines: -1 }), { name: 'TypeError', message: /`minGapLines`/ });
    await assert.rejects(createChunker({ parseTimeoutMs: 0 }), { name: 'TypeError', message: /`parseTimeoutMs`/ });
  });

  test('concurrent calls share one chunker safely', async () => {
    const names = ['billing.mts', 'inventory.py', 'server.go', 'ledger.rs', 'Billing.java', 'billing.rb'];
    const texts = await Promise.all(names.map(fixture));
    const sequential: Chunk[][] = [];
    for (const [i, name] of names.entries()) sequential.push(await chunker.chunk(name, texts[i] ?? ''));
    const fresh = await createChunker();
    const parallel = await Promise.all(names.map((name, i) => fresh.chunk(name, texts[i] ?? '')));
    assert.deepEqual(parallel, sequential);
  });
});
