// Confirmation of destructive actions: asked on a terminal, skipped with --yes, refused
// (exit 2) without a terminal rather than hanging a script.
import {InterruptedError, UsageError} from '../errors.js'

export async function confirmOrRefuse(question: string, yes: boolean): Promise<boolean> {
  if (yes) return true
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new UsageError(`${question} Refusing without a terminal to confirm.`, {hint: 'pass --yes to confirm in a script'})
  }
  const {confirm} = await import('@inquirer/prompts')
  try {
    return await confirm({message: question, default: false}, {output: process.stderr})
  } catch (error) {
    // Ctrl-C at the prompt (inquirer's ExitPromptError): nothing was asked of any agent yet.
    if ((error as Error).name === 'ExitPromptError') throw new InterruptedError('not confirmed; nothing was changed')
    throw error
  }
}
