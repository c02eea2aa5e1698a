// IM and Presence high availability (SPEC §6), by concern: the documents' tables
// (./presence-tables.ts), the group's state and the actions it allows (./presence-group.ts), the
// machine (./presence-machine.ts), the operator's group actions and their dry run (./presence-plan.ts), and one node's Server
// Recovery Manager (./presence-srm.ts).
export * from './presence-group.js'
export * from './presence-machine.js'
export * from './presence-plan.js'
export * from './presence-srm.js'
export * from './presence-tables.js'
