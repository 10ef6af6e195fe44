/**
 * The Nx plugin, as `polyship/nx-plugin` in nx.json `plugins`: every package.json with a
 * `polyship` field gets inferred `polyship-build` and `polyship-package` targets.
 */
export { createNodes, createNodesV2, type PolyshipPluginOptions } from '@polyship/nx-plugin'
