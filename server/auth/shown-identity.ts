/** The most characters of a caller's identity that an error body or a log line shows. */
export const SHOWN_IDENTITY_LENGTH = 128;

// Control and format characters (line breaks, escapes, bidi overrides, zero-width marks) and the
// Unicode line and paragraph separators: none belongs in a name shown in a one-line message.
const HIDDEN_CHARACTERS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * A caller's identity as error bodies and logs show it: an OIDC token's `sub` is whatever the
 * identity provider signed, so it is stripped of control characters and cut to
 * SHOWN_IDENTITY_LENGTH characters (the last an ellipsis when cut). `fallback` when nothing is left.
 */
export function shownIdentity(identity: string, fallback: string): string {
  const characters = [...identity.replace(HIDDEN_CHARACTERS, '')];
  if (characters.length === 0) return fallback;
  if (characters.length <= SHOWN_IDENTITY_LENGTH) return characters.join('');
  return `${characters.slice(0, SHOWN_IDENTITY_LENGTH - 1).join('')}…`;
}
