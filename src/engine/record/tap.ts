/** The journal of confirmed writes, shown to one more reader as it is written (the run record). */
import type { Store } from '../../lib/store.js'
import type { JournalEntry } from '../write/apply.js'

/** `journal`, with every entry also handed to `seen` once it is journalled. */
export function tapJournal(
  journal: Store<JournalEntry>,
  seen: (entry: JournalEntry) => Promise<void>,
): Store<JournalEntry> {
  return {
    async write(entry) {
      await journal.write(entry)
      await seen(entry)
    },
    get count() {
      return journal.count
    },
    get path() {
      return journal.path
    },
    read: () => journal.read(),
    flush: () => journal.flush(),
    close: () => journal.close(),
    remove: () => journal.remove(),
  }
}
