/** Errors of the document layer, each with a stable `code` the API can map. */

/** The configured CA or PKCS#12 files are missing, unreadable or not usable for signing. */
export class AuthorityConfigError extends Error {
  readonly code = 'DOCUMENT_CA_CONFIG';
}

/**
 * The PKCS#11 token cannot be used as configured (GRMS_PKCS11_*: module, token, PIN, key): found
 * when the server starts, never in the middle of a request.
 */
export class TokenConfigError extends Error {
  readonly code = 'PKCS11_CONFIG';
}

/** A deployment with per-user PKCS#12 files has none for this user. */
export class NoSigningCertificate extends Error {
  readonly code = 'NO_SIGNING_CERTIFICATE';
}

/** An org code, classification or number that cannot form a document number. */
export class InvalidDocumentNumber extends Error {
  readonly code = 'DOCUMENT_NUMBER_INVALID';
}

/** A number that a stored document carries cannot be voided. */
export class DocumentNumberInUse extends Error {
  readonly code = 'DOCUMENT_NUMBER_IN_USE';
}

/** Rendering or signing a PDF failed (bad key, placeholder too small …). */
export class SigningError extends Error {
  readonly code = 'DOCUMENT_SIGNING_FAILED';
}

/** Malformed DER or CMS while reading a signature. */
export class DerError extends Error {
  readonly code = 'DER_INVALID';
}

/**
 * An uploaded signature is bigger or heavier than a verifier accepts (too large, too many
 * certificates, keys of an unusual size or kind): refused before any certificate is parsed.
 */
export class SignatureLimitsExceeded extends Error {
  readonly code = 'SIGNATURE_LIMITS_EXCEEDED';
}
