// How strict an `include` is, as keepalived's include_t bits (lib/parser.c): which include problems
// are errors rather than notes. The effective strictness of one include is the current
// include_check setting OR'ed with what its keyword variant adds (check_include()):
//   include  -                    includer  READ
//   includem READ|MATCH            includew  READ|MATCH|WILDCARD
//   includeb READ|BRACE            includea  READ|MATCH|WILDCARD|BRACE
// `-e` (loadConfig's includeCheck) and `include_check` with no argument set all four
// (include_check_set(NULL)).

/** Error if a match is a directory, not readable, not a regular non-executable file. */
export const INCLUDE_READ = 0x01;
/** Error if nothing matches a pattern without wildcards (or a directory in it is missing). */
export const INCLUDE_MATCH = 0x02;
/** Error if nothing matches, even when the pattern has wildcards. */
export const INCLUDE_WILDCARD = 0x04;
/** Error if some alternative of a `{a,b}` brace expression names a missing file. */
export const INCLUDE_BRACE = 0x08;
export const INCLUDE_ALL = INCLUDE_READ | INCLUDE_MATCH | INCLUDE_WILDCARD | INCLUDE_BRACE;

/** A raw config line that is an include: `include` or a variant, then blank space (keepalived is_include()). */
export const INCLUDE_LINE = /^include([rmwba])?[ \t\n\v\f\r]/;

/** The include_t a keyword variant adds (check_include()); `suffix` is the letter after "include". */
export function includeTypeOf(suffix: string | undefined): number {
  switch (suffix) {
    case 'r':
      return INCLUDE_READ;
    case 'm':
      return INCLUDE_READ | INCLUDE_MATCH;
    case 'w':
      return INCLUDE_READ | INCLUDE_MATCH | INCLUDE_WILDCARD;
    case 'b':
      return INCLUDE_READ | INCLUDE_BRACE;
    case 'a':
      return INCLUDE_ALL;
    default:
      return 0;
  }
}

const checkNames: Readonly<Record<string, number>> = {
  read: INCLUDE_READ,
  match: INCLUDE_MATCH,
  wildcard_match: INCLUDE_WILDCARD,
  brace_match: INCLUDE_BRACE,
};

/**
 * The `include_check [OPTIONS]` keyword of global_defs (keepalived include_check_set()): no
 * option = everything; `NAME` sets READ|NAME (only as the first option); `+NAME` / `-NAME` add /
 * remove one check. Returns the new setting and the messages keepalived reports as config errors.
 */
export function applyIncludeCheck(current: number, args: readonly string[]): { flags: number; errors: string[] } {
  if (args.length === 0) return { flags: INCLUDE_ALL, errors: [] };
  let flags = current;
  const errors: string[] = [];
  args.forEach((word, index) => {
    const sign = word[0] === '+' || word[0] === '-' ? word[0] : undefined;
    if (sign === undefined && index > 0) {
      errors.push(`duplicate include_check '${word}' specified - ignoring`);
      return;
    }
    if (sign === undefined) flags = 0;
    const name = sign === undefined ? word : word.slice(1);
    const bit = Object.hasOwn(checkNames, name) ? checkNames[name] : undefined;
    if (bit === undefined) {
      errors.push(`unknown include_check type '${name}' - ignoring`);
      return;
    }
    if (sign === undefined) flags = INCLUDE_READ | bit;
    else if (sign === '+') flags |= bit;
    else flags &= ~bit;
  });
  return { flags, errors };
}
