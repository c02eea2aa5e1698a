// Confirmation of destructive actions: asked on a terminal, skipped with --yes, refused
// (exit 2) without a terminal rather than hanging a script.
import {UsageError} from '../errors.js'

export async function confirmOrRefuse(question: string, yes: boolean): Promise<boolean> {
  if (yes) return true
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new UsageError(`${question} Refusing without a terminal to confirm.`, {hint: 'pass --yes to confirm in a script'})
  }
  const {confirm} = await import('@inquirer/prompts')
  return confirm({message: question, default: false}, {output: process.stderr})
}
