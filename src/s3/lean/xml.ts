/**
 * S3's XML answers read with `saxes` (a strict, streaming XML parser, the one jsdom uses), into
 * a small tree. Measured on a 1,000-entry ListVersionsResult: ~12 ms, against ~50 ms for
 * fast-xml-parser, the SDK's parser (README, "The request path").
 */
import { SaxesParser } from 'saxes'

/** An element: its name, its text (leaf elements), its child elements in document order. */
export interface XmlElement {
  name: string
  text: string
  children: XmlElement[]
}

/** Parses a document; throws on malformed XML. */
export function parseXml(xml: string): XmlElement {
  const parser = new SaxesParser()
  const root: XmlElement = { name: '', text: '', children: [] }
  const stack: XmlElement[] = [root]
  parser.on('opentag', (tag) => {
    const element: XmlElement = { name: tag.name, text: '', children: [] }
    stack[stack.length - 1].children.push(element)
    stack.push(element)
  })
  parser.on('text', (text) => {
    stack[stack.length - 1].text += text
  })
  parser.on('closetag', () => {
    stack.pop()
  })
  parser.write(xml).close()
  const top = root.children[0]
  if (!top) throw new Error('XML parse error: no root element')
  return top
}

/** The text of the first child element named `name`, if any. */
export function childText(element: XmlElement, name: string): string | undefined {
  for (const child of element.children) if (child.name === name) return child.text
  return undefined
}

/** The first child elements' texts by name (leaf children only; the first of each name wins). */
export function fields(element: XmlElement): Record<string, string> {
  const out: Record<string, string> = {}
  for (const child of element.children) {
    if (child.children.length === 0 && !(child.name in out)) out[child.name] = child.text
  }
  return out
}
