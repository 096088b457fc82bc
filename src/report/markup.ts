/**
 * The pieces every job summary is made of, as GitHub renders a step summary (GitHub Flavored
 * Markdown with its HTML subset): headlines, tables, collapsed sections, code blocks with a copy
 * button, and times and sizes as a person reads them. Keys and messages are escaped, so a key
 * with `<`, `|` or `*` in it shows as it is. Pure: text in, text out.
 */

/** Text for HTML element content (quotes stay as they are, so messages read as written). */
export function escape(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c)
}

/** Text for an HTML attribute value in double quotes. */
export function attr(text: string): string {
  return escape(text).replace(/"/g, '&quot;')
}

/** Inline code (a key, a version ID, a path). */
export function code(text: string): string {
  return `<code>${escape(text)}</code>`
}

/** The page's headline: the outcome in one line. */
export function headline(html: string): string {
  return `<h3>${html}</h3>`
}

export function paragraph(html: string): string {
  return `<p>${html}</p>`
}

/** A table; cells are HTML already (escape what they hold). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = `<tr>${header.map((h) => `<th>${h}</th>`).join('')}</tr>`
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
  return `<table><thead>${head}</thead><tbody>\n${body.join('\n')}\n</tbody></table>`
}

/** A section collapsed until clicked: what a reader may want, but not at a glance. */
export function details(summary: string, body: string): string {
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`
}

/** A bulleted list of HTML items. */
export function list(items: readonly string[]): string {
  return `<ul>\n${items.map((i) => `<li>${i}</li>`).join('\n')}\n</ul>`
}

/**
 * A fenced code block (GitHub gives it a copy button). The fence is longer than any run of
 * backticks inside, so no content can close it.
 */
export function fenced(text: string, lang = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length))
  const fence = '`'.repeat(longest + 1)
  return `${fence}${lang}\n${text}\n${fence}`
}

/** A preformatted block that is not for pasting (an error message). */
export function preformatted(text: string): string {
  return `<pre><code>${escape(text)}</code></pre>`
}

/** Small print: version IDs and other details that must be there but not in the way. */
export function small(html: string): string {
  return `<sub>${html}</sub>`
}

/**
 * When a version was written, as a person reads it: `2021-11-29 18:57:03 UTC` (to the second:
 * the version ID is there for anything finer; without the zone where a table's header says
 * UTC). '—' when unknown.
 */
export function written(iso: string | null | undefined, zone = true): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return escape(iso)
  // no-break spaces: a time is never split over two lines
  return `${d.toISOString().slice(0, 19).replace('T', '&nbsp;')}${zone ? '&nbsp;UTC' : ''}`
}

/** An instant given as a target: like `written`, with the milliseconds when there are any. */
export function instant(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return escape(iso)
  const ms = d.getUTCMilliseconds()
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}${ms ? `.${String(ms).padStart(3, '0')}` : ''} UTC`
}

/** A number with thousands separators (`2,503`). */
export function num(n: number): string {
  return n.toLocaleString('en-US')
}

/** `1 key`, `2 keys` (with thousands separators). */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${num(n)} ${n === 1 ? one : many}`
}
