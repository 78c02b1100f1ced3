/**
 * The signed-PDF document layer: what the engine and the HTTP routes use.
 * Flow for a transition that produces a document: takeNumber (the issuing office's register of the
 * document's kind, src/documents/registers.ts) → signingIdentityFor (or
 * authority.seal) → pool.renderAndSign → one transaction storing the audit row (with
 * document_sha256) and the documents row with the number's parts → on failure, voidDocumentNumber.
 */
export { loadDocumentAuthority, type DocumentAuthority, type DocumentAuthorityConfig, type SigningIdentity } from './authority';
export { signingIdentityFor, revokeCertificate, loadRevocations, type SignerUser, type Revocation } from './identities';
export { signerPosition, type DocumentContent, type DocumentLine, type DocumentHistoryEntry, type DocumentSigner } from './content';
export { renderDocumentPdf } from './render';
export { renderAndSign, signPdf, type SignerKeys, type SignedDocument } from './sign';
export { createDocumentPool, type DocumentPool, type DocumentPoolOptions } from './pool';
export { verifyPdf, type VerifyOptions, type VerifyResult } from './verify';
export {
  takeNumber, takeDocumentNumber, voidDocumentNumber, formatDocumentNumber, parseDocumentNumber, parseNumberFormat, printNumber,
  type NumberRequest, type NumberFormat, type TakenNumber, type StampedNumber,
} from './numbers';
export { numberingOf, numberingProblems } from './registers';
export { formatRupiah, formatNumberId, formatDateId, formatDateTimeId, formatPlaceDate } from './format';
export * from './errors';
