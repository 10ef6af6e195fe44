# Pinned versions of every tool the project installs from outside npm.
# Sourced by tools/bootstrap.sh and tools/test-env.sh; bump here only.
NODE_VERSION=24.21.0
PNPM_VERSION=11.28.10
MATURIN_VERSION=1.16.0
UV_VERSION=0.13.9
PYPISERVER_VERSION=2.4.2
TWINE_VERSION=7.0.0
SPDX_TOOLS_VERSION=0.8.5  # pyspdxtools, the SPDX project's validator, run on our SPDX SBOMs in tests
PYPI_ATTESTATIONS_VERSION=0.0.30  # PyPA's PEP 740 model: tests parse our upload attestations with it
ZIGLANG_VERSION=0.15.1
CARGO_ZIGBUILD_VERSION=0.24.0
HELM_MODULE=helm.sh/helm/v3/cmd/helm@v3.22.0
COSIGN_MODULE=github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3
CRANE_MODULE=github.com/google/go-containerregistry/cmd/crane@v0.22.1
ACTIONLINT_MODULE=github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
APT_PACKAGES="time docker-registry skopeo umoci buildah busybox-static file zip unzip apache2-utils openssl qemu-user-static gnupg"
POLYSHIP_CACHE="${POLYSHIP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/polyship}"
OSV_SCANNER_MODULE=github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.1  # the vulnerability gate's scanner (offline OSV DB); v2.6 needs Go 1.27
SYFT_MODULE=github.com/anchore/syft/cmd/syft@v1.57.2  # peer SBOM generator, bench/ and the SBOM cross-check only
GORELEASER_MODULE=github.com/goreleaser/goreleaser/v2@v2.17.0  # peer for bench/scale.ts --goreleaser only (the Go part of the generated workspace)
NX_RELEASE_PEER_VERSION=23.3.1  # nx + @nx/js for bench/scale.ts --nx-release only (@nx/js, which nx release needs for npm packages, is not served at the workspace's nx version)
