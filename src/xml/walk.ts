/**
 * The two walks over a schema table: model → XML text, and parsed XML → model. Tables are filtered
 * for an API version and a direction once and cached, so the hot loops only read plain arrays.
 */
import type { ValidationIssue } from '../core/errors';
import type { ApiVersion } from '../models/enums';
import { asElement, hasElementChildren, textOf, type XmlChild, type XmlElement } from './parse';
import type { BlockNode, LeafNode, SchemaNode } from './schema';

export type Direction = 'request' | 'response';
type Obj = Record<string, unknown>;

interface Compiled {
  nodes: readonly CompiledNode[];
  /** Every name (tag or alias) this level accepts, with its position in element order. */
  order: ReadonlyMap<string, number>;
}
type CompiledNode =
  | (LeafNode & { names: readonly string[] })
  | (BlockNode & { names: readonly string[]; body: Compiled; attrs: readonly LeafNode[] });

const cache = new WeakMap<readonly SchemaNode[], Map<string, Compiled>>();

/** The table's nodes that exist in `version` and `direction`, compiled once. */
export function compile(
  nodes: readonly SchemaNode[],
  version: ApiVersion,
  direction: Direction,
): Compiled {
  let byKey = cache.get(nodes);
  if (!byKey) cache.set(nodes, (byKey = new Map()));
  const id = `${version}:${direction}`;
  let compiled = byKey.get(id);
  if (!compiled) {
    const kept = nodes.filter(
      (n) => (!n.versions || n.versions.includes(version)) && (!n.only || n.only === direction),
    );
    const order = new Map<string, number>();
    const out: CompiledNode[] = kept.map((n, i) => {
      const names = [n.tag, ...(n.aliases ?? [])];
      for (const name of names) if (!order.has(name)) order.set(name, i);
      return n.kind === 'block'
        ? { ...n, names, body: compile(n.children, version, direction), attrs: n.attributes ?? [] }
        : { ...n, names };
    });
    compiled = { nodes: out, order };
    byKey.set(id, compiled);
  }
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** How to write: `request` omits every absent value; `response` writes absent text as empty elements. */
export interface EncodeOptions {
  direction: Direction;
  /** Values of `context` leaves (practice ids). */
  context: Obj;
}

// `\r` is escaped because XML parsers turn a literal one into `\n`.
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\r': '&#13;',
};
export const escapeXml = (s: string): string => s.replace(/[&<>"\r]/g, (c) => ESCAPES[c] ?? c);

function get(obj: unknown, key: readonly string[]): unknown {
  let v = obj;
  for (let i = 0; i < key.length && v !== undefined; i++) v = (v as Obj)[key[i] as string];
  return v;
}

function formatLeaf(kind: LeafNode['kind'], v: unknown): string {
  switch (kind) {
    case 'date':
      return `${String(v)}T00:00:00`;
    case 'dateTime':
      return (v as Date).toISOString().slice(0, 19);
    case 'decimal':
      return (v as number).toFixed(2);
    default:
      return escapeXml(String(v));
  }
}

/** Writes the children of one element for `obj`. */
export function encodeNodes(compiled: Compiled, obj: unknown, opts: EncodeOptions): string {
  let out = '';
  for (const node of compiled.nodes) {
    if (node.kind === 'block') {
      const sub = node.key.length === 0 ? obj : get(obj, node.key);
      if (node.repeat) {
        if (Array.isArray(sub)) for (const item of sub) out += encodeBlock(node, item, opts);
      } else if (sub !== undefined || (opts.direction === 'response' && !node.sparse)) {
        out += encodeBlock(node, sub ?? {}, opts);
      }
      continue;
    }
    const v = node.key === null ? undefined : get(node.context ? opts.context : obj, node.key);
    if (node.repeat && Array.isArray(v)) {
      for (const item of v) out += `<${node.tag}>${formatLeaf(node.kind, item)}</${node.tag}>`;
    } else if (v !== undefined && v !== '') {
      out += `<${node.tag}>${formatLeaf(node.kind, v)}</${node.tag}>`;
    } else if (opts.direction === 'response' && node.kind === 'text' && !node.context) {
      out += `<${node.tag}></${node.tag}>`;
    }
  }
  return out;
}

function encodeBlock(
  node: Extract<CompiledNode, { kind: 'block' }>,
  sub: unknown,
  opts: EncodeOptions,
): string {
  let attrs = '';
  for (const a of node.attrs) {
    const v = a.key === null ? undefined : get(sub, a.key);
    if (v !== undefined) attrs += ` ${a.tag}="${escapeXml(String(v))}"`;
  }
  const inner = encodeNodes(node.body, sub, opts);
  if (inner !== '') return `<${node.tag}${attrs}>${inner}</${node.tag}>`;
  // A request never carries an empty element (wire spec section 6); a response shows an empty
  // block unless it is sparse.
  return attrs !== '' || (opts.direction === 'response' && !node.sparse)
    ? `<${node.tag}${attrs}/>`
    : '';
}

// ---------------------------------------------------------------------------------------------
// Decoding

/**
 * How to read. `strict` (the sandbox reading a request) also reports unknown, repeated, misplaced
 * and empty elements, as the real service's XML validation does; tolerant (the client reading a
 * response) ignores what it does not know.
 */
export interface DecodeOptions {
  strict: boolean;
}

/** What a decode collects besides the value: issues, enum values outside their lists, context leaves. */
export interface DecodeState {
  issues: ValidationIssue[];
  /** Model paths (relative to the decoded root) of enum values outside their list. */
  unrecognized: string[];
  context: Obj;
}

export const newState = (): DecodeState => ({ issues: [], unrecognized: [], context: {} });

const DATE_PREFIX = /^(\d{4}-\d{2}-\d{2})(?:$|T)/;
const DECIMAL = /^-?\d+(?:\.\d+)?$/;
const INT = /^\d+$/;
const HAS_ZONE = /(?:Z|[+-]\d{2}:?\d{2})$/;

function set(target: Obj, key: readonly string[], value: unknown): void {
  let o = target;
  for (let i = 0; i < key.length - 1; i++) {
    const part = key[i] as string;
    o = (o[part] ??= {}) as Obj;
  }
  o[key[key.length - 1] as string] = value;
}

function parseLeaf(
  node: LeafNode,
  raw: string,
  st: DecodeState,
  at: string,
  modelPath: string,
): unknown {
  switch (node.kind) {
    case 'date': {
      const m = DATE_PREFIX.exec(raw);
      if (m) return m[1];
      break;
    }
    case 'dateTime': {
      const d = new Date(HAS_ZONE.test(raw) ? raw : `${raw}Z`);
      if (!Number.isNaN(d.getTime())) return d;
      break;
    }
    case 'decimal':
      if (DECIMAL.test(raw)) return Number(raw);
      break;
    case 'int':
      if (INT.test(raw)) return Number(raw);
      break;
    case 'enum':
      if (!node.values?.includes(raw)) st.unrecognized.push(modelPath);
      return raw;
    default:
      return raw;
  }
  st.issues.push({ path: at, rule: node.kind });
  return undefined;
}

/**
 * Reads the children of `el` into `target` following `compiled`. `at` is the element's XML path
 * (for issues), `modelAt` the model path prefix (for unrecognized enum values).
 */
export function decodeNodes(
  compiled: Compiled,
  el: XmlElement,
  target: Obj,
  st: DecodeState,
  opts: DecodeOptions,
  at: string,
  modelAt: string,
): void {
  if (opts.strict) checkChildren(compiled, el, st, at);
  for (const node of compiled.nodes) {
    let raw = el[node.tag] as XmlChild[] | undefined;
    for (let i = 1; raw === undefined && i < node.names.length; i++) {
      raw = el[node.names[i] as string] as XmlChild[] | undefined;
    }
    if (raw === undefined || raw.length === 0) continue;
    const here = `${at}/${node.tag}`;

    if (node.kind !== 'block') {
      if (node.key === null) continue;
      const key = node.key;
      const modelPath = modelAt + key.join('.');
      if (node.repeat) {
        const values = raw.map(textOf).filter((s) => s.trim() !== '');
        if (values.length > 0) set(node.context ? st.context : target, key, values);
        continue;
      }
      const child = raw[0];
      if (hasElementChildren(child)) {
        st.issues.push({ path: here, rule: 'text' });
        continue;
      }
      const s = textOf(child);
      if (s.trim() === '') {
        if (opts.strict && !node.emptyAllowed) st.issues.push({ path: here, rule: 'emptyElement' });
        continue;
      }
      const value = parseLeaf(node, s, st, here, modelPath);
      if (value !== undefined) set(node.context ? st.context : target, key, value);
      continue;
    }

    const modelPrefix = node.key.length === 0 ? modelAt : `${modelAt}${node.key.join('.')}`;
    if (node.repeat) {
      const items: Obj[] = [];
      raw.forEach((item, i) => {
        const o: Obj = {};
        decodeBlock(node, item, o, st, opts, `${here}[${i}]`, `${modelPrefix}[${i}].`);
        if (Object.keys(o).length > 0) items.push(o);
      });
      if (items.length > 0) set(target, node.key, items);
      continue;
    }
    if (node.key.length === 0) {
      decodeBlock(node, raw[0], target, st, opts, here, modelAt);
      continue;
    }
    const o: Obj = {};
    decodeBlock(node, raw[0], o, st, opts, here, `${modelPrefix}.`);
    // A block of empty strings means "no block" (wire spec section 7).
    if (Object.keys(o).length > 0) set(target, node.key, o);
    else if (opts.strict && node.attrs.length === 0 && !ADDRESS_LIKE(node))
      st.issues.push({ path: here, rule: 'emptyElement' });
  }
}

function decodeBlock(
  node: Extract<CompiledNode, { kind: 'block' }>,
  child: XmlChild | undefined,
  target: Obj,
  st: DecodeState,
  opts: DecodeOptions,
  at: string,
  modelAt: string,
): void {
  const el = asElement(child);
  if (typeof child === 'string' && child !== '') st.issues.push({ path: at, rule: 'element' });
  const attrs = el.$;
  if (attrs) {
    for (const a of node.attrs) {
      const v = attrs[a.tag];
      if (a.key !== null && v !== undefined && v.trim() !== '') set(target, a.key, v);
    }
  }
  decodeNodes(node.body, el, target, st, opts, at, modelAt);
}

const ADDRESS_LIKE = (node: BlockNode): boolean =>
  node.children.every((c) => c.kind !== 'block' && c.emptyAllowed);

/** Strict checks of one element's children: known, in order, not repeated unless allowed. */
function checkChildren(compiled: Compiled, el: XmlElement, st: DecodeState, at: string): void {
  let last = -1;
  for (const tag of Object.keys(el)) {
    if (tag === '$' || tag === '_') continue;
    const pos = compiled.order.get(tag);
    if (pos === undefined) {
      st.issues.push({ path: `${at}/${tag}`, rule: 'unknownElement' });
      continue;
    }
    if (pos < last) st.issues.push({ path: `${at}/${tag}`, rule: 'elementOrder' });
    last = Math.max(last, pos);
    const node = compiled.nodes[pos];
    const count = (el[tag] as XmlChild[]).length;
    if (node && !node.repeat && count > 1)
      st.issues.push({ path: `${at}/${tag}`, rule: 'repeated' });
  }
}
