// What the platform CLI prints, parsed into SPEC terms (pure; the shapes are those of Cisco's
// CLI reference as quoted in CISCO.md). Lines we do not know are kept, never guessed at.
import {type NodeState, normalizeReason, normalizeState, type Reason} from '../../domain/presence-redundancy.js'
import {STATUS_NAMES, type ServerStatus} from '../../domain/connection-statuses.js'

export interface HaNode {
  name: string
  /** null when the line's state is not one of PRG-5's. */
  state: NodeState | null
  reason: Reason | null
  /** As printed. */
  stateText: string
  reasonText: string | null
}

export interface HaSubcluster {
  name: string
  haEnabled: boolean
  nodes: HaNode[]
}

export interface HaStatus {
  subclusters: HaSubcluster[]
  unknownLines: string[]
}

const SUBCLUSTER = /^\s*Subcluster Name\s*:\s*(.+?)\s*$/i
const NODE = /^\s*Node\s+\d+\s+Name\s*:\s*(\S+)\s+State\s*:\s*(.+?)(?:\s+Reason\s*:\s*(.+?))?\s*$/i
const HA_NOT_ENABLED = /High Availability Not Enabled/i

/** `utils ha status`: subclusters (presence redundancy groups), each node's PRG-5 state and PRG-6 reason. */
export function parseHaStatus(text: string): HaStatus {
  const subclusters: HaSubcluster[] = []
  const unknownLines: string[] = []
  let current: HaSubcluster | undefined
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const sub = SUBCLUSTER.exec(line)
    if (sub) {
      current = {name: sub[1], haEnabled: true, nodes: []}
      subclusters.push(current)
      continue
    }
    const node = NODE.exec(line)
    if (node && current) {
      let [, name, stateText, reasonText] = node
      // "State: Unknown Reason: High Availability Not Enabled" may come without "Reason:" spaced as we expect.
      if (HA_NOT_ENABLED.test(stateText) || HA_NOT_ENABLED.test(reasonText ?? '')) current.haEnabled = false
      const split = /^(.*?)\s+Reason\s*:\s*(.*)$/i.exec(stateText)
      if (split) [stateText, reasonText] = [split[1], split[2]]
      current.nodes.push({
        name,
        state: normalizeState(stateText) ?? null,
        reason: reasonText ? (normalizeReason(reasonText) ?? null) : null,
        stateText,
        reasonText: reasonText ?? null,
      })
      continue
    }
    if (current && HA_NOT_ENABLED.test(line)) {
      current.haEnabled = false
      continue
    }
    unknownLines.push(line.trim())
  }
  return {subclusters, unknownLines}
}

/** `utils ha failover|fallback|recover`: accepted only on the CLI's own word. */
export function haRequestAccepted(text: string): boolean {
  return /Request SUCCESSFUL/i.test(text)
}

export interface CucClusterRow {
  name: string
  memberId: string
  status: ServerStatus | null
  statusText: string
  internalState: string
}

const CUC_ALIASES: Record<string, ServerStatus> = {
  idle: 'Deactivated',
  down: 'Not Functioning',
  initializing: 'Starting',
  'in db sync': 'Replicating Data',
  'in sbr': 'Split Brain Recovery',
}

/**
 * `show cuc cluster status`: a table with a header line (Server Name, Member ID, Server State,
 * Internal State, Reason); columns are separated by two or more spaces.
 */
export function parseCucClusterStatus(text: string): {rows: CucClusterRow[]; unknownLines: string[]} {
  const rows: CucClusterRow[] = []
  const unknownLines: string[] = []
  for (const line of text.split('\n')) {
    const t = line.trim()
    if (!t || /^Server Name\b/i.test(t) || /^-+(\s+-+)*$/.test(t)) continue
    const cells = t.split(/\s{2,}/)
    if (cells.length >= 3 && /^\d+$/.test(cells[1])) {
      const statusText = cells[2]
      const lower = statusText.toLowerCase()
      const status = STATUS_NAMES.find((s) => s.toLowerCase() === lower) ?? CUC_ALIASES[lower] ?? null
      rows.push({name: cells[0], memberId: cells[1], status, statusText, internalState: cells[3] ?? ''})
    } else unknownLines.push(t)
  }
  return {rows, unknownLines}
}

/** `show version active` / `show version inactive`: the master version, or null when the partition holds none. */
export function parseShowVersion(text: string, which: 'active' | 'inactive'): string | null {
  const m = new RegExp(`^\\s*${which} Master Version\\s*:\\s*(\\S+)`, 'im').exec(text)
  return m ? m[1] : null
}
