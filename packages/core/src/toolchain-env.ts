/**
 * `go env` variables that change a Go binary's bytes, as go sees them (the environment over
 * what `go env -w` stored). One list for the build units' inputs, the Go probe and the Nx
 * plugin's cache inputs: a variable missing from one of them is a stale unit or cache hit.
 */
export const GO_BUILD_ENV = ['GOFLAGS', 'GOAMD64', 'GOARM', 'GOARM64', 'GO386', 'GOEXPERIMENT'] as const
