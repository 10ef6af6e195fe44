export { FAKE_ISSUER, type FakeSigstore, startFakeSigstore } from './fake-sigstore.ts'
export { memoryAttestationStore } from './memory-store.ts'
export { type OsvRecord, writeOsvDatabase, X_TEXT_ADVISORY } from './osv-database.ts'
