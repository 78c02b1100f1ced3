/** How much commenting an instance takes, from the configuration (src/config.ts). No imports: config reads the defaults. */
export interface CommentLimits {
  /** Comments one user may add to one instance within `windowSeconds`. */
  perUser: number;
  windowSeconds: number;
  /** Bytes of attachments an instance may hold in total. */
  attachmentQuotaBytes: number;
}

/** The documented defaults (GRMS_COMMENT_RATE_LIMIT, GRMS_COMMENT_RATE_WINDOW_SECONDS, GRMS_ATTACHMENT_QUOTA_MB). */
export const DEFAULT_COMMENT_LIMITS: CommentLimits = Object.freeze({ perUser: 10, windowSeconds: 600, attachmentQuotaBytes: 100 * 1024 * 1024 });
