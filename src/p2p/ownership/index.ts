/** Owned files: manifests signed by their owner, and the rule that decides a name. */
export type {
  LedgerOutcome,
  NameContent,
  NameLedgerOptions,
  NameVerdict,
  OwnershipPolicy,
} from './nameLedger';
export { NameLedger } from './nameLedger';
export type { ManifestClaim, ManifestVerification, SignedManifest } from './signedManifest';
export {
  MANIFEST_CONTEXT,
  manifestBodyBytes,
  signedManifestBytes,
  signManifest,
  verifySignedManifest,
} from './signedManifest';
