/** Child element names per parent path, in document order (first occurrence), for order checks. */
export function childOrder(xml: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const stack: string[] = [];
  const re = /<(\/?)(?:[\w.-]+:)?([\w.-]+)[^>]*?(\/?)>/g;
  for (let m = re.exec(xml.replace(/<\?[^>]*\?>/g, '')); m; m = re.exec(xml)) {
    const [, closing, name, selfClosing] = m as unknown as [string, string, string, string];
    if (closing) {
      stack.pop();
      continue;
    }
    const parent = stack.join('/');
    const list = out.get(parent) ?? [];
    if (!list.includes(name)) list.push(name);
    out.set(parent, list);
    if (!selfClosing) stack.push(name);
  }
  return out;
}

/** Every element that is empty: `<X/>` or `<X></X>` or whitespace only. */
export function emptyElements(xml: string): string[] {
  return [...xml.matchAll(/<([\w.-]+)(?:\s[^>]*)?\/>|<([\w.-]+)(?:\s[^>]*)?>\s*<\/\2>/g)].map(
    (m) => m[1] ?? m[2] ?? '',
  );
}
