/**
 * NATS subject tokens may not contain `.`, `*`, `>` or whitespace, but user ids (a JWT `sub`)
 * may. `subjectToken` keeps letters, digits, `_` and `-` and writes anything else as `%XX`
 * (UTF-8 bytes), so every id maps to exactly one token and back.
 */
export function subjectToken(value: string): string {
  if (value === '') return '%';
  let token = '';
  for (const char of value) {
    if (/^[A-Za-z0-9_-]$/.test(char)) token += char;
    else for (const byte of Buffer.from(char, 'utf8')) token += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return token;
}

export function fromSubjectToken(token: string): string {
  // Only `[A-Za-z0-9_-]` and `%XX` occur in a token, which is exactly what URI decoding undoes.
  return token === '%' ? '' : decodeURIComponent(token);
}
