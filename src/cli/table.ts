/** A plain-text table for terminals: columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: readonly string[][]): string {
  const all = [header, ...rows]
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    widths
      .map((w, c) => (cells[c] ?? '').padEnd(w))
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}
