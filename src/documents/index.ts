/**
 * The signed-PDF document layer: what the engine and the HTTP routes use.
 * Flow for a transition that produces a document: takeDocumentNumber → signingIdentityFor (or
 * authority.seal) → pool.renderAndSign → one transaction storing the audit row (with
 * document_sha256) and the documents row → on failure, voidDocumentNumber.
 */
export { loadDocumentAuthority, type DocumentAuthority, type DocumentAuthorityConfig, type SigningIdentity } from './authority';
export { signingIdentityFor, revokeCertificate, loadRevocations, type SignerUser, type Revocation } from './identities';
export { signerPosition, type DocumentContent, type DocumentLine, type DocumentHistoryEntry, type DocumentSigner } from './content';
export { renderDocumentPdf } from './render';
export { renderAndSign, signPdf, type SignerKeys, type SignedDocument } from './sign';
export { createDocumentPool, type DocumentPool, type DocumentPoolOptions } from './pool';
export { verifyPdf, type VerifyOptions, type VerifyResult } from './verify';
export { takeDocumentNumber, voidDocumentNumber, formatDocumentNumber, parseDocumentNumber, type NumberRequest } from './numbers';
export { formatRupiah, formatNumberId, formatDateId, formatDateTimeId, formatPlaceDate } from './format';
export * from './errors';
