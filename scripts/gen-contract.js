#!/usr/bin/env node
// Writes what the agent and its users load of the API contract (src/lib/api), so that no process
// but the build loads TypeBox: dist/contract.json (the routes' plain JSON Schemas) and
// dist/openapi.json (OpenAPI 3.1, served as GET /v1/openapi.json). Run by `npm run build`.
import {readFileSync, writeFileSync} from 'node:fs'
import {ROUTES} from '../dist/src/lib/api/index.js'
import {compileRoutes, openApiDocument} from '../dist/src/lib/api/openapi.js'

const {version} = JSON.parse(readFileSync('package.json', 'utf8'))
writeFileSync('dist/contract.json', `${JSON.stringify(compileRoutes(ROUTES))}\n`)
writeFileSync('dist/openapi.json', `${JSON.stringify(openApiDocument(ROUTES, version), null, 2)}\n`)
