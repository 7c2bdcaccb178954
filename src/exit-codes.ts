// keepalived's exit codes (lib/scheduler.h), which systemd units, runbooks and deploy scripts
// already know. Two sets, because keepalived gives the same number two meanings: the daemon's
// KEEPALIVED_EXIT_* (4 = missing permission, 6 = no config) and `-t`'s KEEPALIVED_CHK_EXIT_*
// (4 = a file or interface missing, 6 = scripts without enable_script_security).

/**
 * The daemon and every command but `-t` (`vrrpd status`: 1 when the daemon cannot be asked).
 * programError (KEEPALIVED_EXIT_PROGRAM_ERROR, EX_SOFTWARE): an internal error; systemd's
 * Restart=on-failure restarts the daemon on it (the unit's RestartPreventExitStatus= names 2 4 6).
 */
export const EXIT = { ok: 0, fatal: 1, config: 2, permission: 4, noConfig: 6, programError: 70 } as const;

/**
 * `vrrpd -t`: 4 = a config file or interface is missing (or a fatal error), 5 = any other config
 * error, 6 = scripts configured without enable_script_security.
 */
export const CONFIG_TEST_EXIT = { ok: 0, missing: 4, error: 5, security: 6 } as const;
export type ConfigTestExit = (typeof CONFIG_TEST_EXIT)[keyof typeof CONFIG_TEST_EXIT];
