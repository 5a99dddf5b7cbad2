/**
 * Globs over S3 keys: `*` and `?` within one path segment, `**` across
 * segments (`**\/` also matches no segment), `[abc]` / `[!a-z]` classes.
 * Everything else is literal.
 */

const GLOB_CHARS = /[*?[]/;

export function isKeyGlob(key: string): boolean {
  return GLOB_CHARS.test(key);
}

/** The key up to its first glob character: what S3 can list by prefix. */
export function literalPrefix(key: string): string {
  const i = key.search(GLOB_CHARS);
  return i < 0 ? key : key.slice(0, i);
}

/** A matcher for whole keys. */
export function keyMatcher(pattern: string): (key: string) => boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else {
      re += c.replace(/[.+^${}()|\\/\]]/g, '\\$&');
    }
  }
  const rx = new RegExp(`^${re}$`, 's');
  return (key) => rx.test(key);
}
