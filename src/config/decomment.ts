// keepalived's decomment() (lib/parser.c), as the preprocessor needs it: it runs on every raw line
// before anything else, and again on a line after a parameter was substituted into it.

const SPECIAL_IN_COMMENTS = /["\\#!]/;

/**
 * keepalived decomment() without the unescaping of `\#`/`\!` (the lexer does that): cut the
 * comment, the leading and trailing blanks; a final `\` (continuation) is kept right after the text.
 */
export function stripComment(raw: string): { text: string; column: number } {
  if (!SPECIAL_IN_COMMENTS.test(raw)) {
    // The common line: nothing to cut but blanks.
    const text = raw.replace(/^[ \t]+/, '');
    return { text: text.replace(/[ \t]+$/, ''), column: raw.length - text.length + 1 };
  }
  let quote = false;
  let commentAt = -1;
  let end = raw.length;
  let continued = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '"') {
      if (commentAt < 0) quote = !quote;
    } else if (c === '\\') {
      if (i + 1 < raw.length) {
        i++; // `\x` is one unit: `\"` does not open a quote, `\#` does not start a comment.
      } else {
        continued = true;
        end = i;
      }
    } else if (!quote && commentAt < 0 && (c === '#' || c === '!')) {
      commentAt = i;
    }
  }
  if (commentAt >= 0) end = Math.min(end, commentAt);
  const kept = raw.slice(0, end);
  const lead = kept.length - kept.replace(/^[ \t]+/, '').length;
  const text = kept.slice(lead).replace(/[ \t]+$/, '');
  return { text: continued ? `${text}\\` : text, column: lead + 1 };
}
