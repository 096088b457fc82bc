/**
 * A job summary as a person sees it on GitHub: its Markdown rendered to HTML (markdown-it with
 * HTML allowed, as GitHub renders a step summary: GitHub Flavored Markdown and its HTML subset),
 * styled by GitHub's Markdown CSS (`github-markdown-css`) inside a card like the run page's, and
 * screenshotted by a real headless browser (Debian's `chromium`; scripts/test.sh installs it).
 */
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { promisify } from 'node:util'
import MarkdownIt from 'markdown-it'

const run = promisify(execFile)
const require = createRequire(import.meta.url)

/** The browser: CHROMIUM, or Debian's. */
export const chromium = process.env.CHROMIUM || '/usr/bin/chromium'

/** Width of the page, about the width of a job summary on a laptop screen. */
const WIDTH = 1100

/** The summary's Markdown as GitHub shows it: HTML of a whole page. */
export function summaryHtml(markdown: string, title: string): string {
  const css = readFileSync(require.resolve('github-markdown-css/github-markdown-light.css'), 'utf8')
  const body = new MarkdownIt({ html: true, linkify: false }).render(markdown)
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title>
<style>
${css}
body { margin: 0; padding: 24px; background: #f6f8fa; }
.card { border: 1px solid #d0d7de; border-radius: 6px; background: #fff; }
.card > h2 { margin: 0; padding: 16px 24px 0; font: 600 20px -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328; }
.markdown-body { padding: 8px 24px 24px; font-size: 14px; }
</style></head>
<body><div class="card"><h2>${title}</h2><article class="markdown-body">
${body}
</article></div></body></html>
`
}

/** Flags of a browser that starts clean, talks to nothing and leaves nothing behind. */
function flags(profile: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--hide-scrollbars',
    `--user-data-dir=${profile}`,
  ]
}

/**
 * Screenshots an HTML page at its full height into `png`: a first browser run measures the
 * page (a script writes its height into the DOM that --dump-dom prints), a second one takes the
 * picture at that size. Returns the size.
 */
export async function screenshot(
  html: string,
  png: string,
): Promise<{ width: number; height: number }> {
  if (!existsSync(chromium)) {
    throw new Error(`No browser at ${chromium}: install Debian's chromium (scripts/test.sh does)`)
  }
  const dir = await mkdtemp(join(tmpdir(), 's3-rollback-screens-'))
  try {
    const page = join(dir, 'page.html')
    const measure = `<script>addEventListener('load', () => document.body.setAttribute('data-height', String(Math.ceil(document.querySelector('.card').getBoundingClientRect().bottom) + 24)))</script>`
    await writeFile(page, html.replace('</body>', `${measure}</body>`))
    const dump = await run(
      chromium,
      [...flags(join(dir, 'a')), `--window-size=${WIDTH},800`, '--dump-dom', `file://${page}`],
      { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
    )
    const height = Number(/data-height="(\d+)"/.exec(dump.stdout)?.[1])
    if (!height) throw new Error(`could not measure the page: ${dump.stderr.slice(0, 500)}`)
    await writeFile(page, html)
    await run(
      chromium,
      [
        ...flags(join(dir, 'b')),
        `--window-size=${WIDTH},${height}`,
        `--screenshot=${png}`,
        `file://${page}`,
      ],
      { timeout: 60_000 },
    )
    return pngSize(await readFile(png))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Width and height from a PNG's header (and a check that it is one). */
export function pngSize(data: Buffer): { width: number; height: number } {
  if (data.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error('not a PNG')
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) }
}
