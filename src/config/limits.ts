// Every bound on what reading a config may cost, in one place. keepalived has almost none (it reads
// 1023-byte lines and lets ~SEQ, includes and globs run as far as memory goes); vrrpd refuses a
// config past any of them with `file:line: what was exceeded`, as an error: `-t` exits 5, start-up
// exits 2, a reload is refused and the running config stays. Sized against the largest real config
// we know, the bench's 1000 instances (bench/config-gen.ts: 316 KiB, 22,030 lines, 30,048 words,
// 209 KiB once comments are cut), so that a config at every bound at once still reads within the
// daemon's 256 MB heap (bin/vrrpd), and a reload reads it off the event loop anyway
// (load-thread.ts).

const KIB = 1024;
const MIB = 1024 * KIB;

// Files

/** Include nesting, the main file counting as 1. */
export const MAX_INCLUDE_DEPTH = 32;
/** One config file. */
export const MAX_FILE_BYTES = 8 * MIB;
/** All config files together. */
export const MAX_TOTAL_BYTES = 32 * MIB;
/** Files read in all (a glob matching a huge directory). */
export const MAX_FILES = 1000;
/** One physical line (keepalived reads 1023 bytes at a time and would split a longer one). */
export const MAX_LINE_LENGTH = 64 * KIB;

// Globs of `include`

/** Brace alternatives one pattern expands to. */
export const MAX_BRACE_PATTERNS = 1024;
/** Directory entries listed and paths looked up while matching one pattern. */
export const MAX_DIRECTORY_ENTRIES = 10_000;

// Expansion (~SEQ/~LST, $NAME parameters)

/** Substitutions on one logical line (a `$A=${A}` loop ends here). */
export const MAX_SUBSTITUTIONS = 1000;
/** One logical line after substitution. */
export const MAX_SUBSTITUTED_LENGTH = 64 * KIB;
/** Lines produced by ~SEQ/~LST values and by the lines of multi-line parameters. */
export const MAX_GENERATED_LINES = 100_000;
/** ~SEQ/~LST and multi-line parameters expanding inside each other. */
export const MAX_EXPANSION_DEPTH = 64;

// What the expanded text may hold

/** Non-blank logical lines handled in all (after comments are cut), generated ones included. */
export const MAX_LINES = 100_000;
/** Characters of those lines in all, once ~SEQ/~LST and parameters are expanded. */
export const MAX_EXPANDED_BYTES = 16 * MIB;
/** Words (tokens) in all: each costs a parse node, where a byte costs a byte. */
export const MAX_WORDS = 500_000;
/** Blocks inside blocks (keepalived's deepest is 3: vrrp_instance > authentication, ...). */
export const MAX_BLOCK_DEPTH = 64;
/** vrrp_instance blocks (the bench has 1000; 4 interfaces x 255 VRIDs is 1020). */
export const MAX_INSTANCES = 4096;

// Reporting

/**
 * Diagnostics listed per kind (unknown keywords, corrected values, other errors, ...); the rest of
 * that kind become one line saying how many more there are. 150,000 unknown keywords are one
 * mistake repeated, not 150,000 log lines.
 */
export const MAX_DIAGNOSTICS_PER_KIND = 100;
