/**
 * A small XML well-formedness check, enough to tell that a generated SVG will open: tags nest and close,
 * attributes are quoted and unique, text and attribute values use only valid entity references, and there
 * is exactly one root element. It does not validate against the SVG schema and does not read DTDs.
 */

// The only named entities an XML document without a DTD may use.
const predefinedEntities = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);
const namePattern = /^[A-Za-z_:][\w.:-]*$/;
const attributePattern = /\s+([^\s=/>]+)\s*=\s*("[^"]*"|'[^']*')/y;

/**
 * The first well-formedness problem of an XML document, with its line and column, or `undefined` when the
 * document is well-formed.
 */
export function xmlProblem(text: string): string | undefined {
  const at = (offset: number) => {
    const before = text.slice(0, offset).split('\n');
    return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
  };
  const open: string[] = [];
  let sawRoot = false;
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const content = text.slice(i, lt === -1 ? text.length : lt);
    if (open.length === 0 && content.trim() !== '') return `text outside the root element at ${at(i)}`;
    const badEntity = entityProblem(content);
    if (badEntity !== undefined) return `${badEntity} at ${at(i)}`;
    if (lt === -1) break;

    const special = skipSpecial(text, lt, open.length > 0);
    if (typeof special === 'string') return `${special} at ${at(lt)}`;
    if (typeof special === 'number') {
      i = special;
      continue;
    }

    const gt = tagEnd(text, lt);
    if (gt === -1) return `unterminated tag at ${at(lt)}`;
    const tag = text.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trimEnd();
      const expected = open.pop();
      if (expected === undefined) return `closing tag </${name}> without an opening tag at ${at(lt)}`;
      if (name !== expected) return `</${name}> closes <${expected}> at ${at(lt)}`;
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const name = /^[^\s/>]*/.exec(body)?.[0] ?? '';
    if (!namePattern.test(name)) return `invalid element name "${name}" at ${at(lt)}`;
    const attributes = attributesProblem(body, name.length);
    if (attributes !== undefined) return `<${name}>: ${attributes} at ${at(lt)}`;
    if (open.length === 0) {
      if (sawRoot) return `a second root element <${name}> at ${at(lt)}`;
      sawRoot = true;
    }
    if (!selfClosing) open.push(name);
  }
  const unclosed = open.at(-1);
  if (unclosed !== undefined) return `<${unclosed}> is never closed`;
  if (!sawRoot) return 'no root element';
  return undefined;
}

/**
 * Comments, CDATA sections, processing instructions and the doctype: the offset after one, a problem, or
 * `undefined` when `<` at `lt` starts an ordinary tag.
 */
function skipSpecial(text: string, lt: number, inElement: boolean): number | string | undefined {
  const kinds = [
    { start: '<!--', end: '-->', what: 'comment', inside: 'anywhere' },
    { start: '<![CDATA[', end: ']]>', what: 'CDATA section', inside: 'element' },
    { start: '<?', end: '?>', what: 'processing instruction', inside: 'anywhere' },
    { start: '<!DOCTYPE', end: '>', what: 'doctype', inside: 'prolog' },
  ] as const;
  for (const kind of kinds) {
    if (!text.startsWith(kind.start, lt)) continue;
    if (kind.inside === 'element' && !inElement) return `${kind.what} outside the root element`;
    if (kind.inside === 'prolog' && inElement) return `${kind.what} inside an element`;
    const end = text.indexOf(kind.end, lt + kind.start.length);
    if (end === -1) return `unterminated ${kind.what}`;
    return end + kind.end.length;
  }
  return undefined;
}

/** The offset of the `>` that ends the tag opened at `lt`, skipping `>` inside quoted attribute values. */
function tagEnd(text: string, lt: number): number {
  let quote: string | undefined;
  for (let j = lt + 1; j < text.length; j++) {
    const c = text[j];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '<') {
      return -1;
    } else if (c === '>') {
      return j;
    }
  }
  return -1;
}

/** A problem with a start tag's attributes (after its name), or `undefined`. */
function attributesProblem(body: string, from: number): string | undefined {
  const seen = new Set<string>();
  attributePattern.lastIndex = from;
  let end = from;
  for (let match = attributePattern.exec(body); match !== null; match = attributePattern.exec(body)) {
    const [, name = '', quoted = ''] = match;
    if (!namePattern.test(name)) return `invalid attribute name "${name}"`;
    if (seen.has(name)) return `attribute "${name}" appears twice`;
    seen.add(name);
    const value = quoted.slice(1, -1);
    if (value.includes('<')) return `attribute "${name}" contains "<"`;
    const badEntity = entityProblem(value);
    if (badEntity !== undefined) return `attribute "${name}": ${badEntity}`;
    end = attributePattern.lastIndex;
  }
  const rest = body.slice(end);
  return rest.trim() === '' ? undefined : `malformed attributes near "${rest.trim().slice(0, 30)}"`;
}

/** A bare `&` or an unknown entity in text or an attribute value, or `undefined`. */
function entityProblem(text: string): string | undefined {
  for (const match of text.matchAll(/&([^;\s&<]*);?/g)) {
    const [whole, ref = ''] = match;
    if (!whole.endsWith(';')) return `a bare "&" (write &amp;)`;
    if (/^#\d+$/.test(ref) || /^#x[\da-fA-F]+$/.test(ref)) continue;
    if (!predefinedEntities.has(ref)) return `unknown entity "&${ref};"`;
  }
  return undefined;
}
