import type { ReceiptView } from '@lintel/auth';
import { tokenTime } from '../render.js';

/**
 * The body of Keystone's 401 with an auth receipt (docs/keystone-totp-mfa.md): the receipt itself
 * and the rules that can still complete the login; no `error` member.
 */
export function renderReceipt(r: ReceiptView) {
  return {
    receipt: {
      methods: r.methods,
      user: {
        id: r.user.id,
        name: r.user.name,
        domain: { id: r.user.domainId, name: r.userDomain?.name ?? null },
      },
      expires_at: tokenTime(r.expiresAt),
      issued_at: tokenTime(r.issuedAt),
    },
    required_auth_methods: r.required,
  };
}
