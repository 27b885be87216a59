/**
 * XML text in, a plain tree out: the only place that calls xml2js, and the one function that
 * normalises its output. Text is kept exactly (`trim: false`); whitespace-only text counts as empty (wire spec section 1: parse by local name, never by prefix).
 *
 * xml2js is sax-based and expands no DTD entities; we still refuse any DOCTYPE or ENTITY
 * declaration before parsing (XXE, billion laughs) and cap nesting depth.
 */
import { Parser, type ParserOptions } from 'xml2js';

/**
 * An element as xml2js gives it: children by local name; one child is the value itself, a repeated
 * child an array (`explicitArray: false` spares an array per element on every page).
 */
export interface XmlElement {
  [tag: string]: XmlChild | XmlChild[] | Record<string, string> | undefined;
  /** Attributes. */
  $?: Record<string, string>;
  /** Text of an element that also has attributes. */
  _?: string;
}
export type XmlChild = string | XmlElement;

/** A parsed document: the root's local name, its namespace URI and its content. */
export interface XmlDocument {
  root: string;
  namespace: string | undefined;
  /** Prefixes used on any element other than the root (children must be unqualified). */
  qualifiedChildren: boolean;
  element: XmlElement;
}

/** The body is not well-formed XML, or is XML we refuse to read. `reason` never quotes the body. */
export class XmlSyntaxError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'XmlSyntaxError';
  }
}

const MAX_DEPTH = 64;
const DEPTH_SCAN_ABOVE = 2 * 1024 * 1024;
const EMPTY_ELEMENT = /<([A-Za-z_][\w.-]*)><\/\1>/g;
const stripPrefix = (name: string): string => {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
};

const PLAIN: ParserOptions = {
  explicitArray: false,
  explicitRoot: true,
  trim: false,
  normalize: false,
  emptyTag: '',
  strict: true,
  async: false,
};
/** Only for documents whose children carry prefixes (none seen so far): costs a call per tag. */
const STRIPPING: ParserOptions = { ...PLAIN, tagNameProcessors: [stripPrefix] };

/** Parses `body`; throws {@link XmlSyntaxError} for anything that is not a plain XML document. */
export function parseXml(body: string, opts: { dropEmptyElements?: boolean } = {}): XmlDocument {
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) {
    throw new XmlSyntaxError('DOCTYPE or ENTITY declarations are refused');
  }
  const firstTag = /<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]/.exec(body.slice(0, 4096));
  if (!firstTag) throw new XmlSyntaxError('no root element');
  // Responses carry every unknown string as an empty element (wire spec section 7): half the
  // elements of a real page. Empty means absent, so a tolerant reader drops them (below the root)
  // before xml2js builds them, which is where the time goes. Not inside CDATA, where they are text.
  if (opts.dropEmptyElements && !body.includes('<![CDATA[')) {
    const afterRoot = firstTag.index + firstTag[0].length;
    body = body.slice(0, afterRoot) + body.slice(afterRoot).replace(EMPTY_ELEMENT, '');
  }
  const prefix = firstTag[1]?.slice(0, -1);
  // A page is well under a megabyte; only a larger body can hide a nesting bomb worth scanning for.
  if (body.length > DEPTH_SCAN_ABOVE) checkDepth(body);
  const qualifiedChildren = hasQualifiedChildren(body, prefix, firstTag.index + firstTag[0].length);

  let result: unknown;
  let failure: unknown;
  try {
    new Parser(qualifiedChildren ? STRIPPING : PLAIN).parseString(
      body,
      (err: unknown, out: unknown) => {
        failure = err;
        result = out;
      },
    );
  } catch (error) {
    // xml2js drops its listeners after the first error; a second one is thrown as "Unhandled error".
    failure = error;
  }
  if (failure || typeof result !== 'object' || result === null) {
    throw new XmlSyntaxError('not well-formed XML');
  }
  const [key, element] = Object.entries(result as Record<string, unknown>)[0] ?? [];
  if (key === undefined) throw new XmlSyntaxError('no root element');
  // xml2js stops at the end of the first root: a second root (a second PatientBatch) or any other
  // content after it would be dropped without a word, and its patients skipped.
  checkNothingAfterRoot(body, `${firstTag[1] ?? ''}${firstTag[2] ?? ''}`);
  const attrs = asElement(element).$ ?? {};
  const namespace = prefix ? attrs[`xmlns:${prefix}`] : attrs.xmlns;
  return { root: stripPrefix(key), namespace, qualifiedChildren, element: asElement(element) };
}

/** Only whitespace, comments and processing instructions may follow the root element. */
function checkNothingAfterRoot(body: string, rootName: string): void {
  // Plain backward searches, no RegExp built per page (this runs on every page).
  const close = `</${rootName}`;
  const last = lastClosingTag(body, close, body.length);
  // Another closing tag of the root before the last: a second root (or the root nested in itself).
  if (last !== -1 && lastClosingTag(body, close, last - 1) !== -1)
    throw new XmlSyntaxError('content after the root element');
  // No closing tag: a self-closing root, `<Root …/>`, ends at the first `/>`.
  const end = last !== -1 ? body.indexOf('>', last) + 1 : body.indexOf('/>') + 2;
  if (end < 2) return;
  const rest = body
    .slice(end)
    .replace(/<!--[\s\S]*?-->|<\?[\s\S]*?\?>/g, '')
    .trim();
  if (rest !== '') throw new XmlSyntaxError('content after the root element');
}

/** The last `</name` at or before `from` that closes `name` itself (then `>` or white space), or -1. */
function lastClosingTag(body: string, close: string, from: number): number {
  for (let i = body.lastIndexOf(close, from); i !== -1; i = body.lastIndexOf(close, i - 1)) {
    const next = body.charCodeAt(i + close.length);
    if (next === 62 /* > */ || next === 32 || next === 9 || next === 10 || next === 13) return i;
    if (i === 0) break;
  }
  return -1;
}

/** Whether an element other than the root carries a namespace prefix. Two searches, no scan. */
/** A tag with any prefix but `prefix`; built once per prefix (this runs on every page). */
const otherPrefixes = new Map<string, RegExp>();
function otherPrefix(prefix: string): RegExp {
  let re = otherPrefixes.get(prefix);
  if (!re) {
    re = new RegExp(`<\\/?(?!${prefix.replace(/[.-]/g, '\\$&')}:)[A-Za-z_][\\w.-]*:`);
    if (otherPrefixes.size < 16) otherPrefixes.set(prefix, re);
  }
  return re;
}

function hasQualifiedChildren(
  body: string,
  rootPrefix: string | undefined,
  afterRoot: number,
): boolean {
  const other = rootPrefix ? otherPrefix(rootPrefix) : /<\/?[A-Za-z_][\w.-]*:/;
  if (other.test(body)) return true;
  if (!rootPrefix) return false;
  const next = body.indexOf(`<${rootPrefix}:`, afterRoot);
  return next !== -1 && next < body.lastIndexOf(`</${rootPrefix}:`);
}

/**
 * Refuses nesting deeper than any document of the API (a bomb of nested elements) before the
 * parser builds it. Plain `indexOf` scanning.
 */
function checkDepth(body: string): void {
  let depth = 0;
  for (let i = body.indexOf('<'); i !== -1; i = body.indexOf('<', i + 1)) {
    const c = body.charCodeAt(i + 1);
    if (c === 63 /* ? */ || c === 33 /* ! */) continue;
    if (c === 47 /* / */) {
      depth--;
      continue;
    }
    const end = body.indexOf('>', i);
    if (end === -1) return;
    if (body.charCodeAt(end - 1) !== 47 && ++depth > MAX_DEPTH) {
      throw new XmlSyntaxError(`nesting deeper than ${MAX_DEPTH}`);
    }
    i = end;
  }
}

/** The one place that normalises "one child or many": the children named `tag`, as an array. */
export function childrenOf(el: XmlElement, tag: string): XmlChild[] | undefined {
  const found = el[tag] as XmlChild | XmlChild[] | undefined;
  return found === undefined ? undefined : Array.isArray(found) ? found : [found];
}

/** The child value as an element: text-only and empty elements become `{}`-like objects. */
export function asElement(child: unknown): XmlElement {
  return typeof child === 'object' && child !== null ? (child as XmlElement) : {};
}

/** The trimmed text of a child: a string, or the `_` of an element with attributes. */
export function textOf(child: XmlChild | undefined): string {
  if (typeof child === 'string') return child;
  if (child && typeof child._ === 'string') return child._;
  return '';
}

/** Whether the child element has any element children (a leaf given a block is malformed). */
export function hasElementChildren(child: XmlChild | undefined): boolean {
  if (typeof child !== 'object' || child === null) return false;
  return Object.keys(child).some((k) => k !== '$' && k !== '_');
}
