/** Messages in command-line words: action inputs ('if-missing') become flags (--if-missing). */
import { InputError } from '../lib/errors.js'
import { Inputs } from '../settings/names.js'
import { flagFor } from './flags.js'

const INPUT_NAMES: ReadonlySet<string> = new Set(Object.values(Inputs))

/** Replaces every quoted input name ('to-time') with its flag (--to-time). */
export function inFlags(text: string): string {
  return text.replace(/'([a-z-]+)'/g, (quoted, name: string) =>
    INPUT_NAMES.has(name) ? flagFor(name) : quoted,
  )
}

/** A bad input as the command line says it: "missing flag --bucket" or "--to-time has …". */
export function inputErrorText(e: InputError): string {
  const expected = inFlags(e.expected)
  if (e.value === '') return `missing flag ${flagFor(e.input)}: expected ${expected}.`
  return `${flagFor(e.input)} has an invalid value ${JSON.stringify(e.value)}: expected ${expected}.`
}
