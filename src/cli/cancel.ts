/** The CLI process's one stop switch: Ctrl-C (SIGINT) or SIGTERM ask the command to stop. */
import { Cancellation } from '../lib/cancel.js'

export const cancel = new Cancellation()
