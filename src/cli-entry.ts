// bin/run.js's entry into the CLI's bundle (scripts/bundle.js): the commands of dist/cli share
// this copy of oclif.
export {execute} from '@oclif/core'
