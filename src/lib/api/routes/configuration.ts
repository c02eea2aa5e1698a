// The configuration database of the Unified CM publisher (seed 003, ADM-1..10): UC services,
// service profiles, user templates, end users, presence redundancy groups and assignments. A
// subscriber answers the reads through the publisher and refuses the writes (ADM-10); the IM and
// Presence Sync Agent polls the revision and reads the users it serves.
import {type TSchema, Type} from 'typebox'
import {DIRECTORY_TYPE_NAMES, SRM_PARAMETERS, type SrmParameter, UC_SERVICE_TYPES} from '../../domain/administration.js'
import {routes} from '../contract.js'
import {Name, NameParams} from '../schemas.js'

const IMPORT_BODY_LIMIT = 32 * 1024 * 1024
const Text = Type.String({minLength: 1, maxLength: 256})
const Ids = Type.String({maxLength: 65536})
/**
 * A field a request may clear: null first, because fastify coerces request types (an anyOf tries
 * its branches in order, and string first would turn null into "").
 */
const Nullable = (maxLength: number) => Type.Union([Type.Null(), Type.String({maxLength})])
const UserParams = Type.Object({id: Type.String({minLength: 1, maxLength: 200})})

export const UcService = Type.Object({
  name: Type.String(),
  type: Type.Enum(UC_SERVICE_TYPES),
  directoryType: Type.Optional(Type.Enum(DIRECTORY_TYPE_NAMES)),
  host: Type.String(),
  customTftpFile: Type.Optional(Type.String()),
  attributeMappings: Type.Optional(Type.Record(Type.String(), Type.String())),
})

export const ServiceProfile = Type.Object({
  name: Type.String(),
  default: Type.Boolean(),
  services: Type.Array(Type.String()),
  users: Type.Integer({minimum: 0}),
})

export const UserTemplate = Type.Object({
  name: Type.String(),
  kind: Type.Union([Type.Literal('user'), Type.Literal('feature-group')]),
  homeCluster: Type.Boolean(),
  imAndPresence: Type.Boolean(),
  serviceProfile: Type.Union([Type.String(), Type.Null()]),
})

export const EndUser = Type.Object({
  id: Type.String(),
  firstName: Type.Union([Type.String(), Type.Null()]),
  lastName: Type.Union([Type.String(), Type.Null()]),
  mailId: Type.Union([Type.String(), Type.Null()]),
  homeCluster: Type.Boolean(),
  imAndPresence: Type.Boolean(),
  /** The user's own service profile (null: the system default applies, ADM-3). */
  serviceProfile: Type.Union([Type.String(), Type.Null()]),
  presenceNode: Type.Union([Type.String(), Type.Null()]),
  device: Type.Union([Type.String(), Type.Null()]),
  extension: Type.Union([Type.String(), Type.Null()]),
})

/** The End User Configuration fields an administrator sets. */
const userFields = {
  firstName: Type.Optional(Nullable(128)),
  lastName: Type.Optional(Nullable(128)),
  mailId: Type.Optional(Nullable(256)),
  homeCluster: Type.Optional(Type.Boolean()),
  imAndPresence: Type.Optional(Type.Boolean()),
  serviceProfile: Type.Optional(Nullable(64)),
  device: Type.Optional(Nullable(64)),
  extension: Type.Optional(Nullable(24)),
}

const srmKeys = <S extends TSchema>(schema: () => S) =>
  Object.fromEntries(SRM_PARAMETERS.map((p) => [p.key, schema()])) as Record<SrmParameter, S>
export const PresenceGroup = Type.Object({
  name: Type.String(),
  nodes: Type.Array(Type.String()),
  automaticFallback: Type.Boolean(),
  srmParameters: Type.Object(srmKeys(() => Type.Integer())),
})

/** `pcluster group add|set`: what may be given (PRG-3 checks the ranges). */
const groupSettings = {
  nodes: Type.Array(Text, {maxItems: 8}),
  automaticFallback: Type.Optional(Type.Boolean()),
  srmParameters: Type.Optional(
    Type.Object(
      srmKeys(() => Type.Optional(Type.Integer())),
      {additionalProperties: false},
    ),
  ),
}

const UserAnswer = Type.Object({user: EndUser, warnings: Type.Array(Type.String())})
const GroupAnswer = Type.Object({group: PresenceGroup, warnings: Type.Array(Type.String())})

/** BAT Insert Users or Update Users: all valid lines, or nothing (ADM-2); its dry run answers the same. */
export const ImportOutcome = Type.Object({
  applied: Type.Boolean(),
  dryRun: Type.Boolean(),
  inserted: Type.Integer({minimum: 0}),
  updated: Type.Integer({minimum: 0}),
  wouldInsert: Type.Optional(Type.Integer({minimum: 0})),
  wouldUpdate: Type.Optional(Type.Integer({minimum: 0})),
  assigned: Type.Record(Type.String(), Type.Integer({minimum: 0})),
  rejected: Type.Array(Type.Object({line: Type.Integer({minimum: 0}), message: Type.String()})),
  warnings: Type.Array(Type.String()),
})

const userChange = (summary: string) => ({
  summary,
  params: UserParams,
  response: UserAnswer,
  errors: ['NotFound', 'Refused'] as const,
})

/** Removing a named thing: its name answers. */
const removal = <E extends readonly ('NotFound' | 'Refused' | 'Unreachable')[]>(summary: string, errors: E) => ({
  summary,
  params: NameParams,
  response: Type.Object({removed: Type.String()}),
  errors,
})

export const configurationRoutes = routes({
  'GET /v1/config': {
    summary: 'The configuration database: its schema version and revision',
    response: Type.Object({node: Type.String(), publisher: Type.Literal(true), schemaVersion: Type.Integer(), revision: Type.Integer()}),
  },
  'GET /v1/config/uc-services': {
    summary: 'The UC services (ADM-3, ADM-4)',
    response: Type.Object({services: Type.Array(UcService)}),
  },
  'POST /v1/config/uc-services': {
    summary: 'Adds a UC service (ADM-3; a directory service by its type, ADM-4)',
    body: Type.Object(
      {
        name: Text,
        type: Text,
        directoryType: Type.Optional(Text),
        host: Text,
        customTftpFile: Type.Optional(Text),
        mappings: Type.Optional(Type.Array(Text, {maxItems: 32})),
      },
      {additionalProperties: false},
    ),
    response: Type.Object({service: UcService}),
    errors: ['Refused'],
  },
  'DELETE /v1/config/uc-services/:name': removal('Removes a UC service no service profile lists (ADM-3)', ['NotFound', 'Refused'] as const),
  'GET /v1/config/service-profiles': {
    summary: 'The service profiles, the system default among them (ADM-3)',
    response: Type.Object({profiles: Type.Array(ServiceProfile)}),
  },
  'POST /v1/config/service-profiles': {
    summary: 'Adds a service profile of UC services (ADM-3)',
    body: Type.Object({name: Text, services: Type.Array(Text, {maxItems: 64})}, {additionalProperties: false}),
    response: Type.Object({profile: ServiceProfile}),
    errors: ['NotFound', 'Refused'],
  },
  'DELETE /v1/config/service-profiles/:name': removal('Removes a service profile neither the default nor in use (ADM-3)', [
    'NotFound',
    'Refused',
  ] as const),
  'POST /v1/config/service-profiles/:name/default': {
    summary: 'Makes a service profile the system default (ADM-3)',
    params: NameParams,
    response: Type.Object({profiles: Type.Array(ServiceProfile)}),
    errors: ['NotFound'],
  },
  'POST /v1/config/service-profiles/:name/assign': {
    summary: 'Gives end users a service profile of their own (ADM-3)',
    params: NameParams,
    body: Type.Object({users: Type.Array(Text, {minItems: 1, maxItems: 50_000})}, {additionalProperties: false}),
    response: Type.Object({profile: Type.String(), users: Type.Integer({minimum: 0})}),
    errors: ['NotFound'],
  },
  'GET /v1/config/user-templates': {
    summary: 'The user templates and feature group templates (ADM-2)',
    response: Type.Object({templates: Type.Array(UserTemplate)}),
  },
  'POST /v1/config/user-templates': {
    summary: 'Adds a user template or feature group template (ADM-2)',
    body: Type.Object(
      {
        name: Text,
        kind: UserTemplate.properties.kind,
        homeCluster: Type.Boolean(),
        imAndPresence: Type.Boolean(),
        serviceProfile: Type.Optional(Nullable(64)),
      },
      {additionalProperties: false},
    ),
    response: Type.Object({template: UserTemplate}),
    errors: ['NotFound', 'Refused'],
  },
  'DELETE /v1/config/user-templates/:name': removal('Removes a user template', ['NotFound'] as const),
  'GET /v1/config/users': {
    summary: 'End users, filtered and paged (ADM-2)',
    query: Type.Object(
      {
        enabled: Type.Optional(Type.Boolean()),
        profile: Type.Optional(Text),
        node: Type.Optional(Text),
        limit: Type.Optional(Type.Integer({minimum: 1, maximum: 100_000})),
        offset: Type.Optional(Type.Integer({minimum: 0})),
        /** Comma-separated user IDs. */
        ids: Type.Optional(Ids),
      },
      {additionalProperties: false},
    ),
    response: Type.Object({
      total: Type.Integer({minimum: 0}),
      defaultProfile: Type.Union([Type.String(), Type.Null()]),
      users: Type.Array(EndUser),
    }),
  },
  'GET /v1/config/users/:id': {
    summary: 'One end user',
    params: UserParams,
    response: Type.Object({user: EndUser}),
    errors: ['NotFound'],
  },
  'POST /v1/config/users': {
    summary: 'Adds an end user, from a template if given (ADM-2, ADM-6)',
    body: Type.Object({id: Text, template: Type.Optional(Text), ...userFields}, {additionalProperties: false}),
    response: UserAnswer,
    errors: ['NotFound', 'Refused'],
  },
  'POST /v1/config/users/:id/update': {
    ...userChange('Changes an end user (ADM-2, ADM-6)'),
    body: Type.Object(userFields, {additionalProperties: false, minProperties: 1}),
  },
  'POST /v1/config/users/:id/enable': userChange('Enables an end user for IM and Presence, on the least loaded node (ADM-2)'),
  'POST /v1/config/users/:id/disable': userChange('Disables an end user for IM and Presence (ADM-2)'),
  'POST /v1/config/users/import': {
    summary: 'BAT Insert Users (with a template) or Update Users from a CSV: every line, or none (ADM-2)',
    body: Type.Object(
      {csv: Type.String(), template: Type.Optional(Text), mode: Type.Union([Type.Literal('insert'), Type.Literal('update')])},
      {additionalProperties: false},
    ),
    response: ImportOutcome,
    preview: ImportOutcome,
    bodyLimit: IMPORT_BODY_LIMIT,
    errors: ['NotFound', 'Refused'],
  },
  'GET /v1/config/check-input': {
    summary: 'What `user check` needs of the database: users, profiles, services, licences, groups (ADM-7)',
    query: Type.Object({ids: Type.Optional(Ids)}, {additionalProperties: false}),
    response: Type.Object({
      users: Type.Array(EndUser),
      profiles: Type.Array(Type.Object({name: Type.String(), services: Type.Array(Type.String())})),
      defaultProfile: Type.Union([Type.String(), Type.Null()]),
      services: Type.Array(UcService),
      presenceLicences: Type.Integer({minimum: 0}),
      multiCluster: Type.Boolean(),
      fullEnterpriseList: Type.Boolean(),
      groups: Type.Array(PresenceGroup),
    }),
    errors: ['NotFound'],
  },
  'GET /v1/config/presence-groups': {
    summary: 'The presence redundancy groups as configured (ADM-8)',
    response: Type.Object({groups: Type.Array(PresenceGroup)}),
  },
  'POST /v1/config/presence-groups': {
    summary: 'Adds a presence redundancy group (PRG-1, PRG-3; the nodes are read from their agents)',
    body: Type.Object({name: Text, ...groupSettings}, {additionalProperties: false}),
    response: GroupAnswer,
    errors: ['NotFound', 'Refused', 'Unreachable'],
  },
  'POST /v1/config/presence-groups/:name/set': {
    summary: "Changes a group's nodes, automatic fallback or SRM service parameters, before HA is enabled (ADM-8, PRG-3)",
    params: NameParams,
    body: Type.Object({...groupSettings, nodes: Type.Optional(groupSettings.nodes)}, {additionalProperties: false, minProperties: 1}),
    response: GroupAnswer,
    errors: ['NotFound', 'Refused', 'Unreachable'],
  },
  'DELETE /v1/config/presence-groups/:name': removal('Removes a presence redundancy group without users, HA disabled (ADM-8)', [
    'NotFound',
    'Refused',
    'Unreachable',
  ] as const),
  'POST /v1/config/presence-users/assign': {
    summary: 'Assigns an end user enabled for IM and Presence to a node of a group (PRG-10)',
    body: Type.Object({user: Text, node: Text}, {additionalProperties: false}),
    response: UserAnswer,
    errors: ['NotFound', 'Refused'],
  },
  'GET /v1/config/revision': {
    summary: "The database's revision (the Sync Agent polls it; ADM-10)",
    response: Type.Object({revision: Type.Integer()}),
  },
  'GET /v1/config/presence-users': {
    summary: 'The users enabled for IM and Presence on the given nodes, at a revision (the Sync Agent; ADM-10)',
    query: Type.Object({nodes: Type.String({minLength: 1, maxLength: 4096})}, {additionalProperties: false}),
    response: Type.Object({revision: Type.Integer(), users: Type.Array(Type.Object({id: Type.String(), node: Name}))}),
  },
})
