/**
 * Runs `task` for each item of `items` with at most `limit` at a time, pulling items only as
 * slots free up (so a streamed source is never read far ahead). The first failure stops new
 * starts; tasks already running finish; then the first error is thrown.
 */
export async function eachLimit<T>(
  items: AsyncIterable<T> | Iterable<T>,
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  const iterator =
    Symbol.asyncIterator in items
      ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (items as Iterable<T>)[Symbol.iterator]()
  let failed = false
  let error: unknown
  // Workers take turns on the iterator: a generator cannot be advanced twice at once.
  let turn: Promise<unknown> = Promise.resolve()
  const next = (): Promise<IteratorResult<T>> => {
    const result = turn.then(() => iterator.next())
    turn = result.catch(() => undefined)
    return result
  }
  const worker = async (): Promise<void> => {
    while (!failed) {
      let step: IteratorResult<T>
      try {
        step = await next()
      } catch (e) {
        if (!failed) error = e
        failed = true
        return
      }
      if (step.done) return
      try {
        await task(step.value)
      } catch (e) {
        if (!failed) error = e
        failed = true
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker))
  if (failed) {
    await iterator.return?.()
    throw error
  }
}
