// advert_int fitted to the VRRP version's field, as keepalived's vrrp_complete_instance does it
// (docs/reference/keepalived-behaviour.md#advert_int-in-v3). The parser has already limited the
// value to 0.01..255 s (vrrp_adv_handler); here VRRPv3's 12-bit centisecond field applies.

/** VRRPv3's Max Adver Int: 12 bits of centiseconds. */
export const V3_MAX_ADVERT_INT_CS = 0x0fff;
const CENTISECOND_US = 10_000;

export interface FittedAdvertInt {
  /** The interval the instance runs with, in microseconds: a multiple of 10 ms in 10 ms..40.95 s. */
  readonly us: number;
  /** keepalived's configuration error when it had to change the value (a corrected value, `-t` exit 5). */
  readonly correction?: string;
}

/**
 * keepalived 2.2.7: 40.96 s or more is set to 40.95 s; otherwise a value off the 10 ms grid is
 * rounded half up (at least 10 ms). keepalived checks the range before rounding, so 40.955..40.959
 * become 40.96 s, which its 12-bit field carries as 0 (a backup hearing it times out at once);
 * vrrpd stops at 40.95 s and says so.
 */
export function fitAdvertIntV3(us: number): FittedAdvertInt {
  const max = V3_MAX_ADVERT_INT_CS * CENTISECOND_US;
  if (us >= (V3_MAX_ADVERT_INT_CS + 1) * CENTISECOND_US) {
    return {
      us: max,
      correction: `VRRPv3 advertisement interval ${(us / 1e6).toFixed(2)}s is out of range. Must be less than 40.96s. Setting to 40.95s`,
    };
  }
  if (us % CENTISECOND_US === 0) return { us };
  const rounded = Math.max(CENTISECOND_US, Math.floor((us + CENTISECOND_US / 2) / CENTISECOND_US) * CENTISECOND_US);
  const said = `VRRPv3 advertisement interval ${(us / 1e6).toFixed(6)}s must be in units of 10ms - rounding`;
  if (rounded > max) {
    return {
      us: max,
      correction: `${said}: to 40.95s (keepalived rounds to 40.96s, which the 12-bit Max Adver Int field carries as 0, and a backup hearing 0 takes over at once)`,
    };
  }
  return { us: rounded, correction: `${said}: to ${(rounded / 1e6).toFixed(2)}s` };
}
