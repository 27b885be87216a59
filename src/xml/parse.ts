/**
 * XML text in, a plain tree out: the only place that calls xml2js, and the one function that
 * normalises its output. Text is kept exactly (`trim: false`); whitespace-only text counts as empty (wire spec section 1: parse by local name, never by prefix).
 *
 * xml2js is sax-based and expands no DTD entities; we still refuse any DOCTYPE or ENTITY
 * declaration before parsing (XXE, billion laughs) and cap nesting depth.
 */
import { Parser, type ParserOptions } from 'xml2js';

/** An element as xml2js gives it with `explicitArray`: children by local name, always arrays. */
export interface XmlElement {
  [tag: string]: XmlChild[] | Record<string, string> | string | undefined;
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
const stripPrefix = (name: string): string => {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
};

const OPTIONS: ParserOptions = {
  explicitArray: true,
  explicitRoot: true,
  trim: false,
  normalize: false,
  emptyTag: '',
  strict: true,
  async: false,
  tagNameProcessors: [stripPrefix],
};

/** Parses `body`; throws {@link XmlSyntaxError} for anything that is not a plain XML document. */
export function parseXml(body: string): XmlDocument {
  if (/<!DOCTYPE|<!ENTITY/i.test(body))
    throw new XmlSyntaxError('DOCTYPE or ENTITY declarations are refused');
  const firstTag = /<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]/.exec(
    body.replace(/^\s*<\?[^>]*\?>/, ''),
  );
  if (!firstTag) throw new XmlSyntaxError('no root element');
  checkDepth(body);

  let result: unknown;
  let failure: unknown;
  try {
    new Parser(OPTIONS).parseString(body, (err: unknown, out: unknown) => {
      failure = err;
      result = out;
    });
  } catch (error) {
    // xml2js drops its listeners after the first error; a second one is thrown as "Unhandled error".
    failure = error;
  }
  if (failure || typeof result !== 'object' || result === null) {
    throw new XmlSyntaxError('not well-formed XML');
  }
  const [root, element] = Object.entries(result as Record<string, unknown>)[0] ?? [];
  if (root === undefined) throw new XmlSyntaxError('no root element');

  const attrs = asElement(element).$ ?? {};
  const prefix = firstTag[1]?.slice(0, -1);
  const namespace = prefix ? attrs[`xmlns:${prefix}`] : attrs.xmlns;
  const tags = body.match(/<\/?[A-Za-z_][\w.-]*:/g) ?? [];
  const qualifiedChildren = tags.some((t) => t.replace(/[</:]/g, '') !== prefix) || tags.length > 2;
  return { root, namespace, qualifiedChildren, element: asElement(element) };
}

/** Deep nesting is refused before the parser builds it (a page is at most 7 levels deep). */
function checkDepth(body: string): void {
  let depth = 0;
  const re = /<(\/?)[A-Za-z_][^>]*?(\/?)>/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    if (m[1]) depth--;
    else if (!m[2]) depth++;
    if (depth > MAX_DEPTH) throw new XmlSyntaxError(`nesting deeper than ${MAX_DEPTH}`);
  }
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
