#!/usr/bin/env node
// Writes man/man1/ucctl-<topic>-<command>.1 (roff) for every command from oclif.manifest.json,
// plus ucctl.1 listing them all. Run by `npm run build`; the pages are not committed.
// `node scripts/gen-man.js --package-json` also lists them in package.json's `man`.
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {EXIT_CODES} from '../dist/src/lib/errors.js'

const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
const manifest = JSON.parse(readFileSync('oclif.manifest.json', 'utf8'))
const bin = pkg.oclif.bin
const outDir = 'man/man1'
const date = new Date(process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) * 1000 : Date.now()).toISOString().slice(0, 10)

/** roff-escapes text: backslashes, leading dots and quotes, hyphens in options. */
const esc = (s) =>
  String(s ?? '')
    .replaceAll('\\', '\\e')
    .replaceAll('-', '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n')

const words = (id) => id.split(':').join(' ')

function flagUsage(name, f) {
  const dash = f.char ? `\\-${f.char}, ` : ''
  const neg = f.allowNo ? `[no\\-]` : ''
  const value = f.type === 'option' ? ` \\fI${esc(f.options ? f.options.join('|') : name.toUpperCase())}\\fR` : ''
  return `${dash}\\-\\-${neg}${esc(name)}${value}`
}

function page(cmd) {
  const name = `${bin} ${words(cmd.id)}`
  const args = Object.values(cmd.args ?? {})
  const flags = Object.entries(cmd.flags ?? {}).filter(([, f]) => !f.hidden)
  const synopsis = [
    `\\fB${esc(name)}\\fR`,
    ...args.map((a) => (a.required ? `\\fI${esc(a.name.toUpperCase())}\\fR` : `[\\fI${esc(a.name.toUpperCase())}\\fR]`)),
    ...flags.filter(([, f]) => f.required).map(([n, f]) => flagUsage(n, f)),
    flags.some(([, f]) => !f.required) ? '[\\fIOPTIONS\\fR]' : '',
  ].filter(Boolean)
  const out = [
    `.TH ${esc(`${bin}-${cmd.id.replaceAll(':', '-')}`.toUpperCase())} 1 "${date}" "${bin} ${pkg.version}" "ucctl manual"`,
    '.SH NAME',
    `${esc(`${bin}-${cmd.id.replaceAll(':', '-')}`)} \\- ${esc(cmd.summary ?? cmd.description ?? '')}`,
    '.SH SYNOPSIS',
    synopsis.join(' '),
    '.SH DESCRIPTION',
    esc(cmd.description ?? cmd.summary ?? ''),
  ]
  if (args.length) {
    out.push('.SH ARGUMENTS')
    for (const a of args)
      out.push(
        '.TP',
        `\\fI${esc(a.name.toUpperCase())}\\fR`,
        esc(a.description ?? '') + (a.options ? ` (one of: ${esc(a.options.join(', '))})` : ''),
      )
  }
  if (flags.length) {
    out.push('.SH OPTIONS')
    for (const [n, f] of flags) {
      const dflt = f.default !== undefined && f.default !== false ? ` (default: ${esc(String(f.default))})` : ''
      out.push('.TP', flagUsage(n, f), esc(f.description ?? f.summary ?? '') + dflt)
    }
  }
  if (cmd.examples?.length) {
    out.push('.SH EXAMPLES')
    for (const e of cmd.examples) {
      const text = (typeof e === 'string' ? e : e.command).replaceAll('<%= config.bin %>', bin)
      out.push('.PP', '.nf', `.RS 4`, esc(`$ ${text}`), '.RE', '.fi')
    }
  }
  out.push('.SH EXIT STATUS')
  for (const c of EXIT_CODES) out.push('.TP', `\\fB${c.code}\\fR`, esc(c.meaning))
  out.push('.SH SEE ALSO', `\\fB${bin}\\fR(1)`)
  return out.join('\n') + '\n'
}

rmSync(outDir, {recursive: true, force: true})
mkdirSync(outDir, {recursive: true})
const commands = Object.values(manifest.commands)
  .filter((c) => !c.hidden && c.pluginName === pkg.name)
  .sort((a, b) => a.id.localeCompare(b.id))
for (const c of commands) writeFileSync(`${outDir}/${bin}-${c.id.replaceAll(':', '-')}.1`, page(c))
const index = [
  `.TH ${bin.toUpperCase()} 1 "${date}" "${bin} ${pkg.version}" "ucctl manual"`,
  '.SH NAME',
  `${bin} \\- ${esc(pkg.description)}`,
  '.SH COMMANDS',
  ...commands.flatMap((c) => ['.TP', `\\fB${esc(`${bin} ${words(c.id)}`)}\\fR`, esc(c.summary ?? '')]),
  '.SH EXIT STATUS',
  ...EXIT_CODES.flatMap((c) => ['.TP', `\\fB${c.code}\\fR`, esc(c.meaning)]),
]
writeFileSync(`${outDir}/${bin}.1`, index.join('\n') + '\n')
console.error(`man: wrote ${commands.length + 1} pages to ${outDir}`)

// package.json's `man` lists every page, so that a global install links them (`man ucctl-service-start`);
// `--package-json` rewrites that list after commands are added or removed (a test compares them).
if (process.argv.includes('--package-json')) {
  const text = readFileSync('package.json', 'utf8')
  const pages = [`./${outDir}/${bin}.1`, ...commands.map((c) => `./${outDir}/${bin}-${c.id.replaceAll(':', '-')}.1`)]
  writeFileSync('package.json', JSON.stringify({...JSON.parse(text), man: pages}, null, 2) + '\n')
  console.error(`man: listed ${pages.length} pages in package.json`)
}
