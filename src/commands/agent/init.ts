import * as Flags from '@oclif/core/flags'
import {envelope, LocalCommand} from '../../lib/cli/base-command.js'
import {PRODUCTS, ROLES} from '../../lib/domain/services.js'

export default class AgentInit extends LocalCommand<typeof AgentInit> {
  static override summary = "Write a node's configuration (DIR/node.yaml, commented) and its first two tokens"
  static override description =
    'Writes DIR/node.yaml (mode 0600) for the agent of this host: who the node is, where it listens, its peers, TLS files, timing, and a viewer and an operator token. The tokens are printed once, here; node.yaml keeps only their SHA-256. Never overwrites an existing node.yaml.'
  static override flags = {
    dir: Flags.string({description: 'directory of node.yaml (e.g. /etc/ucctl)', required: true}),
    name: Flags.string({description: "this node's name (as its peers and contexts call it)", required: true}),
    product: Flags.string({description: 'product of this host', options: [...PRODUCTS], required: true}),
    role: Flags.string({description: 'role in its cluster', options: [...ROLES], required: true}),
    peer: Flags.string({description: "another node's agent, NAME=URL (repeatable)", multiple: true, default: []}),
    listen: Flags.string({description: 'HOST:PORT of the HTTP API (beyond loopback, configure TLS)', default: '127.0.0.1:8443'}),
    'state-dir': Flags.string({
      description: 'durable state directory, relative to DIR or absolute (e.g. /var/lib/ucctl)',
      default: 'state',
    }),
    'product-version': Flags.string({description: "product version installed (default: the lab's for the product)"}),
    cluster: Flags.string({description: "cluster name shared by the nodes of one cluster (default: the lab's)"}),
  }
  static override examples = [
    '<%= config.bin %> agent init --dir /etc/ucctl --name cucm-pub --product cucm --role publisher --peer cucm-sub=https://cucm-sub.example.net:8443 --listen 0.0.0.0:8443 --state-dir /var/lib/ucctl',
  ]

  async run() {
    const {initNode, parseListen, parsePeer} = await import('../../lib/host/node-setup.js')
    const f = this.flags
    const {config, tokens} = await initNode({
      dir: f.dir,
      name: f.name,
      product: f.product as (typeof PRODUCTS)[number],
      role: f.role as (typeof ROLES)[number],
      peers: f.peer.map(parsePeer),
      listen: parseListen(f.listen),
      stateDir: f['state-dir'],
      version: f['product-version'],
      cluster: f.cluster,
    })
    return this.output(envelope('AgentInit', {config, node: f.name, tokens}), {
      title: `wrote ${config}`,
      columns: ['TOKEN ID', 'ROLE', 'TOKEN (shown once)'],
      rows: tokens.map((t) => [t.id, t.role, t.token]),
      notes: [`next: ucctl agent check --config ${config}; then ucctl agent serve --config ${config}`],
    })
  }
}
