/**
 * The two walks over a schema table: model → XML text, and parsed XML → model. Tables are filtered
 * for an API version and a direction once and cached, so the hot loops only read plain arrays.
 */
import type { ValidationIssue } from '../models/codec';
import type { ApiVersion } from '../models/enums';
import {
  asElement,
  childrenOf,
  hasElementChildren,
  textOf,
  type XmlChild,
  type XmlElement,
} from './parse';
import type { BlockNode, LeafNode, SchemaNode } from './schema';

export type Direction = 'request' | 'response';
type Obj = Record<string, unknown>;

interface Compiled {
  nodes: readonly CompiledNode[];
  /** Every name (tag or alias) this level accepts, with its position in element order. */
  order: ReadonlyMap<string, number>;
}
type CompiledNode =
  | (LeafNode & { names: readonly string[]; keyPath: string })
  | (BlockNode & {
      names: readonly string[];
      keyPath: string;
      body: Compiled;
      attrs: readonly LeafNode[];
    });

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
      const keyPath = n.key === null ? '' : n.key.join('.');
      return n.kind === 'block'
        ? {
            ...n,
            names,
            keyPath,
            body: compile(n.children, version, direction),
            attrs: n.attributes ?? [],
          }
        : { ...n, names, keyPath };
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

/** Reads one leaf's text; `null` when it is not of its kind (the caller reports the issue). */
function parseLeaf(node: LeafNode, raw: string): unknown {
  switch (node.kind) {
    case 'date':
      return DATE_PREFIX.exec(raw)?.[1] ?? null;
    case 'dateTime': {
      const d = new Date(HAS_ZONE.test(raw) ? raw : `${raw}Z`);
      return Number.isNaN(d.getTime()) ? null : d;
    }
    case 'decimal':
      return DECIMAL.test(raw) ? Number(raw) : null;
    case 'int':
      return INT.test(raw) ? Number(raw) : null;
    default:
      return raw;
  }
}

/**
 * Reads the children of `el` into `target` following `compiled`, and returns how many values it
 * set. `at` is the element's XML path and `modelAt` the model path prefix; both are only read
 * when something must be reported (this is the hot loop of every page).
 */
export function decodeNodes(
  compiled: Compiled,
  el: XmlElement,
  target: Obj,
  st: DecodeState,
  opts: DecodeOptions,
  at: string,
  modelAt: string,
): number {
  if (opts.strict) checkChildren(compiled, el, st, at);
  let count = 0;
  for (const node of compiled.nodes) {
    let name = node.tag;
    for (let i = 1; el[name] === undefined && i < node.names.length; i++)
      name = node.names[i] as string;
    const found = el[name] as XmlChild | XmlChild[] | undefined;
    if (found === undefined) continue;
    // One child is the value itself; only a repeated element is an array (see parse.ts).
    const first = Array.isArray(found) ? found[0] : found;
    // Two values for one field (two DateOfBirth): which is right is not ours to guess.
    if (!node.repeat && Array.isArray(found) && found.filter(present).length > 1) {
      st.issues.push({ path: `${at}/${node.tag}`, rule: 'repeated' });
      continue;
    }

    if (node.kind !== 'block') {
      if (node.key === null) continue;
      const into = node.context ? st.context : target;
      if (node.repeat) {
        const values = (childrenOf(el, name) ?? []).map(textOf).filter((v) => v.trim() !== '');
        if (values.length > 0) {
          set(into, node.key, values);
          count++;
        }
        continue;
      }
      const child = first;
      if (typeof child !== 'string' && hasElementChildren(child)) {
        st.issues.push({ path: `${at}/${node.tag}`, rule: 'text' });
        continue;
      }
      const text = textOf(child);
      if (text.trim() === '') {
        if (opts.strict && !node.emptyAllowed)
          st.issues.push({ path: `${at}/${node.tag}`, rule: 'emptyElement' });
        continue;
      }
      const value = parseLeaf(node, text);
      if (value === null) {
        st.issues.push({ path: `${at}/${node.tag}`, rule: node.kind });
        continue;
      }
      if (node.kind === 'enum' && !node.values?.includes(text))
        st.unrecognized.push(modelAt + node.keyPath);
      set(into, node.key, value);
      count++;
      continue;
    }

    const here = `${at}/${node.tag}`;
    const modelPrefix = node.key.length === 0 ? modelAt : modelAt + node.keyPath;
    if (node.repeat) {
      const items: Obj[] = [];
      (childrenOf(el, name) ?? []).forEach((item, i) => {
        const o: Obj = {};
        if (decodeBlock(node, item, o, st, opts, `${here}[${i}]`, `${modelPrefix}[${i}].`) > 0)
          items.push(o);
      });
      if (items.length > 0) {
        set(target, node.key, items);
        count++;
      }
      continue;
    }
    if (node.key.length === 0) {
      count += decodeBlock(node, first, target, st, opts, here, modelAt);
      continue;
    }
    const o: Obj = {};
    // A block of empty strings means "no block" (wire spec section 7).
    if (decodeBlock(node, first, o, st, opts, here, `${modelPrefix}.`) > 0) {
      set(target, node.key, o);
      count++;
    } else if (opts.strict && node.attrs.length === 0 && !ADDRESS_LIKE(node)) {
      st.issues.push({ path: here, rule: 'emptyElement' });
    }
  }
  return count;
}

function decodeBlock(
  node: Extract<CompiledNode, { kind: 'block' }>,
  child: XmlChild | undefined,
  target: Obj,
  st: DecodeState,
  opts: DecodeOptions,
  at: string,
  modelAt: string,
): number {
  const el = asElement(child);
  if (typeof child === 'string' && child.trim() !== '')
    st.issues.push({ path: at, rule: 'element' });
  let count = 0;
  const attrs = el.$;
  if (attrs) {
    for (const a of node.attrs) {
      const v = attrs[a.tag];
      if (a.key !== null && v !== undefined && v.trim() !== '') {
        set(target, a.key, v);
        count++;
      }
    }
  }
  return count + decodeNodes(node.body, el, target, st, opts, at, modelAt);
}

const ADDRESS_LIKE = (node: BlockNode): boolean =>
  node.children.every((c) => c.kind !== 'block' && c.emptyAllowed);

/** Strict checks of one element's children: known and in order (repeats are checked in both modes). */
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
  }
}

/** Whether a child carries anything: empty elements mean absent (wire spec section 7). */
function present(child: XmlChild): boolean {
  return typeof child === 'string' ? child.trim() !== '' : Object.keys(child).length > 0;
}
